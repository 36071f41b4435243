#include "engine/detect/content_matcher.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kagami::detect {
namespace {

inline uint8_t Lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
inline uint8_t Upper(uint8_t c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }

// Candidate starts are the positions whose first and last bytes both fit
// the pattern's (either case of each when nocase): 16 or 32 positions are
// tested at once and only the few that pass are compared whole. Verifying
// rules spends much of its time here (a content step scans its buffer), and
// a byte-at-a-time loop made it half the cost of running ET Open.
struct Search {
  const uint8_t* buf;
  int64_t last;  // the last start that leaves room for the pattern
  std::string_view pattern;
  uint8_t first, first_alt, last_byte, last_byte_alt;
};

template <bool kNocase>
Search MakeSearch(const uint8_t* buf, int64_t end, std::string_view pattern) {
  const auto* pat = reinterpret_cast<const uint8_t*>(pattern.data());
  const uint8_t first = pat[0], last_byte = pat[pattern.size() - 1];
  return Search{buf, end - static_cast<int64_t>(pattern.size()), pattern, first, kNocase ? Upper(first) : first,
                last_byte, kNocase ? Upper(last_byte) : last_byte};
}

#if defined(__x86_64__)
// Tests starts from *i in blocks of 32 while a block's loads stay below the
// buffer end; *i is left at the first start not tested. Returns the match or -1.
template <bool kNocase>
[[gnu::target("avx2")]] int64_t Blocks32(const Search& s, int64_t* i) {
  const int64_t n = static_cast<int64_t>(s.pattern.size());
  const __m256i f0 = _mm256_set1_epi8(static_cast<char>(s.first));
  const __m256i f1 = _mm256_set1_epi8(static_cast<char>(s.first_alt));
  const __m256i l0 = _mm256_set1_epi8(static_cast<char>(s.last_byte));
  const __m256i l1 = _mm256_set1_epi8(static_cast<char>(s.last_byte_alt));
  for (; *i + 31 <= s.last; *i += 32) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.buf + *i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.buf + *i + n - 1));
    __m256i fa = _mm256_cmpeq_epi8(a, f0), lb = _mm256_cmpeq_epi8(b, l0);
    if (kNocase) {
      fa = _mm256_or_si256(fa, _mm256_cmpeq_epi8(a, f1));
      lb = _mm256_or_si256(lb, _mm256_cmpeq_epi8(b, l1));
    }
    auto mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_and_si256(fa, lb)));
    while (mask != 0) {
      const int64_t at = *i + __builtin_ctz(mask);
      if (ContentAt(s.buf, at, s.pattern, kNocase)) return at;
      mask &= mask - 1;
    }
  }
  return -1;
}

// The same with SSE2 (every x86-64 CPU), 16 starts at a time.
template <bool kNocase>
int64_t Blocks16(const Search& s, int64_t* i) {
  const int64_t n = static_cast<int64_t>(s.pattern.size());
  const __m128i f0 = _mm_set1_epi8(static_cast<char>(s.first)), f1 = _mm_set1_epi8(static_cast<char>(s.first_alt));
  const __m128i l0 = _mm_set1_epi8(static_cast<char>(s.last_byte)), l1 = _mm_set1_epi8(static_cast<char>(s.last_byte_alt));
  for (; *i + 15 <= s.last; *i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.buf + *i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.buf + *i + n - 1));
    __m128i fa = _mm_cmpeq_epi8(a, f0), lb = _mm_cmpeq_epi8(b, l0);
    if (kNocase) {
      fa = _mm_or_si128(fa, _mm_cmpeq_epi8(a, f1));
      lb = _mm_or_si128(lb, _mm_cmpeq_epi8(b, l1));
    }
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(fa, lb)));
    while (mask != 0) {
      const int64_t at = *i + __builtin_ctz(mask);
      if (ContentAt(s.buf, at, s.pattern, kNocase)) return at;
      mask &= mask - 1;
    }
  }
  return -1;
}
#endif

template <bool kNocase>
int64_t Find(const uint8_t* buf, int64_t from, int64_t end, std::string_view pattern, SearchWidth width) {
  const Search s = MakeSearch<kNocase>(buf, end, pattern);
  int64_t i = from;
#if defined(__x86_64__)
  int64_t hit = -1;
  if (width == SearchWidth::k32) hit = Blocks32<kNocase>(s, &i);
  else if (width == SearchWidth::k16) hit = Blocks16<kNocase>(s, &i);
  if (hit >= 0) return hit;
#endif
  for (; i <= s.last; ++i) {
    const uint8_t c = buf[i];
    if ((c == s.first || c == s.first_alt) && ContentAt(buf, i, pattern, kNocase)) return i;
  }
  return -1;
}

}  // namespace

bool ContentAt(const uint8_t* buf, int64_t pos, std::string_view pattern, bool nocase) {
  const uint8_t* p = buf + pos;
  if (!nocase) return std::memcmp(p, pattern.data(), pattern.size()) == 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (Lower(p[i]) != static_cast<uint8_t>(pattern[i])) return false;
  }
  return true;
}

SearchWidth BestSearchWidth() {
#if defined(__x86_64__)
  static const SearchWidth best = __builtin_cpu_supports("avx2") ? SearchWidth::k32 : SearchWidth::k16;
  return best;
#else
  return SearchWidth::k1;
#endif
}

int64_t FindContent(const uint8_t* buf, int64_t from, int64_t end, std::string_view pattern, bool nocase,
                    SearchWidth width) {
  const int64_t n = static_cast<int64_t>(pattern.size());
  if (from < 0) from = 0;
  if (n == 0) return from <= end ? from : -1;
  if (end - from < n) return -1;
  return nocase ? Find<true>(buf, from, end, pattern, width) : Find<false>(buf, from, end, pattern, width);
}

int64_t FindContent(const uint8_t* buf, int64_t from, int64_t end, std::string_view pattern, bool nocase) {
  return FindContent(buf, from, end, pattern, nocase, BestSearchWidth());
}

}  // namespace kagami::detect
