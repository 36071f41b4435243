// IPv6 header and its extension header chain.

#include <algorithm>

#include "engine/decode/decode_context.h"

namespace kagami::decode::internal {
namespace {

// ESP (50) and no next header (59) end the chain like a transport protocol.
constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kAh = 51, kDestOptions = 60;

// With segments left, the transport checksum covers the final destination
// (RFC 8200 8.1): the last address of a type 0 header, the home address of
// type 2, segment 0 of a segment routing header (type 4).
const uint8_t* FinalDestination(const uint8_t* h, uint32_t hlen, const uint8_t* dst) {
  const uint8_t type = h[2], segments_left = h[3];
  if (segments_left == 0 || hlen < 24) return dst;
  if (type == 0) return h + 8 + ((hlen - 8) / 16 - 1) * 16;
  if (type == 2 || type == 4) return h + 8;
  return dst;
}

}  // namespace

bool DecodeIpv6(Context& c, const uint8_t* p, uint32_t len, IpResult& out) {
  Packet& pkt = c.pkt;
  if (len < 40) {
    c.Flag(Anomaly::kIpv6Truncated);
    return false;
  }
  if (p[0] >> 4 != 6) {
    c.Flag(Anomaly::kIpBadVersion);
    return false;
  }
  pkt.ip_version = 6;
  ++c.counters.ipv6;
  pkt.tos = static_cast<uint8_t>((p[0] & 0x0f) << 4 | p[1] >> 4);
  pkt.ttl = p[7];
  pkt.src = IpAddress::FromV6Bytes(p + 8);
  pkt.dst = IpAddress::FromV6Bytes(p + 24);

  const uint32_t payload_length = Load16(p + 4);
  uint8_t next = p[6];
  // A zero payload length before a hop-by-hop header is a jumbogram
  // (RFC 2675): its length hides in an option; take what was captured.
  uint32_t total = (payload_length == 0 && next == kHopByHop) ? len : 40 + payload_length;
  if (total > len && c.fully_captured) c.Flag(Anomaly::kIpv6Truncated);
  const uint32_t end = std::min(total, len);
  pkt.l3 = p;
  pkt.l3_len = end;

  const uint8_t* final_dst = p + 24;
  uint32_t off = 40;
  int headers = 0;
  bool done = false;
  while (!done) {
    if (next != kHopByHop && next != kRouting && next != kDestOptions && next != kFragment &&
        next != kAh) {
      break;  // transport, ESP, no next header, or unknown: the chain ends
    }
    if (++headers > kMaxIpv6ExtensionHeaders) {
      c.Flag(Anomaly::kIpv6ExtensionChainTooLong);
      return false;
    }
    // Every extension header has its next header and length in bytes 0-1
    // and is at least 8 bytes long.
    uint32_t hlen = 8;
    if (end - off >= 2) {
      if (next == kAh) {
        hlen = (p[off + 1] + 2u) * 4;
      } else if (next != kFragment) {
        hlen = (p[off + 1] + 1u) * 8;
      }
    }
    if (hlen > end - off) {
      c.Flag(hlen > total - off ? Anomaly::kIpv6BadExtensionHeader : Anomaly::kIpv6Truncated);
      return false;
    }
    const uint8_t* h = p + off;
    if (next == kHopByHop && headers != 1) c.Flag(Anomaly::kIpv6BadExtensionHeader);
    if (next == kAh && hlen < 12) {
      c.Flag(Anomaly::kIpv6BadExtensionHeader);
      return false;
    }
    if (next == kRouting) final_dst = FinalDestination(h, hlen, final_dst);
    if (next == kFragment) {
      // Where reassembly finds it (and, before it, the unfragmentable part).
      // (Only a jumbogram could put it past 65535; that is no valid fragment.)
      pkt.ipv6_frag_offset = off <= 0xffff ? static_cast<uint16_t>(off) : 0;
      const uint16_t frag = Load16(h + 2);
      pkt.frag_offset = frag >> 3;
      pkt.ip_mf = (frag & 1) != 0;
      pkt.frag_id = Load32(h + 4);
      pkt.ip_id = static_cast<uint16_t>(pkt.frag_id);
      // An atomic fragment (offset 0, no MF) is a whole packet (RFC 6946).
      pkt.is_fragment = pkt.ip_mf || pkt.frag_offset != 0;
      // What follows a later fragment is the middle of the payload.
      done = pkt.frag_offset != 0;
    }
    next = h[0];
    off += hlen;
  }

  pkt.ip_proto = next;
  pkt.payload = p + off;
  pkt.payload_len = end - off;
  out.l4 = p + off;
  out.captured = end - off;
  out.claimed = total - off;
  out.src = p + 8;
  out.dst = final_dst;
  out.v6 = true;
  return true;
}

}  // namespace kagami::decode::internal
