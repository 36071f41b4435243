#pragma once
// Sizes as operators write them: "100kb", "64mb", "2g", "512", "0".

#include <cstdint>
#include <string_view>

namespace kagami {

// Parses a size with an optional unit (b, k/kb, m/mb, g/gb: powers of 1024,
// any case). False for anything else or a value that overflows uint64_t.
bool ParseByteSize(std::string_view text, uint64_t* out);

}  // namespace kagami
