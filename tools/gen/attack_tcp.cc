// tcp-reverse, http-slow-headers and http-upload: TCP connections that are
// valid on the wire but cost a sensor's reassembly and HTTP parser as much
// as they can: every byte its own out-of-order segment, connections that
// never finish their headers, a body larger than anything it inspects.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/gen/attack_kinds.h"
#include "tools/gen/benign_traffic.h"

namespace kagami::gen {
namespace {

constexpr int64_t kUs = 1000;

// One TCP connection written frame by frame. Side 0 is the client, side 1
// the server; each side's sequence numbers, IP ids and windows are kept
// here, the timing by the caller.
class Connection {
 public:
  Connection(Rng& rng, uint32_t client, uint16_t client_port, uint32_t server, uint16_t server_port) {
    ip_[0].src = ip_[1].dst = client;
    ip_[0].dst = ip_[1].src = server;
    tcp_[0].sport = tcp_[1].dport = client_port;
    tcp_[0].dport = tcp_[1].sport = server_port;
    for (int side = 0; side < 2; ++side) {
      ip_[side].id = static_cast<uint16_t>(rng.Next());
      tcp_[side].seq = static_cast<uint32_t>(rng.Next());
      tcp_[side].window = static_cast<uint16_t>(rng.Between(500, 2000));
      tcp_[side].window_shift = static_cast<uint8_t>(rng.Between(7, 9));
    }
    ip_[0].ttl = rng.Chance(0.6) ? 128 : 64;
    ip_[1].ttl = 64;
  }

  // The next sequence number `side` sends.
  uint32_t next_seq(int side) const { return tcp_[side].seq; }

  // A segment from `side` at its next sequence number, which then moves
  // past the payload (and past a SYN or FIN).
  std::span<const uint8_t> Send(int side, uint8_t flags, std::string_view payload = {}) {
    auto frame = At(side, tcp_[side].seq, flags, payload);
    tcp_[side].seq += static_cast<uint32_t>(payload.size()) + ((flags & (kTcpSyn | kTcpFin)) ? 1 : 0);
    return frame;
  }
  // A segment from `side` at sequence number `seq`, leaving the next
  // sequence number alone (segments sent out of order).
  std::span<const uint8_t> At(int side, uint32_t seq, uint8_t flags, std::string_view payload) {
    TcpFields t = tcp_[side];
    t.seq = seq;
    t.ack = tcp_[1 - side].seq;
    t.flags = flags;
    t.syn_options = (flags & kTcpSyn) != 0;
    if (t.syn_options) t.window = side == 0 ? 64240 : 65160;  // unscaled in the handshake
    IpFields ip = ip_[side];
    ++ip_[side].id;
    return frames_.Tcp(ip, t, payload);
  }
  // Moves `side`'s next sequence number on by `n` bytes sent out of order.
  void Advance(int side, uint32_t n) { tcp_[side].seq += n; }

