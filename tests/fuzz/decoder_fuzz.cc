// libFuzzer target for the packet decoder: the first byte picks a link type,
// the rest is the frame. Decodes with checksum verification on and touches
// every byte the Packet points at, so ASan sees any pointer past caplen.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "capture/packet_view.h"
#include "engine/decode/decoder.h"

namespace {

constexpr uint32_t kLinkTypes[] = {
    kagami::capture::kLinkEthernet, kagami::capture::kLinkLinuxSll,
    kagami::capture::kLinkLinuxSll2, kagami::capture::kLinkRaw,
    kagami::capture::kLinkIpv4,     kagami::capture::kLinkIpv6,
    kagami::capture::kLinkNull,     kagami::capture::kLinkLoop,
    kagami::capture::kLinkCiscoHdlc,
};

uint8_t Touch(const uint8_t* p, uint32_t n) {
  uint8_t x = 0;
  for (uint32_t i = 0; i < n; ++i) x ^= p[i];
  return x;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static kagami::decode::Decoder decoder({.verify_checksums = true});
  // A copy of exactly the frame's size, so reading one byte past caplen is
  // a heap overflow ASan reports.
  const size_t len = size - 1;
  std::unique_ptr<uint8_t[]> frame(new uint8_t[len ? len : 1]);
  if (len) std::memcpy(frame.get(), data + 1, len);

  kagami::capture::PacketView view;
  view.linktype = kLinkTypes[data[0] % std::size(kLinkTypes)];
  view.caplen = static_cast<uint32_t>(len);
  view.wirelen = (data[0] & 0x80) ? view.caplen + 100 : view.caplen;  // snaplen cut or not
  view.data = frame.get();

  kagami::decode::Packet pkt;
  decoder.Decode(view, pkt);
  volatile uint8_t sink = 0;
  if (pkt.l3) sink = sink ^ Touch(pkt.l3, pkt.l3_len);
  if (pkt.l4) sink = sink ^ Touch(pkt.l4, pkt.l4_len);
  if (pkt.payload) sink = sink ^ Touch(pkt.payload, pkt.payload_len);
  // Tunnels, as the pipeline walks them: each level's packet must stay
  // alive while the next one (which points at it) is decoded. One more
  // level than the default depth limit, to reach kTunnelTooDeep too.
  kagami::decode::Packet inner[4];
  const kagami::decode::Packet* outer = &pkt;
  for (kagami::decode::Packet& in : inner) {
    const kagami::decode::DecodeResult r = decoder.DecodeTunnel(*outer, in);
    if (in.l3) sink = sink ^ Touch(in.l3, in.l3_len);
    if (in.l4) sink = sink ^ Touch(in.l4, in.l4_len);
    if (in.payload) sink = sink ^ Touch(in.payload, in.payload_len);
    if (r != kagami::decode::DecodeResult::kOk || in.ip_version == 0) break;
    outer = &in;
  }
  (void)sink;
  (void)kagami::decode::AnomalyName(kagami::decode::Anomaly::kCount);
  return 0;
}
