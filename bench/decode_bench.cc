// Decoder::Decode on typical frames; reports packets/s and bytes/s.

#include <benchmark/benchmark.h>

#include <string>

#include "capture/packet_view.h"
#include "engine/decode/decoder.h"
#include "tests/support/packet_builder.h"

namespace {

namespace kt = kagami::testing;
using kagami::decode::Decoder;
using kagami::decode::DecoderOptions;
using kagami::decode::Packet;

void RunDecode(benchmark::State& state, const kt::Bytes& frame, bool verify) {
  kagami::capture::PacketView view;
  view.linktype = kagami::capture::kLinkEthernet;
  view.caplen = view.wirelen = static_cast<uint32_t>(frame.size());
  view.data = frame.data();
  Decoder decoder(DecoderOptions{.verify_checksums = verify});
  Packet pkt;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decoder.Decode(view, pkt));
    benchmark::DoNotOptimize(pkt.payload);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(frame.size()));
}

kt::Bytes TcpV4() {
  kt::L4Options o;
  o.tcp_options = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};  // NOP NOP timestamps
  return kt::EthTcp("192.168.1.10", 51515, "93.184.216.34", 443, std::string(1400, 'x'), o);
}

kt::Bytes VlanTcpV4() {
  kt::IpOptions ip;
  ip.vlans = {100};
  return kt::EthTcp("10.0.0.1", 40000, "10.0.0.2", 80, std::string(512, 'y'), {}, ip);
}

kt::Bytes UdpV6() {
  return kt::EthUdp("2001:db8::1", 5353, "2001:db8::2", 53, std::string(64, 'z'));
}

void BM_DecodeTcpV4(benchmark::State& s) { RunDecode(s, TcpV4(), false); }
void BM_DecodeTcpV4Checksums(benchmark::State& s) { RunDecode(s, TcpV4(), true); }
void BM_DecodeVlanTcpV4(benchmark::State& s) { RunDecode(s, VlanTcpV4(), false); }
void BM_DecodeUdpV6(benchmark::State& s) { RunDecode(s, UdpV6(), false); }
void BM_DecodeUdpV6Checksums(benchmark::State& s) { RunDecode(s, UdpV6(), true); }

BENCHMARK(BM_DecodeTcpV4);
BENCHMARK(BM_DecodeTcpV4Checksums);
BENCHMARK(BM_DecodeVlanTcpV4);
BENCHMARK(BM_DecodeUdpV6);
BENCHMARK(BM_DecodeUdpV6Checksums);

}  // namespace
