#include "tools/gen/frame_builder.h"

#include <cstring>

#include "engine/decode/checksum.h"

namespace kagami::gen {
namespace {

constexpr size_t kEthLen = 14, kIpLen = 20, kTcpLen = 20, kSynOptionsLen = 12, kUdpLen = 8;
// The largest frame built: a UDP datagram of 64 KiB less its headers.
constexpr size_t kCapacity = kEthLen + 65535;

// The same gateway SessionWriter uses, so attack and session frames look
// like one link.
constexpr uint8_t kGatewayMac[6] = {0x00, 0x0c, 0x86, 0xa1, 0x39, 0x7f};

inline void Be16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Be32(uint8_t* p, uint32_t v) {
  Be16(p, v >> 16);
  Be16(p + 2, v & 0xffff);
}

// The decoder sums in native order; the complement stored as it is comes
// out right on either byte order.
void StoreChecksum(uint8_t* at, uint64_t acc) {
  const uint16_t sum = static_cast<uint16_t>(~decode::ChecksumFold(acc));
  std::memcpy(at, &sum, 2);
}

// Hosts on the sensor's LAN (10.0.0.0/8) have MACs of their own, derived
// from the address so a host keeps its MAC; everything else is behind the
// gateway.
void MacOf(uint32_t addr, uint8_t* out) {
  if ((addr >> 24) == 10) {
    const uint8_t mac[6] = {0xa4, 0xbb, 0x6d, static_cast<uint8_t>(addr >> 16), static_cast<uint8_t>(addr >> 8),
                            static_cast<uint8_t>(addr)};
    std::memcpy(out, mac, 6);
  } else {
    std::memcpy(out, kGatewayMac, 6);
  }
}

uint64_t PseudoHeader(const uint8_t* ip, uint8_t proto, size_t l4_len) {
  uint64_t acc = decode::ChecksumAdd(ip + 12, 8, 0);
  uint8_t tail[4] = {0, proto, 0, 0};
  Be16(tail + 2, static_cast<uint32_t>(l4_len));
  return decode::ChecksumAdd(tail, 4, acc);
}

}  // namespace

FrameBuilder::FrameBuilder() : frame_(kCapacity) {}

uint8_t* FrameBuilder::Headers(const IpFields& f, uint8_t proto, uint16_t frag_field, size_t l4_len) {
  uint8_t* e = frame_.data();
  MacOf(f.dst, e);
  MacOf(f.src, e + 6);
  Be16(e + 12, 0x0800);
  uint8_t* ip = e + kEthLen;
  ip[0] = 0x45;
  ip[1] = 0;
  Be16(ip + 2, static_cast<uint32_t>(kIpLen + l4_len));
  Be16(ip + 4, f.id);
  Be16(ip + 6, frag_field);
  ip[8] = f.ttl;
  ip[9] = proto;
  ip[10] = ip[11] = 0;
  Be32(ip + 12, f.src);
  Be32(ip + 16, f.dst);
  StoreChecksum(ip + 10, decode::ChecksumAdd(ip, kIpLen, 0));
  return ip + kIpLen;
}

std::span<const uint8_t> FrameBuilder::Tcp(const IpFields& ip, const TcpFields& t, std::span<const uint8_t> payload) {
  const size_t header = kTcpLen + (t.syn_options ? kSynOptionsLen : 0);
  const size_t l4_len = header + payload.size();
  uint8_t* l4 = Headers(ip, 6, ip.dont_fragment ? 0x4000 : 0, l4_len);
  Be16(l4, t.sport);
  Be16(l4 + 2, t.dport);
  Be32(l4 + 4, t.seq);
  Be32(l4 + 8, (t.flags & kTcpAck) ? t.ack : 0);
  l4[12] = static_cast<uint8_t>((header / 4) << 4);
  l4[13] = t.flags;
  Be16(l4 + 14, t.window);
  l4[16] = l4[17] = l4[18] = l4[19] = 0;
  if (t.syn_options) {
    uint8_t* o = l4 + kTcpLen;
    const uint8_t options[kSynOptionsLen] = {2, 4, static_cast<uint8_t>(t.mss >> 8), static_cast<uint8_t>(t.mss),
                                             1, 3, 3, t.window_shift, 1, 1, 4, 2};
    std::memcpy(o, options, kSynOptionsLen);
  }
  if (!payload.empty()) std::memcpy(l4 + header, payload.data(), payload.size());
  StoreChecksum(l4 + 16, decode::ChecksumAdd(l4, l4_len, PseudoHeader(l4 - kIpLen, 6, l4_len)));
  return {frame_.data(), kEthLen + kIpLen + l4_len};
}

std::span<const uint8_t> FrameBuilder::Udp(const IpFields& ip, uint16_t sport, uint16_t dport,
                                           std::string_view payload) {
  const size_t l4_len = kUdpLen + payload.size();
  uint8_t* l4 = Headers(ip, 17, ip.dont_fragment ? 0x4000 : 0, l4_len);
  Be16(l4, sport);
  Be16(l4 + 2, dport);
  Be16(l4 + 4, static_cast<uint32_t>(l4_len));
  l4[6] = l4[7] = 0;
  if (!payload.empty()) std::memcpy(l4 + kUdpLen, payload.data(), payload.size());
  const uint64_t acc = decode::ChecksumAdd(l4, l4_len, PseudoHeader(l4 - kIpLen, 17, l4_len));
  // A computed 0 goes on the wire as all ones: 0 means "no checksum".
  if (static_cast<uint16_t>(~decode::ChecksumFold(acc)) == 0) {
    l4[6] = l4[7] = 0xff;
  } else {
    StoreChecksum(l4 + 6, acc);
  }
  return {frame_.data(), kEthLen + kIpLen + l4_len};
}

std::span<const uint8_t> FrameBuilder::Ipv4Fragment(const IpFields& ip, uint8_t proto, uint16_t offset_units, bool more,
                                                    std::span<const uint8_t> payload) {
  const uint16_t field = static_cast<uint16_t>((more ? 0x2000 : 0) | (offset_units & 0x1fff));
  uint8_t* l4 = Headers(ip, proto, field, payload.size());
  if (!payload.empty()) std::memcpy(l4, payload.data(), payload.size());
  return {frame_.data(), kEthLen + kIpLen + payload.size()};
}

}  // namespace kagami::gen
