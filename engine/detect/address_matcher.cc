#include "engine/detect/address_matcher.h"

namespace kagami::detect {

AddressMatcher AddressMatcher::From(const rules::AddressSet& set) {
  AddressMatcher m;
  m.any_ = set.is_any();
  if (m.any_) return m;
  std::vector<AddrInterval> v;
  v.reserve(set.ranges().size());
  for (const auto& r : set.ranges()) {
    AddrKey lo = KeyOf(r.lo), hi = KeyOf(r.hi);
    if (lo > hi) std::swap(lo, hi);
    v.push_back({lo, hi});
  }
  // The rules model promises sorted, merged ranges; re-establish it cheaply so
  // Contains() never depends on that promise.
  std::sort(v.begin(), v.end(), [](const AddrInterval& a, const AddrInterval& b) { return a.lo < b.lo; });
  for (const auto& r : v) {
    if (!m.ranges_.empty() && (m.ranges_.back().hi == ~AddrKey{0} || r.lo <= m.ranges_.back().hi + 1)) {
      m.ranges_.back().hi = std::max(m.ranges_.back().hi, r.hi);
    } else {
      m.ranges_.push_back(r);
    }
  }
  return m;
}

double AddressMatcher::Coverage() const {
  if (any_) return 3.4e38;
  double total = 0;
  for (const auto& r : ranges_) total += static_cast<double>(r.hi - r.lo) + 1.0;
  return total;
}

PortMatcher PortMatcher::From(const rules::PortSet& set) {
  PortMatcher m;
  m.any_ = set.is_any();
  if (m.any_) return m;
  auto v = set.ranges();
  for (auto& r : v) {
    if (r.first > r.second) std::swap(r.first, r.second);
  }
  std::sort(v.begin(), v.end());
  for (const auto& r : v) {
    if (!m.ranges_.empty() && r.first <= m.ranges_.back().second + 1u) {
      m.ranges_.back().second = std::max(m.ranges_.back().second, r.second);
    } else {
      m.ranges_.push_back(r);
    }
  }
  return m;
}

}  // namespace kagami::detect
