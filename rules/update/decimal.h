#pragma once
// Decimal numbers as rules and management files write them (sid, gid,
// rev): digits only, surrounding blanks allowed, at most 2^32 - 1.

#include <cstdint>
#include <string_view>

#include "rules/rule_lexer.h"

namespace kagami::rules::update {

inline bool ParseDecimalU32(std::string_view s, uint32_t* out) {
  s = Trim(s);
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace kagami::rules::update
