#pragma once
// IdHashTable: an open-addressed (linear probing) set of 32-bit ids keyed by
// a 64-bit hash, for tables whose keys live elsewhere (an arena, a vector of
// records). A slot is 8 bytes: 32 bits of the hash as a tag and the id; the
// caller confirms a candidate with its own equality test, so hash collisions
// never produce wrong answers. Growing needs each stored id's hash again,
// which the caller recomputes (hash_of); a table sized up front with Reserve
// never grows.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace kagami::intel {

class IdHashTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  IdHashTable() = default;
  IdHashTable(IdHashTable&& o) noexcept { *this = std::move(o); }
  IdHashTable& operator=(IdHashTable&& o) noexcept {  // leaves `o` empty
    slots_ = std::move(o.slots_);
    mask_ = o.mask_;
    size_ = o.size_;
    o.Clear();
    return *this;
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Room for n ids without growing; only on an empty table.
  void Reserve(size_t n);
  void Clear();

  // The first stored id with this hash for which eq(id) holds, or kNone.
  template <class Eq>
  uint32_t Find(uint64_t h, Eq&& eq) const {
    const uint32_t* id = FindSlot(h, eq);
    return id == nullptr ? kNone : *id;
  }
  // The same, as the table's own copy of the id (stable until the table
  // changes); nullptr when there is none.
  template <class Eq>
  const uint32_t* FindSlot(uint64_t h, Eq&& eq) const {
    if (slots_.empty()) return nullptr;
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNone) return nullptr;
      if (s.tag == tag && eq(s.id)) return &s.id;
    }
  }

  // Calls f(id) for every stored id with this hash for which eq(id) holds
  // (for tables that keep several ids under one key).
  template <class Eq, class F>
  void ForEachMatch(uint64_t h, Eq&& eq, F&& f) const {
    if (slots_.empty()) return;
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNone) return;
      if (s.tag == tag && eq(s.id)) f(s.id);
    }
  }

  // Stores `id` under `h` (the caller has checked it is not there yet).
  // hash_of(id) must return the hash every stored id was inserted with.
  template <class HashOf>
  void Insert(uint64_t h, uint32_t id, HashOf&& hash_of) {
    if ((size_ + 1) * 8 > slots_.size() * 5) {  // keep the load under 5/8
      std::vector<Slot> old;
      old.swap(slots_);
      Allocate(old.empty() ? 16 : old.size() * 2);
      for (const Slot& s : old) {
        if (s.id != kNone) Place(hash_of(s.id), s.id);
      }
    }
    Place(h, id);
    ++size_;
  }

  // Insert into a table Reserve()d for at least size() + 1 ids: no growth,
  // so no hash_of needed.
  void InsertReserved(uint64_t h, uint32_t id) {
    assert((size_ + 1) * 8 <= slots_.size() * 5);
    Place(h, id);
    ++size_;
  }

  // Starts fetching the slot a probe for `h` begins at: callers inserting
  // or looking up many keys in a row hide the cache miss behind other work.
  void Prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & mask_], 1);
  }

  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t tag;
    uint32_t id;
  };
  void Allocate(size_t slots);  // a power of two
  void Place(uint64_t h, uint32_t id);

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace kagami::intel
