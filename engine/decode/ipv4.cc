// IPv4 header, options and fragment bits.

#include <algorithm>

#include "engine/decode/checksum.h"
#include "engine/decode/decode_context.h"

namespace kagami::decode::internal {
namespace {

// Records which options are present (Packet::ipv4_options) and checks that
// each option's length fits its kind and the options area. A bad option does
// not stop decoding: the header length already says where the payload is.
void DecodeOptions(Context& c, const uint8_t* o, uint32_t n) {
  if (n == 0) return;
  uint16_t bits = kIpOptAny;
  bool bad = false;  // a known option with an impossible length or pointer
  const bool fits = WalkOptions(o, n, [&](uint8_t kind, uint8_t len, const uint8_t* v) {
    switch (kind) {
      case 0:  // end of list: the rest is padding
        bits |= kIpOptEol;
        break;
      case 1:
        bits |= kIpOptNop;
        break;
      case 7:    // record route
      case 131:  // loose source route
      case 137:  // strict source route: pointer >= 4, whole addresses
        bits |= kind == 7 ? kIpOptRr : kind == 131 ? kIpOptLsrr : kIpOptSsrr;
        bad = len < 3 || (len - 3) % 4 != 0 || v[0] < 4;
        break;
      case 68:  // timestamp: pointer >= 5
        bits |= kIpOptTs;
        bad = len < 4 || v[0] < 5;
        break;
      case 130:
        bits |= kIpOptSec;
        bad = len < 3;
        break;
      case 133:
        bits |= kIpOptEsec;
        bad = len < 3;
        break;
      case 136:  // stream id
        bits |= kIpOptSatid;
        bad = len != 4;
        break;
      default:
        break;
    }
    return !bad;
  });
  if (!fits) bad = true;
  c.pkt.ipv4_options = bits;
  if (bad) c.Flag(Anomaly::kIpv4BadOptions);
}

}  // namespace

bool DecodeIpv4(Context& c, const uint8_t* p, uint32_t len, IpResult& out) {
  Packet& pkt = c.pkt;
  if (len < 20) {
    c.Flag(Anomaly::kIpv4Truncated);
    return false;
  }
  if (p[0] >> 4 != 4) {
    c.Flag(Anomaly::kIpBadVersion);
    return false;
  }
  const uint32_t hlen = (p[0] & 0x0fu) * 4;
  if (hlen < 20) {
    c.Flag(Anomaly::kIpv4BadHeaderLength);
    return false;
  }
  uint32_t total = Load16(p + 2);
  if (total == 0) {
    // Captured on a host doing TCP segmentation offload: the length is only
    // filled in by the NIC. Trust what was captured, but say so.
    c.Flag(Anomaly::kIpv4BadTotalLength);
    total = len;
  }
  if (total < hlen) {
    c.Flag(hlen > len ? Anomaly::kIpv4BadHeaderLength : Anomaly::kIpv4BadTotalLength);
    return false;
  }
  if (hlen > len) {
    c.Flag(Anomaly::kIpv4Truncated);
    return false;
  }

  pkt.ip_version = 4;
  ++c.counters.ipv4;
  pkt.tos = p[1];
  pkt.ip_id = Load16(p + 4);
  pkt.frag_id = pkt.ip_id;
  const uint16_t frag = Load16(p + 6);
  pkt.ip_rb = (frag & 0x8000) != 0;
  pkt.ip_df = (frag & 0x4000) != 0;
  pkt.ip_mf = (frag & 0x2000) != 0;
  pkt.frag_offset = frag & 0x1fff;
  pkt.is_fragment = pkt.ip_mf || pkt.frag_offset != 0;
  pkt.ttl = p[8];
  pkt.ip_proto = p[9];
  pkt.src = IpAddress::FromV4Bytes(p + 12);
  pkt.dst = IpAddress::FromV4Bytes(p + 16);
  DecodeOptions(c, p + 20, hlen - 20);
  if (c.verify_checksums && !ChecksumValid(ChecksumAdd(p, hlen, 0))) {
    pkt.ip_checksum_bad = true;
    c.Flag(Anomaly::kIpChecksumBad);
  }

  // Beyond the total length is link padding; short of it, the snaplen (or
  // a lying length field when the whole frame was captured).
  if (total > len && c.fully_captured) c.Flag(Anomaly::kIpv4BadTotalLength);
  const uint32_t present = std::min(total, len);
  pkt.l3 = p;
  pkt.l3_len = present;
  pkt.payload = p + hlen;
  pkt.payload_len = present - hlen;

  out.l4 = p + hlen;
  out.captured = present - hlen;
  out.claimed = total - hlen;
  out.src = p + 12;
  out.dst = p + 16;
  out.v6 = false;
  return true;
}

}  // namespace kagami::decode::internal
