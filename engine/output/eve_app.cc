#include "engine/output/eve_app.h"

#include <ctime>

#include "engine/output/eve_writer.h"

namespace kagami::output {
namespace {

// Builds one JSON object member by member, commas handled.
class Obj {
 public:
  Obj(std::string& out, std::string_view name) : out_(out) {
    out_.append(",\"");
    out_.append(name);
    out_.append("\":{");
  }
  ~Obj() { out_.push_back('}'); }
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;

  void Key(std::string_view k) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(k);
    out_.append("\":");
  }
  void Str(std::string_view k, std::string_view v) {
    Key(k);
    AppendJsonString(out_, v);
  }
  void StrIf(std::string_view k, std::string_view v) {
    if (!v.empty()) Str(k, v);
  }
  void Int(std::string_view k, int64_t v) {
    Key(k);
    out_.append(std::to_string(v));
  }
  void Bool(std::string_view k, bool v) {
    Key(k);
    out_.append(v ? "true" : "false");
  }
  std::string& out() { return out_; }

 private:
  std::string& out_;
  bool first_ = true;
};

void AppendHttp(std::string& out, const app::http::Transaction& t) {
  using P = app::http::Transaction::Progress;
  Obj o(out, "http");
  o.StrIf("hostname", t.host);
  o.StrIf("url", t.uri_raw);
  o.StrIf("http_user_agent", t.user_agent);
  o.StrIf("http_content_type", t.response_content_type);
  if (const auto* ref = t.FindRequestHeader("Referer")) o.StrIf("http_refer", ref->value);
  o.StrIf("http_method", t.method);
  o.StrIf("protocol", t.protocol);
  if (t.response_progress >= P::kLine && t.status > 0) o.Int("status", t.status);
  if (t.response_progress >= P::kBody) o.Int("length", static_cast<int64_t>(t.response_body_bytes));
}

void AppendDnsRecord(std::string& out, bool& first, const app::dns::Record& r) {
  if (!first) out.push_back(',');
  first = false;
  out.append("{\"rrname\":");
  AppendJsonString(out, r.name);
  out.append(",\"rrtype\":");
  AppendJsonString(out, app::dns::TypeText(r.type));
  out.append(",\"ttl\":");
  out.append(std::to_string(r.ttl));
  if (r.soa) {
    out.append(",\"soa\":{\"mname\":");
    AppendJsonString(out, r.soa->mname);
    out.append(",\"rname\":");
    AppendJsonString(out, r.soa->rname);
    out.append(",\"serial\":" + std::to_string(r.soa->serial));
    out.append(",\"refresh\":" + std::to_string(r.soa->refresh));
    out.append(",\"retry\":" + std::to_string(r.soa->retry));
    out.append(",\"expire\":" + std::to_string(r.soa->expire));
    out.append(",\"minimum\":" + std::to_string(r.soa->minimum));
    out.push_back('}');
  } else if (!r.rdata.empty()) {
    out.append(",\"rdata\":");
    AppendJsonString(out, r.rdata);
  }
  out.push_back('}');
}

void AppendDns(std::string& out, const app::dns::Message& m) {
  Obj o(out, "dns");
  o.Int("version", 3);
  o.Str("type", m.response ? "response" : "request");
  o.Int("id", m.id);
  o.Str("flags", app::dns::FlagsHex(m.flags));
  if (m.response) o.Bool("qr", true);
  if (m.aa) o.Bool("aa", true);
  if (m.tc) o.Bool("tc", true);
  if (m.rd) o.Bool("rd", true);
  if (m.ra) o.Bool("ra", true);
  if (m.z) o.Bool("z", true);
  o.Int("opcode", m.opcode);
  if (m.response) o.Str("rcode", app::dns::RcodeName(m.rcode));
  if (!m.questions.empty()) {
    o.Key("queries");
    out.push_back('[');
    bool first = true;
    for (const app::dns::Question& q : m.questions) {
      if (!first) out.push_back(',');
      first = false;
      out.append("{\"rrname\":");
      AppendJsonString(out, q.name);
      out.append(",\"rrtype\":");
      AppendJsonString(out, app::dns::TypeText(q.type));
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (!m.answers.empty()) {
    o.Key("answers");
    out.push_back('[');
    bool first = true;
    for (const app::dns::Record& r : m.answers) AppendDnsRecord(out, first, r);
    out.push_back(']');
  }
  if (!m.authorities.empty()) {
    o.Key("authorities");
    out.push_back('[');
    bool first = true;
    for (const app::dns::Record& r : m.authorities) AppendDnsRecord(out, first, r);
    out.push_back(']');
  }
}

// "2024-01-31T12:00:00", the schema's tls_date.
std::string TlsDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  // Years outside 1000..2999 do not fit the schema's pattern.
  if (tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 2999) return {};
  return buf;
}

void AppendTls(std::string& out, const app::tls::Session& s) {
  Obj o(out, "tls");
  if (!s.certificates.empty()) {
    const app::tls::Certificate& c = s.certificates.front();
    o.StrIf("subject", c.subject);
    o.StrIf("issuerdn", c.issuer);
    o.StrIf("serial", c.serial);
    o.StrIf("fingerprint", c.fingerprint_sha1);
    if (c.decoded) {
      const std::string nb = TlsDate(c.not_before), na = TlsDate(c.not_after);
      o.StrIf("notbefore", nb);
      o.StrIf("notafter", na);
    }
  }
  if (s.client_hello) o.StrIf("sni", s.client_hello->sni);
  o.Str("version", app::tls::VersionName(s.version));
  if (s.client_hello && !s.client_hello->ja3_hash.empty()) {
    o.Key("ja3");
    out.append("{\"hash\":");
    AppendJsonString(out, s.client_hello->ja3_hash);
    out.append(",\"string\":");
    AppendJsonString(out, s.client_hello->ja3_string);
    out.push_back('}');
  }
  if (s.server_hello && !s.server_hello->ja3s_hash.empty()) {
    o.Key("ja3s");
    out.append("{\"hash\":");
    AppendJsonString(out, s.server_hello->ja3s_hash);
    out.append(",\"string\":");
    AppendJsonString(out, s.server_hello->ja3s_string);
    out.push_back('}');
  }
  if (s.client_hello) o.StrIf("ja4", s.client_hello->ja4);
  if (s.client_hello && !s.client_hello->alpn.empty()) {
    o.Key("client_alpns");
    out.push_back('[');
    for (size_t i = 0; i < s.client_hello->alpn.size(); ++i) {
      if (i) out.push_back(',');
      AppendJsonString(out, s.client_hello->alpn[i]);
    }
    out.push_back(']');
  }
}

}  // namespace

std::string_view HttpFileName(const app::http::Transaction& t, bool response) {
  const app::http::Header* h =
      response ? t.FindResponseHeader("Content-Disposition") : t.FindRequestHeader("Content-Disposition");
  if (h != nullptr) {
    std::string_view v = h->value;
    if (const size_t at = v.find("filename="); at != std::string_view::npos) {
      v.remove_prefix(at + 9);
      if (!v.empty() && v.front() == '"') {
        v.remove_prefix(1);
        v = v.substr(0, v.find('"'));
      } else {
        v = v.substr(0, v.find(';'));
      }
      if (!v.empty()) return v;
    }
  }
  std::string_view uri = t.uri_raw;
  return uri.substr(0, uri.find('?'));
}

void AppendHttpFileinfo(std::string& out, const app::http::Transaction& t, bool response, uint64_t tx_id,
                        std::string_view magic) {
  Obj o(out, "fileinfo");
  o.Str("filename", HttpFileName(t, response));
  o.StrIf("magic", magic);
  const app::http::BodyDigest& d = response ? t.response_digest : t.request_digest;
  o.StrIf("md5", d.md5);
  o.StrIf("sha1", d.sha1);
  o.StrIf("sha256", d.sha256);
  o.Bool("gaps", false);
  const bool truncated = response ? t.response_body_truncated : t.request_body_truncated;
  o.Str("state", truncated ? "TRUNCATED" : "CLOSED");
  o.Bool("stored", false);
  o.Int("size", static_cast<int64_t>(response ? t.response_body_bytes : t.request_body_bytes));
  o.Int("tx_id", static_cast<int64_t>(tx_id));
}

void AppendAppObject(std::string& out, const app::TxUpdate& tx) {
  if (tx.http) AppendHttp(out, *tx.http);
  else if (tx.dns) AppendDns(out, *tx.dns);
  else if (tx.tls) AppendTls(out, *tx.tls);
}

}  // namespace kagami::output
