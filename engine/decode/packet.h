#pragma once
// Packet: what the decoder learned about one frame. Every pointer points into
// the capture's bytes (PacketView::data); nothing is copied or allocated, so a
// Packet is only valid while its PacketView is.

#include <array>
#include <cstdint>

#include "capture/packet_view.h"
#include "common/ip_address.h"

namespace kagami::decode {

// Bits of Packet::tcp_flags, as on the wire (plus ECE/CWR).
enum TcpFlag : uint8_t {
  kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
  kTcpAck = 0x10, kTcpUrg = 0x20, kTcpEce = 0x40, kTcpCwr = 0x80,
};

// Bits of Packet::ipv4_options: which IPv4 options were present (ipopts).
enum Ipv4Option : uint16_t {
  kIpOptRr = 1 << 0, kIpOptEol = 1 << 1, kIpOptNop = 1 << 2, kIpOptTs = 1 << 3,
  kIpOptSec = 1 << 4, kIpOptEsec = 1 << 5, kIpOptLsrr = 1 << 6, kIpOptSsrr = 1 << 7,
  kIpOptSatid = 1 << 8, kIpOptAny = 1 << 15,
};

// Bits of Packet::flow_flags, as the flow layer sets them.
enum FlowFlag : uint8_t {
  kFlowKnown = 1 << 0,        // a flow exists for this packet
  kFlowToServer = 1 << 1,     // packet goes client -> server (else to client)
  kFlowEstablished = 1 << 2,  // TCP: handshake completed; UDP: both sides seen
};

// Packet::tunnel_type: the encapsulation a packet was carried in
// (Decoder::DecodeTunnel).
enum class TunnelType : uint8_t {
  kNone,      // not inside a tunnel
  kGre,       // GRE (RFC 2784/2890): IPv4, IPv6 or Ethernet (0x6558) payload
  kErspan,    // ERSPAN type I, II or III, inside GRE
  kVxlan,     // VXLAN (RFC 7348), inside UDP
  kGeneve,    // Geneve (RFC 8926), inside UDP
  kIpInIp,    // IPv4 inside IPv4 or IPv6 (protocol 4)
  kIpv6InIp,  // IPv6 inside IPv4 or IPv6 (protocol 41)
};

struct Packet {
  const capture::PacketView* view = nullptr;

  // Link layer.
  uint8_t vlan_count = 0;
  std::array<uint16_t, 2> vlan_id{};  // outermost first

  // Network layer. ip_version is 0 when the frame carries no IP.
  uint8_t ip_version = 0;
  kagami::IpAddress src;
  kagami::IpAddress dst;
  uint8_t ip_proto = 0;          // transport protocol (after IPv6 ext headers)
  uint8_t ttl = 0;               // IPv4 TTL or IPv6 hop limit
  uint8_t tos = 0;
  uint16_t ip_id = 0;            // IPv4 identification (IPv6: from fragment header)
  bool ip_df = false, ip_mf = false, ip_rb = false;
  uint32_t frag_id = 0;          // IPv4 identification or IPv6 32-bit fragment id
  uint16_t frag_offset = 0;      // in 8-byte units
  bool is_fragment = false;      // MF set or offset > 0: no transport header parsed
  uint16_t ipv6_frag_offset = 0; // offset from l3 of the IPv6 Fragment header; 0 if none
  uint16_t ipv4_options = 0;     // Ipv4Option bits
  const uint8_t* l3 = nullptr;   // start of the (innermost) IP header
  uint32_t l3_len = 0;           // IP header + payload bytes present (caplen-limited)

  // Transport layer; l4 is null when none was decoded.
  const uint8_t* l4 = nullptr;
  uint32_t l4_len = 0;
  uint16_t src_port = 0, dst_port = 0;
  uint32_t tcp_seq = 0, tcp_ack = 0;
  uint8_t tcp_flags = 0;
  uint16_t tcp_window = 0;
  // TCP options the stream layer needs (only when present and well formed).
  uint16_t tcp_mss = 0;              // 0: no MSS option
  uint8_t tcp_wscale = 0xff;         // 0xff: no window scale option
  bool tcp_sack_permitted = false;
  bool tcp_has_timestamp = false;
  uint32_t tcp_ts_val = 0, tcp_ts_ecr = 0;
  uint8_t icmp_type = 0, icmp_code = 0;
  bool icmp_has_id = false;      // echo, timestamp, info, address-mask messages
  uint16_t icmp_id = 0, icmp_seq = 0;

  // Application payload (after the transport header, or after IP for other
  // protocols), clipped to what was captured and to the IP total length.
  const uint8_t* payload = nullptr;
  uint32_t payload_len = 0;

  // Checksum verification results; only meaningful when the decoder was asked
  // to verify (DecoderOptions::verify_checksums).
  bool ip_checksum_bad = false;
  bool l4_checksum_bad = false;

  // The first anomaly the decoder flagged on this packet (a decode::Anomaly
  // value), for its EVE anomaly record; kNoAnomaly when there was none (bad
  // checksums are left out: counted, not logged).
  static constexpr uint8_t kNoAnomaly = 0xff;
  uint8_t anomaly = kNoAnomaly;

  // Flow state, filled by the flow layer when one runs (FlowFlag bits);
  // 0 means no flow is known for this packet.
  uint8_t flow_flags = 0;

  // Tunnels, filled by Decoder::DecodeTunnel on the packet it decapsulates.
  // An inner packet's pointers lie inside its outer packet's payload, so in
  // the same capture frame (`view` is the outer packet's view).
  uint8_t tunnel_depth = 0;   // 0: not inside a tunnel; 1: inside one tunnel ...
  TunnelType tunnel_type = TunnelType::kNone;  // what carried this packet
  uint32_t tunnel_id = 0;     // VXLAN/Geneve VNI, GRE key, ERSPAN session id; 0: none
  const Packet* outer = nullptr;  // the packet that carried this one (valid while the caller keeps it)

  bool has_tcp() const { return l4 != nullptr && ip_proto == 6; }
  bool has_udp() const { return l4 != nullptr && ip_proto == 17; }
  bool has_icmp() const { return l4 != nullptr && (ip_proto == 1 || ip_proto == 58); }
  // The outermost packet of a tunnel chain (this one when not in a tunnel):
  // what Suricata's EVE `tunnel` object describes.
  const Packet& root() const {
    const Packet* p = this;
    while (p->outer != nullptr) p = p->outer;
    return *p;
  }
};

}  // namespace kagami::decode
