#include "engine/intel/string_table.h"

#include <cstring>

#include "engine/intel/intel_hash.h"

namespace kagami::intel {

namespace {
uint64_t TextHash(std::string_view s) { return Mix64(Fnv1a64(s)); }
}  // namespace

StringTable::StringTable() { Add(std::string_view()); }

uint32_t StringTable::Add(std::string_view s) {
  // Length as a base-128 varint (7 bits a byte, high bit = more follows).
  uint8_t prefix[5];
  size_t n = 0;
  uint64_t len = s.size();
  if (len > UINT32_MAX) return 0;
  do {
    prefix[n] = static_cast<uint8_t>(len & 0x7f);
    len >>= 7;
    if (len != 0) prefix[n] |= 0x80;
    ++n;
  } while (len != 0);
  const TextArena::Mark mark = text_.mark();
  uint32_t off;
  char* out;
  if (!text_.Allocate(n + s.size(), &off, &out)) return 0;
  if (off > kMaxId) {
    text_.Truncate(mark);
    return 0;
  }
  std::memcpy(out, prefix, n);
  if (!s.empty()) std::memcpy(out + n, s.data(), s.size());
  return off;
}

std::string_view StringTable::Get(uint32_t id) const {
  const auto* p = reinterpret_cast<const uint8_t*>(text_.Data(id));
  uint32_t len = 0;
  int shift = 0;
  for (;; shift += 7) {
    const uint8_t b = *p++;
    len |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  return std::string_view(reinterpret_cast<const char*>(p), len);
}

uint32_t StringTable::Intern(std::string_view s) {
  if (s.empty()) return 0;
  const uint64_t h = TextHash(s);
  uint32_t id = index_.Find(h, [&](uint32_t i) { return Get(i) == s; });
  if (id != IdHashTable::kNone) return id;
  id = Add(s);
  if (id == 0) return 0;
  index_.Insert(h, id, [this](uint32_t i) { return TextHash(Get(i)); });
  return id;
}

}  // namespace kagami::intel
