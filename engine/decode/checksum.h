#pragma once
// Internet checksum (RFC 1071) for the decoder's verification. Sums are kept
// in native byte order (the ones' complement sum is byte-order independent),
// loading 32 bits at a time; only the final fold is 16-bit.

#include <cstddef>
#include <cstdint>

namespace kagami::decode {

// Adds n bytes at p to the running sum `acc`. Every chunk but the last must
// have an even length, so that 16-bit words stay aligned across chunks.
uint64_t ChecksumAdd(const uint8_t* p, size_t n, uint64_t acc);

// Folds a running sum to 16 bits (native order).
uint16_t ChecksumFold(uint64_t acc);

// True when data that includes its own checksum field sums to all ones.
inline bool ChecksumValid(uint64_t acc) { return ChecksumFold(acc) == 0xffff; }

}  // namespace kagami::decode
