// Tunnels: GRE (with ERSPAN I, II and III), VXLAN, Geneve, IP-in-IP.
// Decoder::DecodeTunnel recognises the encapsulation in a packet the decoder
// already decoded and decodes the packet inside it with the same layer
// decoders, bounded by the outer packet's payload.

#include <cassert>

#include "engine/decode/decode_context.h"

namespace kagami::decode {
namespace {

using internal::Context;
using internal::Load16;
using internal::Load32;
using internal::Network;

constexpr uint8_t kProtoIpip = 4, kProtoUdp = 17, kProtoIpv6 = 41, kProtoGre = 47;
constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherTeb = 0x6558;      // transparent Ethernet bridging
constexpr uint16_t kEtherErspan = 0x88be;   // ERSPAN type I (no GRE sequence) or II
constexpr uint16_t kEtherErspan3 = 0x22eb;  // ERSPAN type III

// What an encapsulation carries.
enum class InnerLink : uint8_t { kEthernet, kIpv4, kIpv6, kIpByVersion };

struct Encapsulation {
  TunnelType type = TunnelType::kNone;
  InnerLink link = InnerLink::kEthernet;
  const uint8_t* data = nullptr;  // the inner frame, inside the outer payload
  uint32_t len = 0;
  uint32_t id = 0;                // Packet::tunnel_id
};

enum class Parse : uint8_t {
  kTunnel,  // `out` describes the inner frame
  kNone,    // well formed, but nothing we decapsulate
  kBad,     // broken (anomaly counted)
};

Parse Bad(Context& c, Anomaly a) {
  c.Flag(a);
  return Parse::kBad;
}

Parse Found(Encapsulation& out, TunnelType type, InnerLink link, const uint8_t* p, uint32_t n) {
  out.type = type;
  out.link = link;
  out.data = p;
  out.len = n;
  return Parse::kTunnel;
}

// ERSPAN, after the GRE header: type I has no header of its own (GRE
// without a sequence number), type II an 8-byte one with version 1.
Parse ParseErspan(Context& c, bool gre_seq, const uint8_t* e, uint32_t n, Encapsulation& out) {
  if (!gre_seq) return Found(out, TunnelType::kErspan, InnerLink::kEthernet, e, n);
  // Ver(4) VLAN(12) | COS(3) En(2) T(1) Session ID(10) | Reserved(12) Index(20)
  if (n < 8) return Bad(c, Anomaly::kErspanTruncated);
  if (e[0] >> 4 != 1) return Bad(c, Anomaly::kErspanBadHeader);
  out.id = Load16(e + 2) & 0x03ffu;
  return Found(out, TunnelType::kErspan, InnerLink::kEthernet, e + 8, n - 8);
}

// ERSPAN type III: a 12-byte header with version 2, then an 8-byte
// platform-specific subheader when O is set. The frame type says whether
// an Ethernet frame (0) or an IP packet (2) follows.
Parse ParseErspan3(Context& c, const uint8_t* e, uint32_t n, Encapsulation& out) {
  // Ver(4) VLAN(12) | COS(3) BSO(2) T(1) Session ID(10) | Timestamp(32) |
  // SGT(16) | P(1) FT(5) HwID(6) D(1) Gra(2) O(1)
  if (n < 12) return Bad(c, Anomaly::kErspanTruncated);
  if (e[0] >> 4 != 2) return Bad(c, Anomaly::kErspanBadHeader);
  const uint32_t hlen = (e[11] & 0x01) ? 20 : 12;
  if (hlen > n) return Bad(c, Anomaly::kErspanTruncated);
  const uint8_t frame_type = (e[10] >> 2) & 0x1f;
  InnerLink link;
  if (frame_type == 0) {
    link = InnerLink::kEthernet;
  } else if (frame_type == 2) {
    if (n == hlen) return Bad(c, Anomaly::kErspanTruncated);  // not even a version nibble
    link = InnerLink::kIpByVersion;
  } else {
    return Bad(c, Anomaly::kErspanBadHeader);
  }
  out.id = Load16(e + 2) & 0x03ffu;
  return Found(out, TunnelType::kErspan, link, e + hlen, n - hlen);
}

// GRE version 0 (RFC 2784, key and sequence number from RFC 2890, routing
// from RFC 1701). Version 1 is PPTP's enhanced GRE carrying PPP: left alone.
Parse ParseGre(Context& c, const uint8_t* g, uint32_t n, Encapsulation& out) {
  // C R K S s Recur(3) | A Flags(4) Ver(3) | Protocol Type(16)
  if (n < 4) return Bad(c, Anomaly::kGreTruncated);
  const uint8_t version = g[1] & 0x07;
  if (version == 1) return Parse::kNone;
  if (version != 0) return Bad(c, Anomaly::kGreBadVersion);
  if ((g[0] & 0x07) != 0 || (g[1] & 0xf8) != 0) return Bad(c, Anomaly::kGreBadHeader);
  const bool has_checksum = (g[0] & 0x80) != 0, has_routing = (g[0] & 0x40) != 0;
  const bool has_key = (g[0] & 0x20) != 0, has_seq = (g[0] & 0x10) != 0;
  uint32_t hlen = 4;
  if (has_checksum || has_routing) hlen += 4;  // checksum + offset, both or neither
  const uint32_t key_at = hlen;
  if (has_key) hlen += 4;
  if (has_seq) hlen += 4;
  if (hlen > n) return Bad(c, Anomaly::kGreTruncated);
  if (has_routing) {
    // Source route entries: family(16) offset(8) length(8) + length bytes,
    // up to a NULL entry (family 0, length 0). Each moves on >= 4 bytes.
    for (;;) {
      if (n - hlen < 4) return Bad(c, Anomaly::kGreTruncated);
      const uint16_t family = Load16(g + hlen);
      const uint8_t sre_len = g[hlen + 3];
      hlen += 4 + sre_len;
      if (hlen > n) return Bad(c, Anomaly::kGreTruncated);
      if (family == 0 && sre_len == 0) break;
    }
  }
  if (has_key) out.id = Load32(g + key_at);
  const uint8_t* p = g + hlen;
  const uint32_t rest = n - hlen;
  switch (Load16(g + 2)) {
    case kEtherIpv4:
      return Found(out, TunnelType::kGre, InnerLink::kIpv4, p, rest);
    case kEtherIpv6:
      return Found(out, TunnelType::kGre, InnerLink::kIpv6, p, rest);
    case kEtherTeb:
      return Found(out, TunnelType::kGre, InnerLink::kEthernet, p, rest);
    case kEtherErspan:
      return ParseErspan(c, has_seq, p, rest, out);
    case kEtherErspan3:
      return ParseErspan3(c, p, rest, out);
    default:
      return Parse::kNone;  // MPLS, WCCP, PPP, ...: not decapsulated
  }
}

// VXLAN (RFC 7348), strictly: flags exactly I, every reserved bit zero.
Parse ParseVxlan(Context& c, const uint8_t* v, uint32_t n, Encapsulation& out) {
  // Flags(8) Reserved(24) | VNI(24) Reserved(8)
  if (n < 8) return Bad(c, Anomaly::kVxlanTruncated);
  if (v[0] != 0x08 || v[1] != 0 || v[2] != 0 || v[3] != 0 || v[7] != 0) {
    return Bad(c, Anomaly::kVxlanBadHeader);
  }
  out.id = Load32(v + 4) >> 8;
  return Found(out, TunnelType::kVxlan, InnerLink::kEthernet, v + 8, n - 8);
}

// Geneve (RFC 8926): version 0, options that exactly fill their length.
Parse ParseGeneve(Context& c, const uint8_t* v, uint32_t n, Encapsulation& out) {
  // Ver(2) OptLen(6) | O C Rsvd(6) | Protocol Type(16) | VNI(24) Reserved(8)
  if (n < 8) return Bad(c, Anomaly::kGeneveTruncated);
  if (v[0] >> 6 != 0) return Bad(c, Anomaly::kGeneveBadHeader);
  const uint32_t hlen = 8 + (v[0] & 0x3fu) * 4;
  if (hlen > n) return Bad(c, Anomaly::kGeneveTruncated);
  // Options: class(16) type(8) R(3) length(5, in 4-byte words) + data. The
  // options area is a multiple of 4, so each option's first word is there.
  for (uint32_t i = 8; i < hlen;) {
    const uint32_t option_len = 4 + (v[i + 3] & 0x1fu) * 4;
    if (option_len > hlen - i) return Bad(c, Anomaly::kGeneveBadHeader);
    i += option_len;
  }
  out.id = Load32(v + 4) >> 8;
  InnerLink link;
  switch (Load16(v + 2)) {
    case kEtherTeb:
      link = InnerLink::kEthernet;
      break;
    case kEtherIpv4:
      link = InnerLink::kIpv4;
      break;
    case kEtherIpv6:
      link = InnerLink::kIpv6;
      break;
    default:
      return Parse::kNone;
  }
  return Found(out, TunnelType::kGeneve, link, v + hlen, n - hlen);
}

// The inner frame, decoded like Decoder::Decode decodes a capture frame.
DecodeResult DecodeInner(Context& c, InnerLink link, const uint8_t* p, uint32_t n) {
  Network net = Network::kByVersion;
  switch (link) {
    case InnerLink::kEthernet: {
      internal::LinkResult eth;
      if (!internal::DecodeLink(c, capture::kLinkEthernet, p, n, eth)) {
        return DecodeResult::kMalformed;
      }
      p += eth.offset;
      n -= eth.offset;
      net = eth.network;
      break;
    }
    case InnerLink::kIpv4:
      net = Network::kIpv4;
      break;
    case InnerLink::kIpv6:
      net = Network::kIpv6;
      break;
    case InnerLink::kIpByVersion:
      break;
  }
  return internal::DecodeNetwork(c, net, p, n);
}

bool IsVxlanPort(const DecoderOptions& o, uint16_t port) {
  if (port == 0) return false;
  for (uint16_t p : o.vxlan_ports) {
    if (p == port) return true;
  }
  return false;
}

}  // namespace

std::string_view TunnelTypeName(TunnelType t) {
  switch (t) {
    case TunnelType::kNone:
      return "none";
    case TunnelType::kGre:
      return "gre";
    case TunnelType::kErspan:
      return "erspan";
    case TunnelType::kVxlan:
      return "vxlan";
    case TunnelType::kGeneve:
      return "geneve";
    case TunnelType::kIpInIp:
      return "ipip";
    case TunnelType::kIpv6InIp:
      return "ipv6_in_ip";
  }
  return "unknown";
}

DecodeResult Decoder::DecodeTunnel(const Packet& outer, Packet& inner) {
  assert(&outer != &inner && "DecodeTunnel: inner must be another Packet than outer");
  inner = Packet{};
  // Fragments wait for reassembly; a packet whose transport failed to
  // decode has no payload to look into.
  if (!options_.decode_tunnels || outer.ip_version == 0 || outer.is_fragment ||
      outer.payload == nullptr) {
    return DecodeResult::kNoTunnel;
  }
  const capture::PacketView* view = outer.view;
  internal::Context c{inner, counters_, options_.verify_checksums,
                      view == nullptr || view->wirelen <= view->caplen};
  const uint8_t* p = outer.payload;
  const uint32_t n = outer.payload_len;
  Encapsulation enc;
  Parse parsed = Parse::kNone;
  switch (outer.ip_proto) {
    case kProtoIpip:
      parsed = Found(enc, TunnelType::kIpInIp, InnerLink::kIpv4, p, n);
      break;
    case kProtoIpv6:
      parsed = Found(enc, TunnelType::kIpv6InIp, InnerLink::kIpv6, p, n);
      break;
    case kProtoGre:
      parsed = ParseGre(c, p, n, enc);
      break;
    case kProtoUdp:
      if (!outer.has_udp()) break;
      if (IsVxlanPort(options_, outer.dst_port)) {
        parsed = ParseVxlan(c, p, n, enc);
      } else if (options_.geneve_port != 0 && outer.dst_port == options_.geneve_port) {
        parsed = ParseGeneve(c, p, n, enc);
      }
      break;
    default:
      break;
  }
  if (parsed == Parse::kNone) return DecodeResult::kNoTunnel;
  if (parsed == Parse::kBad) return DecodeResult::kMalformed;
  if (outer.tunnel_depth >= options_.max_tunnel_depth) {
    c.Flag(Anomaly::kTunnelTooDeep);
    return DecodeResult::kMalformed;
  }

  switch (enc.type) {
    case TunnelType::kGre:
      ++counters_.gre;
      break;
    case TunnelType::kErspan:
      ++counters_.gre;
      ++counters_.erspan;
      break;
    case TunnelType::kVxlan:
      ++counters_.vxlan;
      break;
    case TunnelType::kGeneve:
      ++counters_.geneve;
      break;
    case TunnelType::kIpInIp:
      ++counters_.ipip;
      break;
    case TunnelType::kIpv6InIp:
      ++counters_.ipv6_in_ip;
      break;
    case TunnelType::kNone:
      break;
  }
  inner.view = outer.view;
  inner.outer = &outer;
  inner.tunnel_depth = static_cast<uint8_t>(outer.tunnel_depth + 1);
  inner.tunnel_type = enc.type;
  inner.tunnel_id = enc.id;
  return DecodeInner(c, enc.link, enc.data, enc.len);
}

}  // namespace kagami::decode
