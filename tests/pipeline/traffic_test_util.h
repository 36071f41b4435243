#pragma once
// Helpers for the traffic tests (flows, TCP reassembly, IP defrag, tunnels)
// that drive the real pipeline::Scanner: a TCP session builder producing
// Ethernet frames with a real handshake and correct sequence numbers, IP
// fragmentation, tunnel wrappers, and a harness that runs a Scanner with an
// EveWriter on a temp file and reads the records back.
//
// Define KAGAMI_TRAFFIC_BUILDERS_ONLY before including it to get only the
// frame builders and the EVE helpers (the e2e tests, which do not link the
// engine).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/output/json_check.h"
#include "tests/support/packet_builder.h"
#ifndef KAGAMI_TRAFFIC_BUILDERS_ONLY
#include "engine/detect/detect_engine.h"
#include "engine/output/eve_writer.h"
#include "engine/pipeline/scanner.h"
#include "rules/rule_loader.h"
#endif

namespace kagami::pipeline::traffic {

using kagami::testing::Bytes;

// TCP flags, as on the wire.
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

#ifndef KAGAMI_TRAFFIC_BUILDERS_ONLY
// ---------------------------------------------------------------------------
// Engine

inline std::shared_ptr<const detect::DetectEngine> CompileRules(const std::string& text) {
  rules::RuleSet set = rules::ParseRules(text, "traffic.rules", rules::LoadOptions{});
  EXPECT_EQ(set.error_count(), 0u) << text;
  std::vector<rules::Diagnostic> diags;
  auto engine = detect::DetectEngine::Compile(set, detect::DetectOptions{}, &diags);
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return nullptr;
  EXPECT_EQ((*engine)->rules().size(), set.rules.size()) << "a rule did not compile";
  return *engine;
}
#endif  // KAGAMI_TRAFFIC_BUILDERS_ONLY

// ---------------------------------------------------------------------------
// TCP session builder

// One TCP conversation between a client and a server. Offsets are stream
// offsets of each direction's data (0 = the first byte after the SYN), so
// tests can build segments anywhere, in any order, any number of times; the
// builder turns them into sequence numbers from the initial sequence numbers.
// By default every segment acknowledges everything the other side "sent" so
// far (its data cursor), as a real peer would. Send() builds all its segments
// at once and moves the cursor past them, so a frame of the other direction
// built after it acknowledges all of them: when interleaving directions,
// pass the acknowledgement explicitly (Segment's `ack`), or the sensor sees
// acknowledged bytes it never got, which is a gap.
class TcpSession {
 public:
  TcpSession(std::string client, uint16_t client_port, std::string server, uint16_t server_port,
             uint32_t client_isn = 1000, uint32_t server_isn = 50000)
      : client_(std::move(client)),
        server_(std::move(server)),
        client_port_(client_port),
        server_port_(server_port),
        isn_{client_isn, server_isn} {}

  // The three frames of the handshake.
  Bytes Syn() const { return Raw(true, kSyn, isn_[0], 0, {}); }
  Bytes SynAck() const { return Raw(false, kSyn | kAck, isn_[1], isn_[0] + 1, {}); }
  Bytes HandshakeAck() const { return Raw(true, kAck, isn_[0] + 1, isn_[1] + 1, {}); }
  std::vector<Bytes> Handshake() const { return {Syn(), SynAck(), HandshakeAck()}; }

  // A segment carrying `payload` at stream offset `offset` of one direction.
  // `ack`: the other direction's offset acknowledged (default: its cursor).
  Bytes Segment(bool from_client, uint64_t offset, std::string_view payload, uint8_t flags = kPsh | kAck,
                std::optional<uint64_t> ack = std::nullopt) const {
    const int me = from_client ? 0 : 1, other = 1 - me;
    const uint64_t acked = ack ? *ack : next_[other];
    return Raw(from_client, flags, SeqAt(me, offset), (flags & kAck) ? SeqAt(other, acked) : 0, payload);
  }

