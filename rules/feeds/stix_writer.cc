#include "rules/feeds/stix_writer.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "common/ip_address.h"
#include "rules/feeds/normalize.h"
#include "rules/feeds/stix_pattern.h"
#include "rules/feeds/stix_reader.h"

namespace kagami::feeds {
namespace {

// The namespace of every name-based id this writer makes. Fixed forever:
// changing it would give every object of every generated feed a new id.
constexpr std::array<unsigned char, 16> kIdNamespace = {'k', 'a', 'g', 'a', 'm', 'i', '.', 's',
                                                        't', 'i', 'x', '.', '2', '.', '1', '.'};

constexpr std::string_view kIndicatorType = "malicious-activity";

// "<type>--<uuid>", the uuid a version 5 (SHA-1, name-based) one of
// "<type>:<name>" in kIdNamespace. False only when libcrypto cannot hash.
bool NameId(std::string_view type, std::string_view name, std::string* id) {
  std::string data(reinterpret_cast<const char*>(kIdNamespace.data()), kIdNamespace.size());
  data.append(type);
  data.push_back(':');
  data.append(name);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &md_len, EVP_sha1(), nullptr) != 1 || md_len < 16) return false;
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);  // version 5
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  id->assign(type);
  id->append("--");
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id->push_back('-');
    id->push_back(kHex[md[i] >> 4]);
    id->push_back(kHex[md[i] & 15]);
  }
  return true;
}

