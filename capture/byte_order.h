#pragma once
// Integer loads for capture file fields. Files are read in place from an mmap,
// so fields sit at any alignment and in whatever byte order the writer used;
// memcpy keeps the unaligned loads defined and compiles to a plain move.

#include <cstdint>
#include <cstring>

namespace kagami::capture {

class ByteOrder {
 public:
  ByteOrder() = default;
  // `swap` is true when the file's byte order differs from the host's.
  explicit ByteOrder(bool swap) : swap_(swap) {}

  bool swapped() const { return swap_; }

  uint16_t U16(const uint8_t* p) const {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return swap_ ? __builtin_bswap16(v) : v;
  }
  uint32_t U32(const uint8_t* p) const {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return swap_ ? __builtin_bswap32(v) : v;
  }
  uint64_t U64(const uint8_t* p) const {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return swap_ ? __builtin_bswap64(v) : v;
  }

 private:
  bool swap_ = false;
};

// Host-order load, for comparing a magic number against its two byte orders.
inline uint32_t LoadHostU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The first four bytes as they appear in the file (big-endian reading), so an
// error message shows them in file order whatever the host.
inline uint32_t LoadBigU32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

}  // namespace kagami::capture
