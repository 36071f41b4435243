#pragma once
// RadixSort: sorts a large array whose order starts with a well-spread
// 64-bit key (a hash, a random UUID's first half) faster than std::sort.
// Two in-place byte passes (American flag sort: no second array, so no extra
// memory for a million elements) split the array by the key's top 16 bits;
// each of the 65,536 small pieces is then finished by std::sort with the
// full comparison. Loading a million-indicator feed sorts several arrays of
// a million elements; std::sort spent some 100 ms on each.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace kagami {

namespace radix_internal {

// Below this many elements a byte pass costs more than it saves.
inline constexpr size_t kSmall = 64;

template <class T, class Top, class Less>
void SortFrom(T* first, T* last, const Top& top, const Less& less, int shift) {
  const auto n = static_cast<size_t>(last - first);
  if (n < kSmall || shift < 48) {
    std::sort(first, last, less);
    return;
  }
  auto digit = [&](const T& x) { return static_cast<size_t>((top(x) >> shift) & 0xff); };
  size_t count[256] = {};
  for (T* p = first; p != last; ++p) ++count[digit(*p)];
  T* next[256];  // where the next element of each bucket goes
  T* end[256];
  T* at = first;
  for (size_t b = 0; b < 256; ++b) {
    next[b] = at;
    at += count[b];
    end[b] = at;
  }
  // Each element is moved straight to its bucket, displacing one that is
  // then moved to its own, until the cycle comes back to bucket b.
  for (size_t b = 0; b < 256; ++b) {
    while (next[b] != end[b]) {
      T v = std::move(*next[b]);
      for (size_t d = digit(v); d != b; d = digit(v)) std::swap(v, *next[d]++);
      *next[b]++ = std::move(v);
    }
  }
  T* piece = first;
  for (size_t b = 0; b < 256; ++b) {
    SortFrom(piece, piece + count[b], top, less, shift - 8);
    piece += count[b];
  }
}

}  // namespace radix_internal

// Sorts [first, last) by `less`. top(x) must be consistent with it: whenever
// top(a) < top(b), less(a, b) holds (the order is by top first, then by
// whatever `less` adds). Not stable, like std::sort.
template <class T, class Top, class Less>
void RadixSort(T* first, T* last, const Top& top, const Less& less) {
  radix_internal::SortFrom(first, last, top, less, 56);
}

}  // namespace kagami
