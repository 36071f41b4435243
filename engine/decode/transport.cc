// Transport headers: TCP (+ options), UDP, ICMPv4, ICMPv6, and their
// checksums over the IP pseudo header.

#include <algorithm>

#include "engine/decode/checksum.h"
#include "engine/decode/decode_context.h"

namespace kagami::decode::internal {
namespace {

constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;

// Checksum over the pseudo header and `len` bytes of the segment.
bool PseudoChecksumValid(const IpResult& ip, uint8_t proto, const uint8_t* seg, uint32_t len) {
  uint64_t acc = 0;
  if (ip.v6) {
    acc = ChecksumAdd(ip.src, 16, acc);
    acc = ChecksumAdd(ip.dst, 16, acc);
    const uint8_t tail[8] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                             static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 0, 0, 0,
                             proto};
    acc = ChecksumAdd(tail, 8, acc);
  } else {
    acc = ChecksumAdd(ip.src, 4, acc);
    acc = ChecksumAdd(ip.dst, 4, acc);
    const uint8_t tail[4] = {0, proto, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
    acc = ChecksumAdd(tail, 4, acc);
  }
  return ChecksumValid(ChecksumAdd(seg, len, acc));
}

void BadL4Checksum(Context& c, Anomaly a) {
  c.pkt.l4_checksum_bad = true;
  c.Flag(a);
}

// Walks the options; a kind whose length is impossible is an anomaly, but
// the header length still says where the payload is, so decoding goes on
// (as Suricata does). Only well-formed options are recorded.
void DecodeTcpOptions(Context& c, const uint8_t* o, uint32_t n) {
  Packet& pkt = c.pkt;
  bool bad = false;
  const bool fits = WalkOptions(o, n, [&](uint8_t kind, uint8_t len, const uint8_t* v) {
    switch (kind) {
      case 2:  // MSS
        if (len == 4) pkt.tcp_mss = Load16(v); else bad = true;
        break;
      case 3:  // window scale
        if (len == 3) pkt.tcp_wscale = v[0]; else bad = true;
        break;
      case 4:  // SACK permitted
        if (len == 2) pkt.tcp_sack_permitted = true; else bad = true;
        break;
      case 5:  // SACK blocks
        bad = bad || len < 10 || (len - 2) % 8 != 0;
        break;
      case 8:  // timestamps
        if (len == 10) {
          pkt.tcp_has_timestamp = true;
          pkt.tcp_ts_val = Load32(v);
          pkt.tcp_ts_ecr = Load32(v + 4);
        } else {
          bad = true;
        }
        break;
      default:
        break;
    }
    return true;  // keep the well-formed options that follow a bad one
  });
  if (!fits) bad = true;
  if (bad) c.Flag(Anomaly::kTcpBadOptions);
}

bool DecodeTcp(Context& c, const IpResult& ip) {
  Packet& pkt = c.pkt;
  const uint8_t* t = ip.l4;
  const uint32_t n = ip.captured;
  if (n < 20) {
    c.Flag(Anomaly::kTcpTruncated);
    return false;
  }
  const uint32_t hlen = (t[12] >> 4) * 4u;
  if (hlen < 20 || hlen > ip.claimed) {
    c.Flag(Anomaly::kTcpBadHeaderLength);
    return false;
  }
  if (hlen > n) {
    c.Flag(Anomaly::kTcpTruncated);
    return false;
  }
  ++c.counters.tcp;
  pkt.l4 = t;
  pkt.l4_len = n;
  pkt.src_port = Load16(t);
  pkt.dst_port = Load16(t + 2);
  pkt.tcp_seq = Load32(t + 4);
  pkt.tcp_ack = Load32(t + 8);
  pkt.tcp_flags = t[13];
  pkt.tcp_window = Load16(t + 14);
  DecodeTcpOptions(c, t + 20, hlen - 20);
  pkt.payload = t + hlen;
  pkt.payload_len = n - hlen;
  if (c.verify_checksums && n == ip.claimed &&
      !PseudoChecksumValid(ip, kProtoTcp, t, n)) {
    BadL4Checksum(c, Anomaly::kTcpChecksumBad);
  }
  return true;
}

bool DecodeUdp(Context& c, const IpResult& ip) {
  Packet& pkt = c.pkt;
  const uint8_t* u = ip.l4;
  const uint32_t n = ip.captured;
  if (n < 8) {
    c.Flag(Anomaly::kUdpTruncated);
    return false;
  }
  const uint32_t ulen = Load16(u + 4);
  if (ulen < 8 || ulen > ip.claimed) {
    c.Flag(Anomaly::kUdpBadLength);
    return false;
  }
  ++c.counters.udp;
  const uint32_t present = std::min(ulen, n);
  pkt.l4 = u;
  pkt.l4_len = present;
  pkt.src_port = Load16(u);
  pkt.dst_port = Load16(u + 2);
  pkt.payload = u + 8;
  pkt.payload_len = present - 8;
  if (c.verify_checksums && present == ulen) {
    const uint16_t sum = Load16(u + 6);
    // Zero means "not computed" over IPv4 and is forbidden over IPv6.
    if (sum == 0 ? ip.v6 : !PseudoChecksumValid(ip, kProtoUdp, u, ulen)) {
      BadL4Checksum(c, Anomaly::kUdpChecksumBad);
    }
  }
  return true;
}

// Messages that carry an identifier and sequence number after the checksum.
bool IcmpHasId(bool v6, uint8_t type) {
  if (v6) return type == 128 || type == 129;
  return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

bool DecodeIcmp(Context& c, const IpResult& ip) {
  Packet& pkt = c.pkt;
  const uint8_t* m = ip.l4;
  const uint32_t n = ip.captured;
  if (n < 8) {
    c.Flag(Anomaly::kIcmpTruncated);
    return false;
  }
  ++c.counters.icmp;
  pkt.l4 = m;
  pkt.l4_len = n;
  pkt.icmp_type = m[0];
  pkt.icmp_code = m[1];
  if (IcmpHasId(ip.v6, m[0])) {
    pkt.icmp_has_id = true;
    pkt.icmp_id = Load16(m + 4);
    pkt.icmp_seq = Load16(m + 6);
  }
  pkt.payload = m + 8;
  pkt.payload_len = n - 8;
  if (c.verify_checksums && n == ip.claimed) {
    const bool ok = ip.v6 ? PseudoChecksumValid(ip, kProtoIcmpv6, m, n)
                          : ChecksumValid(ChecksumAdd(m, n, 0));
    if (!ok) BadL4Checksum(c, Anomaly::kIcmpChecksumBad);
  }
  return true;
}

}  // namespace

bool DecodeTransport(Context& c, const IpResult& ip) {
  switch (c.pkt.ip_proto) {
    case kProtoTcp:
      return DecodeTcp(c, ip);
    case kProtoUdp:
      return DecodeUdp(c, ip);
    case kProtoIcmp:
      if (!ip.v6) return DecodeIcmp(c, ip);
      break;
    case kProtoIcmpv6:
      if (ip.v6) return DecodeIcmp(c, ip);
      break;
    default:
      break;
  }
  ++c.counters.other;
  return true;
}

}  // namespace kagami::decode::internal
