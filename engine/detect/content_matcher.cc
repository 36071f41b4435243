#include "engine/detect/content_matcher.h"

#include <cstring>

namespace kagami::detect {
namespace {

inline uint8_t Lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

}  // namespace

bool ContentAt(const uint8_t* buf, int64_t pos, std::string_view pattern, bool nocase) {
  const uint8_t* p = buf + pos;
  if (!nocase) return std::memcmp(p, pattern.data(), pattern.size()) == 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (Lower(p[i]) != static_cast<uint8_t>(pattern[i])) return false;
  }
  return true;
}

int64_t FindContent(const uint8_t* buf, int64_t from, int64_t end, std::string_view pattern,
                    bool nocase) {
  const int64_t n = static_cast<int64_t>(pattern.size());
  if (from < 0) from = 0;
  if (n == 0) return from <= end ? from : -1;
  if (end - from < n) return -1;
  if (!nocase) {
    const void* hit = memmem(buf + from, static_cast<size_t>(end - from), pattern.data(), pattern.size());
    return hit ? static_cast<const uint8_t*>(hit) - buf : -1;
  }
  // Case-folded: scan for either case of the first byte, then compare.
  const uint8_t first = static_cast<uint8_t>(pattern[0]);
  const bool alpha = first >= 'a' && first <= 'z';
  const uint8_t upper = alpha ? first - 32 : first;
  const int64_t last = end - n;
  for (int64_t i = from; i <= last; ++i) {
    const uint8_t c = buf[i];
    if ((c == first || c == upper) && ContentAt(buf, i, pattern, true)) return i;
  }
  return -1;
}

}  // namespace kagami::detect
