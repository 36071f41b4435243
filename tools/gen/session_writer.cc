#include "tools/gen/session_writer.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "engine/decode/checksum.h"

namespace kagami::gen {
namespace {

constexpr int64_t kUs = 1000;
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;
constexpr size_t kEthLen = 14, kIpv4Len = 20, kIpv6Len = 40, kTcpLen = 20, kUdpLen = 8;
constexpr size_t kSynOptionsLen = 12;
// A UDP payload larger than this would need IP fragmentation; the writer
// never fragments, so longer messages are cut (no generator makes them).
constexpr size_t kMaxUdpPayload = 65000;
// The frame buffer holds the largest segment or datagram with its headers.
constexpr size_t kFrameCapacity = kEthLen + kIpv6Len + kTcpLen + kSynOptionsLen + kMaxUdpPayload + 64;

// The router every flow goes through, as seen from the sensor on the LAN.
constexpr uint8_t kGatewayMac[6] = {0x00, 0x0c, 0x86, 0xa1, 0x39, 0x7f};

inline void Be16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Be32(uint8_t* p, uint32_t v) {
  Be16(p, v >> 16);
  Be16(p + 2, v & 0xffff);
}

// The checksum to store: the complement of the decoder's RFC 1071 sum, in
// native order like the sum itself (right on either byte order).
uint16_t Fold(uint64_t acc) { return static_cast<uint16_t>(~decode::ChecksumFold(acc)); }

void StoreChecksum(uint8_t* at, uint16_t native) { std::memcpy(at, &native, 2); }

bool ParseAddress(const std::string& text, bool* v6, uint8_t out[16]) {
  std::memset(out, 0, 16);
  if (text.find(':') != std::string::npos) {
    *v6 = true;
    return inet_pton(AF_INET6, text.c_str(), out) == 1;
  }
  *v6 = false;
  return inet_pton(AF_INET, text.c_str(), out) == 1;
}

}  // namespace

// One session on the wire. Side 0 is the client, side 1 the server.
struct SessionWriter::Active {
  enum class Step { kSyn, kSynAck, kHandshakeAck, kData, kFin1, kFin2, kLastAck, kDone };

  bool busy = false;
  Session session;
  bool v6 = false;
  uint8_t addr[2][16]{};
  uint16_t port[2]{};
  uint8_t mac[2][6]{};
  uint16_t ip_id[2]{};
  uint8_t ttl[2]{};
  uint32_t flow_label[2]{};
  uint16_t window[2]{};
  uint8_t window_shift[2]{};
  uint32_t isn[2]{};
  uint32_t next_seq[2]{};  // next sequence number each side sends
  int64_t rtt_ns = 0;
  int64_t due_ns = 0;      // when the next packet goes out
  Step step = Step::kSyn;
  size_t msg = 0, off = 0;
  int unacked = 0;         // segments of the current sender not yet ACKed
  bool ack_pending = false;
  int ack_side = 0;        // the side owing a pure ACK
  int closer = 0;          // the side that sends the first FIN
  uint64_t estimate = 0;

