#include "engine/pipeline/dispatch.h"

#include <gtest/gtest.h>

#include "engine/decode/decoder.h"
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::pipeline {
namespace {

using traffic::Bytes;

struct Decoded {
  Bytes frame;
  capture::PacketView view;
  decode::Packet packet;
};

std::unique_ptr<Decoded> Decode(Bytes frame) {
  auto d = std::make_unique<Decoded>();
  d->frame = std::move(frame);
  d->view.data = d->frame.data();
  d->view.caplen = d->view.wirelen = static_cast<uint32_t>(d->frame.size());
  decode::Decoder decoder;
  EXPECT_EQ(decoder.Decode(d->view, d->packet), decode::DecodeResult::kOk);
  return d;
}

TEST(DispatchTest, BothDirectionsOfAFlowHashAlike) {
  for (const char* a : {"10.0.0.1", "2001:db8::1"}) {
    const std::string b = std::string(a).find(':') != std::string::npos ? "2001:db8::99" : "10.200.0.9";
    auto ab = Decode(kagami::testing::EthTcp(a, 1234, b, 80, "x"));
    auto ba = Decode(kagami::testing::EthTcp(b, 80, a, 1234, "y"));
    EXPECT_EQ(DispatchHash(ab->packet, DispatchKind::kFlow), DispatchHash(ba->packet, DispatchKind::kFlow)) << a;
    auto other = Decode(kagami::testing::EthTcp(a, 1235, b, 80, "x"));
    EXPECT_NE(DispatchHash(ab->packet, DispatchKind::kFlow), DispatchHash(other->packet, DispatchKind::kFlow));
  }
  auto u1 = Decode(kagami::testing::EthUdp("10.0.0.1", 53, "10.0.0.2", 5353, "q"));
  auto u2 = Decode(kagami::testing::EthUdp("10.0.0.2", 5353, "10.0.0.1", 53, "r"));
  EXPECT_EQ(DispatchHash(u1->packet, DispatchKind::kFlow), DispatchHash(u2->packet, DispatchKind::kFlow));
  // ICMP echo and its reply share the identifier.
  auto e1 = Decode(kagami::testing::EthIcmp("10.0.0.1", "10.0.0.2", "p"));
  kagami::testing::L4Options reply;
  reply.icmp_type = 0;
  auto e2 = Decode(kagami::testing::EthIcmp("10.0.0.2", "10.0.0.1", "p", reply));
  EXPECT_EQ(DispatchHash(e1->packet, DispatchKind::kFlow), DispatchHash(e2->packet, DispatchKind::kFlow));
}

TEST(DispatchTest, VlansArePartOfTheFlow) {
  kagami::testing::IpOptions v1, v2;
  v1.vlans = {10};
  v2.vlans = {20};
  auto a = Decode(kagami::testing::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x", {}, v1));
  auto b = Decode(kagami::testing::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x", {}, v2));
  EXPECT_NE(DispatchHash(a->packet, DispatchKind::kFlow), DispatchHash(b->packet, DispatchKind::kFlow));
}

TEST(DispatchTest, FragmentsOfADatagramHashAlike) {
  const Bytes udp = kagami::testing::Udp("10.0.0.1", 9, "10.0.0.2", 9, std::string(100, 'z'));
  std::vector<Bytes> frags = traffic::Fragment("10.0.0.1", "10.0.0.2", 17, udp, 3, 77);
  ASSERT_EQ(frags.size(), 3u);
  std::vector<uint64_t> hashes;
  for (const Bytes& f : frags) {
    auto d = Decode(f);
    ASSERT_TRUE(d->packet.is_fragment);
    hashes.push_back(DispatchHash(d->packet, DispatchKind::kFragment));
  }
  EXPECT_EQ(hashes[0], hashes[1]);
  EXPECT_EQ(hashes[1], hashes[2]);
  std::vector<Bytes> other = traffic::Fragment("10.0.0.1", "10.0.0.2", 17, udp, 3, 78);
  EXPECT_NE(DispatchHash(Decode(other[0])->packet, DispatchKind::kFragment), hashes[0]);
}

// Tunnel carriers hash on their addresses: VXLAN packets of one tunnel with
// different outer source ports (one per inner flow and direction) go together.
TEST(DispatchTest, TunnelCarriersIgnorePorts) {
  const Bytes inner = kagami::testing::EthTcp("10.1.0.1", 1, "10.2.0.1", 2, "x");
  auto a = Decode(kagami::testing::Ethernet(kagami::testing::Ip(
      "192.0.2.1", "192.0.2.2", 17, kagami::testing::UdpBytes("192.0.2.1", 1111, "192.0.2.2", 4789,
                                                             kagami::testing::Vxlan(1, inner)))));
  auto b = Decode(kagami::testing::Ethernet(kagami::testing::Ip(
      "192.0.2.2", "192.0.2.1", 17, kagami::testing::UdpBytes("192.0.2.2", 2222, "192.0.2.1", 4789,
                                                             kagami::testing::Vxlan(1, inner)))));
  EXPECT_EQ(DispatchHash(a->packet, DispatchKind::kTunnelCarrier), DispatchHash(b->packet, DispatchKind::kTunnelCarrier));
  EXPECT_NE(DispatchHash(a->packet, DispatchKind::kFlow), DispatchHash(b->packet, DispatchKind::kFlow));
}

TEST(DispatchTest, WorkersAreInRangeAndUsedEvenly) {
  for (uint32_t n : {1u, 2u, 3u, 7u}) {
    std::vector<uint32_t> count(n);
    for (int i = 0; i < 7000; ++i) {
      auto d = Decode(kagami::testing::EthTcp("10.0.0.1", static_cast<uint16_t>(1024 + i), "10.0.0.2", 80, "x"));
      const uint32_t w = WorkerFor(DispatchHash(d->packet, DispatchKind::kFlow), n);
      ASSERT_LT(w, n);
      ++count[w];
    }
    for (uint32_t c : count) EXPECT_GT(c, 7000 / n * 8 / 10) << n;
  }
  decode::Packet none;
  EXPECT_EQ(DispatchHash(none, DispatchKind::kFlow), 0u);
}

}  // namespace
}  // namespace kagami::pipeline
