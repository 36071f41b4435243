#pragma once
// Gunzip: a whole gzip file (RFC 1952, one or more members) decompressed in
// memory, with a cap on the output so that a small bomb cannot take the
// machine's memory.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kagami::fetch {

// The decompressed bytes of `gz`. Members follow each other as gzip(1)
// reads them; bytes after the last member that do not begin another are
// ignored, as gzip(1) ignores them. Errors name the offset in `gz`:
// "gzip: byte 120: invalid block type", "gzip: truncated at byte 4096",
// "gzip: more than 1048576 bytes once decompressed" (ResourceExhausted).
absl::StatusOr<std::string> Gunzip(std::string_view gz, size_t max_bytes);

// True when `data` begins with gzip's magic bytes.
inline bool LooksGzipped(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

}  // namespace kagami::fetch
