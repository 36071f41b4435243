#pragma once
// ByteReader: a bounds-checked big-endian cursor over a byte range. Every
// read fails (returns false, consuming nothing) rather than run past the end.

#include <cstddef>
#include <cstdint>

namespace kagami::app::tls {

class ByteReader {
 public:
  ByteReader() = default;
  ByteReader(const uint8_t* p, size_t n) : p_(p), n_(n) {}

  size_t left() const { return n_ - pos_; }
  bool empty() const { return pos_ == n_; }
  const uint8_t* cur() const { return p_ + pos_; }

  bool U8(uint8_t& v) {
    if (left() < 1) return false;
    v = p_[pos_++];
    return true;
  }
  bool U16(uint16_t& v) {
    if (left() < 2) return false;
    v = static_cast<uint16_t>((p_[pos_] << 8) | p_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U24(uint32_t& v) {
    if (left() < 3) return false;
    v = (uint32_t{p_[pos_]} << 16) | (uint32_t{p_[pos_ + 1]} << 8) | p_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool Skip(size_t len) {
    if (left() < len) return false;
    pos_ += len;
    return true;
  }
  // The next `len` bytes as their own reader.
  bool Sub(size_t len, ByteReader& out) {
    if (left() < len) return false;
    out = ByteReader(p_ + pos_, len);
    pos_ += len;
    return true;
  }
  // A vector prefixed by its 1- or 2-byte length.
  bool Sub8(ByteReader& out) {
    if (left() < 1 || left() - 1 < p_[pos_]) return false;
    uint8_t len = 0;
    U8(len);
    return Sub(len, out);
  }
  bool Sub16(ByteReader& out) {
    if (left() < 2) return false;
    size_t len = (size_t{p_[pos_]} << 8) | p_[pos_ + 1];
    if (left() - 2 < len) return false;
    pos_ += 2;
    return Sub(len, out);
  }

 private:
  const uint8_t* p_ = nullptr;
  size_t n_ = 0;
  size_t pos_ = 0;
};

}  // namespace kagami::app::tls
