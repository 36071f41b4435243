#pragma once
// One DER element at a time: the tag, the content as its own reader, and
// where the whole element starts and how long it is (for handing it on to
// libcrypto's d2i_* functions).

#include <cstddef>
#include <cstdint>

#include "engine/app/tls/byte_reader.h"

namespace kagami::app::tls::der {

inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kSet = 0x31;

struct Tlv {
  uint8_t tag = 0;
  ByteReader content{};
  const uint8_t* start = nullptr;
  size_t size = 0;
};

// Single-byte tags and definite lengths of up to four octets only (DER
// certificates need no more); anything else fails, consuming nothing useful.
inline bool ReadTlv(ByteReader& r, Tlv& out) {
  out.start = r.cur();
  const size_t before = r.left();
  uint8_t tag = 0, l0 = 0;
  if (!r.U8(tag) || (tag & 0x1f) == 0x1f || !r.U8(l0)) return false;
  size_t len = l0;
  if (l0 & 0x80) {
    const size_t octets = l0 & 0x7f;
    if (octets == 0 || octets > 4) return false;
    len = 0;
    for (size_t i = 0; i < octets; ++i) {
      uint8_t b = 0;
      if (!r.U8(b)) return false;
      len = (len << 8) | b;
    }
  }
  if (!r.Sub(len, out.content)) return false;
  out.tag = tag;
  out.size = before - r.left();
  return true;
}

// ReadTlv, refusing a length in a longer form than needed (DER's rule; BER
// allows it): a long form for fewer than 128 bytes, or a leading zero octet.
inline bool ReadMinimalTlv(ByteReader& r, Tlv& out) {
  if (!ReadTlv(r, out)) return false;
  const uint8_t l0 = out.start[1];
  return (l0 & 0x80) == 0 || (out.start[2] != 0 && out.content.left() >= 0x80);
}

inline bool Expect(ByteReader& r, uint8_t tag, Tlv& out) { return ReadTlv(r, out) && out.tag == tag; }

}  // namespace kagami::app::tls::der
