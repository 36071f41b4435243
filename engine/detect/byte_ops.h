#pragma once
// byte_test / byte_jump / byte_extract arithmetic: reading a number from the
// buffer (raw big/little endian, or an ASCII string in base 8/10/16) and the
// keyword-specific post-processing. Pure functions, no state.

#include <cstdint>

#include "engine/detect/compiled_rule.h"

namespace kagami::detect {

// Reads `nbytes` at `pos`. False when out of bounds or not a number.
// Raw values take 1..8 bytes; string values up to 20 characters, stopping
// at the first non-digit (at least one digit required).
bool ReadNumber(const uint8_t* buf, int64_t len, int64_t pos, uint32_t nbytes, rules::Endian endian,
                rules::NumberBase base, uint64_t* out);

// Applies a bitmask as Suricata does: AND, then shift right by the mask's
// trailing zero bits. mask 0 = no mask.
inline uint64_t ApplyBitmask(uint64_t v, uint64_t mask) {
  if (mask == 0) return v;
  return (v & mask) >> __builtin_ctzll(mask);
}

bool ByteTestCompare(uint64_t data, char op, uint64_t value);

}  // namespace kagami::detect
