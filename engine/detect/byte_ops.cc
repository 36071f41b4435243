#include "engine/detect/byte_ops.h"

namespace kagami::detect {

bool ReadNumber(const uint8_t* buf, int64_t len, int64_t pos, uint32_t nbytes, rules::Endian endian,
                rules::NumberBase base, uint64_t* out) {
  if (nbytes == 0 || pos < 0 || pos + static_cast<int64_t>(nbytes) > len) return false;
  const uint8_t* p = buf + pos;
  if (base == rules::NumberBase::kBinary) {
    if (nbytes > 8) return false;
    uint64_t v = 0;
    // DCE endianness needs DCE/RPC state we do not have yet; the common case
    // (NDR little endian) is assumed.
    if (endian == rules::Endian::kBig) {
      for (uint32_t i = 0; i < nbytes; ++i) v = (v << 8) | p[i];
    } else {
      for (uint32_t i = nbytes; i-- > 0;) v = (v << 8) | p[i];
    }
    *out = v;
    return true;
  }
  if (nbytes > 20) return false;
  const unsigned radix = base == rules::NumberBase::kHex ? 16 : base == rules::NumberBase::kOct ? 8 : 10;
  uint64_t v = 0;
  uint32_t digits = 0;
  for (uint32_t i = 0; i < nbytes; ++i) {
    unsigned d;
    const uint8_t c = p[i];
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else break;
    if (d >= radix) break;
    if (v > (UINT64_MAX - d) / radix) return false;  // overflow
    v = v * radix + d;
    ++digits;
  }
  if (digits == 0) return false;
  *out = v;
  return true;
}

bool ByteTestCompare(uint64_t data, char op, uint64_t value) {
  switch (op) {
    case '<': return data < value;
    case '>': return data > value;
    case '=': return data == value;
    case 'l': return data <= value;
    case 'g': return data >= value;
    case '&': return (data & value) != 0;
    case '^': return (data ^ value) != 0;
    default: return false;
  }
}

}  // namespace kagami::detect
