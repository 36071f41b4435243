#pragma once
// Decoder: turns a PacketView into a Packet. Never reads past caplen; a
// malformed frame is counted under its anomaly kind and reported as not
// decoded, never crashes.

#include <array>
#include <cstdint>
#include <string_view>

#include "capture/packet_view.h"
#include "engine/decode/packet.h"

namespace kagami::decode {

enum class Anomaly : uint8_t {
  kUnsupportedLinkType,
  kLinkTruncated,
  kVlanTruncated,
  kIpv4Truncated,
  kIpv4BadHeaderLength,
  kIpv4BadTotalLength,
  kIpv4BadOptions,
  kIpv6Truncated,
  kIpv6BadExtensionHeader,
  kTcpTruncated,
  kTcpBadHeaderLength,
  kTcpBadOptions,
  kUdpTruncated,
  kUdpBadLength,
  kIcmpTruncated,
  kIpChecksumBad,
  kTcpChecksumBad,
  kUdpChecksumBad,
  kIcmpChecksumBad,
  // Added by the decode module (values above keep their numbers).
  kIpBadVersion,               // IP version nibble does not match the link's claim
  kVlanTooManyTags,            // more than 2 tags: the deeper ones are skipped
  kIpv6ExtensionChainTooLong,  // more than kMaxIpv6ExtensionHeaders headers
  // Tunnels (Decoder::DecodeTunnel).
  kGreTruncated,      // GRE header (with its optional fields / routing) cut
  kGreBadVersion,     // GRE version 2-7 (version 1, PPTP, is left alone: kNoTunnel)
  kGreBadHeader,      // GRE version 0 with recursion control or reserved flags set
  kErspanTruncated,   // ERSPAN II/III header (or III's subheader) cut
  kErspanBadHeader,   // ERSPAN version does not match the type, bad frame type
  kVxlanTruncated,    // UDP to a VXLAN port with fewer than 8 payload bytes
  kVxlanBadHeader,    // VXLAN flags other than just I (0x08), reserved bits set
  kGeneveTruncated,   // Geneve header or its options cut
  kGeneveBadHeader,   // Geneve version other than 0, options that do not fit
  kTunnelTooDeep,     // an encapsulation deeper than DecoderOptions::max_tunnel_depth
  kCount,
};
std::string_view AnomalyName(Anomaly a);
// "gre", "erspan", "vxlan", "geneve", "ipip", "ipv6_in_ip"; "none" for kNone.
std::string_view TunnelTypeName(TunnelType t);

// Longest IPv6 extension header chain the decoder walks.
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

struct DecoderOptions {
  bool verify_checksums = false;
  // Tunnels (Decoder::DecodeTunnel); fixed-size, so options stay allocation-free.
  bool decode_tunnels = true;         // false: DecodeTunnel always says kNoTunnel
  uint8_t max_tunnel_depth = 3;       // deepest inner packet decoded (1 = one tunnel)
  std::array<uint16_t, 4> vxlan_ports{4789, 0, 0, 0};  // UDP destination ports; 0 = unused
  uint16_t geneve_port = 6081;        // UDP destination port; 0 = Geneve off
};

struct DecoderCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;         // wire bytes
  // Per protocol: ipv4/ipv6 count decoded IP headers; tcp/udp/icmp count
  // decoded transport headers (icmp counts ICMPv4 and ICMPv6); other counts
  // frames decoded without a transport header (non-IP, fragments, ESP, ...).
  uint64_t ipv4 = 0, ipv6 = 0, tcp = 0, udp = 0, icmp = 0, other = 0;
  uint64_t vlan = 0;
  // Frames Decode() found malformed (Suricata's decoder.invalid).
  uint64_t invalid = 0;
  // Tunnels decapsulated by DecodeTunnel (the inner packet's own headers
  // count under ipv4/ipv6/tcp/... as well). ERSPAN also counts as gre;
  // ipip is IPv4 inside IP (protocol 4), ipv6_in_ip IPv6 inside IP (41).
  uint64_t gre = 0, erspan = 0, vxlan = 0, geneve = 0, ipip = 0, ipv6_in_ip = 0;
  std::array<uint64_t, static_cast<size_t>(Anomaly::kCount)> anomalies{};
};

enum class DecodeResult : uint8_t {
  kOk,          // decoded (transport may be absent, e.g. a fragment or non-IP)
  kMalformed,   // a header was invalid; `packet` holds what was decoded before it
  kNoTunnel,    // DecodeTunnel only: `outer` carries no encapsulation to decapsulate
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {}) : options_(options) {}
  // Checksum validation can be switched off mid-capture (Suricata's "auto"
  // mode gives up on captures taken with checksum offloading).
  void set_verify_checksums(bool verify) { options_.verify_checksums = verify; }
  DecodeResult Decode(const capture::PacketView& view, Packet& packet);
  // Decapsulates the tunnel `outer` carries (GRE, ERSPAN, VXLAN, Geneve,
  // IP-in-IP; see engine/decode/README.md) into `inner`, which is reset
  // first and must not be `outer`. kOk: an inner packet was decoded (its
  // ip_version is 0 when it is not IP, e.g. ARP inside VXLAN); kNoTunnel:
  // `outer` is not a tunnel we decapsulate (or tunnels are off); kMalformed:
  // the encapsulation or the inner packet is broken, or the inner packet
  // would be deeper than max_tunnel_depth (anomaly counted; `inner` holds
  // what was decoded). Only reads outer.payload[0, payload_len). `inner`
  // points at `outer` (inner.outer) and into the same frame: keep `outer`
  // and its own chain alive while `inner` is used. Call it again on `inner`
  // for the next level.
  DecodeResult DecodeTunnel(const Packet& outer, Packet& inner);
  const DecoderCounters& counters() const { return counters_; }

 private:
  DecoderOptions options_;
  DecoderCounters counters_;
};

}  // namespace kagami::decode