  // `data` at the direction's cursor, cut at `cuts` (offsets into `data`,
  // ascending, each strictly inside it) into segments; advances the cursor.
  std::vector<Bytes> Send(bool from_client, std::string_view data, const std::vector<size_t>& cuts = {}) {
    std::vector<Bytes> out;
    const int me = from_client ? 0 : 1;
    const uint64_t base = next_[me];
    size_t from = 0;
    std::vector<size_t> all = cuts;
    all.push_back(data.size());
    for (size_t to : all) {
      if (to <= from) {
        ADD_FAILURE() << "TcpSession::Send: cuts must ascend inside the data";
        continue;
      }
      out.push_back(Segment(from_client, base + from, data.substr(from, to - from)));
      from = to;
    }
    next_[me] = base + data.size();
    return out;
  }
  // One segment with all of `data`.
  Bytes SendOne(bool from_client, std::string_view data) { return Send(from_client, data).front(); }

  // Moves a direction's cursor without producing frames: bytes the sensor
  // never sees (a lost segment). Returns the skipped range's start offset.
  uint64_t Skip(bool from_client, uint64_t n) {
    const int me = from_client ? 0 : 1;
    const uint64_t at = next_[me];
    next_[me] += n;
    return at;
  }

  // A bare ACK from one side acknowledging the other's data up to `acked`
  // (default: the other side's cursor).
  Bytes Ack(bool from_client, std::optional<uint64_t> acked = std::nullopt) const {
    return Segment(from_client, next_[from_client ? 0 : 1], {}, kAck, acked);
  }
  // FIN|ACK (takes one sequence number) and RST|ACK.
  Bytes Fin(bool from_client) {
    Bytes b = Segment(from_client, next_[from_client ? 0 : 1], {}, kFin | kAck);
    fin_[from_client ? 0 : 1] = true;
    return b;
  }
  Bytes Rst(bool from_client) const { return Segment(from_client, next_[from_client ? 0 : 1], {}, kRst | kAck); }

  uint64_t next(bool from_client) const { return next_[from_client ? 0 : 1]; }
  uint32_t isn(bool client) const { return isn_[client ? 0 : 1]; }
  const std::string& client() const { return client_; }
  const std::string& server() const { return server_; }
  uint16_t client_port() const { return client_port_; }
  uint16_t server_port() const { return server_port_; }

 private:
  // Sequence number of stream offset `offset` of direction `dir` (a FIN the
  // other side sent counts one more when acknowledging past the data).
  uint32_t SeqAt(int dir, uint64_t offset) const {
    return static_cast<uint32_t>(isn_[dir] + 1 + offset + (fin_[dir] && offset >= next_[dir] ? 1 : 0));
  }
  Bytes Raw(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, std::string_view payload) const {
    kagami::testing::L4Options o;
    o.tcp_flags = flags;
    o.seq = seq;
    o.ack = ack;
    const std::string& src = from_client ? client_ : server_;
    const std::string& dst = from_client ? server_ : client_;
    const uint16_t sport = from_client ? client_port_ : server_port_;
    const uint16_t dport = from_client ? server_port_ : client_port_;
    return kagami::testing::EthTcp(src, sport, dst, dport, payload, o);
  }

