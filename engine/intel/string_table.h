#pragma once
// StringTable: the text an indicator carries beyond its value (STIX id,
// name, description, reference). A string is stored once, length first, in a
// TextArena, and its id is its offset there: no per-string bookkeeping. Id 0
// is the empty string. Intern shares repeated strings (descriptions, report
// links); Add skips that for strings known to be unique (STIX ids), which
// would only fill the index. The index is needed only while loading.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/intel/id_hash_table.h"
#include "engine/intel/text_arena.h"

namespace kagami::intel {

class StringTable {
 public:
  // Ids stay below this (the top bit is free for callers to use as a flag).
  static constexpr uint32_t kMaxId = 0x7ffffffe;

  StringTable();
  // The id of `s`, adding it when new. Returns 0 (the empty string) when the
  // table is full.
  uint32_t Intern(std::string_view s);
  // Adds `s` without looking for an equal string.
  uint32_t Add(std::string_view s);
  std::string_view Get(uint32_t id) const;
  void DropIndex() { index_.Clear(); }
  size_t memory_bytes() const { return text_.memory_bytes() + index_.memory_bytes(); }

 private:
  TextArena text_;
  IdHashTable index_;
};

}  // namespace kagami::intel
