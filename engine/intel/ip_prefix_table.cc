#include "engine/intel/ip_prefix_table.h"

#include <functional>

#include "common/radix_sort.h"

#include <cstring>

namespace kagami::intel {

namespace {
constexpr Addr128 kV4Lo = Addr128{0xffff} << 32;  // ::ffff:0.0.0.0
constexpr Addr128 kV4Hi = kV4Lo | 0xffffffffULL;   // ::ffff:255.255.255.255
}  // namespace

Addr128 AddrKey(const IpAddress& a) {
  Addr128 k = 0;
  for (uint8_t b : a.bytes()) k = (k << 8) | b;
  return k;
}

IpAddress AddrFromKey(Addr128 k) {
  uint8_t b[16];
  for (int i = 15; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(k);
    k >>= 8;
  }
  return IpAddress::FromV6Bytes(b);
}

size_t FormatIpRange(const rules::IpRange& range, char* buf) {
  size_t n = range.lo.Format(buf);
  if (range.lo == range.hi) return n;
  int blocks = 0, len = 0;
  ForEachCidrBlock(AddrKey(range.lo), AddrKey(range.hi), [&](Addr128, Addr128, int l) {
    ++blocks;
    len = l;
  });
  if (blocks == 1) {
    if (range.lo.is_v4()) len -= 96;
    buf[n++] = '/';
    const std::string digits = std::to_string(len);
    std::memcpy(buf + n, digits.data(), digits.size());
    return n + digits.size();
  }
  buf[n++] = '-';
  return n + range.hi.Format(buf + n);
}

namespace {

// An address key's most significant 64 bits, for RadixSort.
template <class Key>
uint64_t TopBits(Key k) {
  if constexpr (sizeof(Key) == 4) {
    return uint64_t{k} << 32;
  } else {
    return static_cast<uint64_t>(k >> 64);
  }
}

}  // namespace

template <class Key>
void PrefixForest<Key>::Build(std::vector<Entry>* entries) {
  bounds_.clear();
  inner_.clear();
  top_.clear();
  parent_.clear();
  begin_.clear();
  values_.clear();
  if (entries->empty()) return;

  // Wider blocks before the blocks they contain; equal blocks together.
  RadixSort(
      entries->data(), entries->data() + entries->size(), [](const Entry& e) { return TopBits(e.lo); },
      [](const Entry& a, const Entry& b) {
        if (a.lo != b.lo) return a.lo < b.lo;
        if (a.hi != b.hi) return a.hi > b.hi;
        return a.value < b.value;
      });
  std::vector<Key> node_lo, node_hi;
  values_.reserve(entries->size());
  for (size_t i = 0; i < entries->size(); ++i) {
    const Entry& e = (*entries)[i];
    if (i == 0 || e.lo != node_lo.back() || e.hi != node_hi.back()) {
      node_lo.push_back(e.lo);
      node_hi.push_back(e.hi);
      begin_.push_back(static_cast<uint32_t>(values_.size()));
    } else if (e.value == values_.back()) {
      continue;
    }
    values_.push_back(e.value);
  }
  begin_.push_back(static_cast<uint32_t>(values_.size()));
  values_.shrink_to_fit();
  begin_.shrink_to_fit();
  std::vector<Entry>().swap(*entries);

  const Key kMax = ~Key{0};
  bounds_.reserve(node_lo.size() * 2);
  for (size_t n = 0; n < node_lo.size(); ++n) {
    bounds_.push_back(node_lo[n]);
    if (node_hi[n] != kMax) bounds_.push_back(node_hi[n] + 1);
  }
  RadixSort(bounds_.data(), bounds_.data() + bounds_.size(), TopBits<Key>, std::less<Key>());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  bounds_.shrink_to_fit();

  // Sweep the intervals in order keeping the chain of open blocks; blocks
  // nest, so the chain is a stack and its top is the innermost block.
  parent_.assign(node_lo.size(), kNone);
  inner_.assign(bounds_.size(), kNone);
  std::vector<uint32_t> open;
  size_t next = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    const Key b = bounds_[i];
    while (!open.empty() && node_hi[open.back()] < b) open.pop_back();
    while (next < node_lo.size() && node_lo[next] == b) {
      parent_[next] = open.empty() ? kNone : open.back();
      open.push_back(static_cast<uint32_t>(next++));
    }
    if (!open.empty()) inner_[i] = open.back();
  }

  top_.assign(kBuckets + 1, 0);
  size_t i = 0;
  for (size_t t = 0; t < kBuckets; ++t) {
    while (i < bounds_.size() && Bucket(bounds_[i]) < t) ++i;
    top_[t] = static_cast<uint32_t>(i);
  }
  top_[kBuckets] = static_cast<uint32_t>(bounds_.size());
}

template <class Key>
size_t PrefixForest<Key>::memory_bytes() const {
  return bounds_.capacity() * sizeof(Key) +
         (inner_.capacity() + top_.capacity() + parent_.capacity() + begin_.capacity() +
          values_.capacity()) *
             sizeof(uint32_t);
}

template class PrefixForest<uint32_t>;
template class PrefixForest<Addr128>;

void IpPrefixTable::Reserve(size_t n) { v4_staged_.reserve(n); }

void IpPrefixTable::Add(const rules::IpRange& range, uint32_t value) {
  ForEachCidrBlock(AddrKey(range.lo), AddrKey(range.hi), [&](Addr128 lo, Addr128 hi, int) {
    if (lo >= kV4Lo && hi <= kV4Hi) {
      v4_staged_.push_back({static_cast<uint32_t>(lo), static_cast<uint32_t>(hi), value});
      return;
    }
    v6_staged_.push_back({lo, hi, value});
    if (lo <= kV4Lo && hi >= kV4Hi) v4_staged_.push_back({0, 0xffffffffU, value});
  });
}

void IpPrefixTable::Build() {
  v4_.Build(&v4_staged_);
  v6_.Build(&v6_staged_);
}

size_t IpPrefixTable::memory_bytes() const {
  return v4_.memory_bytes() + v6_.memory_bytes() +
         v4_staged_.capacity() * sizeof(v4_staged_[0]) +
         v6_staged_.capacity() * sizeof(v6_staged_[0]);
}

}  // namespace kagami::intel
