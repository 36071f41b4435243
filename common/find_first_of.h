#pragma once
// FindFirstOf: std::string_view::find_first_of for a short set of bytes,
// without its cost. libstdc++ answers find_first_of by calling memchr on the
// set once per byte of the text, which is what parsers of URLs and patterns
// spent their time on; this tests each byte against the set in place.

#include <cstddef>
#include <string_view>

namespace kagami {

// The first position at or after `pos` of a byte in `set`, or npos.
inline size_t FindFirstOf(std::string_view text, std::string_view set, size_t pos = 0) {
  for (size_t i = pos; i < text.size(); ++i) {
    for (char c : set) {
      if (text[i] == c) return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace kagami
