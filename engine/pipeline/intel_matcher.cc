#include "engine/pipeline/intel_matcher.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "engine/app/http/header_util.h"
#include "engine/intel/indicator_sid.h"
#include "engine/intel/intel_hash.h"
#include "rules/feeds/normalize.h"

namespace kagami::pipeline {
namespace {

// threshold.config names indicator alerts by these (rules/ does not depend
// on engine/intel, so it has its own copy).
static_assert(rules::kIndicatorGid == intel::kIntelGid);
static_assert(rules::kIndicatorSidFirst == intel::kIntelSidFirst && rules::kIndicatorSidLast == intel::kIntelSidLast);

using intel::Where;

// Stages of a transaction checked once each (TxInspectState::intel_checked).
constexpr uint8_t kRequestChecked = 1;   // HTTP request headers, DNS message, TLS ClientHello
constexpr uint8_t kResponseChecked = 2;  // TLS ServerHello
constexpr uint8_t kCertChecked = 4;      // TLS certificate
constexpr uint8_t kRequestBodyChecked = 8;    // HTTP request body digests
constexpr uint8_t kResponseBodyChecked = 16;  // HTTP response body digests

bool IsNameRecord(uint16_t type) {
  // CNAME, NS, PTR, DNAME and MX carry a name in rdata (Record::rdata).
  return type == 5 || type == 2 || type == 12 || type == 39 || type == 15;
}

// Names (trailing dots removed) equal ignoring ASCII case, as domain
// indicators match them. A message mostly repeats a name as it was written.
bool SameDomainName(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         (std::memcmp(a.data(), b.data(), a.size()) == 0 || app::http::EqualsNoCase(a, b));
}

// "aa:bb:cc" -> "aabbcc" into `out` (capacity kept).
std::string_view StripColons(std::string_view fp, std::string& out) {
  out.resize(fp.size());
  char* end = out.data();
  for (char c : fp) {
    *end = c;
    end += c != ':';
  }
  out.resize(static_cast<size_t>(end - out.data()));
  return out;
}

}  // namespace

void IntelMatcher::set_store(std::shared_ptr<const intel::IntelStore> store) {
  store_ = std::move(store);
  // Reported sets stay, by the indicators' sids (stable across feeds and
  // reloads, unlike their place in a store): a reload does not re-alert
  // indicators a live flow already reported.
}

uint64_t IntelMatcher::ReportKey(uint32_t indicator) const {
  const intel::IntelStore::View v = store_->view(indicator);
  // The sid names the indicator whatever its place in the store; the feed
  // keeps the same indicator from two feeds apart, as two records.
  return uint64_t{v.sid} << 32 | static_cast<uint32_t>(intel::Fnv1a64(v.feed));
}

bool IntelMatcher::FirstInFlow(uint32_t slot, uint64_t indicator) {
  if (slot >= reported_.size()) reported_.resize(slot + 1);
  std::vector<uint64_t>& seen = reported_[slot];
  if (std::find(seen.begin(), seen.end(), indicator) != seen.end()) return false;
  seen.push_back(indicator);
  return true;
}

void IntelMatcher::OnFlowEnd(const flow::Flow& f) {
  if (f.slot < reported_.size()) reported_[f.slot].clear();
}

void IntelMatcher::FactsFor(const flow::Flow& f) {
  const bool client_is_lo = f.client_addr == f.key.lo_addr && f.client_port == f.key.lo_port;
  // Only the values the last event set are reset (not the whole struct,
  // once per transaction).
  for (uint32_t set = values_set_; set != 0; set &= set - 1) facts_.values[std::countr_zero(set)] = {};
  values_set_ = 0;
  facts_.src = f.client_addr;
  facts_.dst = client_is_lo ? f.key.hi_addr : f.key.lo_addr;
  facts_.sport = f.client_port;
  facts_.dport = client_is_lo ? f.key.hi_port : f.key.lo_port;
  facts_.has_ports = f.key.proto == 6 || f.key.proto == 17 || f.key.proto == 132;
}

void IntelMatcher::SetValue(Where where, std::string_view value) {
  facts_.values[static_cast<int>(where)] = value;
  values_set_ |= uint32_t{1} << static_cast<int>(where);
}

void IntelMatcher::Check(const flow::Flow& f, Where where, std::string_view value) {
  if (value.empty() || !store_->wants(where)) return;
  ++lookups_;
  hits_.clear();
  store_->MatchValue(where, value, facts_, &hits_);
  for (const intel::Hit& h : hits_) {
    if (FirstInFlow(f.slot, ReportKey(h.indicator))) matches_.push_back(IntelMatch{h, value});
  }
}

std::span<const IntelMatch> IntelMatcher::OnFlowStart(const flow::Flow& f) {
  matches_.clear();
  if (!active()) return {};
  FactsFor(f);
  ++lookups_;
  hits_.clear();
  store_->MatchFlow(facts_, &hits_);
  for (const intel::Hit& h : hits_) {
    if (FirstInFlow(f.slot, ReportKey(h.indicator))) matches_.push_back(IntelMatch{h, {}});
  }
  return matches_;
}

void IntelMatcher::CheckDigests(const flow::Flow& f, const app::http::BodyDigest& d) {
  Check(f, Where::kFileMd5, d.md5);
  Check(f, Where::kFileSha1, d.sha1);
  Check(f, Where::kFileSha256, d.sha256);
}

void IntelMatcher::CheckHttp(const flow::Flow& f, const app::TxUpdate& u) {
  using P = app::http::Transaction::Progress;
  const app::http::Transaction& tx = *u.http;
  uint8_t& checked = u.state->intel_checked;
  // Request headers are complete once the body (or the next request) began.
  if (!(checked & kRequestChecked) && tx.request_progress >= P::kBody) {
    checked |= kRequestChecked;
    std::string_view url;
    if (store_->wants(Where::kHttpUrl) &&
        feeds::UrlKeyForRequestInto(tx.host_raw, tx.uri_raw, &url_joined_, &url_key_)) {
      url = url_key_;
    }
    SetValue(Where::kHttpHost, tx.host);
    SetValue(Where::kHttpUrl, url);
    SetValue(Where::kHttpUserAgent, tx.user_agent);
    Check(f, Where::kHttpHost, tx.host);
    Check(f, Where::kHttpUrl, url);
    Check(f, Where::kHttpUserAgent, tx.user_agent);
  }
  // Digests exist once a body is complete (HttpOptions::body_digests).
  if (!(checked & kRequestBodyChecked) && tx.request_progress == P::kComplete) {
    checked |= kRequestBodyChecked;
    CheckDigests(f, tx.request_digest);
  }
  if (!(checked & kResponseBodyChecked) && tx.response_progress == P::kComplete) {
    checked |= kResponseBodyChecked;
    CheckDigests(f, tx.response_digest);
  }
}

void IntelMatcher::CheckDns(const flow::Flow& f, const app::TxUpdate& u) {
  const app::dns::Message& m = *u.dns;
  if (u.state->intel_checked & kRequestChecked) return;
  u.state->intel_checked |= kRequestChecked;
  // A response repeats the question: it counts as a query seen (a capture
  // may hold only the answers), and its answers are checked too.
  //
  // A name is looked up once per message: answers mostly repeat the question
  // or a CNAME's target, and a second lookup of the same name could only find
  // indicators the first one reported (hits do not depend on where a name
  // was seen, and each indicator alerts once per flow).
  dns_names_.clear();
  auto check_once = [&](Where where, std::string_view name) {
    const std::string_view key = intel::TrimTrailingDots(name);
    for (std::string_view seen : dns_names_) {
      if (SameDomainName(seen, key)) return;
    }
    dns_names_.push_back(key);
    Check(f, where, name);
  };
  for (const app::dns::Question& q : m.questions) check_once(Where::kDnsQuery, q.name);
  if (!m.response) return;
  for (const app::dns::Record& r : m.answers) {
    check_once(Where::kDnsAnswer, r.name);
    if (IsNameRecord(r.type)) check_once(Where::kDnsAnswer, r.rdata);
  }
}

void IntelMatcher::CheckTls(const flow::Flow& f, const app::TxUpdate& u) {
  const app::tls::Session& s = *u.tls;
  uint8_t& checked = u.state->intel_checked;
  if (s.client_hello && s.client_hello_done && !(checked & kRequestChecked)) {
    checked |= kRequestChecked;
    const app::tls::ClientHello& ch = *s.client_hello;
    SetValue(Where::kTlsSni, ch.sni);
    SetValue(Where::kTlsJa3, ch.ja3_hash);
    SetValue(Where::kTlsJa4, ch.ja4);
    Check(f, Where::kTlsSni, ch.sni);
    Check(f, Where::kTlsJa3, ch.ja3_hash);
    Check(f, Where::kTlsJa4, ch.ja4);
  }
  if (s.server_hello && s.server_hello_done && !(checked & kResponseChecked)) {
    checked |= kResponseChecked;
    Check(f, Where::kTlsJa3s, s.server_hello->ja3s_hash);
  }
  if (s.certificates_done && !s.certificates.empty() && !(checked & kCertChecked)) {
    checked |= kCertChecked;
    // The leaf is the server's own certificate; indicators name that one.
    const app::tls::Certificate& leaf = s.certificates.front();
    Check(f, Where::kTlsCertSha1, StripColons(leaf.fingerprint_sha1, hex_sha1_));
    Check(f, Where::kTlsCertSha256, StripColons(leaf.fingerprint_sha256, hex_sha256_));
  }
}

std::span<const IntelMatch> IntelMatcher::OnTransaction(const flow::Flow& f, const app::TxUpdate& u) {
  matches_.clear();
  if (!active() || !u.state) return {};
  FactsFor(f);
  if (u.http) {
    CheckHttp(f, u);
  } else if (u.dns) {
    CheckDns(f, u);
  } else if (u.tls) {
    CheckTls(f, u);
  }
  return matches_;
}

std::vector<rules::Diagnostic> CheckIndicatorSids(const rules::IndicatorTuning& tuning,
                                                  const intel::IntelStore* store) {
  std::vector<rules::Diagnostic> out;
  if (tuning.sids.empty()) return out;
  std::vector<uint32_t> loaded;
  loaded.reserve(store ? store->size() : 0);
  for (uint32_t i = 0; store && i < store->size(); ++i) loaded.push_back(store->view(i).sid);
  std::sort(loaded.begin(), loaded.end());
  rules::CheckIndicatorSids(
      tuning, [&](uint32_t sid) { return std::binary_search(loaded.begin(), loaded.end(), sid); }, &out);
  return out;
}

}  // namespace kagami::pipeline
