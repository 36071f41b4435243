// The flood test: millions of short flows (one UDP packet or one SYN each,
// every one a new 5-tuple) through Scanner::Run with a small flow memcap.
// Flow memory must stay under the cap (plus the reassembler's fixed share),
// flows must be evicted rather than the table growing, and a TCP session at
// the very end must still be reassembled and alert once.
//
// The capture is synthesised on the fly by a PacketSource, so nothing large
// is written to disk.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "engine/flow/flow_table.h"
#include "engine/stream/tcp_reassembler.h"
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::pipeline::traffic {
namespace {

// 2,000,000 flows take about 2 s in a release build, 11 s in a Debug build
// and 7 s under ASan+UBSan (the CI's asan preset runs every test), so every
// build floods in full.
constexpr uint64_t kFloodFlows = 2'000'000;
constexpr uint64_t kSampleEvery = 10'000;

uint16_t Checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// `flows` one-packet flows (even: a UDP datagram to 172.16.0.1:53; odd: a
// SYN to 172.16.0.1:80), each from its own source address, 1 µs apart; then
// the frames of `tail`. Every kSampleEvery packets it records the scanner's
// flow memory.
class FloodSource : public capture::PacketSource {
 public:
  FloodSource(uint64_t flows, std::vector<Bytes> tail, int64_t start_ns)
      : flows_(flows), tail_(std::move(tail)), ts_(start_ns) {
    udp_ = kagami::testing::EthUdp("10.0.0.0", 40000, "172.16.0.1", 53, "ping");
    kagami::testing::L4Options syn;
    syn.tcp_flags = kSyn;
    syn.seq = 12345;
    syn.ack = 0;
    tcp_ = kagami::testing::EthTcp("10.0.0.0", 40000, "172.16.0.1", 80, "", syn);
    // UDP over IPv4 may go without a checksum: no need to redo it per packet.
    udp_[14 + 20 + 6] = udp_[14 + 20 + 7] = 0;
  }

  void set_scanner(const Scanner* scanner) { scanner_ = scanner; }
  size_t max_flow_memory() const { return max_memory_; }
  uint64_t samples() const { return samples_; }
  uint64_t produced() const { return produced_; }

  absl::StatusOr<bool> Next(capture::PacketView& out) override {
    if (scanner_ && produced_ % kSampleEvery == 0) Sample();
    const Bytes* frame;
    if (produced_ < flows_) {
      frame = &Make(produced_);
    } else if (produced_ - flows_ < tail_.size()) {
      frame = &tail_[produced_ - flows_];
    } else {
      if (scanner_) Sample();
      return false;
    }
    ++produced_;
    out = capture::PacketView{};
    out.ts_ns = ts_;
    ts_ += 1000;  // 1 µs: no flow gets anywhere near a timeout
    out.data = frame->data();
    out.caplen = out.wirelen = static_cast<uint32_t>(frame->size());
    out.index = produced_;
    return true;
  }
  const std::string& name() const override { return name_; }
  int64_t now() const { return ts_; }

 private:
  void Sample() {
    ++samples_;
    max_memory_ = std::max(max_memory_, scanner_->flow_memory());
  }

  // Flow i: source 10.a.b.c with a.b.c = i (i < 2^24).
  const Bytes& Make(uint64_t i) {
    Bytes& f = (i % 2 == 0) ? udp_ : tcp_;
    uint8_t* ip = f.data() + 14;
    ip[13] = static_cast<uint8_t>(i >> 16);
    ip[14] = static_cast<uint8_t>(i >> 8);
    ip[15] = static_cast<uint8_t>(i);
    ip[10] = ip[11] = 0;
    Put16(ip + 10, Checksum(ip, 20));
    if (i % 2 == 1) {
      // TCP checksum over the pseudo header and the 20-byte header.
      uint8_t* tcp = ip + 20;
      tcp[16] = tcp[17] = 0;
      uint32_t sum = 0;
      for (int k = 12; k < 20; k += 2) sum += static_cast<uint32_t>(ip[k] << 8 | ip[k + 1]);
      sum += 6 + 20;
      Put16(tcp + 16, Checksum(tcp, 20, sum));
    }
    return f;
  }

  uint64_t flows_;
  std::vector<Bytes> tail_;
  int64_t ts_;
  Bytes udp_, tcp_;
  const Scanner* scanner_ = nullptr;
  size_t max_memory_ = 0;
  uint64_t samples_ = 0;
  uint64_t produced_ = 0;
  std::string name_ = "flood";
};

TEST(FloodTest, ManyShortFlowsStayUnderTheMemcapAndLateSessionsStillAlert) {
  ScannerOptions options;
  options.flow.memcap = size_t{16} << 20;
  auto engine = CompileRules(
      "alert tcp any any -> any any (msg:\"late session\"; flow:established,to_server; content:\"FLOODEND\"; "
      "sid:1;)\n"
      "alert udp any any -> any any (msg:\"never\"; content:\"pong\"; sid:2;)\n");
  ASSERT_NE(engine, nullptr);

  // The session at the very end: handshake, the pattern split across two
  // segments, the server's ACK.
  TcpSession late("10.250.0.1", 5555, "10.250.0.2", 80);
  std::vector<Bytes> tail = late.Handshake();
  for (Bytes& b : late.Send(true, "xxxFLOOD" "ENDxxx", {8})) tail.push_back(std::move(b));
  tail.push_back(late.Ack(false));

  FloodSource source(kFloodFlows, tail, int64_t{1'700'000'000} * 1'000'000'000);
  Scanner scanner(engine, options, nullptr, nullptr);
  source.set_scanner(&scanner);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(scanner.Run(source, nullptr).ok());
  const double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(source.produced(), kFloodFlows + tail.size());

  // The cap and what the reassembler keeps per flow slot whatever the
  // traffic (session state), plus its chunk buffer and the one lookback
  // block of the late session.
  const size_t capacity = flow::FlowTable(options.flow).capacity();
  const size_t fixed = capacity * stream::TcpReassembler::session_bytes() + options.stream.lookback + 65536 +
                       options.stream.lookback;
  const size_t bound = options.flow.memcap + fixed;
  EXPECT_GE(source.samples(), kFloodFlows / kSampleEvery);
  EXPECT_LE(source.max_flow_memory(), bound)
      << "flow memory " << source.max_flow_memory() << " over the cap " << options.flow.memcap << " + "
      << fixed;
  EXPECT_LE(scanner.flow_memory(), bound);

  const flow::FlowCounters& fc = scanner.flow_counters();
  EXPECT_EQ(fc.created, kFloodFlows + 1);  // + the late session
  EXPECT_GT(fc.evicted, 0u);
  EXPECT_EQ(fc.timed_out, 0u);
  EXPECT_LE(fc.max_active, capacity);
  EXPECT_EQ(fc.active, capacity);
  EXPECT_EQ(fc.evicted + fc.active, fc.created);

  // The late session was reassembled: one alert, before Finish.
  EXPECT_EQ(scanner.alerts(), 1u);
  ASSERT_EQ(scanner.rule_hits().size(), 2u);
  EXPECT_EQ(scanner.rule_hits()[0], 1u);
  EXPECT_EQ(scanner.rule_hits()[1], 0u);
  scanner.Finish();
  EXPECT_EQ(scanner.alerts(), 1u);
  EXPECT_EQ(scanner.flow_counters().active, 0u);

  std::printf("[ flood    ] %llu flows in %.2f s; capacity %zu flows; max flow memory %zu of %zu bytes\n",
              static_cast<unsigned long long>(kFloodFlows), run_s, capacity, source.max_flow_memory(), bound);
}

}  // namespace
}  // namespace kagami::pipeline::traffic
