#pragma once
// Literal search used by content verification: the first occurrence of a
// pattern whose bytes lie entirely in [from, end) of a buffer.

#include <cstdint>
#include <string_view>

namespace kagami::detect {

// `pattern` must already be lower case when `nocase`. Returns the start
// position, or -1 when there is no occurrence.
int64_t FindContent(const uint8_t* buf, int64_t from, int64_t end, std::string_view pattern,
                    bool nocase);

// How many starts FindContent tests at once: AVX2 (32), SSE2 (16), or one
// by one. FindContent uses the widest the CPU has; tests try each.
enum class SearchWidth { k1, k16, k32 };
SearchWidth BestSearchWidth();
int64_t FindContent(const uint8_t* buf, int64_t from, int64_t end, std::string_view pattern, bool nocase,
                    SearchWidth width);

// True when buf[pos, pos + pattern.size()) equals pattern (case-folded when nocase).
bool ContentAt(const uint8_t* buf, int64_t pos, std::string_view pattern, bool nocase);

}  // namespace kagami::detect