// "indicator--" and a UUID in its canonical lower-case spelling.
bool IsIndicatorId(std::string_view id) {
  constexpr std::string_view kPrefix = "indicator--";
  if (id.size() != kPrefix.size() + 36 || !id.starts_with(kPrefix)) return false;
  const std::string_view uuid = id.substr(kPrefix.size());
  for (size_t i = 0; i < uuid.size(); ++i) {
    const char c = uuid[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

// One JSON object on one line: {"a": 1, "b": "x"}.
class JsonObject {
 public:
  explicit JsonObject(std::string* out) : out_(out) { out_->push_back('{'); }
  void Str(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(out_, value);
  }
  void Int(std::string_view key, int value) {
    Key(key);
    out_->append(std::to_string(value));
  }
  void Bool(std::string_view key, bool value) {
    Key(key);
    out_->append(value ? "true" : "false");
  }
  void StrList(std::string_view key, const std::vector<std::string>& values) {
    Key(key);
    out_->push_back('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out_->append(", ");
      AppendJsonString(out_, values[i]);
    }
    out_->push_back(']');
  }
  // A nested object: the caller writes it into out() between Begin and End.
  void Key(std::string_view key) {
    if (!first_) out_->append(", ");
    first_ = false;
    AppendJsonString(out_, key);
    out_->append(": ");
  }
  void End() { out_->push_back('}'); }
  std::string* out() { return out_; }

 private:
  std::string* out_;
  bool first_ = true;
};

// The common properties of every object this writer makes.
void BeginObject(JsonObject& o, std::string_view type, const std::string& id, const std::string& created,
                 const std::string* created_by_ref) {
  o.Str("type", type);
  o.Str("spec_version", "2.1");
  o.Str("id", id);
  o.Str("created", created);
  o.Str("modified", created);
  if (created_by_ref) o.Str("created_by_ref", *created_by_ref);
}

// A STIX string literal: quotes and backslashes escaped.
void AppendStixString(std::string* out, std::string_view s) {
  out->push_back('\'');
  for (char c : s) {
    if (c == '\'' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('\'');
}

// "a.b.c.d", "a.b.c.d/n", "v6", "v6/n" for a range that is one CIDR prefix.
bool PrefixText(const rules::IpRange& r, std::string* text, bool* v4) {
  if (r.hi < r.lo) return false;
  const auto& lo = r.lo.bytes();
  const auto& hi = r.hi.bytes();
  int prefix = 0;
  while (prefix < 128) {
    const auto mask = static_cast<uint8_t>(0x80u >> (prefix % 8));
    if ((lo[prefix / 8] & mask) != (hi[prefix / 8] & mask)) break;
    ++prefix;
  }
  for (int bit = prefix; bit < 128; ++bit) {
    const auto mask = static_cast<uint8_t>(0x80u >> (bit % 8));
    if ((lo[bit / 8] & mask) != 0 || (hi[bit / 8] & mask) == 0) return false;
  }
  // A mapped IPv4 address has bits 80..95 set, so a prefix starting in the
  // mapped block is at least 96 long.
  *v4 = r.lo.is_v4();
  const int width = *v4 ? 32 : 128;
  const int length = *v4 ? prefix - 96 : prefix;
  *text = r.lo.ToString();
  if (length != width) *text += "/" + std::to_string(length);
  return true;
}

// The URL literal whose NormalizeUrl is `key`: the scheme is not in the key,
// but its default port was dropped from it, so a key that kept ":80" needs a
// scheme whose default is not 80.
std::string UrlForKey(std::string_view key) {
  const std::string_view authority = key.substr(0, key.find('/'));
  return (authority.ends_with(":80") ? "https://" : "http://") + std::string(key);
}

std::string_view PortPath(Side side) {
  return side == Side::kSource ? "network-traffic:src_port" : "network-traffic:dst_port";
}

// One comparison (or, for a bounded port range, two) for `t`.
bool AppendComparison(const Term& t, std::string* out, std::string* error) {
  switch (t.type) {
    case IndicatorType::kIp: {
      std::string text;
      bool v4 = false;
      if (!PrefixText(t.range, &text, &v4)) {
        *error = "address range " + t.range.lo.ToString() + "-" + t.range.hi.ToString() +
                 " is not one CIDR prefix";
        return false;
      }
      out->append(t.side == Side::kSource        ? "network-traffic:src_ref.value"
                  : t.side == Side::kDestination ? "network-traffic:dst_ref.value"
                  : v4                           ? "ipv4-addr:value"
                                                 : "ipv6-addr:value");
      out->append(" = ");
      AppendStixString(out, text);
      return true;
    }
    case IndicatorType::kPort: {
      if (t.side == Side::kEither) {
        *error = "a port term with no side (source or destination) has no STIX path";
        return false;
      }
      if (t.port_lo > t.port_hi) {
        *error = "empty port range";
        return false;
      }
      const std::string_view path = PortPath(t.side);
      const std::string lo = std::to_string(t.port_lo), hi = std::to_string(t.port_hi);
      if (t.port_lo == t.port_hi) {
        out->append(path).append(" = ").append(lo);
      } else if (t.port_lo == 0) {
        out->append(path).append(" <= ").append(hi);
      } else if (t.port_hi == 65535) {
        out->append(path).append(" >= ").append(lo);
      } else {
        out->append("(").append(path).append(" >= ").append(lo).append(" AND ");
        out->append(path).append(" <= ").append(hi).append(")");
      }
      return true;
    }
    case IndicatorType::kDomain: out->append("domain-name:value = "); break;
    case IndicatorType::kUrl:
      out->append("url:value = ");
      AppendStixString(out, UrlForKey(t.value));
      return true;
    case IndicatorType::kUserAgent:
      out->append("network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = ");
      break;
    case IndicatorType::kCertSha1: out->append("x509-certificate:hashes.'SHA-1' = "); break;
    case IndicatorType::kCertSha256: out->append("x509-certificate:hashes.'SHA-256' = "); break;
    case IndicatorType::kFileMd5: out->append("file:hashes.MD5 = "); break;
    case IndicatorType::kFileSha1: out->append("file:hashes.'SHA-1' = "); break;
    case IndicatorType::kFileSha256: out->append("file:hashes.'SHA-256' = "); break;
    case IndicatorType::kJa3:
    case IndicatorType::kJa3s:
    case IndicatorType::kJa4:
      *error = "STIX 2.1 has no object for " + std::string(IndicatorTypeName(t.type)) + " fingerprints";
      return false;
  }
  AppendStixString(out, t.value);
  return true;
}

// What ParseStixPattern gives back for `clauses` written by StixPatternFor:
// a port range bounded at both ends comes back as its two bounds.
std::vector<Clause> ExpectedReadBack(const std::vector<Clause>& clauses) {
  std::vector<Clause> out;
  for (const Clause& c : clauses) {
    Clause& e = out.emplace_back();
    for (const Term& t : c.terms) {
      if (t.type == IndicatorType::kPort && t.port_lo != t.port_hi && t.port_lo != 0 && t.port_hi != 65535) {
        Term lower = t, upper = t;
        lower.port_hi = 65535;
        upper.port_lo = 0;
        e.terms.push_back(lower);
        e.terms.push_back(upper);
      } else {
        e.terms.push_back(t);
      }
    }
  }
  return out;
}

// "domain example.com", "ip-dst 192.0.2.0/24 AND dst_port 443", ...
std::string DerivedName(const std::vector<Clause>& clauses) {
  std::string name;
  for (size_t c = 0; c < clauses.size(); ++c) {
    if (c) name += " OR ";
    const std::vector<Term>& terms = clauses[c].terms;
    for (size_t i = 0; i < terms.size(); ++i) {
      const Term& t = terms[i];
      if (i) name += " AND ";
      const char* side = t.side == Side::kSource ? "src" : t.side == Side::kDestination ? "dst" : "";
      if (t.type == IndicatorType::kIp) {
        std::string text;
        bool v4 = false;
        PrefixText(t.range, &text, &v4);
        name += std::string(*side ? (std::string("ip-") + side) : "ip") + " " + text;
      } else if (t.type == IndicatorType::kPort) {
        name += std::string(side) + "_port " + std::to_string(t.port_lo);
        if (t.port_hi != t.port_lo) name += "-" + std::to_string(t.port_hi);
      } else {
        name += std::string(IndicatorTypeName(t.type)) + " " + t.value;
      }
    }
  }
  return name;
}

// The sorted, distinct, non-empty names of one attribution list.
std::vector<std::string> Distinct(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    if (!n.empty()) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool HasFingerprint(const std::vector<Clause>& clauses) {
  for (const Clause& c : clauses) {
    for (const Term& t : c.terms) {
      if (t.type == IndicatorType::kJa3 || t.type == IndicatorType::kJa3s || t.type == IndicatorType::kJa4) {
        return true;
      }
    }
  }
  return false;
}

// The first string of `ind` that JSON cannot carry, or nullopt.
std::optional<std::string_view> NonUtf8Field(const Indicator& ind) {
  for (const auto& [what, text] : {std::pair<std::string_view, const std::string*>{"name", &ind.name},
                                   {"description", &ind.description},
                                   {"source", &ind.source},
                                   {"reference", &ind.reference}}) {
    if (!IsValidUtf8(*text)) return what;
  }
  for (const auto* list : {&ind.labels, &ind.campaigns, &ind.intrusion_sets, &ind.malware}) {
    for (const std::string& s : *list) {
      if (!IsValidUtf8(s)) return list == &ind.labels ? "labels" : "attribution";
    }
  }
  for (const Clause& c : ind.clauses) {
    for (const Term& t : c.terms) {
      if (!IsValidUtf8(t.value)) return IndicatorTypeName(t.type);
    }
  }
  return std::nullopt;
}

// A URL as STIX external references understand it: "scheme://...".
bool LooksLikeUrl(std::string_view text) {
  const size_t colon = text.find("://");
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = text[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))) return false;
  }
  return true;
}

bool IsUtcTimestamp(std::string_view text) {
  return ParseRfc3339(text).has_value() && text.ends_with('Z') && text.find('T') == 10;
}

// One exportable indicator, with what the bundle needs of it.
struct Exported {
  const Indicator* indicator = nullptr;
  std::string id, pattern;
  std::vector<std::string> malware, intrusion_sets, campaigns;  // Distinct()
};

}  // namespace

bool StixPatternFor(const std::vector<Clause>& clauses, std::string* pattern, std::string* error) {
  pattern->clear();
  if (clauses.empty()) {
    *error = "no clause to match";
    return false;
  }
  for (size_t c = 0; c < clauses.size(); ++c) {
    if (clauses[c].terms.empty()) {
      *error = "an empty clause (it would match everything)";
      return false;
    }
    if (c) pattern->append(" OR ");
    pattern->push_back('[');
    for (size_t i = 0; i < clauses[c].terms.size(); ++i) {
      if (i) pattern->append(" AND ");
      if (!AppendComparison(clauses[c].terms[i], pattern, error)) return false;
    }
    pattern->push_back(']');
  }
  return true;
}

bool ValidateStixWriterOptions(const StixWriterOptions& options, std::string* error) {
  if (options.identity_name.empty() || !IsValidUtf8(options.identity_name)) {
    *error = "the identity name must be non-empty UTF-8 text";
    return false;
  }
  if (!IsUtcTimestamp(options.created)) {
    *error = "created '" + options.created + "' is not an RFC 3339 UTC timestamp (like 2024-01-01T00:00:00.000Z)";
    return false;
  }
  return true;
}

bool WriteStixBundle(const std::vector<Indicator>& indicators, const StixWriterOptions& options,
                     std::string* out, StixWriteReport* report, std::string* error) {
  out->clear();
  *report = StixWriteReport{};
  if (!ValidateStixWriterOptions(options, error)) return false;
  auto make_id = [error](std::string_view type, std::string_view name, std::string* id) {
    if (NameId(type, name, id)) return true;
    *error = "cannot compute SHA-1 with libcrypto for object ids";
    return false;
  };
  auto skip = [report](const Indicator& ind, rules::Diagnostic::Severity severity, std::string message) {
    rules::Diagnostic& d = report->diagnostics.emplace_back();
    d.severity = severity;
    d.location = ind.where;
    d.message = std::move(message);
  };

  // Which indicators go in, their ids and patterns.
  std::vector<Exported> exported;
  std::set<std::string> used_ids;
  for (const Indicator& ind : indicators) {
    Exported e;
    std::string why;
    if (!StixPatternFor(ind.clauses, &e.pattern, &why)) {
      if (HasFingerprint(ind.clauses)) {
        ++report->skipped_fingerprints;
        skip(ind, rules::Diagnostic::Severity::kNote, "not exported: " + why);
      } else {
        ++report->skipped_other;
        skip(ind, rules::Diagnostic::Severity::kWarning, "not exported: " + why);
      }
      continue;
    }
    if (std::optional<std::string_view> field = NonUtf8Field(ind)) {
      ++report->skipped_other;
      skip(ind, rules::Diagnostic::Severity::kWarning,
           "not exported: " + std::string(*field) + " is not valid UTF-8 (JSON text must be)");
      continue;
    }
    // The pattern must mean what the indicator says once read back; a value
    // that is not in its normalised form (an Indicator built by hand) would not.
    std::vector<Clause> back;
    PatternError pattern_error;
    if (!ParseStixPattern(e.pattern, &back, &pattern_error)) {
      ++report->skipped_other;
      skip(ind, rules::Diagnostic::Severity::kWarning,
           "not exported: the written pattern does not read back (" + pattern_error.message + ")");
      continue;
    }
    if (back != ExpectedReadBack(ind.clauses)) {
      ++report->skipped_other;
      skip(ind, rules::Diagnostic::Severity::kWarning,
           "not exported: a value is not in its normalised form, so the written pattern would read back "
           "differently");
      continue;
    }
    if (IsIndicatorId(ind.id) && !used_ids.contains(ind.id)) {
      e.id = ind.id;
    } else {
      // Two indicators with the same pattern get distinct ids by their order.
      for (int n = 1;; ++n) {
        if (!make_id("indicator", n == 1 ? e.pattern : e.pattern + "#" + std::to_string(n), &e.id)) return false;
        if (!used_ids.contains(e.id)) break;
      }
    }
    used_ids.insert(e.id);
    e.indicator = &ind;
    e.malware = Distinct(ind.malware);
    e.intrusion_sets = Distinct(ind.intrusion_sets);
    e.campaigns = Distinct(ind.campaigns);
    exported.push_back(std::move(e));
  }

  // The attribution objects, and the pairs every indicator agrees on: for each
  // malware (campaign), the intrusion sets named by all of its indicators.
  std::map<std::string, std::vector<std::string>> malware_sets, campaign_sets;
  std::set<std::string> intrusion_sets;
  auto narrow = [](std::map<std::string, std::vector<std::string>>& map, const std::string& name,
                   const std::vector<std::string>& sets) {
    auto [it, inserted] = map.try_emplace(name, sets);
    if (inserted) return;
    std::vector<std::string> both;
    std::set_intersection(it->second.begin(), it->second.end(), sets.begin(), sets.end(), std::back_inserter(both));
    it->second = std::move(both);
  };
  std::set<std::string> sources;
  for (const Exported& e : exported) {
    for (const std::string& m : e.malware) narrow(malware_sets, m, e.intrusion_sets);
    for (const std::string& c : e.campaigns) narrow(campaign_sets, c, e.intrusion_sets);
    intrusion_sets.insert(e.intrusion_sets.begin(), e.intrusion_sets.end());
    if (!e.indicator->source.empty()) sources.insert(e.indicator->source);
  }

  std::string objects;
  size_t count = 0;
  auto next = [&objects, &count]() -> std::string* {
    objects.append(count++ ? ",\n    " : "    ");
    return &objects;
  };
  const std::string& created = options.created;

  // Identities: the producer, then each source not spelled like it.
  std::string producer_id;
  if (!make_id("identity", options.identity_name, &producer_id)) return false;
  std::map<std::string, std::string> source_ids;
  {
    JsonObject o(next());
    BeginObject(o, "identity", producer_id, created, nullptr);
    o.Str("name", options.identity_name);
    o.Str("identity_class", "organization");
    o.End();
  }
  for (const std::string& source : sources) {
    std::string id;
    if (!make_id("identity", source, &id)) return false;
    source_ids[source] = id;
    if (id == producer_id) continue;
    JsonObject o(next());
    BeginObject(o, "identity", id, created, nullptr);
    o.Str("name", source);
    o.Str("identity_class", "unknown");
    o.End();
  }

  for (const Exported& e : exported) {
    const Indicator& ind = *e.indicator;
    JsonObject o(next());
    BeginObject(o, "indicator", e.id, created, ind.source.empty() ? &producer_id : &source_ids[ind.source]);
    o.Str("name", ind.name.empty() ? DerivedName(ind.clauses) : ind.name);
    if (!ind.description.empty()) o.Str("description", ind.description);
    o.StrList("indicator_types", {std::string(kIndicatorType)});
    o.Str("pattern", e.pattern);
    o.Str("pattern_type", "stix");
    o.Str("valid_from", created);
    if (ind.confidence >= 0) o.Int("confidence", std::min(ind.confidence, 100));
    // The reader merges indicator_types into labels: leave out what it adds.
    std::vector<std::string> labels;
    for (const std::string& l : ind.labels) {
      if (l != kIndicatorType && std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
    }
    if (!labels.empty()) o.StrList("labels", labels);
    if (!ind.reference.empty()) {
      o.Key("external_references");
      std::string* s = o.out();
      s->push_back('[');
      JsonObject ref(s);
      if (LooksLikeUrl(ind.reference)) {
        ref.Str("source_name", ind.source.empty() ? options.identity_name : ind.source);
        ref.Str("url", ind.reference);
      } else {
        ref.Str("source_name", ind.reference);
      }
      ref.End();
      s->push_back(']');
    }
    o.End();
    ++report->written;
  }

  // Attribution objects, each kind in name order.
  std::map<std::string, std::string> malware_ids, set_ids, campaign_ids;
  auto write_sdo = [&](std::string_view type, const std::string& name, std::map<std::string, std::string>* ids) {
    std::string id;
    if (!make_id(type, name, &id)) return false;
    (*ids)[name] = id;
    JsonObject o(next());
    BeginObject(o, type, id, created, &producer_id);
    o.Str("name", name);
    if (type == "malware") o.Bool("is_family", true);
    o.End();
    return true;
  };
  for (const auto& [name, sets] : malware_sets) {
    if (!write_sdo("malware", name, &malware_ids)) return false;
  }
  for (const std::string& name : intrusion_sets) {
    if (!write_sdo("intrusion-set", name, &set_ids)) return false;
  }
  for (const auto& [name, sets] : campaign_sets) {
    if (!write_sdo("campaign", name, &campaign_ids)) return false;
  }

  auto relate = [&](std::string_view type, const std::string& source, const std::string& target) {
    std::string id;
    if (!make_id("relationship", std::string(type) + ":" + source + ":" + target, &id)) return false;
    JsonObject o(next());
    BeginObject(o, "relationship", id, created, &producer_id);
    o.Str("relationship_type", type);
    o.Str("source_ref", source);
    o.Str("target_ref", target);
    o.End();
    return true;
  };
  for (const Exported& e : exported) {
    for (const std::string& m : e.malware) {
      if (!relate("indicates", e.id, malware_ids[m])) return false;
    }
    for (const std::string& s : e.intrusion_sets) {
      if (!relate("indicates", e.id, set_ids[s])) return false;
    }
    for (const std::string& c : e.campaigns) {
      if (!relate("indicates", e.id, campaign_ids[c])) return false;
    }
  }
  for (const auto& [malware, sets] : malware_sets) {
    for (const std::string& s : sets) {
      if (!relate("uses", set_ids[s], malware_ids[malware])) return false;
    }
  }
  for (const auto& [campaign, sets] : campaign_sets) {
    for (const std::string& s : sets) {
      if (!relate("attributed-to", campaign_ids[campaign], set_ids[s])) return false;
    }
  }

  // The bundle's id is named by everything in it.
  std::string bundle_id;
  if (!make_id("bundle", objects, &bundle_id)) return false;
  out->append("{\n  \"type\": \"bundle\",\n  \"id\": ");
  AppendJsonString(out, bundle_id);
  out->append(",\n  \"objects\": [\n");  // never empty: the producer's identity is always there
  out->append(objects);
  out->append("\n  ]\n}\n");
  return true;
}

}  // namespace kagami::feeds
