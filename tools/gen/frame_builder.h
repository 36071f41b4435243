#pragma once
// Single IPv4 frames built field by field, for traffic SessionWriter cannot
// make because it is not a well-behaved session: SYNs from spoofed sources,
// fragments of datagrams that never complete, segments sent out of order or
// overlapping, connections that never close. Checksums are real (an attack
// a sensor drops for a bad checksum tests nothing), except where a field
// cannot be computed (the transport checksum of a datagram that never
// completes).
//
// Each call builds into one reused buffer and returns a view of it, valid
// until the next call: a flood of millions of packets allocates nothing.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace kagami::gen {

// IPv4 address from its four octets (host order).
constexpr uint32_t Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

struct IpFields {
  uint32_t src = 0, dst = 0;  // host order
  uint16_t id = 0;
  uint8_t ttl = 64;
  bool dont_fragment = true;
};

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10;

struct TcpFields {
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 502;
  // MSS, window scale and SACK-permitted, as a SYN or SYN/ACK carries them.
  bool syn_options = false;
  uint16_t mss = 1460;
  uint8_t window_shift = 7;
};

class FrameBuilder {
 public:
  FrameBuilder();

  std::span<const uint8_t> Tcp(const IpFields& ip, const TcpFields& tcp, std::span<const uint8_t> payload);
  std::span<const uint8_t> Tcp(const IpFields& ip, const TcpFields& tcp, std::string_view payload = {}) {
    return Tcp(ip, tcp, std::span(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
  }
  std::span<const uint8_t> Udp(const IpFields& ip, uint16_t sport, uint16_t dport, std::string_view payload);
  // One fragment: `payload` at `offset_units` (8-byte units) of the
  // datagram `ip.id` carries, `more` the MF flag. DF is never set on it.
  std::span<const uint8_t> Ipv4Fragment(const IpFields& ip, uint8_t proto, uint16_t offset_units, bool more,
                                        std::span<const uint8_t> payload);

 private:
  // Ethernet and IPv4 headers for `l4_len` bytes of `proto`; returns where
  // the transport header goes.
  uint8_t* Headers(const IpFields& ip, uint8_t proto, uint16_t frag_field, size_t l4_len);

  std::vector<uint8_t> frame_;
};

}  // namespace kagami::gen
