#include "engine/detect/address_index.h"

#include <algorithm>

namespace kagami::detect {

void AddressIndex::Build(std::vector<Entry> entries) {
  bounds_.clear();
  offsets_.clear();
  ids_.clear();
  if (entries.empty()) return;
  bounds_.reserve(entries.size() * 2);
  for (const auto& e : entries) {
    bounds_.push_back(e.lo);
    if (e.hi != ~AddrKey{0}) bounds_.push_back(e.hi + 1);
  }
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());

  auto first_interval = [&](AddrKey lo) {
    return static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), lo) - bounds_.begin());
  };
  // Interval index one past the last interval covered by [lo, hi].
  auto end_interval = [&](AddrKey hi) {
    if (hi == ~AddrKey{0}) return bounds_.size();
    return static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), hi + 1) - bounds_.begin());
  };

  // Sort by rule so each interval's list comes out sorted and a rule listed
  // twice (overlapping ranges of one set) can be dropped.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.rule != b.rule ? a.rule < b.rule : a.lo < b.lo;
  });
  std::vector<uint32_t> counts(bounds_.size() + 1, 0);
  std::vector<uint32_t> last_rule(bounds_.size(), UINT32_MAX);
  for (const auto& e : entries) {
    for (size_t i = first_interval(e.lo), end = end_interval(e.hi); i < end; ++i) {
      if (last_rule[i] == e.rule) continue;
      last_rule[i] = e.rule;
      ++counts[i];
    }
  }
  offsets_.assign(bounds_.size() + 1, 0);
  for (size_t i = 0; i < bounds_.size(); ++i) offsets_[i + 1] = offsets_[i] + counts[i];
  ids_.assign(offsets_.back(), 0);
  std::vector<uint32_t> fill(offsets_.begin(), offsets_.end() - 1);
  std::fill(last_rule.begin(), last_rule.end(), UINT32_MAX);
  for (const auto& e : entries) {
    for (size_t i = first_interval(e.lo), end = end_interval(e.hi); i < end; ++i) {
      if (last_rule[i] == e.rule) continue;
      last_rule[i] = e.rule;
      ids_[fill[i]++] = e.rule;
    }
  }
}

std::span<const uint32_t> AddressIndex::Lookup(AddrKey k) const {
  auto it = std::upper_bound(bounds_.begin(), bounds_.end(), k);
  if (it == bounds_.begin()) return {};
  size_t i = static_cast<size_t>(it - bounds_.begin()) - 1;
  return std::span<const uint32_t>(ids_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
}

}  // namespace kagami::detect
