#include "engine/intel/intel_hash.h"

#include <cstring>

namespace kagami::intel {

namespace {

// Lower-cases the ASCII capitals of eight bytes at once: a byte gets 0x20
// when its low seven bits are in 'A'..'Z' and its top bit is clear. The
// additions cannot carry between bytes (each is at most 0x7f + 0x3f).
uint64_t LowerWord(uint64_t w) {
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL, kTop = 0x8080808080808080ULL;
  const uint64_t low = w & kLow7;
  const uint64_t at_least_a = low + 0x3f3f3f3f3f3f3f3fULL;  // top bit set from 'A' (0x41)
  const uint64_t beyond_z = low + 0x2525252525252525ULL;    // top bit set from '[' (0x5b)
  return w | (((at_least_a ^ beyond_z) & ~w & kTop) >> 2);
}

uint64_t WordStep(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 29);
}

}  // namespace

uint64_t SuffixHash(std::string_view s, bool fold) {
  uint64_t h = kFnvOffset;
  if (fold) {
    for (size_t i = s.size(); i-- > 0;) h = SuffixHashStep(h, LowerAscii(s[i]));
  } else {
    for (size_t i = s.size(); i-- > 0;) h = SuffixHashStep(h, s[i]);
  }
  return SuffixHashFinish(h);
}

uint64_t WordHash(std::string_view s, bool fold) {
  // The length goes in first, so zero padding of the last word is unambiguous.
  uint64_t h = WordStep(kFnvOffset, s.size());
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = WordStep(h, fold ? LowerWord(w) : w);
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = WordStep(h, fold ? LowerWord(w) : w);
  }
  return Mix64(h);
}

bool EqualsFolded(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (LowerAscii(text[i]) != lower[i]) return false;
  }
  return true;
}

}  // namespace kagami::intel