 private:
  FrameBuilder frames_;
  IpFields ip_[2];
  TcpFields tcp_[2];
};

// SYN, SYN/ACK a round trip later, ACK; leaves now_ns after the ACK.
void Handshake(AttackRun& run, Connection& c, int64_t rtt_ns) {
  run.out.Write(run.now_ns, c.Send(0, kTcpSyn));
  run.now_ns += rtt_ns;
  run.out.Write(run.now_ns, c.Send(1, kTcpSyn | kTcpAck));
  run.now_ns += static_cast<int64_t>(run.rng.Between(20, 300)) * kUs;
  run.out.Write(run.now_ns, c.Send(0, kTcpAck));
  run.now_ns += static_cast<int64_t>(run.rng.Between(30, 2000)) * kUs;
}

// The server's answer to a finished request, then the client closes.
void AnswerAndClose(AttackRun& run, Connection& c, int64_t rtt_ns, std::string_view response) {
  Rng& rng = run.rng;
  run.now_ns += rtt_ns / 2;
  run.out.Write(run.now_ns, c.Send(1, kTcpAck));
  run.now_ns += static_cast<int64_t>(rng.Between(200, 5000)) * kUs;
  run.out.Write(run.now_ns, c.Send(1, kTcpAck | kTcpPsh, response));
  run.now_ns += rtt_ns / 2 + static_cast<int64_t>(rng.Between(10, 200)) * kUs;
  run.out.Write(run.now_ns, c.Send(0, kTcpAck));
  run.now_ns += static_cast<int64_t>(rng.Between(100, 8000)) * kUs;
  run.out.Write(run.now_ns, c.Send(0, kTcpFin | kTcpAck));
  run.now_ns += rtt_ns;
  run.out.Write(run.now_ns, c.Send(1, kTcpFin | kTcpAck));
  run.now_ns += static_cast<int64_t>(rng.Between(10, 200)) * kUs;
  run.out.Write(run.now_ns, c.Send(0, kTcpAck));
}

int64_t RoundTrip(Rng& rng) { return static_cast<int64_t>(rng.Between(5'000, 60'000)) * kUs; }

// The request line and headers before tcp-reverse's padding decision.
std::string MarkerHead(const std::string& uri_padding, uint64_t content_length, bool with_length) {
  std::string head = absl::StrCat("GET ", kAttackMarker, "/", uri_padding,
                                  " HTTP/1.1\r\n"
                                  "Host: ",
                                  kTargetHost,
                                  "\r\n"
                                  "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
                                  "Accept: */*\r\n");
  if (with_length) absl::StrAppend(&head, "Content-Length: ", content_length, "\r\n");
  head.append("\r\n");
  return head;
}

constexpr size_t kUriPadding = 16;      // the shortest URI tail after the marker
constexpr uint64_t kMaxUriGrowth = 64;  // beyond this much more, a body pads the request

}  // namespace

uint64_t MinimumMarkerRequest() { return MarkerHead(std::string(kUriPadding, 'a'), 0, false).size(); }

std::string MarkerRequest(Rng& rng, uint64_t size) {
  const uint64_t base = MinimumMarkerRequest();
  if (size < base) size = base;
  // A little padding goes into the URI; more becomes a body, so that a
  // megabyte request stays one request with ordinary header sizes.
  uint64_t uri_extra = size - base;
  uint64_t body = 0;
  bool with_length = false;
  if (uri_extra >= kMaxUriGrowth) {
    // The Content-Length digits count toward the size; some sizes have no
    // body length that fits exactly, and then one more URI byte does.
    for (uri_extra = 0;; ++uri_extra) {
      const uint64_t head = MarkerHead(std::string(kUriPadding + uri_extra, 'a'), 0, true).size() - 1;  // "0" is 1 digit
      bool found = false;
      for (uint64_t digits = 1; digits <= 20 && !found; ++digits) {
        if (size < head + digits) break;
        const uint64_t b = size - head - digits;
        if (std::to_string(b).size() == digits) {
          body = b;
          found = true;
        }
      }
      if (found) break;
    }
    with_length = true;
  }
  std::string request = MarkerHead(rng.Lower(kUriPadding + uri_extra), body, with_length);
  request.reserve(size);
  request.append(rng.Lower(body));
  return request;
}

void WriteTcpReverse(AttackRun& run) {
  Rng& rng = run.rng;
  const std::string request = MarkerRequest(rng, run.count);
  const uint64_t n = request.size();
  Connection c(rng, AttackerAddress(rng), EphemeralPort(rng), kTargetServer, 80);
  const int64_t rtt = RoundTrip(rng);
  run.out.At(0, run.now_ns);
  Handshake(run, c, rtt);

  // The segments: (offset, length) in the order they go out.
  const bool overlapping = run.order == SegmentOrder::kOverlapping;
  const uint64_t segments = overlapping ? n - 1 : n;
  std::vector<uint32_t> order;
  if (run.order == SegmentOrder::kRandom || overlapping) {
    order.resize(segments);
    for (uint64_t i = 0; i < segments; ++i) order[i] = static_cast<uint32_t>(i);
    for (uint64_t i = segments; i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);
  }
  const uint32_t first = c.next_seq(0);
  for (uint64_t k = 0; k < segments; ++k) {
    run.out.At(static_cast<double>(k) / static_cast<double>(segments), run.now_ns);
    uint64_t off = k;
    if (run.order == SegmentOrder::kReverse) off = n - 1 - k;
    if (!order.empty()) off = order[k];
    const size_t len = overlapping ? 2 : 1;
    const bool last = off + len == n;
    run.out.Write(run.now_ns, c.At(0, first + static_cast<uint32_t>(off), last ? (kTcpAck | kTcpPsh) : kTcpAck,
                                   std::string_view(request).substr(off, len)));
    run.now_ns += static_cast<int64_t>(rng.Between(2, 20)) * kUs;
  }
  c.Advance(0, static_cast<uint32_t>(n));
  AnswerAndClose(run, c, rtt,
                 "HTTP/1.1 404 Not Found\r\n"
                 "Content-Type: text/plain\r\n"
                 "Content-Length: 10\r\n"
                 "Connection: close\r\n\r\n"
                 "not found\n");
}

namespace {

// http-slow-headers keeps nothing per connection: everything about
// connection i comes from hashing i, so 100,000 of them cost no memory.
struct SlowConnection {
  uint32_t client;
  uint16_t port;
  uint32_t isn[2];
  uint16_t ip_id[2];
  std::string request_line;
};

uint64_t Hash(uint64_t key, uint64_t i) { return Rng(key ^ (i * 0xd6e8feb86659fd93ULL)).Next(); }

constexpr const char* kSlowPaths[] = {"/", "/index.html", "/login", "/search", "/api/v1/status", "/static/app.js"};

class SlowConnections {
 public:
  SlowConnections(Rng& rng, uint64_t count) : key_(rng.Next()) {
    // A botnet: a few thousand sources, each holding many connections
    // (source port 1024 up), so every connection is its own 5-tuple.
    sources_.resize(std::min<uint64_t>(count, 4096));
    for (uint32_t& s : sources_) s = AttackerAddress(rng);
  }
  SlowConnection Get(uint64_t i) const {
    SlowConnection c;
    c.client = sources_[i % sources_.size()];
    c.port = static_cast<uint16_t>(1024 + i / sources_.size());
    const uint64_t h = Hash(key_, i), g = Hash(key_ + 1, i);
    c.isn[0] = static_cast<uint32_t>(h);
    c.isn[1] = static_cast<uint32_t>(h >> 32);
    c.ip_id[0] = static_cast<uint16_t>(g);
    c.ip_id[1] = static_cast<uint16_t>(g >> 16);
    char id[9];
    std::snprintf(id, sizeof id, "%08x", static_cast<unsigned>(g >> 32));
    c.request_line = absl::StrCat("GET ", kSlowPaths[(g >> 24) % std::size(kSlowPaths)], "?r=", id, " HTTP/1.1\r\n");
    return c;
  }

