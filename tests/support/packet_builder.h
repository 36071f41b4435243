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

// --- Tunnels (engine/decode/tunnel.cc) ---
// Encapsulation headers followed by what they carry; wrap the result in
// Ip(..., 47, ...) for GRE or UdpBytes(...) for VXLAN and Geneve.
struct GreOptions {
  bool checksum = false;     // C bit, with the checksum over header + payload
  bool has_key = false;      // K bit
  uint32_t key = 0;
  bool has_seq = false;      // S bit
  uint32_t seq = 0;
};
// GRE version 0 header of protocol type `proto` + `inner`.
Bytes Gre(uint16_t proto, const Bytes& inner, const GreOptions& o = {});
// ERSPAN type II header (version 1) + the mirrored Ethernet frame; the
// payload of Gre(0x88be, ..., {.has_seq = true}).
Bytes Erspan2(uint16_t session, const Bytes& inner_eth, uint16_t vlan = 0);
// ERSPAN type III header (version 2) + the 8-byte platform subheader when
// `subheader`; frame_type 0: an Ethernet frame follows, 2: an IP packet.
// The payload of Gre(0x22eb, ...).
Bytes Erspan3(uint16_t session, const Bytes& inner, bool subheader = false,
              uint8_t frame_type = 0);
// VXLAN header (flags 0x08, `vni`) + the inner Ethernet frame.
Bytes Vxlan(uint32_t vni, const Bytes& inner_eth);
// Geneve option: class, type, data (padded to 4 bytes).
Bytes GeneveOption(uint16_t option_class, uint8_t type, const Bytes& data);
// Geneve version 0 header with raw `options` (a multiple of 4 bytes) + inner
// of protocol type `proto` (0x6558 Ethernet, 0x0800 IPv4, 0x86dd IPv6).
Bytes Geneve(uint32_t vni, uint16_t proto, const Bytes& inner, const Bytes& options = {});
// UDP segment with a binary payload (checksummed like Udp).
Bytes UdpBytes(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
               const Bytes& payload, const L4Options& o = {});

}  // namespace kagami::testing
