#include "engine/intel/intel_builder.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "engine/intel/intel_hash.h"
#include "engine/intel/ip_prefix_table.h"
#include "engine/intel/value_index.h"

namespace kagami::intel {

using feeds::IndicatorType;
using feeds::Side;

// Index entries are clause ids with flags; ValueIndex keeps one bit for itself.
static_assert(((kClauseMask | kVerifyBit | kSubdomainsBit) & ValueIndex::kKeyBit) == 0);

namespace {

constexpr size_t kMaxFeeds = 65535;
constexpr size_t kProfileCacheSize = 256;  // powers of two
constexpr size_t kAttributionCacheSize = 1024;
constexpr uint32_t kNoTerm = UINT32_MAX;
constexpr uint32_t kDropped = UINT32_MAX;

bool IsString(IndicatorType t) { return t != IndicatorType::kIp && t != IndicatorType::kPort; }

// Sides mean something for addresses and ports only.
Side SideOf(const feeds::Term& t) { return IsString(t.type) ? Side::kEither : t.side; }

template <class T>
uint64_t HashBytes(const T& v, uint64_t h) {
  return Fnv1a64(std::string_view(reinterpret_cast<const char*>(&v), sizeof(v)), h);
}

// Continues `h` with a word-at-a-time hash of `s` (its length included):
// content hashes run over every indicator's values and STIX id, so a byte
// loop would show. Only the builder compares these hashes.
uint64_t HashText(std::string_view s, uint64_t h) {
  return Mix64(h + WordHash(s, false));
}

uint64_t HashList(const std::vector<std::string>& list, uint64_t h) {
  h = HashBytes(static_cast<uint32_t>(list.size()), h);
  for (const std::string& s : list) h = HashText(s, h);
  return h;
}

// STIX ids are hashed once per indicator and once per Attribute call (two
// million times for a bundle of a million related indicators): a word hash.
uint64_t StixHash(uint16_t feed, std::string_view id) {
  return Mix64(WordHash(id, false) + feed);
}

uint64_t DetailHash(const IndicatorDetail& d) { return Mix64(HashBytes(d, kFnvOffset)); }

std::vector<std::string>& ListOf(AttributionProfile* p, feeds::AttributionKind kind) {
  switch (kind) {
    case feeds::AttributionKind::kCampaign: return p->campaigns;
    case feeds::AttributionKind::kIntrusionSet: return p->intrusion_sets;
    case feeds::AttributionKind::kMalware: return p->malware;
  }
  return p->malware;
}

void Append(std::vector<std::string>* to, const std::vector<std::string>& from) {
  to->insert(to->end(), from.begin(), from.end());
}

// Which term a clause is indexed under: the most selective one. Digests and
// URLs name one object; a domain covers its subdomains; user agents are often
// shared by unrelated software; addresses last, narrower ranges first; ports
// are never looked up.
int AnchorRank(IndicatorType t) {
  switch (t) {
    case IndicatorType::kPort: return 99;
    case IndicatorType::kIp: return 4;
    case IndicatorType::kUserAgent: return 3;
    case IndicatorType::kDomain: return 2;
    case IndicatorType::kUrl: return 1;
    default: return 0;
  }
}

}  // namespace

IntelBuilderImpl::IntelBuilderImpl() { clause_terms_.push_back(0); }

void IntelBuilderImpl::BeginFeed(std::string_view feed_name, const feeds::FeedOptions& options) {
  feed_open_ = true;
  delivered_.clear();  // AttributePlaced counts from here
  feed_full_ = false;
  for (size_t i = 0; i < feeds_.size(); ++i) {
    if (feeds_[i].name == feed_name && feeds_[i].match_subdomains == options.match_subdomains) {
      feed_ = static_cast<uint16_t>(i);
      return;
    }
  }
  if (feeds_.size() >= kMaxFeeds) {
    feed_full_ = true;
    return;
  }
  feed_ = static_cast<uint16_t>(feeds_.size());
  feeds_.push_back(FeedInfo{std::string(feed_name), options.match_subdomains});
}

void IntelBuilderImpl::EnsureFeed() {
  if (!feed_open_) BeginFeed("", feeds::FeedOptions{});
}

bool IntelBuilderImpl::UsableClause(const feeds::Clause& clause) const {
  bool matchable = false;
  for (const feeds::Term& t : clause.terms) {
    if (static_cast<int>(t.type) >= feeds::kIndicatorTypeCount) return false;
    switch (t.type) {
      case IndicatorType::kIp:
        if (t.range.hi < t.range.lo) return false;
        matchable = true;
        break;
      case IndicatorType::kPort:
        if (t.port_hi < t.port_lo) return false;
        break;
      default:
        if (t.value.empty() || t.value.size() > UINT32_MAX / 2) return false;
        matchable = true;
        break;
    }
  }
  return matchable;  // a clause of ports only (or no terms) cannot be looked up
}

bool IntelBuilderImpl::AppendTerm(const feeds::Term& t) {
  TermRef ref;
  ref.type = t.type;
  ref.side = SideOf(t);
  switch (t.type) {
    case IndicatorType::kIp:
      if (t.range.lo.is_v4() && t.range.hi.is_v4()) {
        ref.v4 = 1;
        ref.a = t.range.lo.v4();
        ref.b = t.range.hi.v4();
      } else {
        ref.a = static_cast<uint32_t>(ranges_.size());
        ranges_.push_back(t.range);
      }
      break;
    case IndicatorType::kPort:
      ref.port_lo = t.port_lo;
      ref.port_hi = t.port_hi;
      break;
    default: {
      char* out;
      if (!arena_.Allocate(t.value.size(), &ref.a, &out)) return false;
      if (FoldsCase(t.type)) {
        for (size_t i = 0; i < t.value.size(); ++i) out[i] = LowerAscii(t.value[i]);
      } else {
        std::memcpy(out, t.value.data(), t.value.size());
      }
      ref.b = static_cast<uint32_t>(t.value.size());
      break;
    }
  }
  terms_.push_back(ref);
  term_key_hash_.push_back(IsString(t.type) ? KeyHash(t.type, Text(ref), /*fold=*/false) : 0);
  return true;
}

rules::IpRange IntelBuilderImpl::RangeOf(const TermRef& t) const {
  if (t.v4) return rules::IpRange{IpAddress::FromV4(t.a), IpAddress::FromV4(t.b)};
  return ranges_[t.a];
}

void IntelBuilderImpl::Add(const feeds::Indicator& ind) {
  EnsureFeed();
  delivered_.push_back(Store(ind));
}

uint32_t IntelBuilderImpl::Store(const feeds::Indicator& ind) {
  usable_.clear();
  for (size_t c = 0; c < ind.clauses.size(); ++c) {
    if (UsableClause(ind.clauses[c])) usable_.push_back(static_cast<uint32_t>(c));
  }
  if (feed_full_ || usable_.empty() || clause_indicator_.size() + usable_.size() > kMaxClauses) {
    ++dropped_;
    return kDropped;
  }
  const auto record = static_cast<uint32_t>(records_.size());
  const size_t first_clause = clause_indicator_.size(), term_mark = terms_.size();
  const size_t range_mark = ranges_.size();
  const TextArena::Mark arena_mark = arena_.mark();
  auto take_back = [&] {  // the arena is full: drop this indicator
    clause_indicator_.truncate(first_clause);
    clause_terms_.truncate(first_clause + 1);
    terms_.truncate(term_mark);
    term_key_hash_.truncate(term_mark);
    ranges_.resize(range_mark);
    arena_.Truncate(arena_mark);
    ++dropped_;
    return kDropped;
  };
  for (uint32_t c : usable_) {
    for (const feeds::Term& t : ind.clauses[c].terms) {
      if (!AppendTerm(t)) return take_back();
    }
    clause_terms_.push_back(static_cast<uint32_t>(terms_.size()));
    clause_indicator_.push_back(record);
  }

  IndicatorRecord rec;
  uint32_t primary = kNoTerm;  // the first term that is not a port
  for (size_t i = term_mark; primary == kNoTerm; ++i) {
    if (terms_[i].type != IndicatorType::kPort) primary = static_cast<uint32_t>(i);
  }
  const TermRef p = terms_[primary];
  rec.type = p.type;
  if (p.type == IndicatorType::kIp) {
    char buf[kIpRangeTextMax];
    const size_t n = FormatIpRange(RangeOf(p), buf);
    if (!arena_.Append(std::string_view(buf, n), &rec.value_off)) return take_back();
    rec.value_len = static_cast<uint32_t>(n);
  } else {
    rec.value_off = p.a;
    rec.value_len = p.b;
  }
  rec.profile = ProfileFor(ind);
  rec.detail = DetailFor(ind);
  rec.feed = feed_;
  rec.confidence = static_cast<int8_t>(std::clamp(ind.confidence, -1, 100));
  records_.push_back(rec);
  // Hashed now, on the loading thread, rather than all at once in Build.
  content_hash_.push_back(ContentHash(record, static_cast<uint32_t>(first_clause),
                                      static_cast<uint32_t>(clause_indicator_.size())));
  attribute_memo_valid_ = false;  // a later copy of the memo's id may have been added
  if (stix_indexed_ && !ind.id.empty()) {
    stix_index_.Insert(StixHash(feed_, ind.id), record, [this](uint32_t r) {
      return StixHash(records_[r].feed, StixIdOf(r));
    });
  }
  return record;
}

void IntelBuilderImpl::IndexStixIds() {
  // Sized once for every id added so far: no growth, no rehashing of ids
  // that would each be fetched again from the string table.
  stix_indexed_ = true;
  const auto n = static_cast<uint32_t>(records_.size());
  uint32_t with_id = 0;
  for (uint32_t r = 0; r < n; ++r) with_id += DetailOf(r).stix_id != 0;
  if (with_id == 0) return;
  stix_index_.Reserve(with_id);
  // Each insert lands on a random slot of a table of several MiB: hashes are
  // computed kAhead records early and their slots prefetched, so the misses
  // overlap instead of following one another.
  constexpr uint32_t kAhead = 16;
  uint64_t hashes[kAhead];
  uint32_t ids[kAhead];
  uint32_t queued = 0, head = 0;
  for (uint32_t r = 0; r < n || queued > 0;) {
    if (r < n && queued < kAhead) {
      const std::string_view id = StixIdOf(r);
      if (!id.empty()) {
        const uint32_t at = (head + queued++) % kAhead;
        hashes[at] = StixHash(records_[r].feed, id);
        ids[at] = r;
        stix_index_.Prefetch(hashes[at]);
      }
      ++r;
      continue;
    }
    stix_index_.InsertReserved(hashes[head], ids[head]);  // in record order, like Insert
    head = (head + 1) % kAhead;
    --queued;
  }
}

uint32_t IntelBuilderImpl::DetailFor(const feeds::Indicator& ind) {
  if (ind.name.empty() && ind.description.empty() && ind.reference.empty()) {
    if (ind.id.empty()) return kNoDetail;
    const uint32_t id = strings_.Add(ind.id);  // STIX ids are unique: not interned
    return id == 0 ? kNoDetail : (kStixIdOnly | id);
  }
  return StoreDetail(IndicatorDetail{ind.id.empty() ? 0 : strings_.Add(ind.id),
                                     strings_.Intern(ind.name), strings_.Intern(ind.description),
                                     strings_.Intern(ind.reference)});
}

uint32_t IntelBuilderImpl::StoreDetail(const IndicatorDetail& d) {
  if (d == IndicatorDetail{}) return kNoDetail;
  const uint64_t h = DetailHash(d);
  if (d.stix_id == 0) {  // shared text (CSV descriptions...): one copy per combination
    const uint32_t id = detail_index_.Find(h, [&](uint32_t i) { return details_[i] == d; });
    if (id != IdHashTable::kNone) return id;
  }
  if (d.stix_id != 0 && d.name == 0 && d.description == 0 && d.reference == 0) {
    return kStixIdOnly | d.stix_id;
  }
  const auto id = static_cast<uint32_t>(details_.size());
  details_.push_back(d);
  if (d.stix_id == 0) {
    detail_index_.Insert(h, id, [this](uint32_t i) { return DetailHash(details_[i]); });
  }
  return id;
}

IndicatorDetail IntelBuilderImpl::DetailOf(uint32_t record) const {
  const uint32_t d = records_[record].detail;
  if (d == kNoDetail) return IndicatorDetail{};
  if (d & kStixIdOnly) return IndicatorDetail{d & ~kStixIdOnly, 0, 0, 0};
  return details_[d];
}

std::string_view IntelBuilderImpl::StixIdOf(uint32_t record) const {
  return strings_.Get(DetailOf(record).stix_id);
}

uint32_t IntelBuilderImpl::ProfileFor(const feeds::Indicator& ind) {
  if (ind.campaigns.empty() && ind.intrusion_sets.empty() && ind.malware.empty() &&
      ind.labels.empty() && ind.source.empty()) {
    return 0;
  }
  auto same = [&ind](const ProfileCacheEntry& e) {
    return e.valid && e.campaigns == ind.campaigns && e.intrusion_sets == ind.intrusion_sets &&
           e.malware == ind.malware && e.labels == ind.labels && e.source == ind.source;
  };
  if (profile_cache_.empty()) profile_cache_.resize(kProfileCacheSize);
  // Consecutive rows of a feed usually carry the same attribution.
  if (same(profile_cache_[last_profile_slot_])) return profile_cache_[last_profile_slot_].profile;
  uint64_t h = HashList(ind.campaigns, kFnvOffset);
  h = HashList(ind.intrusion_sets, h);
  h = HashList(ind.malware, h);
  h = HashList(ind.labels, h);
  h = Mix64(HashText(ind.source, h));
  last_profile_slot_ = h & (kProfileCacheSize - 1);
  ProfileCacheEntry& c = profile_cache_[last_profile_slot_];
  if (same(c)) return c.profile;
  scratch_.campaigns = ind.campaigns;
  scratch_.intrusion_sets = ind.intrusion_sets;
  scratch_.malware = ind.malware;
  scratch_.labels = ind.labels;
  scratch_.source = ind.source;
  scratch_.Canonicalize();
  c.profile = profiles_.Intern(scratch_);
  c.campaigns = ind.campaigns;
  c.intrusion_sets = ind.intrusion_sets;
  c.malware = ind.malware;
  c.labels = ind.labels;
  c.source = ind.source;
  c.valid = true;
  return c.profile;
}

uint32_t IntelBuilderImpl::WithAttribution(uint32_t profile, feeds::AttributionKind kind,
                                           std::string_view name) {
  // STIX bundles relate thousands of indicators to the same few names: most
  // (profile, name) steps repeat, and a repeat costs no profile copy.
  if (attribution_cache_.empty()) attribution_cache_.resize(kAttributionCacheSize);
  const uint64_t key = Mix64(Fnv1a64(name, HashBytes(profile, HashBytes(kind, kFnvOffset))));
  AttributionCacheEntry& e = attribution_cache_[key & (kAttributionCacheSize - 1)];
  if (e.valid && e.from == profile && e.kind == kind && e.name == name) return e.to;
  AttributionProfile p = profiles_.Get(profile);
  ListOf(&p, kind).emplace_back(name);
  p.Canonicalize();
  e.valid = true;
  e.from = profile;
  e.kind = kind;
  e.name.assign(name);
  e.to = profiles_.Intern(p);
  return e.to;
}

bool IntelBuilderImpl::ApplyAttribution(uint16_t feed, std::string_view id,
                                        feeds::AttributionKind kind, std::string_view name) {
  if (!stix_indexed_) IndexStixIds();
  // A reader names all of one indicator's groups and families in a row: the
  // records found for the previous call's id are reused.
  if (!attribute_memo_valid_ || attribute_memo_feed_ != feed || attribute_memo_id_ != id) {
    attribute_memo_records_.clear();
    stix_index_.ForEachMatch(
        StixHash(feed, id),
        [&](uint32_t r) { return records_[r].feed == feed && StixIdOf(r) == id; },
        [&](uint32_t r) { attribute_memo_records_.push_back(r); });
    attribute_memo_id_.assign(id);
    attribute_memo_feed_ = feed;
    attribute_memo_valid_ = true;
  }
  for (uint32_t r : attribute_memo_records_) {
    records_[r].profile = WithAttribution(records_[r].profile, kind, name);
  }
  return !attribute_memo_records_.empty();
}

void IntelBuilderImpl::AttributePlaced(const feeds::PlacedAttribution& a,
                                       const std::function<std::string(uint32_t)>& id_of) {
  EnsureFeed();
  if (feed_full_) return;
  // Bundles relate their indicators to a few name sets: each (profile, set)
  // step is worked out once.
  uint32_t memo_from = 0, memo_set = feeds::PlacedAttribution::kNoSet, memo_to = 0;
  std::string id;
  for (size_t p = 0; p < a.set_of.size(); ++p) {
    const uint32_t set = a.set_of[p];
    if (set == feeds::PlacedAttribution::kNoSet) continue;
    if (p >= delivered_.size()) {
      // Past this feed's Adds (a reader counting something else): by id.
      id = id_of(static_cast<uint32_t>(p));
      for (const auto& n : a.sets[set]) Attribute(id, n.kind, n.name);
      continue;
    }
    const uint32_t record = delivered_[p];
    if (record == kDropped) continue;  // that Add stored nothing
    uint32_t& profile = records_[record].profile;
    if (set != memo_set || profile != memo_from) {
      memo_from = profile;
      memo_set = set;
      memo_to = profile;
      for (const auto& n : a.sets[set]) {
        if (!n.name.empty()) memo_to = WithAttribution(memo_to, n.kind, n.name);
      }
    }
    profile = memo_to;
  }
}

void IntelBuilderImpl::Attribute(std::string_view indicator_id, feeds::AttributionKind kind,
                                 std::string_view name) {
  EnsureFeed();
  if (feed_full_ || indicator_id.empty() || name.empty()) return;
  if (!ApplyAttribution(feed_, indicator_id, kind, name)) {
    pending_.push_back(
        PendingAttribution{feed_, kind, std::string(indicator_id), std::string(name)});
  }
}

uint64_t IntelBuilderImpl::ContentHash(uint32_t record, uint32_t first_clause,
                                       uint32_t end_clause) const {
  uint64_t h = HashText(StixIdOf(record), HashBytes(records_[record].feed, kFnvOffset));
  for (uint32_t c = first_clause; c < end_clause; ++c) {
    h = HashBytes(clause_terms_[c + 1] - clause_terms_[c], h);
    for (uint32_t i = clause_terms_[c]; i < clause_terms_[c + 1]; ++i) {
      const TermRef& t = terms_[i];
      const uint8_t head[3] = {static_cast<uint8_t>(t.type), static_cast<uint8_t>(t.side), t.v4};
      h = HashBytes(head, h);
      if (t.type == IndicatorType::kIp && !t.v4) {
        h = HashBytes(ranges_[t.a].lo.bytes(), h);
        h = HashBytes(ranges_[t.a].hi.bytes(), h);
      } else if (IsString(t.type)) {
        h = HashBytes(term_key_hash_[i], h);  // SameRecord compares the text itself
      } else {
        const uint32_t fields[3] = {t.a, t.b, (uint32_t{t.port_lo} << 16) | t.port_hi};
        h = HashBytes(fields, h);
      }
    }
  }
  return h;
}

bool IntelBuilderImpl::SameTerm(const TermRef& x, const TermRef& y) const {
  if (x.type != y.type || x.side != y.side || x.v4 != y.v4) return false;
  if (x.type == IndicatorType::kIp && !x.v4) return ranges_[x.a] == ranges_[y.a];
  if (IsString(x.type)) return Text(x) == Text(y);
  return x.a == y.a && x.b == y.b && x.port_lo == y.port_lo && x.port_hi == y.port_hi;
}

void IntelBuilderImpl::ClausesOf(uint32_t record, uint32_t* first, uint32_t* end) const {
  // clause_indicator_ is ascending: binary search for the first clause.
  size_t lo = 0, hi = clause_indicator_.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (clause_indicator_[mid] < record) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  size_t e = lo;
  while (e < clause_indicator_.size() && clause_indicator_[e] == record) ++e;
  *first = static_cast<uint32_t>(lo);
  *end = static_cast<uint32_t>(e);
}

bool IntelBuilderImpl::SameRecord(uint32_t a, uint32_t b) const {
  if (records_[a].feed != records_[b].feed || StixIdOf(a) != StixIdOf(b)) return false;
  uint32_t a_first, a_end, b_first, b_end;
  ClausesOf(a, &a_first, &a_end);
  ClausesOf(b, &b_first, &b_end);
  if (a_end - a_first != b_end - b_first) return false;
  for (uint32_t i = 0; i < a_end - a_first; ++i) {
    const uint32_t ta = clause_terms_[a_first + i], tb = clause_terms_[b_first + i];
    const uint32_t n = clause_terms_[a_first + i + 1] - ta;
    if (clause_terms_[b_first + i + 1] - tb != n) return false;
    for (uint32_t k = 0; k < n; ++k) {
      if (!SameTerm(terms_[ta + k], terms_[tb + k])) return false;
    }
  }
  return true;
}

void IntelBuilderImpl::MergeInto(uint32_t keep, uint32_t dup) {
  IndicatorRecord& k = records_[keep];
  const IndicatorRecord& d = records_[dup];
  if (d.profile != k.profile && d.profile != 0) {
    AttributionProfile p = profiles_.Get(k.profile);
    const AttributionProfile& other = profiles_.Get(d.profile);
    Append(&p.campaigns, other.campaigns);
    Append(&p.intrusion_sets, other.intrusion_sets);
    Append(&p.malware, other.malware);
    Append(&p.labels, other.labels);
    if (p.source.empty()) p.source = other.source;
    p.Canonicalize();
    k.profile = profiles_.Intern(p);
  }
  // Text the first copy lacked is taken from the later one.
  IndicatorDetail merged = DetailOf(keep);
  const IndicatorDetail later = DetailOf(dup);
  const IndicatorDetail before = merged;
  if (merged.name == 0) merged.name = later.name;
  if (merged.description == 0) merged.description = later.description;
  if (merged.reference == 0) merged.reference = later.reference;
  if (!(merged == before)) k.detail = StoreDetail(merged);  // details are shared: not edited
  k.confidence = std::max(k.confidence, d.confidence);
}

std::vector<uint32_t> IntelBuilderImpl::MergeDuplicates() {
  const auto n = static_cast<uint32_t>(records_.size());
  std::vector<uint32_t> remap(n);
  {
    // A record equal to an earlier kept one merges into the first such
    // record; the rest are kept. Kept records go into a hash table by
    // content hash, where records of one hash share a probe sequence and are
    // met in the order they were added. (Sorting a million (hash, record)
    // pairs instead took three times as long.)
    IdHashTable firsts;
    firsts.Reserve(n);
    constexpr uint32_t kAhead = 16;  // slots fetched ahead of the probes
    for (uint32_t r = 0; r < n; ++r) {
      if (r + kAhead < n) firsts.Prefetch(Mix64(content_hash_[r + kAhead]));
      const uint64_t h = content_hash_[r];
      const uint64_t slot_hash = Mix64(h);  // content hashes are FNV: weak low bits
      const uint32_t keep = firsts.Find(
          slot_hash, [&](uint32_t k) { return content_hash_[k] == h && SameRecord(k, r); });
      if (keep == IdHashTable::kNone) {
        firsts.InsertReserved(slot_hash, r);
        remap[r] = r;
      } else {
        MergeInto(keep, r);
        remap[r] = kDropped;
      }
    }
    content_hash_.clear();
  }
  // Survivors move down in place, keeping their order.
  uint32_t kept = 0;
  for (uint32_t r = 0; r < n; ++r) {
    if (remap[r] == kDropped) continue;
    records_[kept] = records_[r];
    remap[r] = kept++;
  }
  records_.truncate(kept);
  return remap;
}

uint32_t IntelBuilderImpl::ChooseAnchor(uint32_t first_term, uint32_t end_term) const {
  if (end_term - first_term == 1) return first_term;  // the usual clause: one term
  uint32_t best = kNoTerm;
  Addr128 best_span = 0;
  for (uint32_t i = first_term; i < end_term; ++i) {
    const TermRef& t = terms_[i];
    if (t.type == IndicatorType::kPort) continue;
    Addr128 span = 0;
    if (t.type == IndicatorType::kIp) {
      const rules::IpRange r = RangeOf(t);
      span = AddrKey(r.hi) - AddrKey(r.lo);
    }
    if (best == kNoTerm || AnchorRank(t.type) < AnchorRank(terms_[best].type) ||
        (t.type == IndicatorType::kIp && terms_[best].type == IndicatorType::kIp &&
         span < best_span)) {
      best = i;
      best_span = span;
    }
  }
  return best;
}

std::shared_ptr<const IntelStore> IntelBuilderImpl::Build() {
  for (const PendingAttribution& p : pending_) {
    ApplyAttribution(p.feed, p.indicator_id, p.kind, p.name);  // still unknown: dropped
  }
  std::vector<PendingAttribution>().swap(pending_);
  delivered_.clear();
  stix_index_.Clear();
  attribute_memo_valid_ = false;
  const std::vector<uint32_t> remap = MergeDuplicates();
  detail_index_.Clear();
  strings_.DropIndex();

  // Profiles replaced by attribution or merging are no longer referenced.
  {
    std::vector<bool> used(profiles_.size(), false);
    for (size_t r = 0; r < records_.size(); ++r) used[records_[r].profile] = true;
    const std::vector<uint32_t> profile_remap = profiles_.Compact(used);
    for (size_t r = 0; r < records_.size(); ++r) {
      records_[r].profile = profile_remap[records_[r].profile];
    }
  }

  auto store = std::make_shared<IntelStore>();
  IntelStore& s = *store;
  auto want = [&s](Where w) { s.wants_ |= uint32_t{1} << static_cast<int>(w); };

  // Each clause is indexed under one term (its anchor); the others are
  // verified against Facts when the anchor matches. Index input is sized
  // exactly first: at a million indicators, vector doubling would add tens
  // of MiB to the peak.
  const auto clauses = static_cast<uint32_t>(clause_indicator_.size());
  size_t anchors[feeds::kIndicatorTypeCount] = {};
  for (uint32_t c = 0; c < clauses; ++c) {
    if (remap[clause_indicator_[c]] == kDropped) continue;
    ++anchors[static_cast<int>(terms_[ChooseAnchor(clause_terms_[c], clause_terms_[c + 1])].type)];
  }
  std::vector<ValueIndex::Entry> entries[feeds::kIndicatorTypeCount];
  for (int t = 0; t < feeds::kIndicatorTypeCount; ++t) {
    if (t != static_cast<int>(IndicatorType::kIp)) entries[t].reserve(anchors[t]);
  }
  s.ips_.Reserve(anchors[static_cast<int>(IndicatorType::kIp)]);
  s.verify_begin_.push_back(0);
  uint32_t live = 0;  // clauses of merged duplicates are dropped; the rest renumbered
  uint32_t previous_record = kDropped;
  for (uint32_t c = 0; c < clauses; ++c) {
    const uint32_t record = remap[clause_indicator_[c]];
    if (record == kDropped) continue;
    const uint32_t id = live++;
    clause_indicator_[id] = record;
    const uint32_t first = clause_terms_[c], end = clause_terms_[c + 1];
    const uint32_t anchor = ChooseAnchor(first, end);
    // The record's printable value is the first term of its first clause
    // that is not a port; a key holding that text can be confirmed through
    // the record and needs no copy of its own.
    uint32_t primary = first;
    while (terms_[primary].type == IndicatorType::kPort) ++primary;
    const bool direct = record != previous_record && anchor == primary;
    previous_record = record;
    uint32_t entry = id;
    for (uint32_t i = first; i < end; ++i) {
      TermRef t = terms_[i];
      ++s.counts_[static_cast<int>(t.type)];
      if (t.type == IndicatorType::kIp) {
        if (t.side != Side::kDestination) want(Where::kIpSrc);
        if (t.side != Side::kSource) want(Where::kIpDst);
      }
      if (i == anchor) continue;
      if (t.type == IndicatorType::kIp) {
        s.verify_ranges_.push_back(RangeOf(t));
        t.a = static_cast<uint32_t>(s.verify_ranges_.size() - 1);
        t.b = 0;
        t.v4 = 0;
      }
      s.verify_.push_back(t);
      entry = id | kVerifyBit;
    }
    if (entry & kVerifyBit) {
      s.verify_clause_.push_back(id);
      s.verify_begin_.push_back(static_cast<uint32_t>(s.verify_.size()));
    }
    const TermRef& a = terms_[anchor];
    if (a.type == IndicatorType::kIp) {
      s.ips_.Add(RangeOf(a), entry | (static_cast<uint32_t>(a.side) << kSideShift));
    } else {
      if (a.type == IndicatorType::kDomain && feeds_[records_[record].feed].match_subdomains) {
        entry |= kSubdomainsBit;
      }
      entries[static_cast<int>(a.type)].push_back(
          ValueIndex::Entry{term_key_hash_[anchor], a.a, a.b, entry, direct});
    }
  }
  clause_indicator_.truncate(live);
  for (int w = 0; w < kWhereCount; ++w) {
    const IndicatorType t = WhereType(static_cast<Where>(w));
    if (t != IndicatorType::kIp && s.counts_[static_cast<int>(t)] > 0) want(static_cast<Where>(w));
  }

  // The terms are indexed now.
  terms_.clear();
  term_key_hash_.clear();
  std::vector<rules::IpRange>().swap(ranges_);
  clause_terms_.clear();

  // The domain index (the largest) is built beside the others: they share
  // only the arena, which is read.
  constexpr int kDomain = static_cast<int>(IndicatorType::kDomain);
  std::thread domains([&] { s.values_[kDomain].Build(IndicatorType::kDomain, &entries[kDomain], arena_); });
  s.ips_.Build();
  for (int t = 0; t < feeds::kIndicatorTypeCount; ++t) {
    if (t != kDomain) s.values_[t].Build(static_cast<IndicatorType>(t), &entries[t], arena_);
  }
  domains.join();

  s.verify_.shrink_to_fit();
  s.verify_ranges_.shrink_to_fit();
  s.verify_clause_.shrink_to_fit();
  s.verify_begin_.shrink_to_fit();
  s.arena_ = std::move(arena_);
  s.records_ = std::move(records_);
  s.details_ = std::move(details_);
  s.clause_indicator_ = std::move(clause_indicator_);
  s.strings_ = std::move(strings_);
  s.profiles_ = std::move(profiles_);
  s.feeds_ = std::move(feeds_);
#ifdef __GLIBC__
  // Loading freed tens of MiB in pieces that glibc keeps for reuse; a
  // long-running scanner will not need them again.
  malloc_trim(0);
#endif
  return store;
}

IntelStoreBuilder::IntelStoreBuilder() : impl_(std::make_unique<IntelBuilderImpl>()) {}
IntelStoreBuilder::~IntelStoreBuilder() = default;

void IntelStoreBuilder::BeginFeed(std::string_view feed_name, const feeds::FeedOptions& options) {
  impl_->BeginFeed(feed_name, options);
}

void IntelStoreBuilder::Add(const feeds::Indicator& indicator) { impl_->Add(indicator); }

void IntelStoreBuilder::Attribute(std::string_view indicator_id, feeds::AttributionKind kind,
                                  std::string_view name) {
  impl_->Attribute(indicator_id, kind, name);
}

void IntelStoreBuilder::AttributePlaced(const feeds::PlacedAttribution& attribution,
                                        const std::function<std::string(uint32_t)>& id_of) {
  impl_->AttributePlaced(attribution, id_of);
}

std::shared_ptr<const IntelStore> IntelStoreBuilder::Build() {
  auto store = impl_->Build();
  impl_ = std::make_unique<IntelBuilderImpl>();
  return store;
}

size_t IntelStoreBuilder::size() const { return impl_->size(); }
size_t IntelStoreBuilder::dropped() const { return impl_->dropped(); }

}  // namespace kagami::intel
