#pragma once
// HTTP bodies for the tests: content codings made with zlib, and the
// chunked transfer coding.

#include <cstddef>
#include <string>
#include <string_view>

namespace kagami::testing {

// zlib's deflate of `in` at level 9: window_bits 31 gzip (RFC 1952),
// 15 zlib (RFC 1950), -15 raw deflate (RFC 1951).
std::string Deflate(std::string_view in, int window_bits);
inline std::string Gzip(std::string_view in) { return Deflate(in, 31); }

// `body` in chunks of `chunk` bytes (hex sizes, CRLFs), ending with the
// zero-size chunk and an empty trailer.
std::string Chunked(std::string_view body, size_t chunk);

}  // namespace kagami::testing