  int SenderOf(size_t i) const { return session.messages[i].from_client ? 0 : 1; }
  void SkipEmpty() {
    while (msg < session.messages.size() && session.messages[msg].bytes.empty()) ++msg;
  }
};

SessionWriter::SessionWriter(const SessionWriterOptions& options, uint64_t seed, PacketSink* sink)
    : options_(options), rng_(seed), sink_(sink), clock_ns_(options.start_ns), frame_(kFrameCapacity) {
  options_.concurrency = std::max<size_t>(1, options_.concurrency);
  options_.mss = std::clamp<uint32_t>(options_.mss, 1, 9000);
  for (size_t i = 0; i < options_.concurrency; ++i) slots_.push_back(std::make_unique<Active>());
}

SessionWriter::~SessionWriter() = default;

void SessionWriter::Add(Session session) {
  while (active_ == slots_.size()) EmitOne();
  Active* a = nullptr;
  for (auto& s : slots_) {
    if (!s->busy) {
      a = s.get();
      break;
    }
  }
  Active& x = *a;
  x.session = std::move(session);
  bool v6c = false, v6s = false;
  if (!ParseAddress(x.session.client.ip, &v6c, x.addr[0]) || !ParseAddress(x.session.server.ip, &v6s, x.addr[1]) ||
      v6c != v6s) {
    return;  // not addresses we can put on the wire: nothing to write
  }
  x.busy = true;
  ++active_;
  x.v6 = v6c;
  x.port[0] = x.session.client.port != 0 ? x.session.client.port : static_cast<uint16_t>(rng_.Between(32768, 60999));
  x.port[1] = x.session.server.port;
  // A client's MAC follows from its address, so a host keeps its MAC.
  const uint8_t* c = x.addr[0] + (x.v6 ? 13 : 1);
  const uint8_t client_mac[6] = {0xa4, 0xbb, 0x6d, c[0], c[1], c[2]};
  std::memcpy(x.mac[0], client_mac, 6);
  std::memcpy(x.mac[1], kGatewayMac, 6);
  for (int side = 0; side < 2; ++side) {
    x.ip_id[side] = static_cast<uint16_t>(rng_.Next());
    x.flow_label[side] = static_cast<uint32_t>(rng_.Next()) & 0xfffff;
    x.isn[side] = static_cast<uint32_t>(rng_.Next());
    x.next_seq[side] = x.isn[side];
    x.window_shift[side] = static_cast<uint8_t>(side == 0 ? 7 : rng_.Between(7, 9));
    x.window[side] = static_cast<uint16_t>(rng_.Between(500, 2000));
  }
  // Clients start at 64 (Linux, macOS) or 128 (Windows) and sit next to the
  // sensor; servers are some hops away.
  x.ttl[0] = rng_.Chance(0.6) ? 128 : 64;
  x.ttl[1] = static_cast<uint8_t>((rng_.Chance(0.7) ? 64 : 128) - rng_.Between(5, 22));
  x.rtt_ns = static_cast<int64_t>(rng_.Chance(0.3) ? rng_.Between(800, 15000) : rng_.Between(15000, 180000)) * kUs;
  x.due_ns = clock_ns_ + static_cast<int64_t>(rng_.Between(10, 3000)) * kUs;
  x.step = x.session.transport == Transport::kTcp ? Active::Step::kSyn : Active::Step::kData;
  x.msg = x.off = 0;
  x.unacked = 0;
  x.ack_pending = false;
  x.SkipEmpty();
  // The side that spoke last usually closes (a server after its response
  // with Connection: close, or a client done with its keep-alive).
  x.closer = rng_.Chance(0.7) ? 0 : 1;

  const uint64_t header = kEthLen + (x.v6 ? kIpv6Len : kIpv4Len) + kTcpLen + 16 /* pcap record */;
  uint64_t est = 0;
  for (const Message& m : x.session.messages) {
    const uint64_t segs = (m.bytes.size() + options_.mss - 1) / options_.mss;
    est += m.bytes.size() + segs * header * (options_.random_splits ? 2 : 1) + segs * header / 2 + header;
  }
  if (x.session.transport == Transport::kTcp) est += 7 * header;
  x.estimate = est;
  pending_estimate_ += est;
}

void SessionWriter::Finish() {
  while (EmitOne()) {
  }
}

bool SessionWriter::EmitOne() {
  if (active_ == 0) return false;
  Active* next = nullptr;
  for (auto& s : slots_) {
    if (s->busy && (next == nullptr || s->due_ns < next->due_ns)) next = s.get();
  }
  clock_ns_ = std::max(clock_ns_, next->due_ns);
  if (next->session.transport == Transport::kTcp) {
    EmitTcp(*next);
  } else {
    EmitUdp(*next);
  }
  if (next->step == Active::Step::kDone) {
    next->busy = false;
    next->session = Session{};
    --active_;
    pending_estimate_ -= std::min(pending_estimate_, next->estimate);
    ++sessions_done_;
  }
  return true;
}

void SessionWriter::EmitTcp(Active& a) {
  using Step = Active::Step;
  auto later = [&](int64_t lo_us, int64_t hi_us) {
    a.due_ns = clock_ns_ + static_cast<int64_t>(rng_.Between(static_cast<uint64_t>(lo_us), static_cast<uint64_t>(hi_us))) * kUs;
  };
  // The sensor sits by the client: what the server sends in answer to a
  // client packet shows up a round trip later.
  auto after_rtt = [&](int64_t lo_us, int64_t hi_us) {
    later(lo_us, hi_us);
    a.due_ns += a.rtt_ns;
  };
  // When the next data segment (or the teardown) is due, given that side
  // `last_side` sent the packet just written.
  auto schedule_data = [&](int last_side, bool mid_message) {
    if (a.msg >= a.session.messages.size()) {
      later(100, 8000);  // end of the conversation: someone closes
      return;
    }
    const int sender = a.SenderOf(a.msg);
    if (mid_message) {
      later(2, 60);  // back-to-back segments
    } else if (sender == last_side) {
      later(30, 4000);  // another message from the same side
    } else if (sender == 1) {
      after_rtt(150, 25000);  // the server answers after its processing time
    } else {
      later(2000, 900000);  // the user or application thinks
    }
  };
  const size_t mss = options_.mss;
  switch (a.step) {
    case Step::kSyn:
      Frame(a, true, kSyn, nullptr, 0, true);
      ++a.next_seq[0];
      a.step = Step::kSynAck;
      after_rtt(10, 200);
      return;
    case Step::kSynAck:
      Frame(a, false, kSyn | kAck, nullptr, 0, true);
      ++a.next_seq[1];
      a.step = Step::kHandshakeAck;
      later(20, 300);
      return;
    case Step::kHandshakeAck:
      Frame(a, true, kAck, nullptr, 0, false);
      a.step = Step::kData;
      if (a.msg < a.session.messages.size() && a.SenderOf(a.msg) == 1) {
        after_rtt(100, 3000);  // a server that speaks first (banners)
      } else {
        later(30, 2000);
      }
      return;
    case Step::kData: {
      if (a.ack_pending) {
        Frame(a, a.ack_side == 0, kAck, nullptr, 0, false);
        a.ack_pending = false;
        a.unacked = 0;
        const bool mid = a.off > 0;
        if (a.msg < a.session.messages.size() && a.SenderOf(a.msg) == 1 && !mid && a.ack_side == 1) {
          later(150, 25000);  // the server ACKed the request, then answers
        } else {
          schedule_data(a.ack_side, mid);
        }
        return;
      }
      if (a.msg >= a.session.messages.size()) {
        a.step = Step::kFin1;
        EmitTcp(a);
        return;
      }
      const Message& m = a.session.messages[a.msg];
      const int side = m.from_client ? 0 : 1;
      size_t len = std::min(mss, m.bytes.size() - a.off);
      if (options_.random_splits && rng_.Chance(0.3)) len = rng_.Between(1, len);
      const bool last = a.off + len == m.bytes.size();
      Frame(a, side == 0, last ? (kAck | kPsh) : kAck, m.bytes.data() + a.off, len, false);
      a.next_seq[side] += static_cast<uint32_t>(len);
      a.off += len;
      ++a.unacked;
      if (last) {
        ++a.msg;
        a.off = 0;
        a.SkipEmpty();
        const bool more = a.msg < a.session.messages.size();
        const bool same_next = more && a.SenderOf(a.msg) == side;
        if (!more || same_next || a.unacked >= 2 || rng_.Chance(0.5)) a.ack_pending = true;
      } else if (a.unacked >= 2) {
        a.ack_pending = true;
      }
      if (a.ack_pending) {
        a.ack_side = 1 - side;
        if (a.ack_side == 1) {
          after_rtt(5, 200);
        } else {
          later(10, last ? 40000 : 200);  // a delayed ACK waits up to 40 ms
        }
      } else {
        schedule_data(side, !last);
      }
      return;
    }
    case Step::kFin1:
      Frame(a, a.closer == 0, kFin | kAck, nullptr, 0, false);
      ++a.next_seq[a.closer];
      a.step = Step::kFin2;
      if (a.closer == 0) {
        after_rtt(10, 300);
      } else {
        later(20, 2000);
      }
      return;
    case Step::kFin2:
      Frame(a, a.closer == 1, kFin | kAck, nullptr, 0, false);
      ++a.next_seq[1 - a.closer];
      a.step = Step::kLastAck;
      if (a.closer == 0) {
        later(10, 200);
      } else {
        after_rtt(10, 300);
      }
      return;
    case Step::kLastAck:
      Frame(a, a.closer == 0, kAck, nullptr, 0, false);
      a.step = Step::kDone;
      return;
    case Step::kDone:
      return;
  }
}

void SessionWriter::EmitUdp(Active& a) {
  if (a.msg >= a.session.messages.size()) {
    a.step = Active::Step::kDone;
    return;
  }
  const Message& m = a.session.messages[a.msg];
  Frame(a, m.from_client, 0, m.bytes.data(), std::min(m.bytes.size(), kMaxUdpPayload), false);
  const int side = m.from_client ? 0 : 1;
  ++a.msg;
  a.SkipEmpty();
  if (a.msg >= a.session.messages.size()) {
    a.step = Active::Step::kDone;
    return;
  }
  const int next = a.SenderOf(a.msg);
  int64_t delay_us;
  if (next == side) {
    delay_us = static_cast<int64_t>(rng_.Between(20, 3000));
  } else if (next == 1) {
    delay_us = static_cast<int64_t>(rng_.Between(50, 40000)) + a.rtt_ns / kUs;
  } else {
    delay_us = static_cast<int64_t>(rng_.Between(100, 200000));
  }
  a.due_ns = clock_ns_ + delay_us * kUs;
}

void SessionWriter::Frame(Active& a, bool from_client, uint8_t tcp_flags, const char* payload, size_t len,
                          bool syn_options) {
  const int me = from_client ? 0 : 1, peer = 1 - me;
  const bool tcp = a.session.transport == Transport::kTcp;
  const size_t l4_header = tcp ? kTcpLen + (syn_options ? kSynOptionsLen : 0) : kUdpLen;
  const size_t l4_len = l4_header + len;
  const size_t ip_len = a.v6 ? kIpv6Len : kIpv4Len;
  uint8_t* f = frame_.data();

  // Ethernet: toward the gateway, or from it.
  std::memcpy(f, from_client ? kGatewayMac : a.mac[0], 6);
  std::memcpy(f + 6, from_client ? a.mac[0] : kGatewayMac, 6);
  Be16(f + 12, a.v6 ? 0x86dd : 0x0800);

  uint8_t* ip = f + kEthLen;
  const uint8_t proto = tcp ? 6 : 17;
  uint64_t pseudo = 0;
  if (a.v6) {
    Be32(ip, (6u << 28) | a.flow_label[me]);
    Be16(ip + 4, static_cast<uint32_t>(l4_len));
    ip[6] = proto;
    ip[7] = a.ttl[me];
    std::memcpy(ip + 8, a.addr[me], 16);
    std::memcpy(ip + 24, a.addr[peer], 16);
    pseudo = decode::ChecksumAdd(ip + 8, 32, 0);
    uint8_t tail[8];
    Be32(tail, static_cast<uint32_t>(l4_len));
    Be32(tail + 4, proto);
    pseudo = decode::ChecksumAdd(tail, 8, pseudo);
  } else {
    ip[0] = 0x45;
    ip[1] = 0;
    Be16(ip + 2, static_cast<uint32_t>(ip_len + l4_len));
    Be16(ip + 4, a.ip_id[me]++);
    Be16(ip + 6, tcp ? 0x4000 : 0);  // DF on TCP, as stacks doing PMTU discovery set it
    ip[8] = a.ttl[me];
    ip[9] = proto;
    ip[10] = ip[11] = 0;
    std::memcpy(ip + 12, a.addr[me], 4);
    std::memcpy(ip + 16, a.addr[peer], 4);
    StoreChecksum(ip + 10, Fold(decode::ChecksumAdd(ip, kIpv4Len, 0)));
    pseudo = decode::ChecksumAdd(ip + 12, 8, 0);
    uint8_t tail[4] = {0, proto, 0, 0};
    Be16(tail + 2, static_cast<uint32_t>(l4_len));
    pseudo = decode::ChecksumAdd(tail, 4, pseudo);
  }

  uint8_t* l4 = ip + ip_len;
  Be16(l4, a.port[me]);
  Be16(l4 + 2, a.port[peer]);
  if (tcp) {
    Be32(l4 + 4, a.next_seq[me]);
    Be32(l4 + 8, (tcp_flags & kAck) ? a.next_seq[peer] : 0);
    l4[12] = static_cast<uint8_t>((l4_header / 4) << 4);
    l4[13] = tcp_flags;
    // Handshake windows are unscaled; later ones count in scaled units.
    Be16(l4 + 14, syn_options ? (me == 0 ? 64240 : 65160) : a.window[me]);
    l4[16] = l4[17] = 0;
    l4[18] = l4[19] = 0;
    if (syn_options) {
      uint8_t* o = l4 + kTcpLen;
      o[0] = 2;  // MSS
      o[1] = 4;
      Be16(o + 2, static_cast<uint32_t>(options_.mss));
      o[4] = 1;  // NOP
      o[5] = 3;  // window scale
      o[6] = 3;
      o[7] = a.window_shift[me];
      o[8] = 1;
      o[9] = 1;
      o[10] = 4;  // SACK permitted
      o[11] = 2;
    }
  } else {
    Be16(l4 + 4, static_cast<uint32_t>(l4_len));
    l4[6] = l4[7] = 0;
  }
  if (len > 0) std::memcpy(l4 + l4_header, payload, len);
  uint16_t sum = Fold(decode::ChecksumAdd(l4, l4_len, pseudo));
  if (!tcp && sum == 0) sum = 0xffff;  // UDP: 0 means "no checksum"
  StoreChecksum(l4 + (tcp ? 16 : 6), sum);

  const size_t total = kEthLen + ip_len + l4_len;
  sink_->WritePacket(clock_ns_, std::span<const uint8_t>(f, total));
  // What is written no longer counts as pending.
  const uint64_t written = std::min<uint64_t>(a.estimate, total + 16);
  a.estimate -= written;
  pending_estimate_ -= written;
}

}  // namespace kagami::gen
