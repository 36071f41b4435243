#pragma once
// Compact, allocation-free matchers for rule header address and port sets.
// Addresses become 128-bit integers (IPv4 in the IPv4-mapped block, as in
// IpAddress) so a set is a sorted vector of disjoint inclusive intervals and a
// lookup is one binary search with integer compares.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "rules/address_set.h"

namespace kagami::detect {

using AddrKey = unsigned __int128;

inline AddrKey KeyOf(const IpAddress& a) {
  uint64_t hi, lo;
  std::memcpy(&hi, a.bytes().data(), 8);
  std::memcpy(&lo, a.bytes().data() + 8, 8);
  return (static_cast<AddrKey>(__builtin_bswap64(hi)) << 64) | __builtin_bswap64(lo);
}

struct AddrInterval {
  AddrKey lo, hi;  // inclusive
};

class AddressMatcher {
 public:
  static AddressMatcher From(const rules::AddressSet& set);
  bool any() const { return any_; }
  bool Contains(AddrKey k) const {
    if (any_) return true;
    // First interval whose hi >= k.
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), k,
                               [](const AddrInterval& r, AddrKey v) { return r.hi < v; });
    return it != ranges_.end() && it->lo <= k;
  }
  const std::vector<AddrInterval>& intervals() const { return ranges_; }
  // Number of addresses covered (saturating, as a double): how selective the
  // set is, used to pick which side of a rule to index.
  double Coverage() const;

 private:
  bool any_ = true;
  std::vector<AddrInterval> ranges_;
};

class PortMatcher {
 public:
  static PortMatcher From(const rules::PortSet& set);
  bool any() const { return any_; }
  bool Contains(uint16_t p) const {
    if (any_) return true;
    for (const auto& r : ranges_) {
      if (p < r.first) return false;
      if (p <= r.second) return true;
    }
    return false;
  }

 private:
  bool any_ = true;
  std::vector<std::pair<uint16_t, uint16_t>> ranges_;  // sorted, disjoint
};

}  // namespace kagami::detect
