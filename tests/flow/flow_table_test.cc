#include "engine/flow/flow_table.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kagami::flow {
namespace {

const uint8_t kHeader[20] = {};
constexpr int64_t kSec = 1'000'000'000;

decode::Packet Pkt(const char* src, uint16_t sport, const char* dst, uint16_t dport, uint8_t proto = 17,
                   uint8_t tcp_flags = 0) {
  decode::Packet p;
  p.ip_version = 4;
  p.src = *IpAddress::Parse(src);
  p.dst = *IpAddress::Parse(dst);
  p.src_port = sport;
  p.dst_port = dport;
  p.ip_proto = proto;
  p.l4 = kHeader;
  p.tcp_flags = tcp_flags;
  return p;
}

TEST(FlowTable, BothDirectionsShareOneFlowAndDirectionFollowsTheFirstPacket) {
  FlowTable t;
  auto q = Pkt("10.0.0.9", 5353, "10.0.0.1", 53);
  auto r = Pkt("10.0.0.1", 53, "10.0.0.9", 5353);
  FlowLookup a = t.Process(q, kSec);
  FlowTable::MarkPacket(a, q);
  EXPECT_EQ(q.flow_flags, decode::kFlowKnown | decode::kFlowToServer);
  EXPECT_TRUE(a.created);
  EXPECT_TRUE(a.to_server);
  EXPECT_FALSE(a.flow->established);
  FlowLookup b = t.Process(r, 2 * kSec);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(a.flow, b.flow);
  EXPECT_FALSE(b.to_server);
  EXPECT_TRUE(b.flow->established);  // UDP: both directions seen
  EXPECT_EQ(b.flow->packets_to_server, 1u);
  EXPECT_EQ(b.flow->packets_to_client, 1u);
  FlowTable::MarkPacket(b, r);
  EXPECT_EQ(r.flow_flags, decode::kFlowKnown | decode::kFlowEstablished);
}

TEST(FlowTable, ASynAckSeenFirstMakesItsReceiverTheClient) {
  FlowTable t;
  auto synack = Pkt("10.0.0.1", 80, "10.0.0.9", 40000, 6, decode::kTcpSyn | decode::kTcpAck);
  FlowLookup a = t.Process(synack, kSec);
  EXPECT_FALSE(a.to_server);
  EXPECT_EQ(a.flow->client_port, 40000);
}

TEST(FlowTable, VlanAndProtocolSeparateFlows) {
  FlowTable t;
  auto p1 = Pkt("10.0.0.1", 1, "10.0.0.2", 2);
  auto p2 = p1;
  p2.vlan_count = 1;
  p2.vlan_id[0] = 100;
  auto p3 = Pkt("10.0.0.1", 1, "10.0.0.2", 2, 6);
  Flow* f1 = t.Process(p1, kSec).flow;
  Flow* f2 = t.Process(p2, kSec).flow;
  Flow* f3 = t.Process(p3, kSec).flow;
  EXPECT_NE(f1, f2);
  EXPECT_NE(f1, f3);
  EXPECT_NE(f1->id, f2->id);
  EXPECT_EQ(t.counters().created, 3u);
}

TEST(FlowTable, FragmentsAndNonIpHaveNoFlow) {
  FlowTable t;
  auto frag = Pkt("10.0.0.1", 0, "10.0.0.2", 0);
  frag.is_fragment = true;
  EXPECT_EQ(t.Process(frag, kSec).flow, nullptr);
  decode::Packet none;
  EXPECT_EQ(t.Process(none, kSec).flow, nullptr);
}

TEST(FlowTable, TimeoutsFollowPacketTimeAndState) {
  FlowOptions o;
  FlowTable t(o);
  std::vector<FlowEnd> ended;
  t.set_end_handler([&](Flow&, FlowEnd why) { ended.push_back(why); });
  auto udp = Pkt("10.0.0.1", 1000, "10.0.0.2", 53);
  t.Process(udp, kSec);
  // New UDP flows time out after 30 s of packet time.
  t.Process(Pkt("10.0.0.3", 1, "10.0.0.4", 2), 30 * kSec);
  EXPECT_TRUE(ended.empty());
  t.Process(Pkt("10.0.0.3", 1, "10.0.0.4", 2), 32 * kSec);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0], FlowEnd::kTimeout);
  EXPECT_EQ(t.counters().timed_out, 1u);
  EXPECT_EQ(t.counters().active, 1u);
  // An established UDP flow lasts 300 s.
  auto q = Pkt("10.0.0.5", 7, "10.0.0.6", 8);
  auto r = Pkt("10.0.0.6", 8, "10.0.0.5", 7);
  Flow* f = t.Process(q, 40 * kSec).flow;
  t.Process(r, 40 * kSec);
  EXPECT_EQ(f->state, FlowState::kEstablished);
  t.Expire(200 * kSec);
  EXPECT_TRUE(f->in_use);
  t.Expire(341 * kSec);
  EXPECT_FALSE(f->in_use);
}

