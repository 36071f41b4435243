// ParallelScan: the same EVE records, byte for byte and in the same order,
// and the same counts, for any number of workers, as one Scanner alone:
// flows in both directions, fragments, tunnels, flow timeouts, packets out
// of time order, thresholds that count across flows, pass rules, and
// sources whose buffers are reused.
#include "engine/pipeline/parallel_scan.h"
#include "engine/pipeline/dispatch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <iterator>
#include <fstream>
#include <sstream>

#include "tests/pipeline/traffic_test_util.h"

namespace kagami::pipeline {
namespace {

using traffic::Bytes;
using traffic::TcpSession;

struct Frame {
  Bytes bytes;
  int64_t ts_ns;
};

// Frames in memory as a capture source. With `stable` false it hands out
// views of one buffer it overwrites on every call, as libpcap does.
class FrameSource final : public capture::PacketSource {
 public:
  FrameSource(const std::vector<Frame>& frames, bool stable) : frames_(frames), stable_(stable) {}
  absl::StatusOr<bool> Next(capture::PacketView& out) override {
    if (at_ == frames_.size()) return false;
    const Frame& f = frames_[at_++];
    out = capture::PacketView{};
    out.ts_ns = f.ts_ns;
    out.caplen = out.wirelen = static_cast<uint32_t>(f.bytes.size());
    out.index = at_;
    out.offset = at_ * 100;  // a file: records name it
    if (stable_) {
      out.data = f.bytes.data();
    } else {
      reused_.assign(f.bytes.begin(), f.bytes.end());
      reused_.resize(65536, 0xee);
      out.data = reused_.data();
    }
    return true;
  }
  bool stable_views() const override { return stable_; }
  const std::string& name() const override { return name_; }

