#pragma once
// Small helpers for header names and values. Comparisons skip NUL bytes
// and ignore case because libhtp does (servers and clients that get NULs
// into header names or values still mean the header).

#include <cstdint>
#include <string>
#include <string_view>

namespace kagami::app::http {

// Whitespace as trimmed around header names and values: SP, HT, VT, FF, CR, NUL.
inline bool IsTrimSpace(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\0'; }
inline bool IsLws(char c) { return c == ' ' || c == '\t'; }
inline char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view TrimSpace(std::string_view s);
// Case-insensitive equality, NUL bytes in `a` skipped.
bool EqualsLoose(std::string_view a, std::string_view b);
// Orders names by their loose form (NUL bytes dropped, ASCII lower-cased):
// negative, zero or positive. Zero means EqualsLoose(a, b) whenever `b` has
// no NUL byte. Sorting by it groups a header block's names in n log n
// comparisons instead of comparing every name with every other.
int CompareLoose(std::string_view a, std::string_view b);
bool EqualsNoCase(std::string_view a, std::string_view b);
bool StartsWithNoCase(std::string_view s, std::string_view prefix);
// True when `needle` occurs in `hay` (case-insensitive, NULs in `hay` skipped).
bool ContainsLoose(std::string_view hay, std::string_view needle);
// True when the comma/whitespace separated list `value` holds `token`
// (case-insensitive, NULs skipped).
bool HasToken(std::string_view value, std::string_view token);
// Content-Length: digits with optional surrounding whitespace; -1 otherwise.
int64_t ParseContentLength(std::string_view value);

}  // namespace kagami::app::http