 private:
  uint64_t key_;
  std::vector<uint32_t> sources_;
};

constexpr char kSlowHeaderLine[] = "Host: www.kagami-target.test\r\n";

}  // namespace

void WriteHttpSlowHeaders(AttackRun& run) {
  Rng& rng = run.rng;
  const uint64_t n = run.count;
  const SlowConnections conns(rng, n);
  FrameBuilder frames;
  // A frame of connection i from `side`; `packet` numbers the side's
  // packets (for the IP id), `sent` the payload bytes it sent before.
  auto frame = [&](uint64_t i, int side, int packet, uint32_t sent, uint8_t flags, std::string_view payload,
                   uint32_t peer_sent) {
    const SlowConnection c = conns.Get(i);
    IpFields ip;
    ip.src = side == 0 ? c.client : kTargetServer;
    ip.dst = side == 0 ? kTargetServer : c.client;
    ip.id = static_cast<uint16_t>(c.ip_id[side] + packet);
    ip.ttl = side == 0 ? 118 : 64;
    TcpFields t;
    t.sport = side == 0 ? c.port : 80;
    t.dport = side == 0 ? 80 : c.port;
    const bool syn = (flags & kTcpSyn) != 0;
    t.seq = c.isn[side] + (syn ? 0 : 1 + sent);
    t.ack = c.isn[1 - side] + 1 + peer_sent;
    t.flags = flags;
    t.syn_options = syn;
    t.window = syn ? 64240 : 502;
    return frames.Tcp(ip, t, payload);
  };
  auto tick = [&]() { run.now_ns += static_cast<int64_t>(rng.Between(5, 30)) * kUs; };
  // The server's answer to connection i trails the client's packets by
  // kLag connections (about a round trip at this rate).
  constexpr uint64_t kLag = 64;
  const double total = 3.0 * static_cast<double>(n);

  // 1: every connection's handshake, interleaved.
  for (uint64_t j = 0; j < n + 2 * kLag; ++j) {
    run.out.At(static_cast<double>(std::min(j, n)) / total, run.now_ns);
    if (j < n) {
      run.out.Write(run.now_ns, frame(j, 0, 0, 0, kTcpSyn, {}, 0));
      tick();
    }
    if (j >= kLag && j - kLag < n) {
      run.out.Write(run.now_ns, frame(j - kLag, 1, 0, 0, kTcpSyn | kTcpAck, {}, 0));
      tick();
    }
    if (j >= 2 * kLag && j - 2 * kLag < n) {
      run.out.Write(run.now_ns, frame(j - 2 * kLag, 0, 1, 0, kTcpAck, {}, 0));
      tick();
    }
  }
  // 2: a moment later, every request line; 3: seconds later, one header
  // line each. The server ACKs each; the blank line never comes.
  for (int phase = 1; phase <= 2; ++phase) {
    run.now_ns += static_cast<int64_t>(phase == 1 ? rng.Between(500, 2000) : rng.Between(5000, 10000)) * 1'000'000;
    for (uint64_t j = 0; j < n + kLag; ++j) {
      run.out.At((static_cast<double>(phase) * static_cast<double>(n) + static_cast<double>(std::min(j, n))) / total,
                 run.now_ns);
      if (j < n) {
        const SlowConnection c = conns.Get(j);
        const uint32_t before = phase == 1 ? 0 : static_cast<uint32_t>(c.request_line.size());
        const std::string_view line = phase == 1 ? std::string_view(c.request_line) : std::string_view(kSlowHeaderLine);
        run.out.Write(run.now_ns, frame(j, 0, 1 + phase, before, kTcpAck | kTcpPsh, line, 0));
        tick();
      }
      if (j >= kLag) {
        const uint64_t i = j - kLag;
        const SlowConnection c = conns.Get(i);
        uint32_t received = static_cast<uint32_t>(c.request_line.size());
        if (phase == 2) received += static_cast<uint32_t>(sizeof kSlowHeaderLine - 1);
        run.out.Write(run.now_ns, frame(i, 1, phase, 0, kTcpAck, {}, received));
        tick();
      }
    }
  }
}

void WriteHttpUpload(AttackRun& run) {
  Rng& rng = run.rng;
  const uint64_t n = run.count;
  Connection c(rng, AttackerAddress(rng), EphemeralPort(rng), kTargetServer, 80);
  const int64_t rtt = RoundTrip(rng);
  run.out.At(0, run.now_ns);
  Handshake(run, c, rtt);
  const std::string headers = absl::StrCat("POST /upload/", rng.Hex(12),
                                           " HTTP/1.1\r\n"
                                           "Host: ",
                                           kTargetHost,
                                           "\r\n"
                                           "User-Agent: curl/8.5.0\r\n"
                                           "Content-Type: application/octet-stream\r\n"
                                           "Content-Length: ",
                                           n, "\r\n\r\n");
  run.out.Write(run.now_ns, c.Send(0, kTcpAck | kTcpPsh, headers));
  run.now_ns += static_cast<int64_t>(rng.Between(10, 40)) * kUs;
  // The body, made a segment at a time: a gigabyte never sits in memory.
  constexpr size_t kMss = 1460;
  std::string segment(kMss, '\0');
  uint64_t sent = 0;
  int unacked = 0;
  while (sent < n) {
    run.out.At(static_cast<double>(sent) / static_cast<double>(n), run.now_ns);
    const size_t len = static_cast<size_t>(std::min<uint64_t>(kMss, n - sent));
    segment.resize(len);
    for (size_t i = 0; i < len; i += 8) {
      const uint64_t bits = rng.Next();
      for (size_t k = 0; k < 8 && i + k < len; ++k) segment[i + k] = static_cast<char>(bits >> (8 * k));
    }
    sent += len;
    run.out.Write(run.now_ns, c.Send(0, sent == n ? (kTcpAck | kTcpPsh) : kTcpAck, segment));
    // About 1 Gbit/s; the receiver ACKs every second segment.
    run.now_ns += static_cast<int64_t>(rng.Between(10, 14)) * kUs;
    if (++unacked == 2 && sent < n) {
      run.out.Write(run.now_ns, c.Send(1, kTcpAck));
      unacked = 0;
    }
  }
  AnswerAndClose(run, c, rtt,
                 "HTTP/1.1 201 Created\r\n"
                 "Content-Type: text/plain\r\n"
                 "Content-Length: 7\r\n"
                 "Connection: close\r\n\r\n"
                 "stored\n");
}

}  // namespace kagami::gen
