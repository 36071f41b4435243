#pragma once
// ValueIndex: exact text -> list of values (clause entries), for one
// indicator type. An open-addressed table keyed by the 64-bit KeyHash of the
// text holds, per distinct text, a handle:
//  - a key (kKeyBit set): the text's place in the arena and its run of
//    values in one flat array (CSR);
//  - or, for a text with a single value whose text the caller can produce
//    from the value itself (the indicator's own printable value), the value
//    directly: most texts, and they need neither key nor run.
// The text is compared before a handle counts, so hash collisions cannot
// produce false hits.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/intel/id_hash_table.h"
#include "engine/intel/text_arena.h"
#include "rules/feeds/indicator.h"

namespace kagami::intel {

class ValueIndex {
 public:
  // Values must leave this bit clear: it marks key handles.
  static constexpr uint32_t kKeyBit = 0x10000000;

  struct Entry {
    uint64_t hash;       // KeyHash of the text: sorts equal texts together
    uint32_t off, len;   // the text in the arena, in its stored (folded) form
    uint32_t value;
    bool direct;  // the caller can produce this text from the value
  };
  static Entry MakeEntry(feeds::IndicatorType type, const TextArena& arena, uint32_t off,
                         uint32_t len, uint32_t value, bool direct);
  // Consumes the entries (all of `type`); entries with equal text share one
  // handle, their values sorted and unique.
  void Build(feeds::IndicatorType type, std::vector<Entry>* entries, const TextArena& arena);

  // The values stored under the text whose KeyHash is h; the text is confirmed
  // by same_text(off, len) for keys and same_value(value) for direct values.
  template <class SameText, class SameValue>
  std::span<const uint32_t> Find(uint64_t h, SameText&& same_text, SameValue&& same_value) const {
    if (!MayHold(h)) return {};
    const uint32_t* handle = table_.FindSlot(h, [&](uint32_t id) {
      if (!(id & kKeyBit)) return same_value(id);
      const Key& k = keys_[id & ~kKeyBit];
      return same_text(k.off, k.len);
    });
    if (handle == nullptr) return {};
    if (!(*handle & kKeyBit)) return std::span<const uint32_t>(handle, 1);
    const uint32_t k = *handle & ~kKeyBit;
    return std::span<const uint32_t>(values_.data() + keys_[k].begin,
                                     keys_[k + 1].begin - keys_[k].begin);
  }

  // False when no stored text has hash h; true for every stored one and
  // for ~1% of the rest. Traffic mostly misses, and a miss answered here
  // reads one word of a small filter rather than a slot of a table many
  // times the cache.
  bool MayHold(uint64_t h) const {
    if (filter_.empty()) return false;
    const uint64_t g = FilterHash(h);
    const uint64_t bits = FilterBits(g);
    return (filter_[g >> filter_shift_] & bits) == bits;
  }

  bool empty() const { return table_.empty(); }
  size_t text_count() const { return table_.size(); }
  size_t key_count() const { return keys_.empty() ? 0 : keys_.size() - 1; }
  size_t memory_bytes() const;

 private:
  // Filter: a Bloom filter blocked to one 64-bit word per text, 4 bits set
  // in it, 16 bits per text (false positives ~1%, checked in one load).
  static uint64_t FilterHash(uint64_t h) { return (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL; }
  static uint64_t FilterBits(uint64_t g) {
    return (uint64_t{1} << (g & 63)) | (uint64_t{1} << ((g >> 6) & 63)) |
           (uint64_t{1} << ((g >> 12) & 63)) | (uint64_t{1} << ((g >> 18) & 63));
  }
  void BuildFilter(const std::vector<uint64_t>& hashes);

  struct Key {
    uint32_t off, len;  // text in the arena
    uint32_t begin;     // values_[begin, next key's begin)
  };
  IdHashTable table_;
  std::vector<Key> keys_;  // plus one sentinel closing the last run
  std::vector<uint32_t> values_;
  std::vector<uint64_t> filter_;  // a power of two words, indexed by the top bits of FilterHash
  int filter_shift_ = 64;
};

}  // namespace kagami::intel
