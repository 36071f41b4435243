// Link layers: Ethernet (+ VLAN tags), Linux SLL/SLL2, raw IP, BSD NULL and
// OpenBSD LOOP, Cisco HDLC. Each finds where the IP header starts and which
// version to expect.

#include "engine/decode/decode_context.h"

namespace kagami::decode::internal {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;

bool IsVlanTag(uint16_t ethertype) {
  return ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100;
}

Network FromEthertype(uint16_t ethertype) {
  if (ethertype == kEtherIpv4) return Network::kIpv4;
  if (ethertype == kEtherIpv6) return Network::kIpv6;
  return Network::kNone;
}

// `ethertype` was read from the link header; `pos` is where what it
// announces starts. Walks VLAN tags (802.1Q, 802.1ad, 0x9100 QinQ): the first
// two are recorded, deeper ones skipped.
bool DecodeEthertype(Context& c, const uint8_t* data, uint32_t len, uint16_t ethertype,
                     uint32_t pos, LinkResult& out) {
  unsigned tags = 0;
  while (IsVlanTag(ethertype)) {
    if (len - pos < 4) {
      c.Flag(Anomaly::kVlanTruncated);
      return false;
    }
    if (tags < c.pkt.vlan_id.size()) {
      c.pkt.vlan_id[tags] = Load16(data + pos) & 0x0fff;
      c.pkt.vlan_count = static_cast<uint8_t>(tags + 1);
    } else if (tags == c.pkt.vlan_id.size()) {
      c.Flag(Anomaly::kVlanTooManyTags);
    }
    ++tags;
    ethertype = Load16(data + pos + 2);
    pos += 4;
  }
  if (tags > 0) ++c.counters.vlan;
  out.network = FromEthertype(ethertype);
  out.offset = pos;
  return true;
}

bool Truncated(Context& c, uint32_t len, uint32_t need) {
  if (len >= need) return false;
  c.Flag(Anomaly::kLinkTruncated);
  return true;
}

// BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 is 24
// (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
Network FromAddressFamily(uint32_t af) {
  if (af == 2) return Network::kIpv4;
  if (af == 24 || af == 28 || af == 30) return Network::kIpv6;
  return Network::kNone;
}

}  // namespace

bool DecodeLink(Context& c, uint32_t linktype, const uint8_t* data, uint32_t len,
                LinkResult& out) {
  switch (linktype) {
    case capture::kLinkEthernet:
      if (Truncated(c, len, 14)) return false;
      return DecodeEthertype(c, data, len, Load16(data + 12), 14, out);
    case capture::kLinkLinuxSll:  // ..., protocol at 14
      if (Truncated(c, len, 16)) return false;
      return DecodeEthertype(c, data, len, Load16(data + 14), 16, out);
    case capture::kLinkLinuxSll2:  // protocol at 0, 20-byte header
      if (Truncated(c, len, 20)) return false;
      return DecodeEthertype(c, data, len, Load16(data), 20, out);
    case capture::kLinkRaw:
      if (Truncated(c, len, 1)) return false;
      out.network = Network::kByVersion;
      return true;
    case capture::kLinkIpv4:
      out.network = Network::kIpv4;
      return true;
    case capture::kLinkIpv6:
      out.network = Network::kIpv6;
      return true;
    case capture::kLinkNull: {
      // Host order of the capturing machine, which we do not know: the
      // families are small numbers, so either reading is unambiguous.
      if (Truncated(c, len, 4)) return false;
      const uint32_t big = Load32(data);
      const uint32_t little = uint32_t{data[3]} << 24 | uint32_t{data[2]} << 16 |
                              uint32_t{data[1]} << 8 | data[0];
      out.network = FromAddressFamily(big);
      if (out.network == Network::kNone) out.network = FromAddressFamily(little);
      out.offset = 4;
      return true;
    }
    case capture::kLinkLoop:
      if (Truncated(c, len, 4)) return false;
      out.network = FromAddressFamily(Load32(data));
      out.offset = 4;
      return true;
    case capture::kLinkCiscoHdlc:  // address, control, protocol
      if (Truncated(c, len, 4)) return false;
      out.network = FromEthertype(Load16(data + 2));
      out.offset = 4;
      return true;
    default:
      c.Flag(Anomaly::kUnsupportedLinkType);
      return false;
  }
}

}  // namespace kagami::decode::internal
