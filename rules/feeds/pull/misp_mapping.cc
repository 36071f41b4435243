#include "rules/feeds/pull/misp_mapping.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "rules/feeds/feed_reader.h"

namespace kagami::feeds::pull {
namespace {

constexpr std::array<std::string_view, 4> kIntrusionSetClusters = {
    "threat-actor", "mitre-intrusion-set", "mitre-enterprise-attack-intrusion-set", "microsoft-activity-group"};
constexpr std::array<std::string_view, 15> kMalwareClusters = {
    "malpedia",  "malware", "mitre-malware", "mitre-enterprise-attack-malware", "tool",
    "mitre-tool", "mitre-enterprise-attack-tool", "ransomware", "rat", "botnet",
    "backdoor", "banker", "stealer", "exploit-kit", "android"};

template <size_t N>
bool In(const std::array<std::string_view, N>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// MITRE galaxies name clusters "Tick - G0060"; the group is "Tick", as other
// feeds name it.
std::string WithoutMitreId(std::string value) {
  if (value.size() > 8) {
    const std::string_view tail = std::string_view(value).substr(value.size() - 8);
    if (tail.substr(0, 3) == " - " && (tail[3] >= 'A' && tail[3] <= 'Z') &&
        std::all_of(tail.begin() + 4, tail.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      value.resize(value.size() - 8);
    }
  }
  return value;
}

void AddUnique(std::vector<std::string>* list, std::string value) {
  if (value.empty() || std::find(list->begin(), list->end(), value) != list->end()) return;
  list->push_back(std::move(value));
}

// A value "left|right" split at the last '|' (an IPv6 address has none, a
// file name may).
bool SplitPair(std::string_view value, std::string_view* left, std::string_view* right) {
  const size_t bar = value.rfind('|');
  if (bar == std::string_view::npos) return false;
  *left = value.substr(0, bar);
  *right = value.substr(bar + 1);
  return true;
}

bool ParsePort(std::string_view text, uint16_t* port) {
  text = TrimBlanks(text);
  uint32_t n = 0;
  if (text.empty() || text.size() > 5 || !absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &n) ||
      n > 65535 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  *port = static_cast<uint16_t>(n);
  return true;
}

// One term of `type` from `text` appended to `clause`.
bool AddTerm(Clause* clause, IndicatorType type, Side side, std::string_view text, std::string* why) {
  Term term;
  term.side = side;
  if (!ParseTermValue(type, text, /*allow_prefix=*/type == IndicatorType::kIp, &term, why)) return false;
  term.side = side;
  clause->terms.push_back(std::move(term));
  return true;
}

struct TypeRule {
  std::string_view misp_type;
  IndicatorType type;
  Side side;
};

// Types whose value is one term.
constexpr TypeRule kSingleTerm[] = {
    {"ip-src", IndicatorType::kIp, Side::kSource},
    {"ip-dst", IndicatorType::kIp, Side::kDestination},
    {"domain", IndicatorType::kDomain, Side::kEither},
    {"hostname", IndicatorType::kDomain, Side::kEither},
    {"url", IndicatorType::kUrl, Side::kEither},
    {"uri", IndicatorType::kUrl, Side::kEither},
    {"user-agent", IndicatorType::kUserAgent, Side::kEither},
    {"md5", IndicatorType::kFileMd5, Side::kEither},
    {"sha1", IndicatorType::kFileSha1, Side::kEither},
    {"sha256", IndicatorType::kFileSha256, Side::kEither},
    {"ja3-fingerprint-md5", IndicatorType::kJa3, Side::kEither},
    {"x509-fingerprint-sha1", IndicatorType::kCertSha1, Side::kEither},
    {"x509-fingerprint-sha256", IndicatorType::kCertSha256, Side::kEither},
};

// Types whose value is "file name|digest": the digest part.
constexpr TypeRule kFileDigest[] = {
    {"filename|md5", IndicatorType::kFileMd5, Side::kEither},
    {"filename|sha1", IndicatorType::kFileSha1, Side::kEither},
    {"filename|sha256", IndicatorType::kFileSha256, Side::kEither},
};

const TypeRule* Find(const auto& table, std::string_view type) {
  for (const TypeRule& r : table) {
    if (r.misp_type == type) return &r;
  }
  return nullptr;
}

// Fills the clauses; false with why when the value does not fit the type.
bool Clauses(const MispAttribute& a, std::vector<Clause>* clauses, std::string* why) {
  clauses->assign(1, Clause());
  Clause& c = clauses->front();
  if (const TypeRule* r = Find(kSingleTerm, a.type)) {
    if (a.type == "uri" && a.value.find("://") == std::string::npos) {
      *why = std::string(kUriWithoutHost);
      return false;
    }
    return AddTerm(&c, r->type, r->side, a.value, why);
  }
  if (const TypeRule* r = Find(kFileDigest, a.type)) {
    std::string_view name, digest;
    if (!SplitPair(a.value, &name, &digest)) {
      *why = "expected \"file name|digest\"";
      return false;
    }
    return AddTerm(&c, r->type, r->side, digest, why);
  }
  if (a.type == "ip-src|port" || a.type == "ip-dst|port") {
    const Side side = a.type == "ip-src|port" ? Side::kSource : Side::kDestination;
    std::string_view address, port_text;
    uint16_t port = 0;
    if (!SplitPair(a.value, &address, &port_text) || !ParsePort(port_text, &port)) {
      *why = "expected \"address|port\"";
      return false;
    }
    if (!AddTerm(&c, IndicatorType::kIp, side, address, why)) return false;
    Term p;
    p.type = IndicatorType::kPort;
    p.side = side;
    p.port_lo = p.port_hi = port;
    c.terms.push_back(std::move(p));
    return true;
  }
  if (a.type == "domain|ip") {
    // Either one is the indicator: the name in DNS, TLS or HTTP, the
    // address on any flow. Both in one flow would rarely happen.
    std::string_view domain, address;
    if (!SplitPair(a.value, &domain, &address)) {
      *why = "expected \"domain|address\"";
      return false;
    }
    clauses->resize(2);
    return AddTerm(&(*clauses)[0], IndicatorType::kDomain, Side::kEither, domain, why) &&
           AddTerm(&(*clauses)[1], IndicatorType::kIp, Side::kEither, address, why);
  }
  *why = std::string(MispTypeSkipReason(a.type));
  return false;
}

constexpr std::string_view kThreatLevels[] = {"", "high", "medium", "low", "undefined"};

}  // namespace

std::string_view MispTypeSkipReason(std::string_view type) {
  if (Find(kSingleTerm, type) || Find(kFileDigest, type) || type == "ip-src|port" || type == "ip-dst|port" ||
      type == "domain|ip") {
    return "";
  }
  if (type.starts_with("email") || type == "whois-registrant-email" || type == "target-email") {
    return "no SMTP parser";
  }
  return "no Kagami indicator type";
}

bool ParseGalaxyTag(std::string_view tag, std::string* cluster, std::string* value) {
  constexpr std::string_view kPrefix = "misp-galaxy:";
  if (!tag.starts_with(kPrefix)) return false;
  tag.remove_prefix(kPrefix.size());
  const size_t eq = tag.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  std::string_view v = tag.substr(eq + 1);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty()) return false;
  *cluster = std::string(tag.substr(0, eq));
  *value = std::string(v);
  return true;
}

bool MapMispAttribute(const MispAttribute& a, Indicator* out, std::string* skip_reason) {
  out->Clear();
  std::string why;
  if (!Clauses(a, &out->clauses, &why)) {
    *skip_reason = why;
    out->clauses.clear();
    return false;
  }
  // The attribute's uuid is its identity in MISP: the same uuid gives the
  // same STIX id, and so the same sid, pull after pull.
  if (IsUuid(a.uuid)) out->id = "indicator--" + Lower(a.uuid);
  out->description = a.info;
  out->source = a.org;
  out->reference = a.reference;
  out->where.file = "misp attribute " + a.uuid;
  for (const std::string& tag : a.tags) {
    std::string cluster, value;
    if (ParseGalaxyTag(tag, &cluster, &value)) {
      if (In(kIntrusionSetClusters, cluster)) {
        AddUnique(&out->intrusion_sets, WithoutMitreId(value));
      } else if (In(kMalwareClusters, cluster)) {
        AddUnique(&out->malware, WithoutMitreId(value));
      }
    } else if (Lower(tag.substr(0, std::min<size_t>(tag.size(), 4))) == "tlp:") {
      AddUnique(&out->labels, Lower(tag));
    }
  }
  if (a.threat_level >= 1 && a.threat_level <= 4) {
    AddUnique(&out->labels, "misp-threat-level:" + std::string(kThreatLevels[a.threat_level]));
  }
  return true;
}

}  // namespace kagami::feeds::pull