 private:
  const std::vector<Frame>& frames_;
  bool stable_;
  size_t at_ = 0;
  Bytes reused_;
  std::string name_ = "frames.pcap";
};

constexpr int64_t kSec = 1'000'000'000;

// Mixed traffic: many TCP sessions (patterns split over segments), UDP
// flows, fragmented datagrams, GRE and VXLAN tunnels, ICMP, a flow that
// times out and starts again, and packets out of time order.
std::vector<Frame> MixedTraffic() {
  std::vector<Frame> out;
  int64_t ts = 1'700'000'000 * kSec;
  auto add = [&](const Bytes& b) {
    out.push_back({b, ts});
    ts += kSec / 1000;
  };
  auto add_all = [&](const std::vector<Bytes>& v) {
    for (const Bytes& b : v) add(b);
  };
  for (int i = 0; i < 40; ++i) {
    const std::string client = "10.1." + std::to_string(i % 7) + "." + std::to_string(10 + i);
    const std::string server = "192.168.5." + std::to_string(1 + i % 5);
    TcpSession s(client, static_cast<uint16_t>(40000 + i), server, 80);
    add_all(s.Handshake());
    add_all(s.Send(true, "GET /x HTTP/1.1\r\nHost: h\r\nX: need" + std::string(i % 3 == 0 ? "le" : "ly") + "\r\n\r\n",
                   {20, 30}));
    add(s.Ack(false));
    add_all(s.Send(false, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsecret"));
    add(s.Ack(true));
    if (i % 4 == 0) {
      add(s.Fin(true));
      add(s.Fin(false));
    }
  }
  for (int i = 0; i < 30; ++i) {
    const std::string a = "172.16.0." + std::to_string(i), b = "172.16.9.9";
    add(kagami::testing::EthUdp(a, static_cast<uint16_t>(5000 + i), b, 53, "udp-token q" + std::to_string(i)));
    add(kagami::testing::EthUdp(b, 53, a, static_cast<uint16_t>(5000 + i), "udp-token r" + std::to_string(i)));
  }
  // Fragmented datagrams: the pattern only exists once reassembled.
  for (int i = 0; i < 6; ++i) {
    const std::string a = "10.9.0." + std::to_string(i + 1), b = "10.9.1.1";
    const Bytes udp = kagami::testing::Udp(a, static_cast<uint16_t>(7000 + i), b, 9999,
                                           std::string(60, 'a') + "frag-token" + std::string(60, 'b'));
    add_all(traffic::Fragment(a, b, 17, udp, 3, static_cast<uint16_t>(100 + i)));
    // The same 5-tuple unfragmented: its flow must be the datagram's.
    add(kagami::testing::EthUdp(b, 9999, a, static_cast<uint16_t>(7000 + i), "frag-token reply"));
  }
  // Tunnels: both directions of inner sessions.
  for (int i = 0; i < 5; ++i) {
    TcpSession s("10.50.0." + std::to_string(i + 1), static_cast<uint16_t>(33000 + i), "10.60.0.1", 443);
    for (const Bytes& b : s.Handshake()) add(i % 2 ? traffic::InGre(b) : traffic::InVxlan(b));
    for (const Bytes& b : s.Send(true, "tunnel-needle payload")) add(i % 2 ? traffic::InGre(b) : traffic::InVxlan(b));
  }
  for (int i = 0; i < 10; ++i) add(kagami::testing::EthIcmp("10.7.0.1", "10.7.0." + std::to_string(i + 2), "ping-token"));
  // Time out every flow (a tick sees them all), then reuse a UDP 5-tuple.
  ts += 700 * kSec;
  add(kagami::testing::EthUdp("172.16.0.1", 5001, "172.16.9.9", 53, "udp-token again"));
  // Out of time order: a packet stamped before the one before it.
  ts -= 5 * kSec;
  add(kagami::testing::EthUdp("172.16.0.2", 5002, "172.16.9.9", 53, "udp-token late"));
  return out;
}

const char* kRules = R"(
pass udp 10.9.0.6 any -> any any (msg:"pass one fragment sender"; content:"frag-token"; sid:1;)
alert tcp any any -> any 80 (msg:"split needle"; flow:to_server; content:"needle"; sid:10;)
alert tcp any any -> any 80 (msg:"limit by_src"; content:"need"; threshold:type limit, track by_src, count 1, seconds 60; sid:11;)
alert tcp any any -> any 80 (msg:"threshold by_dst"; content:"GET"; threshold:type threshold, track by_dst, count 3, seconds 60; sid:12;)
alert tcp any 80 -> any any (msg:"both by_rule"; content:"secret"; threshold:type both, track by_rule, count 5, seconds 3600; sid:13;)
alert tcp any any -> any any (msg:"filter by_flow"; content:"HTTP"; detection_filter:track by_flow, count 1, seconds 60; sid:14;)
alert udp any any -> any any (msg:"udp token"; content:"udp-token"; flowbits:set,seen; sid:20;)
alert udp any any -> any any (msg:"udp token twice in flow"; content:"udp-token"; flowbits:isset,seen; sid:21;)
alert udp any any -> any any (msg:"reassembled"; content:"frag-token"; detection_filter:track by_dst, count 2, seconds 60; sid:22;)
alert tcp any any -> any 443 (msg:"tunnelled"; content:"tunnel-needle"; sid:30;)
alert icmp any any -> any any (msg:"icmp by_src"; content:"ping-token"; threshold:type limit, track by_src, count 3, seconds 60; sid:40;)
pass icmp any any -> 10.7.0.5 any (msg:"pass by_dst limited"; content:"ping"; threshold:type limit, track by_dst, count 1, seconds 60; sid:41;)
)";

struct Outcome {
  std::string eve;
  ScanCounters counters;
  uint64_t alerts = 0;
  std::vector<uint64_t> per_worker;
};

std::string TempPath(const std::string& tag) {
  static int counter = 0;
  return ::testing::TempDir() + "kagami-parallel-" + std::to_string(getpid()) + "-" + tag + "-" +
         std::to_string(counter++) + ".json";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Two captures: flows carry on from one to the next.
std::pair<std::vector<Frame>, std::vector<Frame>> Halves(const std::vector<Frame>& frames) {
  const auto half = static_cast<std::ptrdiff_t>(frames.size() / 2);
  return {std::vector<Frame>(frames.begin(), frames.begin() + half), std::vector<Frame>(frames.begin() + half, frames.end())};
}

ScannerOptions Options() {
  ScannerOptions o;
  o.checksums = ChecksumMode::kVerify;
  return o;
}

Outcome RunSingle(const std::shared_ptr<const detect::DetectEngine>& engine, const std::vector<Frame>& frames) {
  const std::string path = TempPath("single");
  Outcome r;
  {
    output::EveWriter eve;
    EXPECT_TRUE(eve.Open(path).ok());
    output::ScanSummary summary;
    Scanner scanner(engine, Options(), &eve, &summary);
    const auto [first, second] = Halves(frames);
    FrameSource a(first, true), b(second, true);
    EXPECT_TRUE(scanner.Run(a, nullptr).ok());
    EXPECT_TRUE(scanner.Run(b, nullptr).ok());
    scanner.Finish();
    scanner.AddCountersTo(r.counters);
    r.alerts = summary.alerts();
  }
  r.eve = Slurp(path);
  std::remove(path.c_str());
  return r;
}

Outcome RunParallel(const std::shared_ptr<const detect::DetectEngine>& engine, const std::vector<Frame>& frames,
                    uint32_t workers, bool stable, uint32_t batch_items = 16) {
  const std::string path = TempPath("n" + std::to_string(workers));
  Outcome r;
  {
    output::EveWriter eve;
    EXPECT_TRUE(eve.Open(path).ok());
    output::ScanSummary summary;
    ParallelOptions p;
    p.workers = workers;
    p.batch_items = batch_items;  // small batches: many hand-overs and merges
    p.batches_in_flight = 2;
    ParallelScan scan(engine, Options(), p, &eve, &summary);
    const auto [first, second] = Halves(frames);
    FrameSource a(first, stable), b(second, stable);
    EXPECT_TRUE(scan.Run(a, nullptr).ok());
    EXPECT_TRUE(scan.Run(b, nullptr).ok());
    scan.Finish();
    r.counters = scan.counters();
    r.alerts = summary.alerts();
    EXPECT_EQ(scan.alerts(), summary.alerts());
    r.per_worker = scan.packets_per_worker();
    EXPECT_EQ(summary.packets(), frames.size());
  }
  r.eve = Slurp(path);
  std::remove(path.c_str());
  return r;
}

// The first line where two EVE texts differ, for a readable failure.
std::string FirstDifference(const std::string& got, const std::string& want) {
  std::istringstream g(got), w(want);
  std::string gl, wl;
  for (int line = 1;; ++line) {
    const bool gm = static_cast<bool>(std::getline(g, gl)), wm = static_cast<bool>(std::getline(w, wl));
    if (!gm && !wm) return "same";
    if (gm != wm || gl != wl) {
      return "line " + std::to_string(line) + ":\n got:  " + (gm ? gl : "(end)") + "\n want: " + (wm ? wl : "(end)");
    }
  }
}

void ExpectSameCounts(const ScanCounters& a, const ScanCounters& b) {
  EXPECT_EQ(a.decoder.packets, b.decoder.packets);
  EXPECT_EQ(a.decoder.bytes, b.decoder.bytes);
  EXPECT_EQ(a.decoder.anomalies, b.decoder.anomalies);
  EXPECT_EQ(a.decoder.gre, b.decoder.gre);
  EXPECT_EQ(a.decoder.vxlan, b.decoder.vxlan);
  EXPECT_EQ(a.flow.created, b.flow.created);
  EXPECT_EQ(a.flow.timed_out, b.flow.timed_out);
  EXPECT_EQ(a.flow.ended_at_shutdown, b.flow.ended_at_shutdown);
  EXPECT_EQ(a.flow.evicted, b.flow.evicted);
  EXPECT_EQ(a.stream.sessions, b.stream.sessions);
  EXPECT_EQ(a.stream.bytes, b.stream.bytes);
  EXPECT_EQ(a.stream.gaps, b.stream.gaps);
  EXPECT_EQ(a.defrag.fragments, b.defrag.fragments);
  EXPECT_EQ(a.defrag.reassembled, b.defrag.reassembled);
  EXPECT_EQ(a.app.flows_http, b.app.flows_http);
  EXPECT_EQ(a.app.http_transactions, b.app.http_transactions);
  EXPECT_EQ(a.rule_hits, b.rule_hits);
}

TEST(ParallelScanTest, SameRecordsInTheSameOrderForAnyWorkerCount) {
  auto engine = traffic::CompileRules(kRules);
  ASSERT_NE(engine, nullptr);
  const std::vector<Frame> frames = MixedTraffic();
  const Outcome single = RunSingle(engine, frames);
  // The traffic does exercise what it is meant to.
  ASSERT_GT(single.alerts, 20u);
  EXPECT_EQ(single.counters.defrag.reassembled, 6u);
  EXPECT_GT(single.counters.flow.timed_out, 50u);
  EXPECT_GT(single.counters.decoder.gre, 0u);
  EXPECT_GT(single.counters.decoder.vxlan, 0u);
  for (uint32_t sid : {11u, 12u, 13u, 22u, 40u}) {
    EXPECT_NE(single.eve.find("\"signature_id\":" + std::to_string(sid) + ","), std::string::npos) << sid;
  }
  for (uint32_t n : {1u, 2u, 3u, 4u}) {
    SCOPED_TRACE("workers " + std::to_string(n));
    const Outcome par = RunParallel(engine, frames, n, true);
    EXPECT_TRUE(par.eve == single.eve) << FirstDifference(par.eve, single.eve);
    EXPECT_EQ(par.alerts, single.alerts);
    ExpectSameCounts(par.counters, single.counters);
    uint32_t busy = 0;
    for (uint64_t p : par.per_worker) busy += p > 0;
    EXPECT_EQ(busy, n) << "every worker should have had flows";
  }
}

TEST(ParallelScanTest, CopiesPacketsOfSourcesThatReuseTheirBuffer) {
  auto engine = traffic::CompileRules(kRules);
  ASSERT_NE(engine, nullptr);
  const std::vector<Frame> frames = MixedTraffic();
  const Outcome single = RunSingle(engine, frames);
  const Outcome par = RunParallel(engine, frames, 3, /*stable=*/false);
  EXPECT_TRUE(par.eve == single.eve) << FirstDifference(par.eve, single.eve);
  ExpectSameCounts(par.counters, single.counters);
}

TEST(ParallelScanTest, LargeBatchesGiveTheSameRecords) {
  auto engine = traffic::CompileRules(kRules);
  ASSERT_NE(engine, nullptr);
  const std::vector<Frame> frames = MixedTraffic();
  const Outcome single = RunSingle(engine, frames);
  const std::string eve = RunParallel(engine, frames, 2, true, 4096).eve;
  EXPECT_TRUE(eve == single.eve) << FirstDifference(eve, single.eve);
}

// A limit that tracks the source counts that source's matches in every flow,
// whichever worker holds them: still one alert per window.
TEST(ParallelScanTest, ThresholdAcrossFlowsCountsEveryWorker) {
  auto engine = traffic::CompileRules(
      "alert udp any any -> any any (msg:\"limited\"; content:\"tok\"; threshold:type limit, track by_src, "
      "count 2, seconds 3600; sid:5;)");
  ASSERT_NE(engine, nullptr);
  std::vector<Frame> frames;
  for (int i = 0; i < 64; ++i) {
    frames.push_back({kagami::testing::EthUdp("10.0.0.1", static_cast<uint16_t>(1000 + i), "10.0.0.2", 53, "tok"),
                      1'700'000'000 * kSec + i});
  }
  const Outcome single = RunSingle(engine, frames);
  EXPECT_EQ(single.alerts, 2u);
  const Outcome par = RunParallel(engine, frames, 4, true);
  EXPECT_EQ(par.alerts, 2u);
  EXPECT_TRUE(par.eve == single.eve) << FirstDifference(par.eve, single.eve);
  uint32_t busy = 0;
  for (uint64_t p : par.per_worker) busy += p > 0;
  EXPECT_GE(busy, 3u);
}

// One worker's share of a live capture: frames keep their capture-wide
// packet numbers, as the records of a single scanner name them.
class ShareSource final : public capture::PacketSource {
 public:
  void Add(const Frame& f, uint64_t index) { frames_.push_back({&f, index}); }
  absl::StatusOr<bool> Next(capture::PacketView& out) override {
    if (at_ == frames_.size()) return false;
    const auto [f, index] = frames_[at_++];
    out = capture::PacketView{};
    out.ts_ns = f->ts_ns;
    out.caplen = out.wirelen = static_cast<uint32_t>(f->bytes.size());
    out.index = index;
    out.offset = index * 100;
    out.data = f->bytes.data();
    return true;
  }
  const std::string& name() const override { return name_; }

 private:
  std::vector<std::pair<const Frame*, uint64_t>> frames_;
  size_t at_ = 0;
  std::string name_ = "frames.pcap";
};

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// Workers reading their own sockets (AF_PACKET fanout, here a share of the
// frames per worker split by flow as the kernel would): the same records as
// one scanner, in the order they come, and the same detections.
TEST(ParallelScanTest, WorkersReadingTheirOwnSourcesFindTheSameAlerts) {
  auto engine = traffic::CompileRules(kRules);
  ASSERT_NE(engine, nullptr);
  // The kernel reassembles fragments before fanout; leave them out here.
  std::vector<Frame> frames;
  decode::Decoder decoder(decode::DecoderOptions{});
  for (const Frame& f : MixedTraffic()) {
    capture::PacketView v;
    v.ts_ns = f.ts_ns;
    v.caplen = v.wirelen = static_cast<uint32_t>(f.bytes.size());
    v.data = f.bytes.data();
    decode::Packet p;
    if (decoder.Decode(v, p) == decode::DecodeResult::kOk && p.is_fragment) continue;
    frames.push_back(f);
  }
  std::vector<Frame> no_late(frames.begin(), frames.end() - 2);  // each worker's clock is its own
  const Outcome single = RunSingle(engine, no_late);
  ASSERT_GT(single.alerts, 20u);
  for (uint32_t n : {2u, 3u}) {
    SCOPED_TRACE("workers " + std::to_string(n));
    std::vector<ShareSource> shares(n);
    for (size_t i = 0; i < no_late.size(); ++i) {
      capture::PacketView v;
      v.caplen = v.wirelen = static_cast<uint32_t>(no_late[i].bytes.size());
      v.data = no_late[i].bytes.data();
      decode::Packet p, inner;
      uint32_t w = 0;
      if (decoder.Decode(v, p) == decode::DecodeResult::kOk && p.ip_version != 0) {
        const bool carrier = decoder.DecodeTunnel(p, inner) == decode::DecodeResult::kOk;
        w = WorkerFor(DispatchHash(p, carrier ? DispatchKind::kTunnelCarrier : DispatchKind::kFlow), n);
      }
      shares[w].Add(no_late[i], i < no_late.size() / 2 ? i + 1 : i + 1 - no_late.size() / 2);
    }
    const std::string path = TempPath("capture");
    Outcome par;
    {
      output::EveWriter eve;
      ASSERT_TRUE(eve.Open(path).ok());
      output::ScanSummary summary;
      ParallelScan scan(engine, Options(), ParallelOptions{.workers = n}, &eve, &summary);
      std::vector<capture::PacketSource*> sources;
      for (ShareSource& s : shares) sources.push_back(&s);
      ASSERT_TRUE(scan.RunCapture(sources, nullptr).ok());
      scan.Finish();
      par.counters = scan.counters();
      par.alerts = summary.alerts();
      EXPECT_EQ(summary.packets(), no_late.size());
      par.per_worker = scan.packets_per_worker();
    }
    par.eve = Slurp(path);
    std::remove(path.c_str());
    EXPECT_EQ(par.alerts, single.alerts);
    // Rate limits that count across flows see the workers' matches in the
    // order they come, so which packet alerts may differ, but not how many
    // alerts each rule gives; every other record is the same.
    const std::set<std::string> cross_flow = {"11", "12", "13", "22", "40", "41"};
    auto split = [&](const std::string& eve) {
      std::pair<std::vector<std::string>, std::map<std::string, int>> out;
      for (const std::string& line : SortedLines(eve)) {
        const std::string sid = traffic::Field(line, "signature_id");
        if (cross_flow.count(sid)) {
          ++out.second[sid];
        } else {
          out.first.push_back(line);
        }
      }
      return out;
    };
    const auto [par_lines, par_counts] = split(par.eve);
    const auto [single_lines, single_counts] = split(single.eve);
    EXPECT_EQ(par_counts, single_counts);
    std::vector<std::string> missing, extra;
    std::set_difference(single_lines.begin(), single_lines.end(), par_lines.begin(), par_lines.end(),
                        std::back_inserter(missing));
    std::set_difference(par_lines.begin(), par_lines.end(), single_lines.begin(), single_lines.end(),
                        std::back_inserter(extra));
    EXPECT_TRUE(missing.empty()) << missing.size() << " missing, first: " << missing.front();
    EXPECT_TRUE(extra.empty()) << extra.size() << " extra, first: " << extra.front();
    EXPECT_EQ(par.counters.rule_hits, single.counters.rule_hits);
    EXPECT_EQ(par.counters.decoder.packets, single.counters.decoder.packets);
    for (uint64_t p : par.per_worker) EXPECT_GT(p, 0u);
  }
}

// Also: RunCapture with too few sources is refused before anything runs.
TEST(ParallelScanTest, FinishWithoutInput) {
  auto engine = traffic::CompileRules(kRules);
  ASSERT_NE(engine, nullptr);
  output::EveWriter eve;
  const std::string path = TempPath("empty");
  ASSERT_TRUE(eve.Open(path).ok());
  output::ScanSummary summary;
  ParallelScan scan(engine, Options(), ParallelOptions{.workers = 3}, &eve, &summary);
  // Workers reading their own sources need one each: refused, nothing run.
  ShareSource one;
  EXPECT_EQ(scan.RunCapture({&one}, nullptr).code(), absl::StatusCode::kFailedPrecondition);
  scan.Finish();
  EXPECT_EQ(summary.alerts(), 0u);
  EXPECT_EQ(scan.counters().decoder.packets, 0u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kagami::pipeline
