#include "rules/address_set.h"

#include <algorithm>

namespace kagami::rules {
namespace {

// Addresses as 128-bit integers make range arithmetic (gaps, adjacency) plain.
using U128 = unsigned __int128;
constexpr U128 kMaxU128 = ~U128{0};

U128 ToInt(const IpAddress& a) {
  U128 v = 0;
  for (uint8_t byte : a.bytes()) v = (v << 8) | byte;
  return v;
}

IpAddress FromInt(U128 v) {
  uint8_t b[16];
  for (int i = 15; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return IpAddress::FromV6Bytes(b);
}

struct IntRange {
  U128 lo, hi;
};

// Sorts and merges overlapping or adjacent ranges.
std::vector<IntRange> Normalize(std::vector<IntRange> r) {
  std::sort(r.begin(), r.end(), [](const IntRange& a, const IntRange& b) { return a.lo < b.lo; });
  std::vector<IntRange> out;
  out.reserve(r.size());
  for (const IntRange& x : r) {
    if (!out.empty() && (out.back().hi == kMaxU128 || x.lo <= out.back().hi + 1)) {
      out.back().hi = std::max(out.back().hi, x.hi);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

std::vector<IntRange> ToInts(const std::vector<IpRange>& r) {
  std::vector<IntRange> out;
  out.reserve(r.size());
  for (const IpRange& x : r) out.push_back({ToInt(x.lo), ToInt(x.hi)});
  return out;
}

std::vector<IntRange> ComplementInts(const std::vector<IntRange>& r) {
  std::vector<IntRange> out;
  U128 next = 0;
  bool done = false;
  for (const IntRange& x : r) {
    if (x.lo > next) out.push_back({next, x.lo - 1});
    if (x.hi == kMaxU128) {
      done = true;
      break;
    }
    next = x.hi + 1;
  }
  if (!done) out.push_back({next, kMaxU128});
  return out;
}

std::vector<IntRange> IntersectInts(const std::vector<IntRange>& a, const std::vector<IntRange>& b) {
  std::vector<IntRange> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    U128 lo = std::max(a[i].lo, b[j].lo);
    U128 hi = std::min(a[i].hi, b[j].hi);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].hi < b[j].hi) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

bool IsFull(const std::vector<IntRange>& r) {
  return r.size() == 1 && r[0].lo == 0 && r[0].hi == kMaxU128;
}

AddressSet Build(std::vector<IntRange> r) {
  std::vector<IpRange> out;
  if (IsFull(r)) return AddressSet::Any();
  out.reserve(r.size());
  for (const IntRange& x : r) out.push_back({FromInt(x.lo), FromInt(x.hi)});
  return AddressSet::FromRanges(std::move(out));
}

}  // namespace

AddressSet AddressSet::Any() {
  AddressSet s;
  s.any_ = true;
  return s;
}

AddressSet AddressSet::FromRanges(std::vector<IpRange> ranges) {
  for (IpRange& r : ranges) {
    if (r.hi < r.lo) std::swap(r.lo, r.hi);
  }
  std::vector<IntRange> merged = Normalize(ToInts(ranges));
  AddressSet s;
  if (IsFull(merged)) {
    s.any_ = true;
    return s;
  }
  s.ranges_.reserve(merged.size());
  for (const IntRange& x : merged) s.ranges_.push_back({FromInt(x.lo), FromInt(x.hi)});
  return s;
}

bool AddressSet::Contains(const IpAddress& a) const {
  if (any_) return true;
  // First range whose hi >= a; it contains a when its lo <= a.
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), a,
                             [](const IpRange& r, const IpAddress& x) { return r.hi < x; });
  return it != ranges_.end() && !(a < it->lo);
}

AddressSet AddressSet::Complement() const {
  if (any_) return AddressSet();
  return Build(ComplementInts(ToInts(ranges_)));
}

AddressSet AddressSet::Union(const AddressSet& o) const {
  if (any_ || o.any_) return Any();
  std::vector<IntRange> all = ToInts(ranges_);
  std::vector<IntRange> b = ToInts(o.ranges_);
  all.insert(all.end(), b.begin(), b.end());
  return Build(Normalize(std::move(all)));
}

AddressSet AddressSet::Minus(const AddressSet& o) const {
  if (o.any_) return AddressSet();
  if (o.empty()) return *this;
  std::vector<IntRange> a = any_ ? std::vector<IntRange>{{0, kMaxU128}} : ToInts(ranges_);
  return Build(IntersectInts(a, ComplementInts(ToInts(o.ranges_))));
}

// ---- PortSet ----

namespace {
using PortRange = std::pair<uint16_t, uint16_t>;

std::vector<PortRange> NormalizePorts(std::vector<PortRange> r) {
  for (PortRange& x : r) {
    if (x.second < x.first) std::swap(x.first, x.second);
  }
  std::sort(r.begin(), r.end());
  std::vector<PortRange> out;
  out.reserve(r.size());
  for (const PortRange& x : r) {
    if (!out.empty() && uint32_t{x.first} <= uint32_t{out.back().second} + 1) {
      out.back().second = std::max(out.back().second, x.second);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

std::vector<PortRange> ComplementPorts(const std::vector<PortRange>& r) {
  std::vector<PortRange> out;
  uint32_t next = 0;
  for (const PortRange& x : r) {
    if (x.first > next) out.push_back({static_cast<uint16_t>(next), static_cast<uint16_t>(x.first - 1)});
    next = uint32_t{x.second} + 1;
  }
  if (next <= 65535) out.push_back({static_cast<uint16_t>(next), 65535});
  return out;
}

std::vector<PortRange> IntersectPorts(const std::vector<PortRange>& a, const std::vector<PortRange>& b) {
  std::vector<PortRange> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    uint16_t lo = std::max(a[i].first, b[j].first);
    uint16_t hi = std::min(a[i].second, b[j].second);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].second < b[j].second) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

PortSet BuildPorts(std::vector<PortRange> r) { return PortSet::FromRanges(std::move(r)); }
}  // namespace

PortSet PortSet::Any() {
  PortSet s;
  s.any_ = true;
  return s;
}

PortSet PortSet::FromRanges(std::vector<std::pair<uint16_t, uint16_t>> ranges) {
  PortSet s;
  s.ranges_ = NormalizePorts(std::move(ranges));
  if (s.ranges_.size() == 1 && s.ranges_[0].first == 0 && s.ranges_[0].second == 65535) {
    s.ranges_.clear();
    s.any_ = true;
  }
  return s;
}

bool PortSet::Contains(uint16_t port) const {
  if (any_) return true;
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), port,
                             [](const PortRange& r, uint16_t p) { return r.second < p; });
  return it != ranges_.end() && it->first <= port;
}

PortSet PortSet::Complement() const {
  if (any_) return PortSet();
  return BuildPorts(ComplementPorts(ranges_));
}

PortSet PortSet::Union(const PortSet& o) const {
  if (any_ || o.any_) return Any();
  std::vector<PortRange> all = ranges_;
  all.insert(all.end(), o.ranges_.begin(), o.ranges_.end());
  return BuildPorts(std::move(all));
}

PortSet PortSet::Minus(const PortSet& o) const {
  if (o.any_) return PortSet();
  if (o.empty()) return *this;
  std::vector<PortRange> a = any_ ? std::vector<PortRange>{{0, 65535}} : ranges_;
  return BuildPorts(IntersectPorts(a, ComplementPorts(o.ranges_)));
}

}  // namespace kagami::rules
