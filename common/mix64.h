#pragma once
// Mix64: a 64-bit finaliser that spreads every input bit over the whole
// word, for hashes whose inputs are weak in some bits (FNV's low bits,
// small and alike key fields) and whose users read only some bits (a
// table's low bits, the worker choice's high bits).

#include <cstdint>

namespace kagami {

inline uint64_t Mix64(uint64_t h) {
  h ^= h >> 31;
  h *= 0x7fb5d329728ea185ULL;
  h ^= h >> 27;
  h *= 0x81dadef4bc2dd44dULL;
  h ^= h >> 33;
  return h;
}

}  // namespace kagami
