// syn-flood and frag-flood: many small packets, each meant to make the
// sensor keep state (a flow, a fragment list) that nothing ever completes.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "tools/gen/attack_kinds.h"

namespace kagami::gen {
namespace {

constexpr int64_t kUs = 1000;

}  // namespace

void WriteSynFlood(AttackRun& run) {
  FrameBuilder frames;
  Rng& rng = run.rng;
  // What stacks and flood tools put in a SYN's window; half the floods
  // carry options, half are bare 40-byte SYNs as raw-socket tools send.
  static constexpr uint16_t kWindows[] = {64240, 65535, 29200, 8192, 5840, 1024, 512};
  for (uint64_t i = 0; i < run.count; ++i) {
    run.out.At(static_cast<double>(i) / static_cast<double>(run.count), run.now_ns);
    IpFields ip;
    ip.src = AttackerAddress(rng);
    ip.dst = kTargetServer;
    ip.id = static_cast<uint16_t>(rng.Next());
    ip.ttl = static_cast<uint8_t>(rng.Between(30, 250));
    ip.dont_fragment = rng.Chance(0.5);
    TcpFields t;
    t.sport = static_cast<uint16_t>(rng.Between(1024, 65535));
    t.dport = 80;
    t.seq = static_cast<uint32_t>(rng.Next());
    t.flags = kTcpSyn;
    t.window = rng.Pick(kWindows);
    t.syn_options = rng.Chance(0.5);
    run.out.Write(run.now_ns, frames.Tcp(ip, t));
    // About 100,000 SYNs a second: a small botnet, well under a 1 Gbit/s
    // link, so the capture is about flows, not bandwidth.
    run.now_ns += static_cast<int64_t>(rng.Between(4, 16)) * kUs;
  }
}

namespace {

// One datagram of the fragment flood: the pieces it will send, in the
// order it sends them. It never completes: either it has no last fragment
// (every piece has MF set) or one piece before the last is never sent.
// Some pieces come again later with other bytes, overlapping the first.
struct OpenDatagram {
  IpFields ip;
  uint16_t dport = 0;
  struct Piece {
    uint8_t offset;  // in 8-byte units
    bool more;       // MF
    bool overlap;    // a second copy with other bytes
  };
  std::vector<Piece> pieces;
  size_t next = 0;
};

constexpr size_t kOpenDatagrams = 64;  // datagrams in flight at once

void OpenNew(Rng& rng, OpenDatagram& d) {
  d.ip.src = AttackerAddress(rng);
  d.ip.dst = kTargetServer;
  d.ip.id = static_cast<uint16_t>(rng.Next());
  d.ip.ttl = static_cast<uint8_t>(rng.Between(30, 250));
  d.dport = rng.Chance(0.5) ? 53 : static_cast<uint16_t>(rng.Between(1, 65535));
  d.pieces.clear();
  d.next = 0;
  const uint8_t units = static_cast<uint8_t>(rng.Between(3, 24));
  const bool has_last = rng.Chance(0.5);
  // With a last fragment, one earlier piece (the first one too, at times)
  // stays missing.
  const uint8_t hole = has_last ? static_cast<uint8_t>(rng.Below(units - 1)) : 0xff;
  for (uint8_t off = 0; off < units; ++off) {
    if (off == hole) continue;
    d.pieces.push_back({off, !(has_last && off + 1 == units), false});
  }
  for (size_t i = d.pieces.size(); i > 1; --i) std::swap(d.pieces[i - 1], d.pieces[rng.Below(i)]);
  // Overlapping copies, each after the piece it overlaps.
  for (size_t i = 0; i < d.pieces.size(); ++i) {
    if (d.pieces[i].overlap || !rng.Chance(0.3)) continue;
    OpenDatagram::Piece copy = d.pieces[i];
    copy.overlap = true;
    d.pieces.insert(d.pieces.begin() + static_cast<std::ptrdiff_t>(rng.Between(i + 1, d.pieces.size())), copy);
  }
}

}  // namespace

void WriteFragFlood(AttackRun& run) {
  FrameBuilder frames;
  Rng& rng = run.rng;
  std::array<OpenDatagram, kOpenDatagrams> open;
  for (OpenDatagram& d : open) OpenNew(rng, d);
  for (uint64_t i = 0; i < run.count; ++i) {
    run.out.At(static_cast<double>(i) / static_cast<double>(run.count), run.now_ns);
    OpenDatagram& d = open[rng.Below(open.size())];
    const OpenDatagram::Piece piece = d.pieces[d.next++];
    uint8_t payload[8];
    if (piece.offset == 0) {
      // The first piece holds the UDP header, whose length and checksum
      // speak for a datagram that never arrives whole.
      const uint16_t sport = static_cast<uint16_t>(rng.Between(1024, 65535));
      const uint16_t length = static_cast<uint16_t>(rng.Between(64, 1400));
      const uint16_t sum = static_cast<uint16_t>(rng.Next());
      const uint8_t header[8] = {static_cast<uint8_t>(sport >> 8),    static_cast<uint8_t>(sport),
                                 static_cast<uint8_t>(d.dport >> 8),  static_cast<uint8_t>(d.dport),
                                 static_cast<uint8_t>(length >> 8),   static_cast<uint8_t>(length),
                                 static_cast<uint8_t>(sum >> 8),      static_cast<uint8_t>(sum)};
      std::memcpy(payload, header, 8);
    } else {
      const uint64_t bits = rng.Next();
      for (int k = 0; k < 8; ++k) payload[k] = static_cast<uint8_t>(bits >> (8 * k));
    }
    // Each fragment is its own IP packet; only the id ties them together.
    d.ip.dont_fragment = false;
    run.out.Write(run.now_ns, frames.Ipv4Fragment(d.ip, 17, piece.offset, piece.more, payload));
    run.now_ns += static_cast<int64_t>(rng.Between(5, 15)) * kUs;
    if (d.next == d.pieces.size()) OpenNew(rng, d);
  }
}

}  // namespace kagami::gen
