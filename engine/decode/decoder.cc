#include "engine/decode/decoder.h"

#include <algorithm>

#include "engine/decode/decode_context.h"

namespace kagami::decode {
namespace {

constexpr std::string_view kAnomalyNames[] = {
    "link.unsupported_type",
    "link.truncated",
    "vlan.truncated",
    "ipv4.truncated",
    "ipv4.bad_header_length",
    "ipv4.bad_total_length",
    "ipv4.bad_options",
    "ipv6.truncated",
    "ipv6.bad_extension_header",
    "tcp.truncated",
    "tcp.bad_header_length",
    "tcp.bad_options",
    "udp.truncated",
    "udp.bad_length",
    "icmp.truncated",
    "ipv4.bad_checksum",
    "tcp.bad_checksum",
    "udp.bad_checksum",
    "icmp.bad_checksum",
    "ip.bad_version",
    "vlan.too_many_tags",
    "ipv6.extension_chain_too_long",
    "gre.truncated",
    "gre.bad_version",
    "gre.bad_header",
    "erspan.truncated",
    "erspan.bad_header",
    "vxlan.truncated",
    "vxlan.bad_header",
    "geneve.truncated",
    "geneve.bad_header",
    "tunnel.too_deep",
};
static_assert(std::size(kAnomalyNames) == static_cast<size_t>(Anomaly::kCount),
              "every Anomaly needs a name");

}  // namespace

std::string_view AnomalyName(Anomaly a) {
  const auto i = static_cast<size_t>(a);
  return i < std::size(kAnomalyNames) ? kAnomalyNames[i] : std::string_view("unknown");
}

namespace internal {

DecodeResult DecodeNetwork(Context& c, Network net, const uint8_t* p, uint32_t n) {
  if (net == Network::kByVersion) {
    const int version = n > 0 ? p[0] >> 4 : 0;
    if (version == 4) {
      net = Network::kIpv4;
    } else if (version == 6) {
      net = Network::kIpv6;
    } else {
      c.Flag(Anomaly::kIpBadVersion);
      return DecodeResult::kMalformed;
    }
  }
  IpResult ip;
  switch (net) {
    case Network::kIpv4:
      if (!DecodeIpv4(c, p, n, ip)) return DecodeResult::kMalformed;
      break;
    case Network::kIpv6:
      if (!DecodeIpv6(c, p, n, ip)) return DecodeResult::kMalformed;
      break;
    default:
      ++c.counters.other;
      return DecodeResult::kOk;
  }
  // Fragments wait for reassembly: their payload is the IP payload.
  if (c.pkt.is_fragment) {
    ++c.counters.other;
    return DecodeResult::kOk;
  }
  return DecodeTransport(c, ip) ? DecodeResult::kOk : DecodeResult::kMalformed;
}

}  // namespace internal

DecodeResult Decoder::Decode(const capture::PacketView& view, Packet& packet) {
  packet = Packet{};
  packet.view = &view;
  ++counters_.packets;
  counters_.bytes += std::max(view.wirelen, view.caplen);

  internal::Context c{packet, counters_, options_.verify_checksums,
                      view.wirelen <= view.caplen};
  internal::LinkResult link;
  DecodeResult result = DecodeResult::kMalformed;
  if (internal::DecodeLink(c, view.linktype, view.data, view.caplen, link)) {
    result = internal::DecodeNetwork(c, link.network, view.data + link.offset, view.caplen - link.offset);
  }
  if (result == DecodeResult::kMalformed) ++counters_.invalid;
  return result;
}

}  // namespace kagami::decode
