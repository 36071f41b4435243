#include "engine/intel/intel_store.h"

#include <algorithm>

#include "engine/intel/indicator_sid.h"
#include "engine/intel/intel_hash.h"
#include "rules/feeds/normalize.h"

namespace kagami::intel {

using feeds::IndicatorType;
using feeds::Side;

namespace {

constexpr Where kDomainWheres[] = {Where::kDnsQuery, Where::kDnsAnswer, Where::kTlsSni,
                                   Where::kHttpHost};
constexpr size_t kMaxDomainLength = 253;  // longer names cannot be indicators (NormalizeDomain)

// `seen` (from traffic, any case) is `domain` (lower-case) or, when
// subdomains count, a name below it.
bool DomainMatches(std::string_view seen, std::string_view domain, bool subdomains) {
  seen = TrimTrailingDots(seen);
  if (seen.size() == domain.size()) return EqualsFolded(seen, domain);
  if (!subdomains || seen.size() < domain.size() + 2) return false;
  const size_t cut = seen.size() - domain.size();
  return seen[cut - 1] == '.' && EqualsFolded(seen.substr(cut), domain);
}

bool InRange(const rules::IpRange& r, const IpAddress& a) { return r.lo <= a && a <= r.hi; }

}  // namespace

void IntelStore::MatchFlow(const Facts& facts, std::vector<Hit>* out) const {
  if (ips_.empty()) return;
  const size_t first = out->size();
  MatchAddress(facts.src, Side::kSource, facts, first, out);
  MatchAddress(facts.dst, Side::kDestination, facts, first, out);
}

void IntelStore::MatchValue(Where where, std::string_view value, const Facts& facts,
                            std::vector<Hit>* out) const {
  const size_t first = out->size();
  switch (WhereType(where)) {
    case IndicatorType::kIp: {
      if (ips_.empty()) return;
      const auto address = IpAddress::Parse(value);
      if (!address) return;
      MatchAddress(*address, where == Where::kIpSrc ? Side::kSource : Side::kDestination, facts,
                   first, out);
      return;
    }
    case IndicatorType::kDomain:
      MatchDomain(where, value, facts, first, out);
      return;
    case IndicatorType::kUrl: {
      MatchExact(where, value, /*fold=*/false, facts, first, out);
      const std::string_view path_only = feeds::UrlKeyWithoutQuery(value);
      if (path_only.size() != value.size()) {
        MatchExact(where, path_only, /*fold=*/false, facts, first, out);
      }
      return;
    }
    case IndicatorType::kUserAgent:
      MatchExact(where, value, /*fold=*/false, facts, first, out);
      return;
    default:
      MatchExact(where, value, /*fold=*/true, facts, first, out);
      return;
  }
}

void IntelStore::MatchAddress(const IpAddress& a, Side side, const Facts& facts, size_t first,
                              std::vector<Hit>* out) const {
  const Where where = side == Side::kSource ? Where::kIpSrc : Where::kIpDst;
  ips_.ForEach(a, [&](uint32_t v) {
    const auto term_side = static_cast<Side>(v >> kSideShift);
    if (term_side != Side::kEither && term_side != side) return;
    Emit(v, where, facts, first, out);
  });
}

void IntelStore::MatchDomain(Where where, std::string_view name, const Facts& facts,
                             size_t first, std::vector<Hit>* out) const {
  const ValueIndex& index = values_[static_cast<int>(IndicatorType::kDomain)];
  if (index.empty()) return;
  name = TrimTrailingDots(name);
  if (name.empty() || name.size() > kMaxDomainLength) return;

  // One pass from the end hashes every parent suffix on the way (domain keys
  // are hashed last byte first): the state just before a '.' is the hash of
  // the labels to its right. A name of 253 bytes has at most 126 dots.
  uint64_t parent_hash[128];
  size_t parent_start[128];
  size_t parents = 0;
  uint64_t h = kFnvOffset;
  for (size_t i = name.size(); i-- > 0;) {
    const char c = LowerAscii(name[i]);
    if (c == '.' && i + 1 < name.size() && name[i + 1] != '.') {
      parent_hash[parents] = SuffixHashFinish(h);
      parent_start[parents] = i + 1;
      ++parents;
    }
    h = SuffixHashStep(h, c);
  }

  auto lookup = [&](uint64_t hash, std::string_view text, bool parent) {
    auto clauses = index.Find(
        hash, [&](uint32_t off, uint32_t len) { return EqualsFolded(text, Text(off, len)); },
        [&](uint32_t entry) { return EqualsFolded(text, EntryText(entry)); });
    for (uint32_t v : clauses) {
      if (parent && !(v & kSubdomainsBit)) continue;
      Emit(v, where, facts, first, out);
    }
  };
  lookup(SuffixHashFinish(h), name, /*parent=*/false);
  for (size_t j = parents; j-- > 0;) {  // nearest parent first
    lookup(parent_hash[j], name.substr(parent_start[j]), /*parent=*/true);
  }
}

void IntelStore::MatchExact(Where where, std::string_view value, bool fold, const Facts& facts,
                            size_t first, std::vector<Hit>* out) const {
  const IndicatorType type = WhereType(where);
  const ValueIndex& index = values_[static_cast<int>(type)];
  if (index.empty() || value.empty()) return;
  auto same = [&](std::string_view stored) {
    return fold ? EqualsFolded(value, stored) : value == stored;
  };
  auto clauses = index.Find(
      KeyHash(type, value, fold), [&](uint32_t off, uint32_t len) { return same(Text(off, len)); },
      [&](uint32_t entry) { return same(EntryText(entry)); });
  for (uint32_t v : clauses) Emit(v, where, facts, first, out);
}

void IntelStore::Emit(uint32_t entry, Where where, const Facts& facts, size_t first,
                      std::vector<Hit>* out) const {
  const uint32_t clause = entry & kClauseMask;
  if (entry & kVerifyBit) {
    const size_t k = static_cast<size_t>(
        std::lower_bound(verify_clause_.begin(), verify_clause_.end(), clause) -
        verify_clause_.begin());
    for (uint32_t i = verify_begin_[k], end = verify_begin_[k + 1]; i < end; ++i) {
      if (!Holds(verify_[i], clause, facts)) return;
    }
  }
  const Hit hit{clause_indicator_[clause], where};
  for (size_t i = first; i < out->size(); ++i) {
    if ((*out)[i] == hit) return;
  }
  out->push_back(hit);
}

bool IntelStore::Holds(const TermRef& t, uint32_t clause, const Facts& facts) const {
  switch (t.type) {
    case IndicatorType::kIp: {
      const rules::IpRange& r = verify_ranges_[t.a];
      switch (t.side) {
        case Side::kSource: return InRange(r, facts.src);
        case Side::kDestination: return InRange(r, facts.dst);
        case Side::kEither: return InRange(r, facts.src) || InRange(r, facts.dst);
      }
      return false;
    }
    case IndicatorType::kPort: {
      if (!facts.has_ports) return false;
      auto in = [&](uint16_t p) { return t.port_lo <= p && p <= t.port_hi; };
      switch (t.side) {
        case Side::kSource: return in(facts.sport);
        case Side::kDestination: return in(facts.dport);
        case Side::kEither: return in(facts.sport) || in(facts.dport);
      }
      return false;
    }
    case IndicatorType::kDomain: {
      const std::string_view domain = Text(t.a, t.b);
      const bool subdomains = SubdomainsAllowed(clause);
      for (Where w : kDomainWheres) {
        const std::string_view seen = facts.values[static_cast<int>(w)];
        if (!seen.empty() && DomainMatches(seen, domain, subdomains)) return true;
      }
      return false;
    }
    case IndicatorType::kUrl: {
      const std::string_view seen = facts.values[static_cast<int>(Where::kHttpUrl)];
      const std::string_view url = Text(t.a, t.b);
      return !seen.empty() && (seen == url || feeds::UrlKeyWithoutQuery(seen) == url);
    }
    case IndicatorType::kUserAgent:
      return facts.values[static_cast<int>(Where::kHttpUserAgent)] == Text(t.a, t.b);
    default:
      // Digests: the one field of that type (tls.ja3.hash, file.md5...).
      for (int w = 0; w < kWhereCount; ++w) {
        if (WhereType(static_cast<Where>(w)) == t.type) {
          return EqualsFolded(facts.values[w], Text(t.a, t.b));
        }
      }
      return false;
  }
}

IntelStore::View IntelStore::view(uint32_t indicator) const {
  const IndicatorRecord& r = records_[indicator];
  View v;
  v.type = r.type;
  v.value = Text(r.value_off, r.value_len);
  if (r.detail != kNoDetail && (r.detail & kStixIdOnly)) {
    v.stix_id = strings_.Get(r.detail & ~kStixIdOnly);
  } else if (r.detail != kNoDetail) {
    const IndicatorDetail& d = details_[r.detail];
    v.stix_id = strings_.Get(d.stix_id);
    v.name = strings_.Get(d.name);
    v.description = strings_.Get(d.description);
    v.reference = strings_.Get(d.reference);
  }
  v.sid = IndicatorSid(v.stix_id, v.type, v.value);
  v.feed = feeds_[r.feed].name;
  const AttributionProfile& p = profiles_.Get(r.profile);
  v.source = p.source;
  v.confidence = r.confidence;
  v.campaigns = p.campaigns;
  v.intrusion_sets = p.intrusion_sets;
  v.malware = p.malware;
  v.labels = p.labels;
  return v;
}

std::string IntelStore::Signature(uint32_t indicator) const {
  const View v = view(indicator);
  std::string s = "KAGAMI INTEL ";
  if (!v.name.empty()) {
    s.append(v.name);
  } else {
    s.append(feeds::IndicatorTypeName(v.type));
    s.push_back(' ');
    s.append(v.value);
  }
  // Who it belongs to, as an analyst reads it in a SIEM list: the group (or
  // campaign), then the malware family; parts the name already says are left out.
  const std::string* group = !v.intrusion_sets.empty() ? &v.intrusion_sets.front()
                             : !v.campaigns.empty()    ? &v.campaigns.front()
                                                       : nullptr;
  const std::string* family = !v.malware.empty() ? &v.malware.front() : nullptr;
  if (group && v.name.find(*group) != std::string_view::npos) group = nullptr;
  if (family && v.name.find(*family) != std::string_view::npos) family = nullptr;
  if (group || family) {
    s.append(" (");
    if (group) s.append(*group);
    if (group && family) s.append(" / ");
    if (family) s.append(*family);
    s.push_back(')');
  }
  return s;
}

size_t IntelStore::memory_bytes() const {
  size_t n = sizeof(*this) + arena_.memory_bytes() + records_.memory_bytes() +
             details_.memory_bytes() + strings_.memory_bytes() + profiles_.memory_bytes() +
             feeds_.capacity() * sizeof(FeedInfo) + clause_indicator_.memory_bytes() +
             (verify_clause_.capacity() + verify_begin_.capacity()) * sizeof(uint32_t) +
             verify_.capacity() * sizeof(TermRef) +
             verify_ranges_.capacity() * sizeof(rules::IpRange) + ips_.memory_bytes();
  for (const FeedInfo& f : feeds_) n += f.name.capacity() > 15 ? f.name.capacity() + 1 : 0;
  for (const ValueIndex& index : values_) n += index.memory_bytes();
  return n;
}

}  // namespace kagami::intel
