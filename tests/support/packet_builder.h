#pragma once
// Builds well-formed (or deliberately broken) frames for tests, with correct
// lengths and checksums unless told otherwise. Tests make their own captures
// from these instead of shipping binary files.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::testing {

using Bytes = std::vector<uint8_t>;

struct L4Options {
  uint8_t tcp_flags = 0x18;  // PSH|ACK
  uint32_t seq = 1000, ack = 2000;
  uint16_t window = 65535;
  Bytes tcp_options;         // raw option bytes, padded to 4 by the builder
  uint8_t icmp_type = 8, icmp_code = 0;
  uint16_t icmp_id = 1, icmp_seq = 1;
  bool bad_checksum = false; // corrupt the transport checksum
};

struct IpOptions {
  uint8_t ttl = 64;
  uint16_t id = 1;
  bool df = false, mf = false;
  uint16_t frag_offset = 0;  // 8-byte units
  Bytes ipv4_options;        // raw option bytes, padded to 4 by the builder
  bool bad_checksum = false; // corrupt the IPv4 header checksum
  std::vector<uint16_t> vlans;  // 802.1Q tags, outermost first (ad for >1)
};

// Transport segment (header + payload) with its checksum over the pseudo
// header of src/dst. Addresses are text: "10.0.0.1" or "2001:db8::1".
Bytes Tcp(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
          std::string_view payload, const L4Options& o = {});
Bytes Udp(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
          std::string_view payload, const L4Options& o = {});
Bytes Icmp(std::string_view src, std::string_view dst, std::string_view payload,
           const L4Options& o = {});  // ICMPv6 when the addresses are IPv6

// IP packet around a transport segment (IPv4 or IPv6 chosen by the address).
Bytes Ip(std::string_view src, std::string_view dst, uint8_t proto, const Bytes& l4,
         const IpOptions& o = {});
// Ethernet frame (with VLAN tags from `o.vlans`) around an IP packet.
Bytes Ethernet(const Bytes& ip, const IpOptions& o = {});

// Shorthands: a whole Ethernet frame.
Bytes EthTcp(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
             std::string_view payload, const L4Options& l4 = {}, const IpOptions& ip = {});
Bytes EthUdp(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
             std::string_view payload, const L4Options& l4 = {}, const IpOptions& ip = {});
Bytes EthIcmp(std::string_view src, std::string_view dst, std::string_view payload,
              const L4Options& l4 = {}, const IpOptions& ip = {});

}  // namespace kagami::testing
