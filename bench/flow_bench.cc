// Flow table and TCP reassembly micro benchmarks, and the memory a flow
// costs (the counters bytes_per_flow / bytes_per_tcp_flow).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/flow/flow_table.h"
#include "engine/stream/tcp_reassembler.h"

namespace {

using namespace kagami;

const uint8_t kHeader[20] = {};

decode::Packet Udp(uint32_t src, uint16_t sport) {
  decode::Packet p;
  p.ip_version = 4;
  p.src = IpAddress::FromV4(src);
  p.dst = IpAddress::FromV4(0x0a630001);
  p.src_port = sport;
  p.dst_port = 53;
  p.ip_proto = 17;
  p.l4 = kHeader;
  return p;
}

// Lookups of flows that exist (the common case on a busy link).
void BM_FlowLookupExisting(benchmark::State& state) {
  flow::FlowTable table;
  const int n = static_cast<int>(state.range(0));
  std::vector<decode::Packet> packets;
  for (int i = 0; i < n; ++i) packets.push_back(Udp(0x0a000000u + static_cast<uint32_t>(i), 1000));
  int64_t ts = 1'000'000'000;
  for (auto& p : packets) table.Process(p, ts);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Process(packets[i], ++ts).flow);
    if (++i == packets.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FlowLookupExisting)->Arg(1000)->Arg(100000);

// Every packet a new flow, at the memory cap: create + evict each time.
void BM_FlowCreateAtCap(benchmark::State& state) {
  flow::FlowOptions o;
  o.memcap = size_t{16} << 20;
  flow::FlowTable table(o);
  uint32_t src = 0x0a000000u;
  int64_t ts = 1'000'000'000;
  for (auto _ : state) {
    decode::Packet p = Udp(++src, 1000);
    benchmark::DoNotOptimize(table.Process(p, ++ts).flow);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["flows_at_cap"] = static_cast<double>(table.capacity());
  state.counters["bytes_per_flow"] = static_cast<double>(table.memory_in_use()) /
                                     static_cast<double>(std::max<uint64_t>(table.counters().active, 1));
}
BENCHMARK(BM_FlowCreateAtCap);

// In-order TCP segments through the reassembler (handshake done once).
void BM_TcpReassemblyInOrder(benchmark::State& state) {
  const uint32_t seg = static_cast<uint32_t>(state.range(0));
  flow::FlowTable table;
  stream::TcpReassembler tcp({}, &table);
  std::string payload(seg, 'x');
  decode::Packet p = Udp(0x0a000001, 40000);
  p.ip_proto = 6;
  p.dst_port = 80;
  int64_t ts = 1'000'000'000;
  auto send = [&](bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len) {
    decode::Packet q = p;
    if (!from_client) {
      std::swap(q.src, q.dst);
      std::swap(q.src_port, q.dst_port);
    }
    q.tcp_flags = flags;
    q.tcp_seq = seq;
    q.tcp_ack = ack;
    q.payload = reinterpret_cast<const uint8_t*>(payload.data());
    q.payload_len = len;
    flow::FlowLookup l = table.Process(q, ++ts);
    return tcp.Process(*l.flow, q, l.to_server).own.len;
  };
  send(true, decode::kTcpSyn, 0, 0, 0);
  send(false, decode::kTcpSyn | decode::kTcpAck, 0, 1, 0);
  send(true, decode::kTcpAck, 1, 1, 0);
  uint32_t seq = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(send(true, decode::kTcpAck | decode::kTcpPsh, seq, 1, seg));
    seq += seg;
  }
  state.SetBytesProcessed(state.iterations() * seg);
  state.counters["bytes_per_tcp_flow"] = static_cast<double>(flow::FlowTable::kBytesPerFlow +
                                                             stream::TcpReassembler::session_bytes());
}
BENCHMARK(BM_TcpReassemblyInOrder)->Arg(536)->Arg(1460);

}  // namespace
