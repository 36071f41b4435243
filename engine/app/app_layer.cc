#include "engine/app/app_layer.h"

#include <algorithm>

#include "engine/app/dns/dns_probe.h"
#include "engine/app/dns/dns_tcp_framer.h"

namespace kagami::app {
namespace {

bool IsDnsPort(uint16_t port) { return port == 53 || port == 5353 || port == 5355; }

bool DnsPortHint(const flow::Flow& f) { return IsDnsPort(f.key.lo_port) || IsDnsPort(f.key.hi_port); }

int Dir(bool to_server) { return to_server ? 0 : 1; }

void FreeString(std::string& s) { std::string().swap(s); }

}  // namespace

struct HttpTxExtra {
  uint64_t id = 0;
  TxInspectState state;
  bool logged = false;
};

// Per-flow state; exists only for TCP flows with data (UDP DNS is parsed
// statelessly, one datagram at a time).
struct AppLayer::FlowApp {
  std::string probe[2];        // bytes held while the protocol is unknown
  bool probe_failed[2] = {false, false};
  // The flow's client is the protocol's server: a midstream pick-up whose
  // first packet came from the server. Parsers see the protocol's sides.
  bool reversed = false;
  std::unique_ptr<http::HttpParser> http;
  std::deque<HttpTxExtra> http_tx;  // inspection state per transaction id, ascending
  std::unique_ptr<tls::TlsParser> tls;
  TxInspectState tls_state;
  bool tls_logged = false;
  std::unique_ptr<dns::TcpFramer> dns_framer[2];
};

AppLayer::AppLayer(const AppLayerOptions& options) : options_(options) {}
AppLayer::~AppLayer() = default;

AppLayer::FlowApp* AppLayer::StateFor(const flow::Flow& flow, bool create) {
  if (flow.slot >= flows_.size()) {
    if (!create) return nullptr;
    flows_.resize(std::max<size_t>(flow.slot + 1, flows_.size() * 2));
  }
  std::unique_ptr<FlowApp>& p = flows_[flow.slot];
  if (!p && create) {
    p = std::make_unique<FlowApp>();
    ++live_;
  }
  return p.get();
}

void AppLayer::OnTcpData(flow::Flow& flow, bool to_server, const uint8_t* data, size_t len, bool after_gap) {
  updates_.clear();
  dns_used_ = 0;
  if (!options_.enabled || len == 0) return;
  const AppProto proto = static_cast<AppProto>(flow.app_proto);
  if (proto == AppProto::kFailed) return;
  FlowApp* fa = StateFor(flow, true);
  Retire(*fa);
  if (proto == AppProto::kUnknown) {
    // Detection needs the start of a direction; after a gap it cannot tell.
    if (after_gap) fa->probe_failed[Dir(to_server)] = true;
    else Detect(flow, *fa, to_server, data, len);
    if (fa->probe_failed[0] && fa->probe_failed[1]) {
      flow.app_proto = static_cast<uint8_t>(AppProto::kFailed);
      ++counters_.flows_failed;
      FreeString(fa->probe[0]);
      FreeString(fa->probe[1]);
    }
    return;
  }
  if (after_gap) {
    const int d = Dir(to_server);
    const bool side = to_server != fa->reversed;
    if (fa->http) fa->http->Gap(side ? http::Direction::kToServer : http::Direction::kToClient, 0);
    if (fa->tls) fa->tls->Gap(side ? tls::Direction::kToServer : tls::Direction::kToClient);
    if (fa->dns_framer[d]) fa->dns_framer[d]->Gap();
  }
  FeedParser(flow, *fa, to_server, data, len);
}

void AppLayer::Detect(flow::Flow& flow, FlowApp& fa, bool to_server, const uint8_t* data, size_t len) {
  const int d = Dir(to_server);
  if (fa.probe_failed[d]) return;
  std::string& buf = fa.probe[d];
  buf.append(reinterpret_cast<const char*>(data), len);
  const auto* p = reinterpret_cast<const uint8_t*>(buf.data());
  const size_t n = buf.size();
  // Order matters only when two probes say yes, which their shapes exclude.
  const http::Probe h = to_server ? http::ProbeRequest(p, n) : http::ProbeResponse(p, n);
  const tls::Probe t = to_server ? tls::ProbeClient(p, n) : tls::ProbeServer(p, n);
  const dns::Probe q = DnsPortHint(flow) ? dns::ProbeTcp(p, n, to_server) : dns::Probe::kNo;
  AppProto found = AppProto::kUnknown;
  if (h == http::Probe::kYes) found = AppProto::kHttp;
  else if (t == tls::Probe::kYes) found = AppProto::kTls;
  else if (q == dns::Probe::kYes) found = AppProto::kDns;
  // A response where a request belongs: the flow's direction was guessed
  // wrong (midstream pick-up from a server packet), as Suricata reverses.
  const http::Probe hr = to_server ? http::ProbeResponse(p, n) : http::ProbeRequest(p, n);
  const tls::Probe tr = to_server ? tls::ProbeServer(p, n) : tls::ProbeClient(p, n);
  if (found == AppProto::kUnknown && (hr == http::Probe::kYes || tr == tls::Probe::kYes)) {
    found = hr == http::Probe::kYes ? AppProto::kHttp : AppProto::kTls;
    fa.reversed = true;
  }
  if (found != AppProto::kUnknown) {
    Start(flow, fa, found);
    return;
  }
  const bool undecided = h == http::Probe::kNeedMore || t == tls::Probe::kNeedMore ||
                         q == dns::Probe::kNeedMore || hr == http::Probe::kNeedMore ||
                         tr == tls::Probe::kNeedMore;
  if (!undecided || n > options_.detect_bytes) {
    fa.probe_failed[d] = true;
    FreeString(buf);
  }
}

void AppLayer::Start(flow::Flow& flow, FlowApp& fa, AppProto proto) {
  flow.app_proto = static_cast<uint8_t>(proto);
  switch (proto) {
    case AppProto::kHttp:
      fa.http = std::make_unique<http::HttpParser>(options_.http);
      ++counters_.flows_http;
      break;
    case AppProto::kTls:
      fa.tls = std::make_unique<tls::TlsParser>(options_.tls);
      ++counters_.flows_tls;
      break;
    case AppProto::kDns:
      fa.dns_framer[0] = std::make_unique<dns::TcpFramer>(options_.dns);
      fa.dns_framer[1] = std::make_unique<dns::TcpFramer>(options_.dns);
      ++counters_.flows_dns;
      break;
    default: return;
  }
  // What waited for detection, the requesting side first (a request before
  // its response).
  for (int i = 0; i < 2; ++i) {
    const int d = fa.reversed ? 1 - i : i;
    std::string held;
    held.swap(fa.probe[d]);
    if (!held.empty() && (!fa.probe_failed[d] || fa.reversed)) {
      FeedParser(flow, fa, d == 0, reinterpret_cast<const uint8_t*>(held.data()), held.size());
    }
  }
}

void AppLayer::FeedParser(flow::Flow& flow, FlowApp& fa, bool flow_to_server, const uint8_t* data, size_t len) {
  const bool to_server = flow_to_server != fa.reversed;
  if (fa.http) {
    fa.http->Feed(to_server ? http::Direction::kToServer : http::Direction::kToClient, data, len);
    CollectHttp(fa, to_server, false);
  } else if (fa.tls) {
    fa.tls->Feed(to_server ? tls::Direction::kToServer : tls::Direction::kToClient, data, len);
    CollectTls(fa, to_server, false);
  } else if (fa.dns_framer[Dir(flow_to_server)]) {
    fa.dns_framer[Dir(flow_to_server)]->Feed(
        data, len, [&](const uint8_t* m, size_t n) { OnDnsMessage(flow_to_server, m, n); });
  }
}

void AppLayer::OnUdp(flow::Flow& flow, bool to_server, const uint8_t* data, size_t len) {
  updates_.clear();
  dns_used_ = 0;
  if (!options_.enabled) return;
  AppProto proto = static_cast<AppProto>(flow.app_proto);
  if (proto == AppProto::kUnknown) {
    // Each datagram stands alone, so detection needs no held bytes. A DNS
    // port lets a message with an unusual shape through to the parser.
    const dns::Probe q = dns::ProbeUdp(data, len, to_server);
    if (q == dns::Probe::kYes || (DnsPortHint(flow) && len >= 12)) {
      proto = AppProto::kDns;
      ++counters_.flows_dns;
      ++counters_.flows_dns_udp;
    } else {
      proto = AppProto::kFailed;
      ++counters_.flows_failed;
      ++counters_.flows_failed_udp;
    }
    flow.app_proto = static_cast<uint8_t>(proto);
  }
  if (proto != AppProto::kDns) return;
  OnDnsMessage(to_server, data, len);
}

void AppLayer::OnDnsMessage(bool to_server, const uint8_t* data, size_t len) {
  if (dns_used_ == dns_messages_.size()) {
    dns_messages_.emplace_back();
    dns_states_.emplace_back();
  }
  dns::Message& m = dns_messages_[dns_used_];
  TxInspectState& st = dns_states_[dns_used_];
  if (!dns::ParseMessage(data, len, options_.dns, m)) {
    ++counters_.dns_malformed;
    return;
  }
  ++dns_used_;
  ++counters_.dns_messages;
  st.Clear();
  TxUpdate u;
  u.proto = AppProto::kDns;
  u.to_server = to_server;
  u.tx_id = m.id;
  u.has_tx_id = false;
  u.dns = &m;
  u.state = &st;
  u.completed = true;
  Push(nullptr, u);
}

void AppLayer::CollectHttp(FlowApp& fa, bool to_server, bool ending) {
  for (http::Transaction& tx : fa.http->transactions()) {
    // At the flow's end every transaction not yet logged is (a request that
    // never got its response is logged too, as Suricata does).
    if (!tx.updated && !ending) continue;
    tx.updated = false;
    auto it = std::find_if(fa.http_tx.begin(), fa.http_tx.end(), [&](const HttpTxExtra& e) { return e.id == tx.id; });
    if (it == fa.http_tx.end()) {
      fa.http_tx.emplace_back();
      fa.http_tx.back().id = tx.id;
      it = fa.http_tx.end() - 1;
      ++counters_.http_transactions;
    }
    TxUpdate u;
    u.proto = AppProto::kHttp;
    u.to_server = to_server;
    u.tx_id = tx.id;
    u.http = &tx;
    u.state = &it->state;
    using P = http::Transaction::Progress;
    if (!it->logged && (ending || (tx.request_progress == P::kComplete && tx.response_progress == P::kComplete))) {
      u.completed = true;
      it->logged = true;
    }
    Push(&fa, u);
  }
}

void AppLayer::CollectTls(FlowApp& fa, bool to_server, bool ending) {
  tls::Session& s = fa.tls->session();
  if (!s.updated && !ending) return;
  s.updated = false;
  TxUpdate u;
  u.proto = AppProto::kTls;
  u.to_server = to_server;
  u.tls = &s;
  u.state = &fa.tls_state;
  if (!fa.tls_logged && (s.encrypted || ending) && (s.client_hello_done || s.server_hello_done)) {
    u.completed = true;
    fa.tls_logged = true;
    ++counters_.tls_sessions;
  }
  Push(&fa, u);
}

void AppLayer::Push(const FlowApp* fa, TxUpdate u) {
  u.flow_to_server = u.to_server != (fa && fa->reversed);
  updates_.push_back(u);
}

void AppLayer::Retire(FlowApp& fa) {
  if (!fa.http) return;
  fa.http->RetireCompleted();
  const auto& txs = fa.http->transactions();
  while (!fa.http_tx.empty() && (txs.empty() || fa.http_tx.front().id < txs.front().id)) fa.http_tx.pop_front();
}

void AppLayer::OnFlowEnd(flow::Flow& flow) {
  updates_.clear();
  dns_used_ = 0;
  FlowApp* fa = StateFor(flow, false);
  if (!fa) return;
  Retire(*fa);
  if (fa->http) {
    fa->http->Close(http::Direction::kToServer);
    CollectHttp(*fa, true, false);
    fa->http->Close(http::Direction::kToClient);
    CollectHttp(*fa, false, true);
  } else if (fa->tls) {
    CollectTls(*fa, false, true);
  }
}

void AppLayer::EndFlow(flow::Flow& flow) {
  if (flow.slot < flows_.size() && flows_[flow.slot]) {
    flows_[flow.slot].reset();
    --live_;
  }
}

const std::string& AppLayer::Dotted(size_t* used, std::string_view name) {
  if (*used == dot_scratch_.size()) dot_scratch_.emplace_back();
  std::string& s = dot_scratch_[(*used)++];
  s.assign(1, '.');
  s.append(name);
  return s;
}

void AppLayer::FillView(const TxUpdate& u, TxView* v) {
  v->Reset(u.proto, u.to_server);
  size_t dots = 0;
  // Buffers that take work to build are built only for a rule that reads
  // them; the rest are views of strings the parsers keep anyway.
  auto wanted = [this](BufferId id) { return (options_.wanted_buffers >> id) & 1; };
  if (u.http) {
    const http::Transaction& t = *u.http;
    // kHeaders means "reading the header block"; the block is complete once
    // a side reaches kBody (or kComplete when it has no body).
    using P = http::Transaction::Progress;
    auto set_or_absent = [v](BufferId id, const std::string& s) {
      if (s.empty()) v->SetAbsent(id);
      else v->Set(id, s);
    };
    // Request line and headers stay available when the response is
    // inspected (rules may combine http.uri with http.stat_code).
    if (t.request_progress >= P::kLine) {
      v->Set(kBufHttpMethod, t.method);
      v->Set(kBufHttpUri, t.uri);
      v->Set(kBufHttpUriRaw, t.uri_raw);
      v->Set(kBufHttpRequestLine, t.request_line);
    }
    auto header = [&](bool request, const char* name, BufferId id) {
      const http::Header* h = request ? t.FindRequestHeader(name) : t.FindResponseHeader(name);
      if (h) v->Set(id, h->value);
      else v->SetAbsent(id);
    };
    if (t.request_progress >= P::kBody) {
      set_or_absent(kBufHttpHost, t.host);
      if (!wanted(kBufHttpHostDot)) {
      } else if (t.host.empty()) {
        v->SetAbsent(kBufHttpHostDot);
      } else {
        v->Set(kBufHttpHostDot, Dotted(&dots, t.host));
      }
      set_or_absent(kBufHttpHostRaw, t.host_raw);
      if (t.FindRequestHeader("User-Agent")) v->Set(kBufHttpUserAgent, t.user_agent);
      else v->SetAbsent(kBufHttpUserAgent);
      header(true, "Referer", kBufHttpReferer);
      header(true, "Accept", kBufHttpAccept);
      header(true, "Accept-Encoding", kBufHttpAcceptEnc);
      header(true, "Accept-Language", kBufHttpAcceptLang);
      header(true, "Connection", kBufHttpConnection);
    }
    if (t.response_progress >= P::kBody) {
      header(false, "Location", kBufHttpLocation);
      header(false, "Server", kBufHttpServer);
    }
    const bool request_body_final = t.request_progress == P::kComplete || t.request_body_truncated;
    if (request_body_final) set_or_absent(kBufHttpRequestBody, t.request_body);
    if (t.response_progress >= P::kLine) {
      v->Set(kBufHttpResponseLine, t.response_line);
      v->Set(kBufHttpStatCode, t.status_code);
      v->Set(kBufHttpStatMsg, t.status_msg);
    }
    const bool response_body_final = t.response_progress == P::kComplete || t.response_body_truncated;
    if (response_body_final) set_or_absent(kBufHttpResponseBody, t.response_body);
    // Buffers of the side being inspected.
    const bool req = u.to_server;
    if ((req ? t.request_progress : t.response_progress) >= P::kBody) {
      set_or_absent(kBufHttpHeader, req ? t.request_header : t.response_header);
      set_or_absent(kBufHttpHeaderRaw, req ? t.request_headers_raw : t.response_headers_raw);
      set_or_absent(kBufHttpCookie, req ? t.request_cookie : t.response_cookie);
      set_or_absent(kBufHttpContentType, req ? t.request_content_type : t.response_content_type);
      if (wanted(kBufHttpStart)) {
        start_scratch_.assign(req ? t.request_line : t.response_line);
        start_scratch_.append("\r\n");
        start_scratch_.append(req ? t.request_headers_raw : t.response_headers_raw);
        v->Set(kBufHttpStart, start_scratch_);
      }
      header(req, "Content-Length", kBufHttpContentLen);
      set_or_absent(kBufHttpProtocol, req ? t.protocol : t.response_protocol);
      // Suricata's http.header_names: CRLF, each name followed by CRLF, CRLF.
      if (wanted(kBufHttpHeaderNames)) {
        names_scratch_.assign("\r\n");
        for (const http::Header& h : req ? t.request_headers : t.response_headers) {
          names_scratch_.append(h.name);
          names_scratch_.append("\r\n");
        }
        names_scratch_.append("\r\n");
        v->Set(kBufHttpHeaderNames, names_scratch_);
      }
    }
    if (req ? request_body_final : response_body_final) {
      set_or_absent(kBufFileData, req ? t.request_body : t.response_body);
    }
  } else if (u.dns) {
    const dns::Message& m = *u.dns;
    if (!m.response) {
      if (m.questions.empty()) {
        v->SetAbsent(kBufDnsQuery);
        v->SetAbsent(kBufDnsQueryDot);
      }
      for (const dns::Question& q : m.questions) {
        v->Set(kBufDnsQuery, q.name);
        if (wanted(kBufDnsQueryDot)) v->Set(kBufDnsQueryDot, Dotted(&dots, q.name));
      }
    }
  } else if (u.tls) {
    const tls::Session& s = *u.tls;
    auto no_certificate = [v] {
      for (BufferId id : {kBufTlsCertSubject, kBufTlsCertIssuer, kBufTlsCertSerial, kBufTlsCertFingerprint,
                          kBufTlsCerts}) {
        v->SetAbsent(id);
      }
    };
    if (s.client_hello) {
      const tls::ClientHello& ch = *s.client_hello;
      if (ch.sni.empty()) {
        v->SetAbsent(kBufTlsSni);
        v->SetAbsent(kBufTlsSniDot);
      } else {
        v->Set(kBufTlsSni, ch.sni);
        if (wanted(kBufTlsSniDot)) v->Set(kBufTlsSniDot, Dotted(&dots, ch.sni));
      }
      v->Set(kBufJa3Hash, ch.ja3_hash);
      v->Set(kBufJa3String, ch.ja3_string);
      v->Set(kBufJa4Hash, ch.ja4);
    }
    if (s.server_hello) {
      v->Set(kBufJa3sHash, s.server_hello->ja3s_hash);
      v->Set(kBufJa3sString, s.server_hello->ja3s_string);
      static constexpr char kHex[] = "0123456789abcdef";
      for (int i = 0; i < 4; ++i) tls_version_[i] = kHex[(s.version >> (12 - 4 * i)) & 0xf];
      v->Set(kBufTlsVersion, tls_version_, 4);
    }
    if (s.certificates_done || (!s.certificates.empty() && s.encrypted)) {
      if (s.certificates.empty()) {
        no_certificate();
      } else {
        for (const tls::Certificate& cert : s.certificates) v->Set(kBufTlsCerts, cert.der);
        const tls::Certificate& c = s.certificates.front();
        v->Set(kBufTlsCertSubject, c.subject);
        v->Set(kBufTlsCertIssuer, c.issuer);
        v->Set(kBufTlsCertSerial, c.serial);
        v->Set(kBufTlsCertFingerprint, c.fingerprint_sha1);
      }
    } else if (s.encrypted || s.version == 0x0304) {
      // TLS 1.3 or a resumed session: no certificate will be seen.
      no_certificate();
    }
  }
}

}  // namespace kagami::app
