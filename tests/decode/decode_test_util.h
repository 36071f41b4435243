#pragma once
// Shared by the decoder tests: decode a byte vector as one frame of a link
// type, with checksum verification on, and read the anomaly counters.

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "capture/packet_view.h"
#include "engine/decode/decoder.h"
#include "engine/decode/packet.h"
#include "tests/support/packet_builder.h"

namespace kagami::decode::test {

using kagami::testing::Bytes;

class DecoderTest : public ::testing::Test {
 protected:
  // wirelen 0: the frame was captured whole.
  DecodeResult Decode(const Bytes& frame, uint32_t linktype = capture::kLinkEthernet,
                      uint32_t wirelen = 0) {
    frame_ = frame;
    view_ = capture::PacketView{};
    view_.linktype = linktype;
    view_.caplen = static_cast<uint32_t>(frame_.size());
    view_.wirelen = wirelen ? wirelen : view_.caplen;
    view_.data = frame_.data();
    return decoder_.Decode(view_, pkt_);
  }

  uint64_t Count(Anomaly a) const {
    return decoder_.counters().anomalies[static_cast<size_t>(a)];
  }
  uint64_t TotalAnomalies() const {
    uint64_t n = 0;
    for (uint64_t v : decoder_.counters().anomalies) n += v;
    return n;
  }

  std::string Payload() const {
    return std::string(reinterpret_cast<const char*>(pkt_.payload), pkt_.payload_len);
  }

  Decoder decoder_{DecoderOptions{.verify_checksums = true}};
  Packet pkt_;
  Bytes frame_;
  capture::PacketView view_;
};

// Recomputes the IPv4 header checksum after a test edited the header.
inline void FixIpv4Checksum(Bytes& b, size_t ip) {
  const size_t hlen = (b[ip] & 0x0f) * 4u;
  b[ip + 10] = b[ip + 11] = 0;
  uint32_t sum = 0;
  for (size_t i = 0; i < hlen; i += 2) sum += static_cast<uint32_t>(b[ip + i] << 8 | b[ip + i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  b[ip + 10] = static_cast<uint8_t>(~sum >> 8);
  b[ip + 11] = static_cast<uint8_t>(~sum);
}

inline Bytes Concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace kagami::decode::test
