#pragma once
// The public face of engine/intel.
//
// IntelStore: the indicators of every loaded feed in a compact, read-only
// form, shared by all packet workers (shared_ptr<const IntelStore>; every
// const member may run on many threads at once), and the lookups the packet
// pipeline runs against it: addresses of a new flow, and values seen in
// traffic (DNS names, SNI, Host, URLs, user agents, JA3/JA4, certificate and
// file digests). Lookups allocate nothing; within one call an indicator is
// reported at most once per field.
//
// IntelStoreBuilder: the feeds::IndicatorSink feed readers stream into; Build
// turns what they delivered into an IntelStore. See engine/intel/README.md
// for the layout, the matching semantics and the sid scheme.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "engine/intel/attribution_profile.h"
#include "engine/intel/intel_records.h"
#include "engine/intel/ip_prefix_table.h"
#include "engine/intel/paged_array.h"
#include "engine/intel/string_table.h"
#include "engine/intel/text_arena.h"
#include "engine/intel/value_index.h"
#include "engine/intel/where.h"
#include "rules/address_set.h"
#include "rules/feeds/indicator.h"

namespace kagami::intel {

inline constexpr uint32_t kIntelGid = 9000;  // EVE alert.gid of every indicator alert

// What the caller knows when asking; the terms of a clause beyond the one
// that was looked up are verified against it.
struct Facts {
  IpAddress src, dst;  // src = flow initiator
  uint16_t sport = 0, dport = 0;
  bool has_ports = false;
  // Values already seen in the same event, in the form MatchValue takes;
  // empty = unknown (a term needing it does not hold).
  std::string_view values[kWhereCount];
};

class IntelBuilderImpl;  // engine/intel/intel_builder.h

struct Hit {
  uint32_t indicator;
  Where where;
  bool operator==(const Hit&) const = default;
};

class IntelStore {
 public:
  IntelStore() = default;  // empty
  IntelStore(const IntelStore&) = delete;
  IntelStore& operator=(const IntelStore&) = delete;

  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  // Terms of the stored indicators per type.
  size_t count(feeds::IndicatorType t) const { return counts_[static_cast<int>(t)]; }
  // Some indicator has a term this field can satisfy: the pipeline skips
  // extracting (or asking about) fields nobody wants.
  bool wants(Where w) const { return (wants_ >> static_cast<int>(w)) & 1; }

  // Addresses of a new flow: every indicator whose address range contains
  // facts.src (Hit kIpSrc) or facts.dst (kIpDst), nested ranges included;
  // clauses with more terms are verified against facts. Appends to *out.
  void MatchFlow(const Facts& facts, std::vector<Hit>* out) const;

  // A value seen in traffic at `where`; appends the hits to *out without
  // allocating (beyond *out's own growth).
  //  - domains (dns.query, dns.answer, tls.sni, http.host): case and
  //    trailing dots ignored; the name and each parent suffix are looked up,
  //    a parent counting only when the indicator's feed matches subdomains;
  //  - http.url: the key from feeds::UrlKeyForRequest; looked up as is and
  //    without its query;
  //  - JA3/JA3S/JA4, certificate and file digests: case-insensitive;
  //  - http.user_agent: exact bytes;
  //  - ip.src / ip.dst: an address in text, matched like MatchFlow's side.
  void MatchValue(Where where, std::string_view value, const Facts& facts,
                  std::vector<Hit>* out) const;

  // For alert output (sid: engine/intel/indicator_sid.h).
  struct View {
    uint32_t sid = 0;
    uint32_t rev = 1;
    feeds::IndicatorType type = feeds::IndicatorType::kIp;
    std::string_view value;  // printable: "10.0.0.0/8", domain, url key, hash
    std::string_view name;   // may be empty
    std::string_view stix_id;
    std::string_view feed;
    std::string_view source;
    std::string_view reference;
    std::string_view description;
    int confidence = -1;
    std::span<const std::string> campaigns, intrusion_sets, malware, labels;
  };
  View view(uint32_t indicator) const;
  // "KAGAMI INTEL <name>" for a named (STIX) indicator, else "KAGAMI INTEL
  // <type> <value>"; then " (<group> / <family>)": the first intrusion set,
  // else campaign, and the first malware family, each left out when the
  // name already says it.
  std::string Signature(uint32_t indicator) const;

  size_t memory_bytes() const;

