#include "tests/support/packet_builder.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <optional>

#include "common/ip_address.h"

namespace kagami::testing {
namespace {

// The builder computes checksums its own, deliberately naive way (16-bit
// big-endian words), so that tests cross-check the decoder's fast version.
struct Addr {
  bool v4 = true;
  std::array<uint8_t, 16> bytes{};  // v4: first 4 bytes
  size_t size() const { return v4 ? 4 : 16; }
};

Addr ParseAddr(std::string_view text) {
  Addr a;
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  if (!ip) {
    ADD_FAILURE() << "packet_builder: not an IP address: " << text;
    return a;
  }
  a.v4 = ip->is_v4();
  if (a.v4) {
    std::memcpy(a.bytes.data(), ip->bytes().data() + 12, 4);
  } else {
    a.bytes = ip->bytes();
  }
  return a;
}

void Put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

void Put32(Bytes& b, size_t at, uint32_t v) {
  Put16(b, at, static_cast<uint16_t>(v >> 16));
  Put16(b, at + 2, static_cast<uint16_t>(v));
}

// resize + memcpy rather than insert: g++ 12 at -O2/-O3 warns falsely
// (-Warray-bounds) about vector::insert on freshly sized vectors.
void Append(Bytes& b, const uint8_t* p, size_t n) {
  if (n == 0) return;
  const size_t at = b.size();
  b.resize(at + n);
  std::memcpy(b.data() + at, p, n);
}
void Append(Bytes& b, std::string_view s) {
  Append(b, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
void Append(Bytes& b, const Bytes& x) { Append(b, x.data(), x.size()); }

uint32_t SumWords(const uint8_t* p, size_t n, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}

uint16_t Finish(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Checksum of `seg` over the IPv4 or IPv6 pseudo header.
uint16_t PseudoChecksum(const Addr& src, const Addr& dst, uint8_t proto, const Bytes& seg) {
  uint32_t sum = 0;
  sum = SumWords(src.bytes.data(), src.size(), sum);
  sum = SumWords(dst.bytes.data(), dst.size(), sum);
  sum += proto;
  sum += static_cast<uint32_t>(seg.size() & 0xffff);
  sum += static_cast<uint32_t>(seg.size() >> 16);
  sum = SumWords(seg.data(), seg.size(), sum);
  return Finish(sum);
}

// A checksum value that is certainly wrong, and never 0 (for UDP 0 means
// "no checksum", which would not be a bad checksum at all).
uint16_t Corrupt(uint16_t good) {
  uint16_t bad = good ^ 0x5a5a;
  return bad == 0 ? 0x1234 : bad;
}

void PadTo4(Bytes& b) {
  while (b.size() % 4) b.push_back(0);
}

}  // namespace

Bytes Tcp(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
          std::string_view payload, const L4Options& o) {
  Addr s = ParseAddr(src), d = ParseAddr(dst);
  Bytes opts = o.tcp_options;
  PadTo4(opts);
  const size_t hlen = 20 + opts.size();
  Bytes b(20, 0);
  Put16(b, 0, sport);
  Put16(b, 2, dport);
  Put32(b, 4, o.seq);
  Put32(b, 8, o.ack);
  b[12] = static_cast<uint8_t>((hlen / 4) << 4);
  b[13] = o.tcp_flags;
  Put16(b, 14, o.window);
  Append(b, opts);
  Append(b, payload);
  uint16_t sum = PseudoChecksum(s, d, 6, b);
  Put16(b, 16, o.bad_checksum ? Corrupt(sum) : sum);
  return b;
}

Bytes Udp(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
          std::string_view payload, const L4Options& o) {
  Addr s = ParseAddr(src), d = ParseAddr(dst);
  Bytes b(8, 0);
  Put16(b, 0, sport);
  Put16(b, 2, dport);
  Put16(b, 4, static_cast<uint16_t>(8 + payload.size()));
  Append(b, payload);
  uint16_t sum = PseudoChecksum(s, d, 17, b);
  if (sum == 0) sum = 0xffff;  // 0 is reserved for "no checksum"
  Put16(b, 6, o.bad_checksum ? Corrupt(sum) : sum);
  return b;
}

Bytes Icmp(std::string_view src, std::string_view dst, std::string_view payload,
           const L4Options& o) {
  Addr s = ParseAddr(src), d = ParseAddr(dst);
  Bytes b(8, 0);
  b[0] = o.icmp_type;
  b[1] = o.icmp_code;
  Put16(b, 4, o.icmp_id);
  Put16(b, 6, o.icmp_seq);
  Append(b, payload);
  uint16_t sum = s.v4 ? Finish(SumWords(b.data(), b.size(), 0)) : PseudoChecksum(s, d, 58, b);
  Put16(b, 2, o.bad_checksum ? Corrupt(sum) : sum);
  return b;
}

Bytes Ip(std::string_view src, std::string_view dst, uint8_t proto, const Bytes& l4,
         const IpOptions& o) {
  Addr s = ParseAddr(src), d = ParseAddr(dst);
  if (s.v4 != d.v4) ADD_FAILURE() << "packet_builder: mixed address families";
  const uint16_t frag = static_cast<uint16_t>((o.mf ? 0x2000 : 0) | (o.frag_offset & 0x1fff));
  if (s.v4) {
    Bytes opts = o.ipv4_options;
    PadTo4(opts);
    const size_t hlen = 20 + opts.size();
    Bytes b(20, 0);
    b[0] = static_cast<uint8_t>(0x40 | (hlen / 4));
    Put16(b, 2, static_cast<uint16_t>(hlen + l4.size()));
    Put16(b, 4, o.id);
    Put16(b, 6, static_cast<uint16_t>(frag | (o.df ? 0x4000 : 0)));
    b[8] = o.ttl;
    b[9] = proto;
    std::memcpy(&b[12], s.bytes.data(), 4);
    std::memcpy(&b[16], d.bytes.data(), 4);
    Append(b, opts);
    uint16_t sum = Finish(SumWords(b.data(), hlen, 0));
    Put16(b, 10, o.bad_checksum ? Corrupt(sum) : sum);
    Append(b, l4);
    return b;
  }
  // IPv6: a fragment header is inserted when the packet is a fragment.
  const bool fragment = o.mf || o.frag_offset != 0;
  Bytes b(40, 0);
  b[0] = 0x60;
  b[6] = fragment ? 44 : proto;
  b[7] = o.ttl;
  std::memcpy(&b[8], s.bytes.data(), 16);
  std::memcpy(&b[24], d.bytes.data(), 16);
  if (fragment) {
    Bytes fh(8, 0);
    fh[0] = proto;
    Put16(fh, 2, static_cast<uint16_t>((o.frag_offset << 3) | (o.mf ? 1 : 0)));
    Put32(fh, 4, o.id);
    Append(b, fh);
  }
  Append(b, l4);
  Put16(b, 4, static_cast<uint16_t>(b.size() - 40));
  return b;
}

Bytes Ethernet(const Bytes& ip, const IpOptions& o) {
  static constexpr uint8_t kMacs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                        0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
  Bytes b(kMacs, kMacs + 12);
  for (size_t i = 0; i < o.vlans.size(); ++i) {
    // Outermost tag of a stack is 802.1ad, the others 802.1Q.
    const uint16_t tpid = (o.vlans.size() > 1 && i == 0) ? 0x88a8 : 0x8100;
    b.resize(b.size() + 4);
    Put16(b, b.size() - 4, tpid);
    Put16(b, b.size() - 2, static_cast<uint16_t>(o.vlans[i] & 0x0fff));
  }
  const uint16_t ethertype = (!ip.empty() && (ip[0] >> 4) == 6) ? 0x86dd : 0x0800;
  b.resize(b.size() + 2);
  Put16(b, b.size() - 2, ethertype);
  Append(b, ip);
  return b;
}

Bytes EthTcp(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
             std::string_view payload, const L4Options& l4, const IpOptions& ip) {
  return Ethernet(Ip(src, dst, 6, Tcp(src, sport, dst, dport, payload, l4), ip), ip);
}

Bytes EthUdp(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
             std::string_view payload, const L4Options& l4, const IpOptions& ip) {
  return Ethernet(Ip(src, dst, 17, Udp(src, sport, dst, dport, payload, l4), ip), ip);
}

Bytes EthIcmp(std::string_view src, std::string_view dst, std::string_view payload,
              const L4Options& l4, const IpOptions& ip) {
  const bool v4 = ParseAddr(src).v4;
  return Ethernet(Ip(src, dst, v4 ? 1 : 58, Icmp(src, dst, payload, l4), ip), ip);
}

// --- Tunnels ---

Bytes Gre(uint16_t proto, const Bytes& inner, const GreOptions& o) {
  Bytes b(4, 0);
  b[0] = static_cast<uint8_t>((o.checksum ? 0x80 : 0) | (o.has_key ? 0x20 : 0) |
                              (o.has_seq ? 0x10 : 0));
  Put16(b, 2, proto);
  if (o.checksum) b.resize(b.size() + 4);  // checksum + reserved, filled below
  if (o.has_key) {
    b.resize(b.size() + 4);
    Put32(b, b.size() - 4, o.key);
  }
  if (o.has_seq) {
    b.resize(b.size() + 4);
    Put32(b, b.size() - 4, o.seq);
  }
  Append(b, inner);
  if (o.checksum) Put16(b, 4, Finish(SumWords(b.data(), b.size(), 0)));
  return b;
}

Bytes Erspan2(uint16_t session, const Bytes& inner_eth, uint16_t vlan) {
  Bytes b(8, 0);
  Put16(b, 0, static_cast<uint16_t>(0x1000 | (vlan & 0x0fff)));  // version 1
  Put16(b, 2, static_cast<uint16_t>(session & 0x03ff));
  Put32(b, 4, 1);  // index
  Append(b, inner_eth);
  return b;
}

Bytes Erspan3(uint16_t session, const Bytes& inner, bool subheader, uint8_t frame_type) {
  Bytes b(12, 0);
  Put16(b, 0, 0x2000);  // version 2, no VLAN
  Put16(b, 2, static_cast<uint16_t>(session & 0x03ff));
  Put32(b, 4, 0x01020304);  // timestamp
  b[10] = static_cast<uint8_t>((frame_type & 0x1f) << 2);
  b[11] = subheader ? 0x01 : 0x00;
  if (subheader) {
    static constexpr uint8_t kPlatform[8] = {0x0c, 0, 0, 0, 0, 0, 0, 0x2a};
    Append(b, kPlatform, sizeof kPlatform);
  }
  Append(b, inner);
  return b;
}

Bytes Vxlan(uint32_t vni, const Bytes& inner_eth) {
  Bytes b(8, 0);
  b[0] = 0x08;
  Put32(b, 4, vni << 8);
  Append(b, inner_eth);
  return b;
}

Bytes GeneveOption(uint16_t option_class, uint8_t type, const Bytes& data) {
  Bytes d = data;
  PadTo4(d);
  Bytes b(4, 0);
  Put16(b, 0, option_class);
  b[2] = type;
  b[3] = static_cast<uint8_t>((d.size() / 4) & 0x1f);
  Append(b, d);
  return b;
}

Bytes Geneve(uint32_t vni, uint16_t proto, const Bytes& inner, const Bytes& options) {
  Bytes b(8, 0);
  b[0] = static_cast<uint8_t>((options.size() / 4) & 0x3f);  // version 0
  Put16(b, 2, proto);
  Put32(b, 4, vni << 8);
  Append(b, options);
  Append(b, inner);
  return b;
}

Bytes UdpBytes(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
               const Bytes& payload, const L4Options& o) {
  return Udp(src, sport, dst, dport,
             std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()), o);
}

}  // namespace kagami::testing