TEST(FlowTable, ReplayingTheSamePacketsGivesTheSameFlowIds) {
  std::vector<uint64_t> ids[2];
  for (auto& run : ids) {
    FlowTable t;
    for (int i = 0; i < 50; ++i) {
      auto p = Pkt("10.1.0.1", static_cast<uint16_t>(1000 + i), "10.2.0.1", 80, 6, decode::kTcpSyn);
      run.push_back(t.Process(p, (i + 1) * kSec).flow->id);
    }
  }
  EXPECT_EQ(ids[0], ids[1]);
  std::set<uint64_t> distinct(ids[0].begin(), ids[0].end());
  EXPECT_EQ(distinct.size(), 50u);
  for (uint64_t id : ids[0]) EXPECT_LT(id, uint64_t{1} << 53);
}

TEST(FlowTable, MemcapEvictsTheLeastRecentlySeenFlow) {
  FlowOptions o;
  o.memcap = 10 * FlowTable::kBytesPerFlow;
  FlowTable t(o);
  ASSERT_EQ(t.capacity(), 10u);
  std::vector<IpAddress> ended;
  t.set_end_handler([&](Flow& f, FlowEnd why) {
    EXPECT_EQ(why, FlowEnd::kEvicted);
    ended.push_back(f.client_addr);
  });
  for (int i = 0; i < 10; ++i) {
    const std::string src = "10.0.0." + std::to_string(i + 1);
    t.Process(Pkt(src.c_str(), 1, "10.9.9.9", 2), kSec + i);
  }
  // Touch the first flow so the second becomes the oldest.
  t.Process(Pkt("10.0.0.1", 1, "10.9.9.9", 2), kSec + 20);
  t.Process(Pkt("10.0.0.99", 1, "10.9.9.9", 2), kSec + 21);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0], *IpAddress::Parse("10.0.0.2"));
  EXPECT_EQ(t.counters().evicted, 1u);
  EXPECT_EQ(t.counters().active, 10u);
}

TEST(FlowTable, FloodStaysUnderTheMemcap) {
  FlowOptions o;
  o.memcap = size_t{4} << 20;
  FlowTable t(o);
  for (uint32_t i = 0; i < 200000; ++i) {
    decode::Packet p = Pkt("10.0.0.1", 1, "10.0.0.2", 2);
    p.src = IpAddress::FromV4(0x0a000000u + i);
    t.Process(p, kSec + i);
  }
  EXPECT_LE(t.memory_in_use(), o.memcap);
  EXPECT_EQ(t.counters().created, 200000u);
  EXPECT_EQ(t.counters().active, t.capacity());
  EXPECT_EQ(t.counters().created, t.counters().active + t.counters().evicted + t.counters().timed_out);
}

TEST(FlowTable, EndAllEndsEveryFlow) {
  FlowTable t;
  int ended = 0;
  t.set_end_handler([&](Flow&, FlowEnd why) { ended += why == FlowEnd::kShutdown; });
  for (int i = 0; i < 5; ++i) t.Process(Pkt("10.0.0.1", static_cast<uint16_t>(i), "10.0.0.2", 2), kSec);
  t.EndAll();
  EXPECT_EQ(ended, 5);
  EXPECT_EQ(t.counters().active, 0u);
}

}  // namespace
}  // namespace kagami::flow
