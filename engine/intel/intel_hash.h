#pragma once
// Hash functions of engine/intel. FNV-1a 64 is the stable one (indicator
// sids are derived from it and must not change between versions); the
// lookup-table hashes may change freely.

#include <cstdint>
#include <string_view>

#include "common/mix64.h"
#include "rules/feeds/indicator.h"

namespace kagami::intel {

inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

inline char LowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// FNV-1a 64 of `s`, continuing from `h` (so hashing "a" then "b" equals
// hashing "ab").
inline uint64_t Fnv1a64(std::string_view s, uint64_t h = kFnvOffset) {
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * kFnvPrime;
  return h;
}

// Mix64 (common/mix64.h) spreads FNV's weak low bits, which the tables
// index with, over the whole word.

// Domain keys are hashed one byte at a time, last byte first, so that
// walking a name from its end the running state at each label boundary is
// the state of the parent suffix: every suffix hash comes out of one pass.
inline uint64_t SuffixHashStep(uint64_t h, char c) {
  return (h ^ static_cast<uint8_t>(c)) * kFnvPrime;
}
inline uint64_t SuffixHashFinish(uint64_t h) { return Mix64(h); }
uint64_t SuffixHash(std::string_view s, bool fold);

// Every other key (URLs, user agents, digests) eight bytes at a time.
uint64_t WordHash(std::string_view s, bool fold);

// The lookup-table hash of a value of type t; `fold` lower-cases ASCII on
// the way (values compared case-insensitively are stored lower-case).
inline uint64_t KeyHash(feeds::IndicatorType t, std::string_view s, bool fold) {
  return t == feeds::IndicatorType::kDomain ? SuffixHash(s, fold) : WordHash(s, fold);
}

// ASCII case-insensitive equality; `lower` is already lower-case.
bool EqualsFolded(std::string_view text, std::string_view lower);

// A domain name without its trailing dots ("example.com." -> "example.com"),
// as domain indicators compare names.
inline std::string_view TrimTrailingDots(std::string_view s) {
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

}  // namespace kagami::intel
