#pragma once
// IntelBuilderImpl: the state and steps behind IntelStoreBuilder (declared in
// engine/intel/intel_store.h, the public header): what feed readers stream
// in, and the step that turns it into an IntelStore.
//
// Nothing of a feeds::Indicator is kept as such. Values go into one text
// arena; attribution combinations into shared profiles; per-indicator text
// (STIX id, name, description, reference) into a string table; each
// indicator becomes a 20-byte record, each clause an owner index, each term a
// 16-byte TermRef (IPv4 ranges inline). Add appends and looks up nothing per
// indicator but small caches (the STIX id table is built at the first
// Attribute), so loading streams at memory speed; Build merges duplicates (sorted by content hash), indexes
// every clause under its most selective term and drops the terms.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/intel/attribution_profile.h"
#include "engine/intel/id_hash_table.h"
#include "engine/intel/intel_records.h"
#include "engine/intel/intel_store.h"
#include "engine/intel/paged_array.h"
#include "engine/intel/string_table.h"
#include "engine/intel/text_arena.h"
#include "rules/address_set.h"
#include "rules/feeds/indicator.h"

namespace kagami::intel {

// The contracts of these calls are IntelStoreBuilder's.
class IntelBuilderImpl {
 public:
  IntelBuilderImpl();
  void BeginFeed(std::string_view feed_name, const feeds::FeedOptions& options);
  void Add(const feeds::Indicator& indicator);
  void Attribute(std::string_view indicator_id, feeds::AttributionKind kind, std::string_view name);
  void AttributePlaced(const feeds::PlacedAttribution& attribution,
                       const std::function<std::string(uint32_t)>& id_of);
  // Moves everything into a new store; the builder is unusable afterwards.
  std::shared_ptr<const IntelStore> Build();
  size_t size() const { return records_.size(); }
  size_t dropped() const { return dropped_; }

 private:
  struct PendingAttribution {
    uint16_t feed;
    feeds::AttributionKind kind;
    std::string indicator_id, name;
  };
  // Raw attribution fields seen recently and their profile: rows of a feed
  // mostly repeat a few combinations.
  struct ProfileCacheEntry {
    bool valid = false;
    std::vector<std::string> campaigns, intrusion_sets, malware, labels;
    std::string source;
    uint32_t profile = 0;
  };
  // (profile, kind, name) -> profile with that name added.
  struct AttributionCacheEntry {
    bool valid = false;
    uint32_t from = 0;
    feeds::AttributionKind kind = feeds::AttributionKind::kCampaign;
    std::string name;
    uint32_t to = 0;
  };

  void EnsureFeed();
  uint32_t Store(const feeds::Indicator& ind);  // Add's work: the new record, or kDropped
  bool UsableClause(const feeds::Clause& clause) const;
  bool AppendTerm(const feeds::Term& t);  // false when the arena is full
  uint32_t DetailFor(const feeds::Indicator& ind);
  IndicatorDetail DetailOf(uint32_t record) const;
  uint32_t StoreDetail(const IndicatorDetail& d);
  std::string_view StixIdOf(uint32_t record) const;
  uint32_t ProfileFor(const feeds::Indicator& ind);
  uint32_t WithAttribution(uint32_t profile, feeds::AttributionKind kind, std::string_view name);
  bool ApplyAttribution(uint16_t feed, std::string_view id, feeds::AttributionKind kind,
                        std::string_view name);
  // Builds stix_index_ over the records added so far (on the first
  // Attribute: feeds without relationships never pay for it).
  void IndexStixIds();

  // Duplicates (Build).
  // Content hash of a record's feed, STIX id and clauses [first, end).
  uint64_t ContentHash(uint32_t record, uint32_t first_clause, uint32_t end_clause) const;
  bool SameTerm(const TermRef& x, const TermRef& y) const;
  bool SameRecord(uint32_t a, uint32_t b) const;
  void ClausesOf(uint32_t record, uint32_t* first, uint32_t* end) const;
  void MergeInto(uint32_t keep, uint32_t dup);
  // Merges duplicates; returns old record -> new record (kDropped for merged ones).
  std::vector<uint32_t> MergeDuplicates();

  std::string_view Text(const TermRef& t) const { return arena_.Get(t.a, t.b); }
  rules::IpRange RangeOf(const TermRef& t) const;
  uint32_t ChooseAnchor(uint32_t first_term, uint32_t end_term) const;

  // What the store keeps.
  std::vector<FeedInfo> feeds_;
  TextArena arena_;
  PagedArray<IndicatorRecord> records_;
  PagedArray<IndicatorDetail, 14> details_;
  PagedArray<uint32_t> clause_indicator_;  // ascending: a record's clauses are adjacent
  StringTable strings_;
  ProfileTable profiles_;

  // Loading state, dropped by Build.
  uint16_t feed_ = 0;
  bool feed_open_ = false;
  bool feed_full_ = false;
  size_t dropped_ = 0;
  PagedArray<uint32_t> clause_terms_;  // clause c: terms_[clause_terms_[c], [c + 1])
  PagedArray<TermRef> terms_;
  // Per term: KeyHash of a string term's stored text (0 for the others),
  // computed on the loading thread; Build indexes by it and ContentHash
  // folds it in rather than hashing the text again.
  PagedArray<uint64_t> term_key_hash_;
  std::vector<rules::IpRange> ranges_;  // kIp terms outside IPv4
  PagedArray<uint32_t> delivered_;  // per Add since BeginFeed: its record, or kDropped
  PagedArray<uint64_t> content_hash_;  // per record: ContentHash, for MergeDuplicates
  IdHashTable stix_index_;    // (feed, STIX id) -> records, once stix_indexed_
  bool stix_indexed_ = false;
  // The id of the previous Attribute call and the records it found.
  bool attribute_memo_valid_ = false;
  uint16_t attribute_memo_feed_ = 0;
  std::string attribute_memo_id_;
  std::vector<uint32_t> attribute_memo_records_;
  IdHashTable detail_index_;  // details_ without a STIX id, by content
  std::vector<PendingAttribution> pending_;
  std::vector<uint32_t> usable_;  // usable clause indices of the indicator being added
  AttributionProfile scratch_;
  std::vector<ProfileCacheEntry> profile_cache_;  // direct-mapped by a hash of the fields
  size_t last_profile_slot_ = 0;
  std::vector<AttributionCacheEntry> attribution_cache_;
};

}  // namespace kagami::intel