  std::string client_, server_;
  uint16_t client_port_, server_port_;
  uint32_t isn_[2];
  uint64_t next_[2] = {0, 0};
  bool fin_[2] = {false, false};
};

// ---------------------------------------------------------------------------
// Frame surgery, fragments and tunnels

// The IP packet inside an untagged Ethernet frame.
inline Bytes IpOf(const Bytes& eth) { return Bytes(eth.begin() + 14, eth.end()); }

// Splits `l4` (a transport segment built for src/dst) into `n` IP fragments
// of datagram `id`: Ethernet frames, every fragment but the last a multiple
// of 8 bytes, about equal in size. IPv4 or IPv6 after the addresses.
inline std::vector<Bytes> Fragment(std::string_view src, std::string_view dst, uint8_t proto, const Bytes& l4,
                                   int n, uint16_t id) {
  std::vector<Bytes> out;
  const size_t piece = std::max<size_t>(8, (l4.size() / static_cast<size_t>(n)) / 8 * 8);
  size_t at = 0;
  for (int i = 0; i < n && at < l4.size(); ++i) {
    const bool last = i == n - 1;
    const size_t len = last ? l4.size() - at : std::min(piece, l4.size() - at);
    kagami::testing::IpOptions o;
    o.id = id;
    o.mf = !last;
    o.frag_offset = static_cast<uint16_t>(at / 8);
    Bytes chunk(l4.begin() + static_cast<std::ptrdiff_t>(at), l4.begin() + static_cast<std::ptrdiff_t>(at + len));
    out.push_back(kagami::testing::Ethernet(kagami::testing::Ip(src, dst, proto, chunk, o)));
    at += len;
  }
  EXPECT_EQ(at, l4.size()) << "Fragment: too few fragments for the data";
  return out;
}

// Outer endpoints of the tunnels below.
inline constexpr std::string_view kOuterSrc = "192.0.2.10", kOuterDst = "192.0.2.20";

// VXLAN (UDP to `port`) around an inner Ethernet frame.
inline Bytes InVxlan(const Bytes& inner_eth, uint16_t port = 4789, uint32_t vni = 42) {
  return kagami::testing::Ethernet(kagami::testing::Ip(
      kOuterSrc, kOuterDst, 17,
      kagami::testing::UdpBytes(kOuterSrc, 49152, kOuterDst, port, kagami::testing::Vxlan(vni, inner_eth))));
}
// GRE (IPv4 payload, protocol 0x0800) around the IP packet of an inner frame.
inline Bytes InGre(const Bytes& inner_eth) {
  return kagami::testing::Ethernet(
      kagami::testing::Ip(kOuterSrc, kOuterDst, 47, kagami::testing::Gre(0x0800, IpOf(inner_eth))));
}
// Geneve (UDP 6081, Ethernet payload) around an inner Ethernet frame.
inline Bytes InGeneve(const Bytes& inner_eth, uint32_t vni = 7) {
  return kagami::testing::Ethernet(kagami::testing::Ip(
      kOuterSrc, kOuterDst, 17,
      kagami::testing::UdpBytes(kOuterSrc, 49153, kOuterDst, 6081,
                                kagami::testing::Geneve(vni, 0x6558, inner_eth))));
}
// IPv4-in-IPv4 (protocol 4) around the IP packet of an inner frame.
inline Bytes InIpIp(const Bytes& inner_eth) {
  return kagami::testing::Ethernet(kagami::testing::Ip(kOuterSrc, kOuterDst, 4, IpOf(inner_eth)));
}

// Permutations of 0..n-1 in lexicographic order.
inline std::vector<std::vector<size_t>> Permutations(size_t n) {
  std::vector<size_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = i;
  std::vector<std::vector<size_t>> out;
  do out.push_back(p);
  while (std::next_permutation(p.begin(), p.end()));
  return out;
}

// ---------------------------------------------------------------------------
// EVE records

// Value of a top-level field of an EVE line: the first occurrence of
// "key": (top-level fields come before the nested alert and tunnel objects
// for every key these tests read). Strings without their quotes.
inline std::string Field(const std::string& line, std::string_view key) {
  const std::string k = "\"" + std::string(key) + "\":";
  const size_t at = line.find(k);
  if (at == std::string::npos) return {};
  size_t v = at + k.size();
  if (v < line.size() && line[v] == '"') {
    const size_t end = line.find('"', v + 1);
    return end == std::string::npos ? std::string() : line.substr(v + 1, end - v - 1);
  }
  size_t end = v;
  while (end < line.size() && line[end] != ',' && line[end] != '}') ++end;
  return line.substr(v, end - v);
}

// The "tunnel" object of an EVE line ("" when absent).
inline std::string TunnelObject(const std::string& line) {
  const size_t at = line.find("\"tunnel\":{");
  if (at == std::string::npos) return {};
  const size_t end = line.find('}', at);
  return line.substr(at + 9, end - at - 8);
}

struct Record {
  std::string line;
  uint32_t sid = 0;
  std::string pkt_src, community_id, src_ip, dest_ip, tunnel;
  uint64_t flow_id = 0;
  int src_port = -1, dest_port = -1;
};

// Parses EVE text (one record a line), checking each line is valid JSON.
inline std::vector<Record> ParseRecords(std::istream& in) {
  std::vector<Record> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::string error;
    EXPECT_TRUE(output::testing::JsonCheck::IsValid(line, &error)) << error << ": " << line;
    Record r;
    r.line = line;
    r.sid = static_cast<uint32_t>(std::strtoul(Field(line, "signature_id").c_str(), nullptr, 10));
    r.pkt_src = Field(line, "pkt_src");
    r.community_id = Field(line, "community_id");
    r.src_ip = Field(line, "src_ip");
    r.dest_ip = Field(line, "dest_ip");
    const std::string sp = Field(line, "src_port"), dp = Field(line, "dest_port");
    if (!sp.empty()) r.src_port = std::atoi(sp.c_str());
    if (!dp.empty()) r.dest_port = std::atoi(dp.c_str());
    r.flow_id = std::strtoull(Field(line, "flow_id").c_str(), nullptr, 10);
    r.tunnel = TunnelObject(line);
    out.push_back(std::move(r));
  }
  return out;
}

