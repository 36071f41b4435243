// libFuzzer target for the defragmenter. The first byte picks the overlap
// policy (bits 0-2, modulo 6) and whether packet time jumps past the timeout
// between frames (bit 3); the rest is a sequence of frames, each a 2-byte
// big-endian length and that many bytes of raw IP. Every frame is decoded in
// its own exactly sized buffer and fed to a Defragmenter with a small memcap
// when it is a fragment; every reassembled datagram is checked and decoded.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "capture/packet_view.h"
#include "engine/decode/decoder.h"
#include "engine/defrag/defragmenter.h"

namespace {

using kagami::defrag::Policy;

constexpr Policy kPolicies[] = {Policy::kFirst, Policy::kLast,    Policy::kBsd,
                                Policy::kLinux, Policy::kWindows, Policy::kSolaris};

uint8_t Touch(const uint8_t* p, uint32_t n) {
  uint8_t x = 0;
  for (uint32_t i = 0; i < n; ++i) x ^= p[i];
  return x;
}

// Decodes `n` bytes as raw IP from a copy of exactly that size, so ASan sees
// a read past the end.
void DecodeCopy(kagami::decode::Decoder& decoder, const uint8_t* data, size_t n,
                std::unique_ptr<uint8_t[]>& frame, kagami::capture::PacketView& view,
                kagami::decode::Packet& pkt) {
  frame.reset(new uint8_t[n ? n : 1]);
  if (n) std::memcpy(frame.get(), data, n);
  view = kagami::capture::PacketView{};
  view.linktype = kagami::capture::kLinkRaw;
  view.caplen = view.wirelen = static_cast<uint32_t>(n);
  view.data = frame.get();
  decoder.Decode(view, pkt);
}

uint32_t Load16(const uint8_t* p) { return uint32_t{p[0]} << 8 | p[1]; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static kagami::decode::Decoder decoder;
  kagami::defrag::DefragOptions options;
  options.policy = kPolicies[(data[0] & 7) % 6];
  options.memcap = 16 * 1024;  // small, so eviction runs
  options.max_fragments_per_datagram = 32;
  options.timeout_ns = 1000;
  const int64_t step = (data[0] & 8) ? 600 : 1;
  kagami::defrag::Defragmenter defrag(options);

  volatile uint8_t sink = 0;
  int64_t ts = 0;
  size_t pos = 1;
  while (pos + 2 <= size) {
    size_t n = Load16(data + pos);
    pos += 2;
    if (n > size - pos) n = size - pos;
    std::unique_ptr<uint8_t[]> frame;
    kagami::capture::PacketView view;
    kagami::decode::Packet pkt;
    DecodeCopy(decoder, data + pos, n, frame, view, pkt);
    pos += n;
    ts += step;
    if (!pkt.is_fragment) continue;

    const std::span<const uint8_t> out = defrag.Add(pkt, ts);
    if (defrag.memory_in_use() > options.memcap) __builtin_trap();
    if (!out.empty()) {
      // A standalone IP packet whose length fields say exactly its size.
      if (out.size() > 65535 + 40) __builtin_trap();
      const uint32_t version = out[0] >> 4;
      if (version == 4 && Load16(out.data() + 2) != out.size()) __builtin_trap();
      if (version == 6 && Load16(out.data() + 4) + 40 != out.size()) __builtin_trap();
      if (version != 4 && version != 6) __builtin_trap();
      std::unique_ptr<uint8_t[]> whole;
      kagami::capture::PacketView whole_view;
      kagami::decode::Packet whole_pkt;
      DecodeCopy(decoder, out.data(), out.size(), whole, whole_view, whole_pkt);
      if (whole_pkt.l3) sink = sink ^ Touch(whole_pkt.l3, whole_pkt.l3_len);
      if (whole_pkt.payload) sink = sink ^ Touch(whole_pkt.payload, whole_pkt.payload_len);
    }
    if ((ts & 63) == 0) defrag.Expire(ts);
  }
  defrag.Expire(ts + options.timeout_ns + 1);
  if (defrag.memory_in_use() != 0 || defrag.counters().in_progress != 0) __builtin_trap();
  (void)sink;
  return 0;
}
