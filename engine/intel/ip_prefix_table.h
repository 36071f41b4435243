#pragma once
// IpPrefixTable: every value whose address range contains a given address.
//
// Ranges are split into CIDR blocks at load time. CIDR blocks never overlap
// partially (two blocks are disjoint or one contains the other), so they form
// a forest: each block's parent is the smallest block containing it. The
// address space is cut into elementary intervals at every block start and
// end + 1, and each interval remembers only its innermost block. A lookup is
// one binary search for the interval, then a walk up the parent chain; every
// block on the chain contains the address, so the walk visits exactly the
// matching blocks (nested CIDRs all fire) and each block is stored once,
// however deeply blocks nest.
//
// IPv4 (the IPv4-mapped block ::ffff:0:0/96 of IpAddress) lives in its own
// forest with 32-bit keys: four times denser than 128-bit keys, and a 2^16
// entry directory by the top 16 bits narrows the search to one /16. An IPv6
// block that covers the whole mapped block (::/0, ::/64...) is entered in the
// IPv4 forest as 0.0.0.0/0 as well.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/ip_address.h"
#include "rules/address_set.h"

namespace kagami::intel {

using Addr128 = unsigned __int128;

// An address as a 128-bit integer with numeric order equal to byte order.
Addr128 AddrKey(const IpAddress& a);
IpAddress AddrFromKey(Addr128 k);

// Calls f(block_lo, block_hi, prefix_len) for each CIDR block of [lo, hi]
// (lo <= hi), in address order, with the fewest blocks (at most 254).
template <class F>
void ForEachCidrBlock(Addr128 lo, Addr128 hi, F&& f);

// Text for an indicator value: "192.0.2.1", "10.0.0.0/8", "2001:db8::/32",
// or "10.0.0.1-10.0.0.9" for a range that is not one CIDR block. Writes at
// most kIpRangeTextMax bytes into buf, returns the length.
inline constexpr size_t kIpRangeTextMax = 100;
size_t FormatIpRange(const rules::IpRange& range, char* buf);

template <class Key>
class PrefixForest {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Entry {
    Key lo, hi;  // one CIDR block
    uint32_t value;
  };
  // Consumes the entries. Equal blocks share one node; a value listed twice
  // on one block is kept once.
  void Build(std::vector<Entry>* entries);

  // Values of every block containing k, innermost block first.
  template <class F>
  void ForEach(Key k, F&& f) const {
    for (uint32_t n = Innermost(k); n != kNone; n = parent_[n]) {
      for (uint32_t i = begin_[n], end = begin_[n + 1]; i < end; ++i) f(values_[i]);
    }
  }
  uint32_t Innermost(Key k) const {
    if (bounds_.empty()) return kNone;
    const size_t b = Bucket(k);
    auto first = bounds_.begin() + top_[b], last = bounds_.begin() + top_[b + 1];
    const size_t i = static_cast<size_t>(std::upper_bound(first, last, k) - bounds_.begin());
    return i == 0 ? kNone : inner_[i - 1];
  }

  bool empty() const { return parent_.empty(); }
  size_t node_count() const { return parent_.size(); }
  size_t interval_count() const { return bounds_.size(); }
  size_t memory_bytes() const;

 private:
  static constexpr int kBits = static_cast<int>(sizeof(Key) * 8);
  static constexpr size_t kBuckets = size_t{1} << 16;
  static size_t Bucket(Key k) { return static_cast<size_t>(k >> (kBits - 16)); }

  std::vector<Key> bounds_;       // sorted interval starts
  std::vector<uint32_t> inner_;   // per interval: innermost node, or kNone
  std::vector<uint32_t> top_;     // kBuckets + 1: first interval of each bucket
  std::vector<uint32_t> parent_;  // per node: smallest enclosing node, or kNone
  std::vector<uint32_t> begin_;   // per node + 1: values_[begin_[n], begin_[n + 1])
  std::vector<uint32_t> values_;
};

class IpPrefixTable {
 public:
  // Room for n ranges of one CIDR block each (a hint).
  void Reserve(size_t n);
  // Stages `value` for every address of the range (lo <= hi).
  void Add(const rules::IpRange& range, uint32_t value);
  void Build();  // makes the staged entries searchable

  template <class F>
  void ForEach(const IpAddress& a, F&& f) const {
    if (a.is_v4()) {
      v4_.ForEach(a.v4(), f);
    } else {
      v6_.ForEach(AddrKey(a), f);
    }
  }

  bool empty() const { return v4_.empty() && v6_.empty(); }
  size_t block_count() const { return v4_.node_count() + v6_.node_count(); }
  size_t memory_bytes() const;

 private:
  std::vector<PrefixForest<uint32_t>::Entry> v4_staged_;
  std::vector<PrefixForest<Addr128>::Entry> v6_staged_;
  PrefixForest<uint32_t> v4_;
  PrefixForest<Addr128> v6_;
};

// ---- implementation of the template above ----

inline int CountTrailingZeros128(Addr128 v) {  // v != 0
  const auto low = static_cast<uint64_t>(v);
  return low != 0 ? __builtin_ctzll(low) : 64 + __builtin_ctzll(static_cast<uint64_t>(v >> 64));
}

inline int FloorLog2_128(Addr128 v) {  // v != 0
  const auto high = static_cast<uint64_t>(v >> 64);
  return high != 0 ? 127 - __builtin_clzll(high) : 63 - __builtin_clzll(static_cast<uint64_t>(v));
}

template <class F>
void ForEachCidrBlock(Addr128 lo, Addr128 hi, F&& f) {
  const Addr128 kMax = ~Addr128{0};
  if (lo == 0 && hi == kMax) {
    f(lo, hi, 0);
    return;
  }
  for (;;) {
    // The largest block starting at lo that is aligned and ends by hi.
    const int align = lo == 0 ? 128 : CountTrailingZeros128(lo);
    const int k = std::min(align, FloorLog2_128(hi - lo + 1));
    const Addr128 end = lo + ((Addr128{1} << k) - 1);
    f(lo, end, 128 - k);
    if (end == hi) return;
    lo = end + 1;
  }
}

}  // namespace kagami::intel
