#pragma once
// AddressIndex: maps an address to the rules whose (indexed side) address set
// contains it, in O(log n) per lookup however many rules and ranges there are.
//
// Built as "elementary intervals": every range start and end+1 becomes a
// boundary; between two consecutive boundaries the set of covering rules is
// constant and stored once (CSR layout: offsets + one flat id array). Lookup
// is one binary search over the boundaries. A range is replicated into every
// elementary interval it spans, so only selective sets (IP lists, small
// CIDRs) should be indexed; wide sets belong on a per-class always-check list
// (see DetectEngineImpl's index policy).

#include <cstdint>
#include <span>
#include <vector>

#include "engine/detect/address_matcher.h"

namespace kagami::detect {

class AddressIndex {
 public:
  struct Entry {
    AddrKey lo, hi;  // inclusive
    uint32_t rule;
  };
  void Build(std::vector<Entry> entries);
  bool empty() const { return bounds_.empty(); }
  // Rules whose indexed set contains `k` (each at most once per interval).
  std::span<const uint32_t> Lookup(AddrKey k) const;
  size_t interval_count() const { return bounds_.size(); }
  size_t id_count() const { return ids_.size(); }

 private:
  std::vector<AddrKey> bounds_;    // sorted; interval i = [bounds_[i], bounds_[i+1])
  std::vector<uint32_t> offsets_;  // size bounds_.size() + 1
  std::vector<uint32_t> ids_;
};

}  // namespace kagami::detect
