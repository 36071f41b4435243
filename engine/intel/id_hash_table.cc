#include "engine/intel/id_hash_table.h"

namespace kagami::intel {

void IdHashTable::Reserve(size_t n) {
  assert(size_ == 0);
  size_t slots = 16;
  while (slots * 5 < n * 8) slots *= 2;
  if (slots > slots_.size()) Allocate(slots);
}

void IdHashTable::Clear() {
  std::vector<Slot>().swap(slots_);
  mask_ = 0;
  size_ = 0;
}

void IdHashTable::Allocate(size_t slots) {
  slots_.assign(slots, Slot{0, kNone});
  mask_ = slots - 1;
}

void IdHashTable::Place(uint64_t h, uint32_t id) {
  size_t i = h & mask_;
  while (slots_[i].id != kNone) i = (i + 1) & mask_;
  slots_[i] = Slot{static_cast<uint32_t>(h >> 32), id};
}

}  // namespace kagami::intel
