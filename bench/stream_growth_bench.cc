// TCP reassembly cost per segment as the segments held grow, for the orders
// an attacker chooses: one session of N one-byte segments (two-byte ones
// for "overlapping") from N = 1,000 to 1,000,000. The reassembler must cost
// the same per segment at every N (issue: reverse order was quadratic).
//
//   BM_StreamGrowth/<order>/<N>/<limit>
//     order 0: in order; 1: reverse; 2: random; 3: overlapping (each segment
//     covers [i, i+2), random order, so each overlaps its neighbours).
//     limit 0: no segment limit and room for everything, so the queue holds
//     up to N segments and its own cost is measured; limit 1: the default
//     limits (max_queued_segs 65536), which turn a flood into counted gaps.
//
// The counter per_segment is wall time per segment (lower is better); the
// session is set up and the packets built outside the timed loop.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "engine/flow/flow_table.h"
#include "engine/stream/tcp_reassembler.h"

namespace {

using namespace kagami;

const uint8_t kHeader[20] = {};

decode::Packet Tcp(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, const uint8_t* payload,
                   uint32_t len) {
  decode::Packet p;
  p.ip_version = 4;
  p.src = IpAddress::FromV4(from_client ? 0x0a000001 : 0x0a000002);
  p.dst = IpAddress::FromV4(from_client ? 0x0a000002 : 0x0a000001);
  p.src_port = from_client ? 40000 : 80;
  p.dst_port = from_client ? 80 : 40000;
  p.ip_proto = 6;
  p.l4 = kHeader;
  p.tcp_flags = flags;
  p.tcp_seq = seq;
  p.tcp_ack = ack;
  p.payload = payload;
  p.payload_len = len;
  return p;
}

std::vector<decode::Packet> Segments(int order, uint32_t n, const std::vector<uint8_t>& bytes) {
  constexpr uint8_t kData = decode::kTcpAck | decode::kTcpPsh;
  const uint32_t len = order == 3 ? 2 : 1;
  std::vector<uint32_t> at(n);
  std::iota(at.begin(), at.end(), 0);
  if (order == 1) std::reverse(at.begin(), at.end());
  if (order >= 2) std::shuffle(at.begin(), at.end(), std::mt19937(42));
  std::vector<decode::Packet> out;
  out.reserve(n);
  for (uint32_t i : at) out.push_back(Tcp(true, kData, 1 + i, 1, bytes.data() + i, len));
  return out;
}

void BM_StreamGrowth(benchmark::State& state) {
  const int order = static_cast<int>(state.range(0));
  const auto n = static_cast<uint32_t>(state.range(1));
  const bool limits = state.range(2) != 0;
  std::vector<uint8_t> bytes(n + 1);
  for (uint32_t i = 0; i <= n; ++i) bytes[i] = static_cast<uint8_t>('a' + i % 26);
  const std::vector<decode::Packet> segments = Segments(order, n, bytes);
  stream::StreamOptions o;
  o.depth = 0;
  if (!limits) {
    o.max_queued_segs = 0;
    o.max_queued = UINT32_MAX;
    o.memcap = size_t{1} << 30;
  }
  uint64_t delivered = 0, gaps = 0, limit_hits = 0;
  for (auto _ : state) {
    state.PauseTiming();
    flow::FlowTable flows;
    stream::TcpReassembler tcp(o, &flows);
    int64_t ts = 1'000'000'000;
    flow::Flow* f = nullptr;
    for (const decode::Packet& p : {Tcp(true, decode::kTcpSyn, 0, 0, nullptr, 0),
                                    Tcp(false, decode::kTcpSyn | decode::kTcpAck, 0, 1, nullptr, 0),
                                    Tcp(true, decode::kTcpAck, 1, 1, nullptr, 0)}) {
      const flow::FlowLookup l = flows.Process(p, ++ts);
      f = l.flow;
      tcp.Process(*f, p, l.to_server);
    }
    state.ResumeTiming();
    for (const decode::Packet& p : segments) {
      const stream::StreamUpdate& u = tcp.Process(*f, p, true);
      benchmark::DoNotOptimize(u.own.len);
    }
    for (const stream::StreamChunk& c : tcp.Finish(*f)) benchmark::DoNotOptimize(c.len);
    state.PauseTiming();
    delivered = tcp.counters().bytes;
    gaps = tcp.counters().gaps;
    limit_hits = tcp.counters().segment_limit;
    state.ResumeTiming();
  }
  state.counters["per_segment"] =
      benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["delivered"] = static_cast<double>(delivered);
  state.counters["gaps"] = static_cast<double>(gaps);
  state.counters["limit_hits"] = static_cast<double>(limit_hits);
}
BENCHMARK(BM_StreamGrowth)
    ->ArgsProduct({{0, 1, 2, 3}, {1000, 10000, 100000, 1000000}, {0, 1}})
    ->ArgNames({"order", "n", "limits"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
