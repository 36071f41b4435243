#include "engine/decode/checksum.h"

#include <cstring>

namespace kagami::decode {

uint64_t ChecksumAdd(const uint8_t* p, size_t n, uint64_t acc) {
  // 2^32 == 1 (mod 0xffff), so 32-bit words summed into 64 bits fold to the
  // same result as 16-bit words. A packet is at most 64 KiB: no overflow.
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t w;
    std::memcpy(&w, p + i, 4);
    acc += w;
  }
  if (i < n) {
    uint8_t tail[4] = {0, 0, 0, 0};
    std::memcpy(tail, p + i, n - i);
    uint32_t w;
    std::memcpy(&w, tail, 4);
    acc += w;
  }
  return acc;
}

uint16_t ChecksumFold(uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffu) + (acc >> 16);
  acc = (acc & 0xffffu) + (acc >> 16);
  acc = (acc & 0xffffu) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

}  // namespace kagami::decode