#ifndef KAGAMI_TRAFFIC_BUILDERS_ONLY
// ---------------------------------------------------------------------------
// Scanner harness

// A Scanner over rules, fed frames 1 ms apart (packet time), writing EVE to a
// file of its own in the test's temp dir.
class Harness {
 public:
  explicit Harness(const std::string& rules, ScannerOptions options = {},
                   std::shared_ptr<const detect::DetectEngine> engine = nullptr)
      : engine_(engine ? std::move(engine) : CompileRules(rules)) {
    static std::atomic<int> counter{0};
    path_ = ::testing::TempDir() + "kagami-traffic-" + std::to_string(getpid()) + "-" +
            std::to_string(counter.fetch_add(1)) + ".json";
    std::remove(path_.c_str());
    absl::Status s = eve_.Open(path_);
    EXPECT_TRUE(s.ok()) << s;
    // The whole suite runs with either stream prefilter (same alerts).
    if (const char* mode = std::getenv("KAGAMI_TEST_STREAM_SCAN"); mode && std::string_view(mode) == "block") {
      options.stream_scan = StreamScan::kBlock;
    }
    scanner_ = std::make_unique<Scanner>(engine_, options, &eve_, nullptr);
  }
  ~Harness() { std::remove(path_.c_str()); }

  void Feed(const Bytes& frame) {
    capture::PacketView v;
    v.data = frame.data();
    v.caplen = v.wirelen = static_cast<uint32_t>(frame.size());
    v.ts_ns = ts_;
    v.index = ++index_;
    ts_ += step_ns_;
    scanner_->ProcessPacket(v, "traffic-test");
  }
  void Feed(const std::vector<Bytes>& frames) {
    for (const Bytes& f : frames) Feed(f);
  }
  // Frames in the order given by `order` (indices into `frames`).
  void FeedInOrder(const std::vector<Bytes>& frames, const std::vector<size_t>& order) {
    for (size_t i : order) Feed(frames[i]);
  }
  void Finish() { scanner_->Finish(); }
  // Moves packet time forward (flow timeouts).
  void Advance(int64_t ns) { ts_ += ns; }
  int64_t now() const { return ts_; }

  Scanner& scanner() { return *scanner_; }
  uint64_t alerts() const { return scanner_->alerts(); }
  // Matches of rule `sid` so far (rule_hits, before thresholds/noalert).
  uint64_t hits(uint32_t sid) const {
    const auto& rules = engine_->rules();
    for (size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].sid == sid) return scanner_->rule_hits()[i];
    }
    ADD_FAILURE() << "no rule with sid " << sid;
    return 0;
  }

  // Every EVE record written so far, each checked to be valid JSON.
  std::vector<Record> Records() {
    eve_.Flush();
    std::ifstream in(path_, std::ios::binary);
    return ParseRecords(in);
  }
  // Signature ids of the records, in order.
  std::vector<uint32_t> Sids() {
    std::vector<uint32_t> out;
    for (const Record& r : Records()) out.push_back(r.sid);
    return out;
  }

 private:
  std::shared_ptr<const detect::DetectEngine> engine_;
  output::EveWriter eve_;
  std::string path_;
  std::unique_ptr<Scanner> scanner_;
  int64_t ts_ = int64_t{1'700'000'000} * 1'000'000'000;
  int64_t step_ns_ = 1'000'000;
  uint64_t index_ = 0;
};

#endif  // KAGAMI_TRAFFIC_BUILDERS_ONLY

}  // namespace kagami::pipeline::traffic
