#include "engine/intel/value_index.h"

#include <algorithm>
#include <string_view>

#include "common/radix_sort.h"
#include "engine/intel/intel_hash.h"

namespace kagami::intel {

ValueIndex::Entry ValueIndex::MakeEntry(feeds::IndicatorType type, const TextArena& arena,
                                        uint32_t off, uint32_t len, uint32_t value, bool direct) {
  const uint64_t h = KeyHash(type, arena.Get(off, len), /*fold=*/false);
  return Entry{h, off, len, value, direct};
}

void ValueIndex::Build(feeds::IndicatorType type, std::vector<Entry>* entries,
                       const TextArena& arena) {
  table_.Clear();
  keys_.clear();
  values_.clear();
  filter_.clear();
  if (entries->empty()) return;
  auto text = [&arena](const Entry& e) { return arena.Get(e.off, e.len); };
  // Hash first; equal hashes are ordered by text so equal texts are adjacent
  // even when two different texts share a hash.
  RadixSort(
      entries->data(), entries->data() + entries->size(), [](const Entry& e) { return e.hash; },
      [&](const Entry& a, const Entry& b) {
        if (a.hash != b.hash) return a.hash < b.hash;
        if (const int c = text(a).compare(text(b)); c != 0) return c < 0;
        return a.value < b.value;
      });
  // One handle per distinct text: (first entry, handle).
  std::vector<std::pair<uint32_t, uint32_t>> handles;
  for (size_t i = 0; i < entries->size();) {
    const Entry& e = (*entries)[i];
    size_t j = i + 1;
    while (j < entries->size() && (*entries)[j].hash == e.hash &&
           text((*entries)[j]) == text(e)) {
      ++j;
    }
    const bool single = std::all_of(entries->begin() + static_cast<std::ptrdiff_t>(i + 1),
                                    entries->begin() + static_cast<std::ptrdiff_t>(j),
                                    [&](const Entry& x) { return x.value == e.value; });
    if (single && e.direct) {
      handles.emplace_back(static_cast<uint32_t>(i), e.value);
    } else {
      handles.emplace_back(static_cast<uint32_t>(i),
                           kKeyBit | static_cast<uint32_t>(keys_.size()));
      keys_.push_back(Key{e.off, e.len, static_cast<uint32_t>(values_.size())});
      for (size_t k = i; k < j; ++k) {
        if (k == i || (*entries)[k].value != (*entries)[k - 1].value) {
          values_.push_back((*entries)[k].value);
        }
      }
    }
    i = j;
  }
  keys_.push_back(Key{0, 0, static_cast<uint32_t>(values_.size())});
  keys_.shrink_to_fit();
  values_.shrink_to_fit();
  table_.Reserve(handles.size());
  std::vector<uint64_t> hashes;
  hashes.reserve(handles.size());
  for (const auto& [first, handle] : handles) hashes.push_back((*entries)[first].hash);
  // Slots are fetched a few inserts ahead: a million random inserts would
  // otherwise wait on a cache miss each.
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < handles.size(); ++i) {
    if (i + kAhead < hashes.size()) table_.Prefetch(hashes[i + kAhead]);
    table_.InsertReserved(hashes[i], handles[i].second);
  }
  std::vector<Entry>().swap(*entries);
  BuildFilter(hashes);
}

void ValueIndex::BuildFilter(const std::vector<uint64_t>& hashes) {
  size_t words = 2;  // at least one index bit: a shift by 64 is undefined
  int bits = 1;
  while (words * 64 < hashes.size() * 16) {
    words *= 2;
    ++bits;
  }
  filter_.assign(words, 0);
  filter_shift_ = 64 - bits;
  for (const uint64_t h : hashes) {
    const uint64_t g = FilterHash(h);
    filter_[g >> filter_shift_] |= FilterBits(g);
  }
}

size_t ValueIndex::memory_bytes() const {
  return table_.memory_bytes() + keys_.capacity() * sizeof(Key) +
         values_.capacity() * sizeof(uint32_t) + filter_.capacity() * sizeof(uint64_t);
}

}  // namespace kagami::intel