 private:
  friend class IntelBuilderImpl;

  std::string_view Text(uint32_t off, uint32_t len) const { return arena_.Get(off, len); }
  // The text a direct ValueIndex entry stands for: its indicator's value.
  std::string_view EntryText(uint32_t entry) const {
    const IndicatorRecord& r = records_[clause_indicator_[entry & kClauseMask]];
    return arena_.Get(r.value_off, r.value_len);
  }
  void MatchAddress(const IpAddress& a, feeds::Side side, const Facts& facts, size_t first,
                    std::vector<Hit>* out) const;
  void MatchDomain(Where where, std::string_view name, const Facts& facts, size_t first,
                   std::vector<Hit>* out) const;
  void MatchExact(Where where, std::string_view value, bool fold, const Facts& facts,
                  size_t first, std::vector<Hit>* out) const;
  // `entry` is a clause id with its flags from an index. Verifies the
  // clause's other terms and appends a hit unless one of out[first..]
  // already names the same indicator and field.
  void Emit(uint32_t entry, Where where, const Facts& facts, size_t first,
            std::vector<Hit>* out) const;
  bool Holds(const TermRef& t, uint32_t clause, const Facts& facts) const;
  bool SubdomainsAllowed(uint32_t clause) const {
    return feeds_[records_[clause_indicator_[clause]].feed].match_subdomains;
  }

  TextArena arena_;  // term values and printable values
  PagedArray<IndicatorRecord> records_;
  PagedArray<IndicatorDetail, 14> details_;
  StringTable strings_;
  ProfileTable profiles_;
  std::vector<FeedInfo> feeds_;

  // Clauses: the indicator each belongs to. Few clauses have terms beyond
  // the one they are indexed under (kVerifyBit); those are listed in
  // verify_clause_ (ascending) with their terms in
  // verify_[verify_begin_[i], verify_begin_[i + 1]).
  PagedArray<uint32_t> clause_indicator_;
  std::vector<uint32_t> verify_clause_;
  std::vector<uint32_t> verify_begin_;
  std::vector<TermRef> verify_;
  std::vector<rules::IpRange> verify_ranges_;  // kIp terms of verify_ (TermRef::a)

  IpPrefixTable ips_;
  ValueIndex values_[feeds::kIndicatorTypeCount];  // string types only
  size_t counts_[feeds::kIndicatorTypeCount] = {};
  uint32_t wants_ = 0;  // bit per Where
};

class IntelStoreBuilder : public feeds::IndicatorSink {
 public:
  IntelStoreBuilder();
  ~IntelStoreBuilder() override;

  // Subsequent Add/Attribute calls belong to this feed (its name is shown in
  // alerts, e.g. the file's basename) read with these options. Calling it
  // again with the same name and match_subdomains continues that feed.
  // Indicators added before any BeginFeed belong to a feed named "".
  void BeginFeed(std::string_view feed_name, const feeds::FeedOptions& options);

  // Keeps a compact copy. The same indicator delivered twice by one feed
  // (same STIX id or none, same clauses) becomes one indicator at Build, with
  // the attribution of both; the same value in two feeds stays two.
  void Add(const feeds::Indicator& indicator) override;
  // Adds a campaign / intrusion set / malware name to the current feed's
  // indicator(s) with this STIX id. An id not added yet is remembered and
  // applied at Build, so the order of objects in a bundle does not matter.
  void Attribute(std::string_view indicator_id, feeds::AttributionKind kind,
                 std::string_view name) override;
  // The same for a whole feed, each indicator named by its place among the
  // feed's Adds since BeginFeed, so no search by id (a STIX bundle of a
  // million indicators is attributed without an id index); a place past
  // those Adds falls back to Attribute(id_of(place), ...).
  void AttributePlaced(const feeds::PlacedAttribution& attribution,
                       const std::function<std::string(uint32_t)>& id_of) override;

  // The store of everything added; leaves the builder empty.
  std::shared_ptr<const IntelStore> Build();

  size_t size() const;  // indicators added so far (Build merges duplicates)
  // Indicators that could not be stored: no clause with a matchable term
  // (port-only or empty clauses), more than 65,535 feeds, or past the size
  // limits (2^28 clauses, 4 GiB of value text).
  size_t dropped() const;

 private:
  std::unique_ptr<IntelBuilderImpl> impl_;
};

}  // namespace kagami::intel
