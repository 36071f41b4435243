// The traffic layers through the real Scanner: TCP sessions with a real
// handshake, segmented, reordered, duplicated, overlapping, wrapping and with
// gaps; flow keywords and flowbits; UDP flows; flow timeouts; EVE flow ids and
// Community IDs; IPv4/IPv6 fragments; tunnels.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/flow/flow_table.h"
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::pipeline::traffic {
namespace {

using kagami::testing::Bytes;

constexpr char kClient[] = "10.1.0.1";
constexpr char kServer[] = "10.2.0.2";

TcpSession Session(uint16_t client_port = 40000, uint32_t client_isn = 1000, uint32_t server_isn = 50000) {
  return TcpSession(kClient, client_port, kServer, 80, client_isn, server_isn);
}

size_t Count(const std::vector<uint32_t>& sids, uint32_t sid) {
  return static_cast<size_t>(std::count(sids.begin(), sids.end(), sid));
}

std::string Describe(const std::vector<size_t>& v) {
  std::string s;
  for (size_t x : v) s += std::to_string(x) + " ";
  return s;
}

// The transport segment of an untagged Ethernet frame (IPv4 or IPv6).
Bytes L4Of(const Bytes& eth) {
  const size_t ip = 14;
  const size_t hlen = (eth[ip] >> 4) == 4 ? static_cast<size_t>(eth[ip] & 0x0f) * 4 : 40;
  return Bytes(eth.begin() + static_cast<std::ptrdiff_t>(ip + hlen), eth.end());
}

// ---------------------------------------------------------------------------
// 1. Segmentation

constexpr char kSplitRule[] =
    "alert tcp any any -> any any (msg:\"split\"; flow:established,to_server; content:\"EVILPATTERN\"; sid:1;)\n";
constexpr char kSplitData[] = "GET /?q=EVILPATTERN HTTP/1.0";

TEST(TrafficSegmentation, ContentSplitAtEveryBoundaryAlertsOnce) {
  auto engine = CompileRules(kSplitRule);
  const std::string data = kSplitData;
  for (size_t cut = 1; cut < data.size(); ++cut) {
    Harness h("", {}, engine);
    TcpSession s = Session();
    h.Feed(s.Handshake());
    h.Feed(s.Send(true, data, {cut}));
    h.Feed(s.Ack(false));
    h.Finish();
    EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1}) << "cut at " << cut;
  }
}

TEST(TrafficSegmentation, ThreeSegmentsAtEveryPairOfBoundariesAlertOnce) {
  auto engine = CompileRules(kSplitRule);
  const std::string data = kSplitData;
  for (size_t a = 1; a < data.size(); ++a) {
    for (size_t b = a + 1; b < data.size(); ++b) {
      Harness h("", {}, engine);
      TcpSession s = Session();
      h.Feed(s.Handshake());
      h.Feed(s.Send(true, data, {a, b}));
      h.Finish();
      ASSERT_EQ(h.alerts(), 1u) << "cuts at " << a << ", " << b;
    }
  }
}

// Each direction is reassembled on its own: interleaved segments of the
// two directions never mix.
TEST(TrafficSegmentation, EachDirectionIsReassembledOnItsOwn) {
  Harness h(
      "alert tcp any any -> any any (msg:\"c\"; content:\"CLIENTSIDE\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"s\"; content:\"SERVERSIDE\"; sid:2;)\n"
      "alert tcp any any -> any any (msg:\"mixed\"; content:\"CLIENTSERVER\"; sid:3;)\n");
  TcpSession s = Session();
  h.Feed(s.Handshake());
  // Interleaved: CLIENT, SERVER, SIDE, SIDE, each acknowledging what the
  // other side sent before it.
  h.Feed(s.Segment(true, 0, "CLIENT", kPsh | kAck, 0));
  h.Feed(s.Segment(false, 0, "SERVER", kPsh | kAck, 6));
  h.Feed(s.Segment(true, 6, "SIDE", kPsh | kAck, 6));
  h.Feed(s.Segment(false, 6, "SIDE", kPsh | kAck, 10));
  h.Finish();
  std::vector<uint32_t> sids = h.Sids();
  EXPECT_EQ(Count(sids, 1), 1u);
  EXPECT_EQ(Count(sids, 2), 1u);
  EXPECT_EQ(Count(sids, 3), 0u);
}

// ---------------------------------------------------------------------------
// 2. Reordering

// Cuts inside the pattern (offsets 8..18), so that no segment holds it whole:
// an out-of-order segment that does is matched as a packet when it arrives
// and again when the stream delivers it (packet and stream are inspected
// separately), which is not what these tests are about.
TEST(TrafficReordering, TwoSegmentsReversedAlertOnce) {
  auto engine = CompileRules(kSplitRule);
  const std::string data = kSplitData;
  for (size_t cut = 9; cut <= 18; ++cut) {
    Harness h("", {}, engine);
    TcpSession s = Session();
    h.Feed(s.Handshake());
    auto segs = s.Send(true, data, {cut});
    h.FeedInOrder(segs, {1, 0});
    h.Finish();
    EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1}) << "cut at " << cut;
  }
}

TEST(TrafficReordering, EveryPermutationOfFourSegmentsAlertsOnce) {
  auto engine = CompileRules(kSplitRule);
  // The pattern (8..19) spans the middle segments; no segment holds it whole.
  const std::string data = kSplitData;
  for (const auto& order : Permutations(4)) {
    Harness h("", {}, engine);
    TcpSession s = Session();
    h.Feed(s.Handshake());
    auto segs = s.Send(true, data, {6, 11, 16});
    h.FeedInOrder(segs, order);
    h.Feed(s.Ack(false));
    h.Finish();
    std::vector<Record> records = h.Records();
    ASSERT_EQ(records.size(), 1u) << "order " << Describe(order);
    EXPECT_EQ(records[0].sid, 1u);
    // The packet that completed the data triggered it.
    EXPECT_EQ(records[0].pkt_src, "wire/pcap");
    EXPECT_EQ(h.scanner().stream_counters().gaps, 0u);
  }
}

// ---------------------------------------------------------------------------
// 3. Retransmissions and overlaps

TEST(TrafficRetransmission, DuplicatedSegmentsAlertOnce) {
  auto engine = CompileRules(kSplitRule);
  const std::string data = kSplitData;
  const std::vector<std::vector<size_t>> orders = {
      {0, 0, 1, 1, 2, 2}, {0, 1, 0, 2, 1, 2}, {2, 2, 1, 1, 0, 0}, {1, 0, 1, 2, 0, 2, 1}};
  for (const auto& order : orders) {
    Harness h("", {}, engine);
    TcpSession s = Session();
    h.Feed(s.Handshake());
    auto segs = s.Send(true, data, {10, 15});  // EVIL|PATTE|RN...
    h.FeedInOrder(segs, order);
    h.Feed(s.Ack(false));
    // The first two segments once more, as one retransmitted segment.
    h.Feed(s.Segment(true, 0, data.substr(0, 15)));
    h.Finish();
    EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1}) << "order " << Describe(order);
    EXPECT_GT(h.scanner().stream_counters().retransmissions + h.scanner().stream_counters().overlaps, 0u);
  }
}

// Two segments for the same bytes with different data, both waiting behind
// a hole: the overlap policy decides which bytes the stream gets.
class TrafficOverlapPolicy : public ::testing::TestWithParam<stream::OverlapPolicy> {};

TEST_P(TrafficOverlapPolicy, ConflictingOverlapFollowsThePolicy) {
  ScannerOptions o;
  o.stream.policy = GetParam();
  Harness h(
      "alert tcp any any -> any any (msg:\"first\"; content:\"HDR:FIRST\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"last\"; content:\"HDR:SECND\"; sid:2;)\n",
      o);
  TcpSession s = Session();
  h.Feed(s.Handshake());
  h.Feed(s.Segment(true, 4, "FIRST"));
  h.Feed(s.Segment(true, 4, "SECND"));
  h.Feed(s.Segment(true, 0, "HDR:"));
  h.Feed(s.Segment(true, 9, "\r\n"));
  h.Feed(s.Ack(false, 11));
  h.Finish();
  const bool first = GetParam() == stream::OverlapPolicy::kFirst;
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{first ? 1u : 2u});
  EXPECT_EQ(h.scanner().stream_counters().overlaps_different, 1u);
}

INSTANTIATE_TEST_SUITE_P(FirstAndLast, TrafficOverlapPolicy,
                         ::testing::Values(stream::OverlapPolicy::kFirst, stream::OverlapPolicy::kLast),
                         [](const auto& info) {
                           return std::string(stream::OverlapPolicyName(info.param));
                         });

// A partial overlap: the new segment starts before the old one (bsd and
// linux let it win, first keeps the old bytes).
TEST(TrafficOverlap, PartialOverlapUnderBsdAndFirst) {
  for (auto policy : {stream::OverlapPolicy::kFirst, stream::OverlapPolicy::kBsd}) {
    ScannerOptions o;
    o.stream.policy = policy;
    Harness h(
        "alert tcp any any -> any any (msg:\"old\"; content:\"HDR:abOLD\"; sid:1;)\n"
        "alert tcp any any -> any any (msg:\"new\"; content:\"HDR:abNEW\"; sid:2;)\n",
        o);
    TcpSession s = Session();
    h.Feed(s.Handshake());
    h.Feed(s.Segment(true, 6, "OLD"));
    h.Feed(s.Segment(true, 4, "abNEW"));
    h.Feed(s.Segment(true, 0, "HDR:"));
    h.Finish();
    EXPECT_EQ(h.Sids(), std::vector<uint32_t>{policy == stream::OverlapPolicy::kFirst ? 1u : 2u})
        << stream::OverlapPolicyName(policy);
  }
}

// ---------------------------------------------------------------------------
// 4. Sequence number wrap-around

TEST(TrafficWrap, PatternStraddlingTheSequenceWrapAlertsOnce) {
  const std::string req = kSplitData;       // pattern at offsets 8..18
  const std::string resp = "200 BADRESPONSE";  // pattern at 4..14
  // Client data starts at seq 0xfffffff6: offset 10 is seq 0. Server data
  // starts at 0xfffffffa: offset 6 is seq 0.
  const uint32_t client_isn = 0xfffffff5u, server_isn = 0xfffffff9u;
  auto engine = CompileRules(
      "alert tcp any any -> any any (msg:\"c\"; flow:to_server; content:\"EVILPATTERN\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"s\"; flow:to_client; content:\"BADRESPONSE\"; sid:2;)\n");
  // Cuts inside both patterns, the wrap points (10 and 6) among them.
  for (size_t cut = 9; cut <= 14; ++cut) {
    for (bool reversed : {false, true}) {
      Harness h("", {}, engine);
      TcpSession s = Session(40000, client_isn, server_isn);
      h.Feed(s.Handshake());
      auto c = s.Send(true, req, {cut});
      h.FeedInOrder(c, reversed ? std::vector<size_t>{1, 0} : std::vector<size_t>{0, 1});
      auto r = s.Send(false, resp, {cut - 4});
      h.FeedInOrder(r, reversed ? std::vector<size_t>{1, 0} : std::vector<size_t>{0, 1});
      h.Feed(s.Ack(true));
      h.Finish();
      std::vector<uint32_t> sids = h.Sids();
      EXPECT_EQ(Count(sids, 1), 1u) << "cut " << cut << (reversed ? " reversed" : "");
      EXPECT_EQ(Count(sids, 2), 1u) << "cut " << cut << (reversed ? " reversed" : "");
      EXPECT_EQ(sids.size(), 2u);
    }
  }
}

// ---------------------------------------------------------------------------
// 5. Gaps

constexpr char kGapRules[] =
    "alert tcp any any -> any any (msg:\"across gap\"; content:\"ABCDEF\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"after gap\"; content:\"TAIL-PATTERN\"; sid:2;)\n"
    "alert tcp any any -> any any (msg:\"with lost bytes\"; content:\"ABCzzzzDEF\"; sid:3;)\n";

TEST(TrafficGap, AckedHoleWithDataQueuedBehindIt) {
  Harness h(kGapRules);
  TcpSession s = Session();
  h.Feed(s.Handshake());
  h.Feed(s.SendOne(true, "xxxxABC"));
  s.Skip(true, 4);  // "zzzz", never seen by the sensor
  auto tail = s.Send(true, "DEFyyyTAIL-PATTERNzz", {11});
  h.Feed(tail[0]);
  // The server got everything up to the end of tail[0].
  h.Feed(s.Ack(false, 7 + 4 + 11));
  h.Feed(tail[1]);
  h.Feed(s.Ack(false));
  h.Finish();
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{2});
  EXPECT_EQ(h.scanner().stream_counters().gaps, 1u);
}

TEST(TrafficGap, AckedHoleBeforeTheDataAfterIt) {
  Harness h(kGapRules);
  TcpSession s = Session();
  h.Feed(s.Handshake());
  h.Feed(s.SendOne(true, "xxxxABC"));
  s.Skip(true, 4);
  h.Feed(s.Ack(false));  // acknowledges the lost bytes too
  h.Feed(s.Send(true, "DEFyyyTAIL-PATTERNzz", {11}));
  h.Feed(s.Ack(false));
  h.Finish();
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{2});
  EXPECT_EQ(h.scanner().stream_counters().gaps, 1u);
}

// ---------------------------------------------------------------------------
// 6. Packet rules and stream rules

TEST(TrafficBuffers, PacketRulesSeePacketsStreamRulesSeeTheStream) {
  Harness h(
      "alert tcp any any -> any any (msg:\"stream only\"; flow:only_stream; content:\"ABCDEF\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"no stream, split\"; flow:no_stream; content:\"ABCDEF\"; sid:2;)\n"
      "alert tcp any any -> any any (msg:\"no stream, one packet\"; flow:no_stream; content:\"DEFyy\"; sid:3;)\n"
      "alert tcp any any -> any any (msg:\"dsize\"; dsize:5; content:\"ABC\"; sid:4;)\n"
      "alert tcp any any -> any any (msg:\"dsize split\"; dsize:5; content:\"ABCDEF\"; sid:5;)\n"
      "alert tcp any any -> any any (msg:\"stream, in one packet\"; flow:only_stream; content:\"xxABC\"; sid:6;)\n"
      "alert tcp any any -> any any (msg:\"dsize header only\"; dsize:5; sid:7;)\n");
  TcpSession s = Session();
  h.Feed(s.Handshake());
  h.Feed(s.Send(true, "xxABCDEFyy", {5}));
  h.Feed(s.Ack(false));
  h.Finish();
  std::vector<uint32_t> sids = h.Sids();
  EXPECT_EQ(Count(sids, 1), 1u);
  EXPECT_EQ(Count(sids, 2), 0u);
  EXPECT_EQ(Count(sids, 3), 1u);
  EXPECT_EQ(Count(sids, 4), 1u);
  EXPECT_EQ(Count(sids, 5), 0u);
  EXPECT_EQ(Count(sids, 6), 1u);
  EXPECT_EQ(Count(sids, 7), 2u);
  EXPECT_EQ(sids.size(), 6u);
}

// A packet rule does not fire on the pseudo packets stream data is
// inspected with (gap release, flow end); a stream rule does.
TEST(TrafficBuffers, PseudoPacketsCarryOnlyStreamMatches) {
  Harness h(
      "alert tcp any any -> any any (msg:\"stream\"; content:\"EVILPATTERN\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"header only\"; flow:established,to_server; dsize:0; sid:2;)\n");
  TcpSession s = Session();
  h.Feed(s.Handshake());
  s.Skip(true, 3);
  h.Feed(s.Send(true, "xxEVILPA" "TTERNyy", {8}));
  h.Finish();
  std::vector<Record> records = h.Records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].sid, 1u);
  EXPECT_EQ(records[0].pkt_src, "stream (flow timeout)");
}

// ---------------------------------------------------------------------------
// 7. Flow keywords

TEST(TrafficFlowKeywords, EstablishedOnlyAfterTheHandshake) {
  Harness h(
      "alert tcp any any -> any any (msg:\"est\"; flow:established; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"not est\"; flow:not_established; sid:2;)\n"
      "alert tcp any any -> any any (msg:\"req\"; flow:established,to_server; content:\"REQ\"; sid:3;)\n"
      "alert tcp any any -> any any (msg:\"resp\"; flow:established,to_client; content:\"RESP\"; sid:4;)\n"
      "alert tcp any any -> any any (msg:\"from client\"; flow:from_client; content:\"REQ\"; sid:5;)\n"
      "alert tcp any any -> any any (msg:\"from server\"; flow:from_server; content:\"RESP\"; sid:6;)\n"
      "alert tcp any any -> any any (msg:\"wrong way 1\"; flow:to_client; content:\"REQ\"; sid:7;)\n"
      "alert tcp any any -> any any (msg:\"wrong way 2\"; flow:to_server; content:\"RESP\"; sid:8;)\n"
      "alert tcp any any -> any any (msg:\"syn to server\"; flow:to_server,not_established; flags:S; sid:9;)\n"
      "alert tcp any any -> any any (msg:\"synack to client\"; flow:to_client; flags:SA; sid:10;)\n");
  TcpSession s = Session();
  h.Feed(s.Syn());
  EXPECT_EQ(h.hits(1), 0u);
  EXPECT_EQ(h.hits(2), 1u);
  EXPECT_EQ(h.hits(9), 1u);
  h.Feed(s.SynAck());
  EXPECT_EQ(h.hits(1), 0u);
  EXPECT_EQ(h.hits(2), 2u);
  EXPECT_EQ(h.hits(10), 1u);
  h.Feed(s.HandshakeAck());
  EXPECT_EQ(h.hits(1), 0u) << "the ACK completing the handshake is not established yet";
  EXPECT_EQ(h.hits(2), 3u);
  h.Feed(s.SendOne(true, "REQ"));
  EXPECT_EQ(h.hits(1), 1u);
  h.Feed(s.SendOne(false, "RESP"));
  EXPECT_EQ(h.hits(1), 2u);
  h.Feed(s.Ack(true));
  EXPECT_EQ(h.hits(1), 3u);
  EXPECT_EQ(h.hits(2), 3u);
  h.Finish();
  EXPECT_EQ(h.hits(3), 1u);
  EXPECT_EQ(h.hits(4), 1u);
  EXPECT_EQ(h.hits(5), 1u);
  EXPECT_EQ(h.hits(6), 1u);
  EXPECT_EQ(h.hits(7), 0u);
  EXPECT_EQ(h.hits(8), 0u);
  // And the EVE records of the directional rules go the right way.
  for (const Record& r : h.Records()) {
    if (r.sid == 3 || r.sid == 5) {
      EXPECT_EQ(r.src_ip, kClient);
    }
    if (r.sid == 4 || r.sid == 6) {
      EXPECT_EQ(r.src_ip, kServer);
    }
  }
}

// A SYN/ACK seen first makes its receiver the client.
TEST(TrafficFlowKeywords, DirectionFromASynAckSeenFirst) {
  ScannerOptions o;
  o.stream.midstream = true;
  Harness h(
      "alert tcp any any -> any any (msg:\"req\"; flow:established,to_server; content:\"REQ\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"resp\"; flow:established,to_client; content:\"RESP\"; sid:2;)\n",
      o);
  TcpSession s = Session();
  h.Feed(s.SynAck());
  h.Feed(s.HandshakeAck());
  h.Feed(s.SendOne(true, "REQ"));
  h.Feed(s.SendOne(false, "RESP"));
  h.Finish();
  EXPECT_EQ(h.Sids(), (std::vector<uint32_t>{1, 2}));
}

constexpr char kMidstreamRules[] =
    "alert tcp any any -> any any (msg:\"content\"; content:\"EVILPATTERN\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"est\"; flow:established; sid:2;)\n"
    "alert tcp any any -> any any (msg:\"not est\"; flow:not_established; sid:3;)\n";

// A session whose SYN the sensor never saw: data (split pattern), the
// server's ACK, then one packet holding the whole pattern.
std::vector<Bytes> MidstreamSession() {
  TcpSession s = Session(40001, 700000, 900000);
  std::vector<Bytes> out = s.Send(true, "xxEVILPA" "TTERNyy", {8});
  out.push_back(s.Ack(false));
  out.push_back(s.SendOne(true, "--EVILPATTERN--"));
  out.push_back(s.Ack(false));
  return out;
}

TEST(TrafficMidstream, WithoutMidstreamTheSessionIsNeverEstablished) {
  Harness h(kMidstreamRules);
  h.Feed(MidstreamSession());
  h.Finish();
  EXPECT_EQ(h.hits(1), 1u) << "only the packet holding the whole pattern";
  EXPECT_EQ(h.hits(2), 0u);
  EXPECT_EQ(h.hits(3), 5u);
  EXPECT_EQ(h.scanner().stream_counters().sessions, 0u);
  EXPECT_EQ(h.scanner().stream_counters().midstream_pickups, 0u);
}

TEST(TrafficMidstream, WithMidstreamTheSessionIsPickedUp) {
  ScannerOptions o;
  o.stream.midstream = true;
  Harness h(kMidstreamRules, o);
  h.Feed(MidstreamSession());
  h.Finish();
  EXPECT_EQ(h.hits(1), 2u) << "the split pattern and the whole one";
  EXPECT_EQ(h.hits(2), 5u);
  EXPECT_EQ(h.hits(3), 0u);
  EXPECT_EQ(h.scanner().stream_counters().midstream_pickups, 1u);
}

// ---------------------------------------------------------------------------
// 8. flowbits

TEST(TrafficFlowbits, SetOnTheRequestCheckedOnTheResponseOfTheSameFlowOnly) {
  Harness h(
      "alert tcp any any -> any any (msg:\"login\"; flow:to_server; content:\"LOGIN\"; "
      "flowbits:set,logged_in; flowbits:noalert; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"welcome after login\"; flow:to_client; content:\"WELCOME\"; "
      "flowbits:isset,logged_in; sid:2;)\n"
      "alert tcp any any -> any any (msg:\"welcome without login\"; flow:to_client; content:\"WELCOME\"; "
      "flowbits:isnotset,logged_in; sid:3;)\n");
  TcpSession a = Session(40000), b = Session(40001);
  h.Feed(a.Handshake());
  h.Feed(b.Handshake());
  h.Feed(a.SendOne(true, "LOGIN user"));
  h.Feed(b.SendOne(true, "HELLO user"));
  h.Feed(b.SendOne(false, "WELCOME"));
  h.Feed(a.SendOne(false, "WELCOME"));
  h.Finish();
  std::vector<Record> records = h.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sid, 3u);
  EXPECT_EQ(records[0].dest_port, 40001);
  EXPECT_EQ(records[1].sid, 2u);
  EXPECT_EQ(records[1].dest_port, 40000);
  EXPECT_EQ(h.hits(1), 1u);  // matched, not logged
  EXPECT_NE(records[0].flow_id, records[1].flow_id);
}

// ---------------------------------------------------------------------------
// 9. UDP flows

TEST(TrafficUdp, EstablishedOnTheFirstReply) {
  Harness h(
      "alert udp any any -> any any (msg:\"est\"; flow:established; sid:1;)\n"
      "alert udp any any -> any any (msg:\"not est\"; flow:not_established; sid:2;)\n"
      "alert udp any any -> any any (msg:\"est reply\"; flow:established,to_client; sid:3;)\n"
      "alert udp any any -> any any (msg:\"request\"; flow:to_server; sid:4;)\n");
  const Bytes request = kagami::testing::EthUdp(kClient, 53000, kServer, 53, "query");
  const Bytes reply = kagami::testing::EthUdp(kServer, 53, kClient, 53000, "answer");
  h.Feed(request);
  EXPECT_EQ(h.hits(1), 0u);
  EXPECT_EQ(h.hits(2), 1u);
  EXPECT_EQ(h.hits(4), 1u);
  h.Feed(request);  // a retry: still one-sided
  EXPECT_EQ(h.hits(1), 0u);
  EXPECT_EQ(h.hits(2), 2u);
  h.Feed(reply);
  EXPECT_EQ(h.hits(1), 1u);
  EXPECT_EQ(h.hits(3), 1u);
  EXPECT_EQ(h.hits(2), 2u);
  h.Feed(request);
  EXPECT_EQ(h.hits(1), 2u);
  EXPECT_EQ(h.hits(4), 3u);
  EXPECT_EQ(h.hits(2), 2u);
  h.Finish();
  EXPECT_EQ(h.scanner().flow_counters().created, 1u);
}

// ---------------------------------------------------------------------------
// 10. Flow end: data behind a hole

constexpr char kHoleRules[] =
    "alert tcp any any -> any any (msg:\"hello\"; content:\"HELLO\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"behind hole\"; flow:to_server; content:\"EVILPATTERN\"; sid:2;)\n";

// Handshake, "HELLO ", 4 lost bytes, then the pattern split over two
// segments that wait behind the hole (nobody acknowledges it).
void SendDataBehindAHole(Harness& h, TcpSession& s) {
  h.Feed(s.Handshake());
  h.Feed(s.SendOne(true, "HELLO "));
  s.Skip(true, 4);
  h.Feed(s.Send(true, "xxEVILPA" "TTERNyy", {8}));
}

TEST(TrafficFlowEnd, DataBehindAHoleIsInspectedAtFinish) {
  Harness h(kHoleRules);
  TcpSession s = Session();
  SendDataBehindAHole(h, s);
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1});
  h.Finish();
  std::vector<Record> records = h.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].sid, 2u);
  EXPECT_EQ(records[1].pkt_src, "stream (flow timeout)");
  EXPECT_EQ(records[1].src_ip, kClient);
  EXPECT_EQ(records[1].dest_ip, kServer);
  EXPECT_EQ(records[1].src_port, 40000);
  EXPECT_EQ(records[1].dest_port, 80);
  EXPECT_NE(records[1].flow_id, 0u);
  EXPECT_EQ(records[1].flow_id, records[0].flow_id);
  EXPECT_EQ(records[1].community_id, records[0].community_id);
  EXPECT_FALSE(records[1].community_id.empty());
  EXPECT_EQ(h.scanner().flow_counters().ended_at_shutdown, 1u);
}

TEST(TrafficFlowEnd, DataBehindAHoleIsInspectedAtTimeout) {
  Harness h(kHoleRules);
  TcpSession s = Session();
  SendDataBehindAHole(h, s);
  // Established TCP flows time out after 600 s of packet time.
  h.Advance(int64_t{601} * 1'000'000'000);
  h.Feed(kagami::testing::EthUdp("10.9.9.9", 1, "10.9.9.8", 2, "unrelated"));
  std::vector<Record> records = h.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].sid, 2u);
  EXPECT_EQ(records[1].pkt_src, "stream (flow timeout)");
  EXPECT_EQ(records[1].flow_id, records[0].flow_id);
  EXPECT_EQ(h.scanner().flow_counters().timed_out, 1u);
  h.Finish();
  EXPECT_EQ(h.Records().size(), 2u) << "the flow's data was inspected once";
}

// A session reset with data still behind a hole ends after the closed
// timeout (60 s) and is inspected then.
TEST(TrafficFlowEnd, ResetSessionWithDataBehindAHole) {
  Harness h(kHoleRules);
  TcpSession s = Session();
  SendDataBehindAHole(h, s);
  h.Feed(s.Fin(true));
  h.Feed(s.Rst(false));
  h.Advance(int64_t{61} * 1'000'000'000);
  h.Feed(kagami::testing::EthUdp("10.9.9.9", 1, "10.9.9.8", 2, "unrelated"));
  std::vector<Record> records = h.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].sid, 2u);
  EXPECT_EQ(records[1].pkt_src, "stream (flow timeout)");
  EXPECT_EQ(h.scanner().flow_counters().timed_out, 1u);
  h.Finish();
  EXPECT_EQ(h.Records().size(), 2u);
}

// Both FINs: the server's FIN acknowledges the client's lost bytes, which
// releases the data behind them at once (a gap), before the flow ends.
TEST(TrafficFlowEnd, AcknowledgedHoleReleasesDataAtOnce) {
  Harness h(kHoleRules);
  TcpSession s = Session();
  SendDataBehindAHole(h, s);
  h.Feed(s.Fin(true));
  h.Feed(s.Fin(false));
  std::vector<Record> records = h.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].sid, 2u);
  EXPECT_EQ(records[1].pkt_src, "stream (detect/log)");
  EXPECT_EQ(records[1].src_ip, kClient);
  h.Finish();
  EXPECT_EQ(h.Records().size(), 2u);
}

// ---------------------------------------------------------------------------
// 11. EVE flow_id and community_id

TEST(TrafficEve, FlowIdAndCommunityIdPerFlow) {
  Harness h(
      "alert tcp any any -> any any (msg:\"req\"; flow:to_server; content:\"REQ\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"resp\"; flow:to_client; content:\"RESP\"; sid:2;)\n");
  TcpSession a = Session(40000), b = Session(40001);
  const int64_t a_start = h.now();
  h.Feed(a.Handshake());
  h.Feed(b.Handshake());
  h.Feed(a.SendOne(true, "REQ a"));
  h.Feed(b.SendOne(true, "REQ b"));
  h.Feed(a.SendOne(false, "RESP a"));
  h.Feed(b.SendOne(false, "RESP b"));
  h.Finish();
  std::vector<Record> r = h.Records();
  ASSERT_EQ(r.size(), 4u);
  // a: r[0] (to server), r[2] (to client); b: r[1], r[3].
  EXPECT_EQ(r[0].src_port, 40000);
  EXPECT_EQ(r[2].dest_port, 40000);
  EXPECT_NE(r[0].flow_id, 0u);
  EXPECT_EQ(r[0].flow_id, r[2].flow_id);
  EXPECT_EQ(r[1].flow_id, r[3].flow_id);
  EXPECT_NE(r[0].flow_id, r[1].flow_id);
  EXPECT_FALSE(r[0].community_id.empty());
  EXPECT_EQ(r[0].community_id, r[2].community_id);
  EXPECT_EQ(r[1].community_id, r[3].community_id);
  EXPECT_NE(r[0].community_id, r[1].community_id);
  // The flow id is the flow's: its key and its first packet's time.
  flow::FlowKey key;
  key.lo_addr = *IpAddress::Parse(kClient);
  key.hi_addr = *IpAddress::Parse(kServer);
  key.lo_port = 40000;
  key.hi_port = 80;
  key.proto = 6;
  EXPECT_EQ(r[0].flow_id, flow::FlowIdOf(key, a_start));
  // Below 2^53, so JSON consumers keep it exact.
  EXPECT_LT(r[0].flow_id, uint64_t{1} << 53);
}

// ---------------------------------------------------------------------------
// 12. IP fragments

constexpr char kFragRules[] =
    "alert udp any any -> any any (msg:\"udp\"; content:\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"tcp\"; content:\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\"; sid:2;)\n"
    "alert ip any any -> any any (msg:\"more fragments\"; fragbits:M; sid:3;)\n"
    "alert tcp any any -> any any (msg:\"resp\"; content:\"RESP\"; sid:4;)\n";
// 40 bytes: with the 8-byte UDP header, fragments of 16 bytes each put the
// pattern (4..29) across all three.
constexpr char kFragPayload[] = "aaaaABCDEFGHIJKLMNOPQRSTUVWXYZbbbbbbbbbb";

struct FragCase {
  std::string src, dst;
};

class TrafficFragments : public ::testing::TestWithParam<FragCase> {};

TEST_P(TrafficFragments, UdpDatagramInThreeFragmentsInEveryOrder) {
  auto engine = CompileRules(kFragRules);
  const FragCase& c = GetParam();
  const bool v4 = c.src.find(':') == std::string::npos;
  const Bytes l4 = kagami::testing::Udp(c.src, 5000, c.dst, 53, kFragPayload);
  const std::vector<Bytes> frags = Fragment(c.src, c.dst, 17, l4, 3, 0x4242);
  ASSERT_EQ(frags.size(), 3u);
  for (const auto& order : Permutations(3)) {
    Harness h("", {}, engine);
    h.FeedInOrder(frags, order);
    h.Finish();
    std::vector<Record> records = h.Records();
    std::vector<uint32_t> sids;
    for (const Record& r : records) sids.push_back(r.sid);
    EXPECT_EQ(Count(sids, 1), 1u) << "order " << Describe(order);
    EXPECT_EQ(Count(sids, 3), v4 ? 2u : 0u) << "order " << Describe(order);
    EXPECT_EQ(sids.size(), v4 ? 3u : 1u);
    for (const Record& r : records) {
      if (r.sid == 1) {
        EXPECT_EQ(r.pkt_src, "defrag");
        EXPECT_NE(r.flow_id, 0u);
        EXPECT_FALSE(r.community_id.empty());
        EXPECT_EQ(r.src_port, 5000);
      } else {
        EXPECT_EQ(r.pkt_src, "wire/pcap");  // a fragment itself
        EXPECT_EQ(r.flow_id, 0u);
      }
    }
    EXPECT_EQ(h.scanner().defrag_counters().reassembled, 1u);
  }
}

TEST_P(TrafficFragments, TcpSegmentInThreeFragmentsInEveryOrder) {
  auto engine = CompileRules(kFragRules);
  const FragCase& c = GetParam();
  for (const auto& order : Permutations(3)) {
    Harness h("", {}, engine);
    TcpSession s(c.src, 40000, c.dst, 80);
    h.Feed(s.Handshake());
    const Bytes whole = s.SendOne(true, kFragPayload);
    const std::vector<Bytes> frags = Fragment(c.src, c.dst, 6, L4Of(whole), 3, 0x5151);
    ASSERT_EQ(frags.size(), 3u);
    h.FeedInOrder(frags, order);
    h.Feed(s.SendOne(false, "RESP"));
    h.Finish();
    std::vector<Record> records = h.Records();
    const Record* tcp = nullptr;
    const Record* resp = nullptr;
    size_t tcp_count = 0;
    for (const Record& r : records) {
      if (r.sid == 2) {
        tcp = &r;
        ++tcp_count;
      }
      if (r.sid == 4) resp = &r;
    }
    ASSERT_EQ(tcp_count, 1u) << "order " << Describe(order);
    ASSERT_NE(resp, nullptr);
    EXPECT_EQ(tcp->pkt_src, "defrag");
    // The reassembled segment belongs to the session's flow.
    EXPECT_NE(tcp->flow_id, 0u);
    EXPECT_EQ(tcp->flow_id, resp->flow_id);
    EXPECT_EQ(tcp->community_id, resp->community_id);
  }
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, TrafficFragments,
                         ::testing::Values(FragCase{"10.3.0.1", "10.3.0.2"},
                                           FragCase{"2001:db8::1", "2001:db8::2"}),
                         [](const auto& info) {
                           return info.param.src.find(':') == std::string::npos ? std::string("IPv4")
                                                                                 : std::string("IPv6");
                         });

// ---------------------------------------------------------------------------
// 13. Tunnels

enum class Tunnel { kVxlan, kGre, kGeneve, kIpIp };

struct TunnelCase {
  Tunnel tunnel;
  const char* name;
  const char* pkt_src;
};

Bytes Wrap(Tunnel t, const Bytes& inner) {
  switch (t) {
    case Tunnel::kVxlan: return InVxlan(inner);
    case Tunnel::kGre: return InGre(inner);
    case Tunnel::kGeneve: return InGeneve(inner);
    case Tunnel::kIpIp: return InIpIp(inner);
  }
  return {};
}

std::vector<Bytes> WrapAll(Tunnel t, const std::vector<Bytes>& frames) {
  std::vector<Bytes> out;
  for (const Bytes& f : frames) out.push_back(Wrap(t, f));
  return out;
}

constexpr char kTunnelRules[] =
    "alert tcp any any -> any any (msg:\"tcp\"; flow:established,to_server; content:\"EVILPATTERN\"; sid:1;)\n"
    "alert udp 10.0.0.0/8 any -> any any (msg:\"udp\"; content:\"UDPPATTERN\"; sid:2;)\n";

class TrafficTunnels : public ::testing::TestWithParam<TunnelCase> {};

TEST_P(TrafficTunnels, InnerSessionIsReassembledAndLoggedWithTheTunnel) {
  const TunnelCase& c = GetParam();
  Harness h(kTunnelRules);
  TcpSession s("10.0.0.1", 1234, "10.0.0.2", 80);
  const int64_t start = h.now();
  h.Feed(WrapAll(c.tunnel, s.Handshake()));
  h.Feed(WrapAll(c.tunnel, s.Send(true, "xxEVILPA" "TTERNyy", {8})));
  h.Feed(Wrap(c.tunnel, s.Ack(false)));
  h.Feed(Wrap(c.tunnel, kagami::testing::EthUdp("10.0.0.3", 5353, "10.0.0.4", 53, "a UDPPATTERN")));
  h.Finish();
  std::vector<Record> records = h.Records();
  ASSERT_EQ(records.size(), 2u) << c.name;
  const Record& tcp = records[0];
  EXPECT_EQ(tcp.sid, 1u);
  EXPECT_EQ(tcp.src_ip, "10.0.0.1");
  EXPECT_EQ(tcp.dest_ip, "10.0.0.2");
  EXPECT_EQ(tcp.src_port, 1234);
  EXPECT_EQ(tcp.dest_port, 80);
  EXPECT_EQ(tcp.pkt_src, c.pkt_src);
  EXPECT_NE(tcp.tunnel.find("\"src_ip\":\"192.0.2.10\""), std::string::npos) << tcp.tunnel;
  EXPECT_NE(tcp.tunnel.find("\"dest_ip\":\"192.0.2.20\""), std::string::npos) << tcp.tunnel;
  EXPECT_NE(tcp.tunnel.find("\"depth\":1"), std::string::npos) << tcp.tunnel;
  // Its flow is the inner 5-tuple (one tunnel deep).
  flow::FlowKey key;
  key.lo_addr = *IpAddress::Parse("10.0.0.1");
  key.hi_addr = *IpAddress::Parse("10.0.0.2");
  key.lo_port = 1234;
  key.hi_port = 80;
  key.proto = 6;
  key.tunnel_depth = 1;
  EXPECT_EQ(tcp.flow_id, flow::FlowIdOf(key, start));
  // The community id is the inner flow's, as for the same packets unwrapped.
  Harness plain(kTunnelRules);
  TcpSession p("10.0.0.1", 1234, "10.0.0.2", 80);
  plain.Feed(p.Handshake());
  plain.Feed(p.Send(true, "xxEVILPA" "TTERNyy", {8}));
  plain.Finish();
  std::vector<Record> plain_records = plain.Records();
  ASSERT_EQ(plain_records.size(), 1u);
  EXPECT_EQ(tcp.community_id, plain_records[0].community_id);
  EXPECT_TRUE(plain_records[0].tunnel.empty());

  const Record& udp = records[1];
  EXPECT_EQ(udp.sid, 2u);
  EXPECT_EQ(udp.src_ip, "10.0.0.3");
  EXPECT_EQ(udp.pkt_src, c.pkt_src);
  EXPECT_NE(udp.tunnel.find("\"depth\":1"), std::string::npos) << udp.tunnel;
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, TrafficTunnels,
    ::testing::Values(TunnelCase{Tunnel::kVxlan, "vxlan", "vxlan encapsulation"},
                      TunnelCase{Tunnel::kGre, "gre", "gre tunnel"},
                      TunnelCase{Tunnel::kGeneve, "geneve", "geneve encapsulation"},
                      TunnelCase{Tunnel::kIpIp, "ipip", "ipv4 tunnel"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(TrafficTunnelPorts, VxlanOnlyOnConfiguredPorts) {
  TcpSession s("10.0.0.1", 1234, "10.0.0.2", 80);
  std::vector<Bytes> frames;
  for (const Bytes& f : s.Handshake()) frames.push_back(InVxlan(f, 8472));
  for (const Bytes& f : s.Send(true, "xxEVILPA" "TTERNyy", {8})) frames.push_back(InVxlan(f, 8472));
  {
    Harness h(kTunnelRules);
    h.Feed(frames);
    h.Finish();
    EXPECT_TRUE(h.Sids().empty());
    EXPECT_EQ(h.scanner().decoder_counters().vxlan, 0u);
  }
  {
    ScannerOptions o;
    o.decoder.vxlan_ports = {8472, 0, 0, 0};
    Harness h(kTunnelRules, o);
    h.Feed(frames);
    h.Finish();
    EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1});
    EXPECT_EQ(h.scanner().decoder_counters().vxlan, frames.size());
  }
  {
    // And the default port is no longer decapsulated once others are named.
    ScannerOptions o;
    o.decoder.vxlan_ports = {8472, 0, 0, 0};
    Harness h(kTunnelRules, o);
    for (const Bytes& f : s.Handshake()) h.Feed(InVxlan(f, 4789));
    h.Finish();
    EXPECT_EQ(h.scanner().decoder_counters().vxlan, 0u);
  }
}

// The same inner 5-tuple outside and inside a tunnel makes two flows.
TEST(TrafficTunnelFlows, TunnelDepthSeparatesFlows) {
  Harness h(kTunnelRules);
  const Bytes inner = kagami::testing::EthUdp("10.0.0.3", 5353, "10.0.0.4", 53, "a UDPPATTERN");
  h.Feed(inner);
  h.Feed(InVxlan(inner));
  h.Finish();
  std::vector<Record> r = h.Records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_NE(r[0].flow_id, r[1].flow_id);
  EXPECT_EQ(r[0].community_id, r[1].community_id);
  // UDP inner flow, the outer UDP flow and the plain one.
  EXPECT_EQ(h.scanner().flow_counters().created, 3u);
}

// IPv6 inside IPv4 (protocol 41, "6in4").
TEST(TrafficTunnelKinds, Ipv6InIpv4) {
  Harness h("alert tcp any any -> any any (msg:\"x\"; content:\"EVILPATTERN\"; sid:1;)\n");
  TcpSession s("2001:db8::1", 1234, "2001:db8::2", 80);
  std::vector<Bytes> frames = s.Handshake();
  for (const Bytes& f : s.Send(true, "xxEVILPA" "TTERNyy", {8})) frames.push_back(f);
  for (const Bytes& f : frames) {
    h.Feed(kagami::testing::Ethernet(kagami::testing::Ip(kOuterSrc, kOuterDst, 41, IpOf(f))));
  }
  h.Finish();
  std::vector<Record> r = h.Records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].pkt_src, "ipv4 tunnel");
  EXPECT_EQ(r[0].src_ip, "2001:0db8:0000:0000:0000:0000:0000:0001");
  EXPECT_NE(r[0].tunnel.find("\"src_ip\":\"192.0.2.10\""), std::string::npos) << r[0].tunnel;
}

// The outer UDP datagram of a VXLAN tunnel arrives in fragments: the tunnel
// is found in the reassembled datagram and its inner session reassembled.
TEST(TrafficTunnelKinds, VxlanInFragments) {
  Harness h(kTunnelRules);
  TcpSession s("10.0.0.1", 1234, "10.0.0.2", 80);
  std::vector<Bytes> frames = s.Handshake();
  for (const Bytes& f : s.Send(true, "xxEVILPA" "TTERNyy", {8})) frames.push_back(f);
  uint16_t id = 100;
  for (const Bytes& f : frames) {
    const Bytes outer = InVxlan(f);
    const Bytes l4(outer.begin() + 14 + 20, outer.end());
    std::vector<Bytes> frags = Fragment(kOuterSrc, kOuterDst, 17, l4, 2, id++);
    h.FeedInOrder(frags, {1, 0});
  }
  h.Finish();
  std::vector<Record> r = h.Records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].sid, 1u);
  EXPECT_EQ(r[0].pkt_src, "vxlan encapsulation");
  EXPECT_NE(r[0].tunnel.find("\"dest_port\":4789"), std::string::npos) << r[0].tunnel;
  EXPECT_EQ(h.scanner().defrag_counters().reassembled, frames.size());
}

// Fragments inside a GRE tunnel: reassembled, logged as "defrag" with the
// tunnel they came through.
TEST(TrafficTunnelKinds, FragmentsInsideGre) {
  Harness h(kFragRules);
  const Bytes l4 = kagami::testing::Udp("10.3.0.1", 5000, "10.3.0.2", 53, kFragPayload);
  for (const Bytes& f : Fragment("10.3.0.1", "10.3.0.2", 17, l4, 3, 0x4242)) h.Feed(InGre(f));
  h.Finish();
  std::vector<Record> records = h.Records();
  std::vector<Record> udp;
  for (const Record& r : records) {
    if (r.sid == 1) udp.push_back(r);
  }
  ASSERT_EQ(udp.size(), 1u);
  EXPECT_EQ(udp[0].pkt_src, "defrag");
  EXPECT_NE(udp[0].tunnel.find("\"proto\":\"GRE\""), std::string::npos) << udp[0].tunnel;
  EXPECT_NE(udp[0].flow_id, 0u);
}

// ---------------------------------------------------------------------------
// More session shapes

// Data on the ACK that completes the handshake, and data on the SYN (TCP
// Fast Open), are reassembled.
TEST(TrafficSessionShapes, DataOnTheHandshakePackets) {
  auto engine = CompileRules(kSplitRule);
  {
    Harness h("", {}, engine);
    TcpSession s = Session();
    h.Feed(s.Syn());
    h.Feed(s.SynAck());
    auto segs = s.Send(true, kSplitData, {14});
    h.Feed(segs);  // the first one is the handshake's ACK
    h.Finish();
    // The pattern completes on the second segment, which is established.
    EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1});
  }
  {
    Harness h("", {}, engine);
    TcpSession s = Session();
    kagami::testing::L4Options syn;
    syn.tcp_flags = kSyn;
    syn.seq = s.isn(true);
    h.Feed(kagami::testing::EthTcp(kClient, 40000, kServer, 80, "GET /?q=EVILPA", syn));
    h.Feed(s.SynAck());
    h.Feed(s.Segment(true, 14, "", kAck));
    h.Feed(s.Segment(true, 14, "TTERN HTTP/1.0"));
    h.Finish();
    EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1});
  }
}

// Server-first protocols (banners): the server's stream is reassembled too.
TEST(TrafficSessionShapes, ServerSpeaksFirst) {
  Harness h("alert tcp any any -> any any (msg:\"banner\"; flow:established,to_client; content:\"220 EVILSMTP\"; sid:1;)\n");
  TcpSession s = Session();
  h.Feed(s.Handshake());
  h.Feed(s.Send(false, "220 EVILSMTP ready\r\n", {7}));
  h.Feed(s.Ack(true));
  h.Finish();
  std::vector<Record> r = h.Records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].src_ip, kServer);
}

// A long stream in MSS-sized segments: a pattern split after 20 kB is found.
TEST(TrafficSessionShapes, LongStream) {
  Harness h("alert tcp any any -> any any (msg:\"late\"; content:\"EVILPATTERN\"; sid:1;)\n");
  TcpSession s = Session();
  h.Feed(s.Handshake());
  std::string data = "START" + std::string(20000, 'x') + "EVILPATTERN" + std::string(100, 'y');
  std::vector<size_t> cuts;
  for (size_t at = 1400; at < data.size(); at += 1400) cuts.push_back(at);
  cuts.push_back(20000 + 5 + 4);  // inside the pattern
  std::sort(cuts.begin(), cuts.end());
  h.Feed(s.Send(true, data, cuts));
  h.Finish();
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1});
}

// Stream depth cuts reassembly wherever the segments arrive from.
TEST(TrafficSessionShapes, StreamDepthWithReorderedSegments) {
  ScannerOptions o;
  o.stream.depth = 10;
  Harness h(
      "alert tcp any any -> any any (msg:\"far\"; content:\"EVILPATTERN\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"near\"; content:\"NEARPAT\"; sid:2;)\n",
      o);
  TcpSession s = Session();
  h.Feed(s.Handshake());
  auto segs = s.Send(true, "xNEA" "RPATxxxxxxEVILP" "ATTERNxx", {4, 18});
  h.FeedInOrder(segs, {2, 1, 0});
  h.Finish();
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{2});
  EXPECT_EQ(h.scanner().stream_counters().depth_reached, 1u);
}

// VLAN tags separate flows: a "reply" on another VLAN is another flow.
TEST(TrafficSessionShapes, VlansSeparateFlows) {
  Harness h("alert udp any any -> any any (msg:\"x\"; flow:established; sid:1;)\n");
  kagami::testing::IpOptions v1, v2;
  v1.vlans = {10};
  v2.vlans = {20};
  h.Feed(kagami::testing::EthUdp(kClient, 1, kServer, 2, "a", {}, v1));
  h.Feed(kagami::testing::EthUdp(kServer, 2, kClient, 1, "b", {}, v2));
  h.Feed(kagami::testing::EthUdp(kServer, 2, kClient, 1, "c", {}, v1));
  h.Finish();
  EXPECT_EQ(h.scanner().flow_counters().created, 2u);
  std::vector<Record> r = h.Records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NE(r[0].line.find("\"vlan\":[10]"), std::string::npos) << r[0].line;
}

// A flow evicted for the memcap is inspected like one that timed out.
TEST(TrafficFlowEnd, EvictedFlowIsInspected) {
  ScannerOptions o;
  o.flow.memcap = flow::FlowTable::kBytesPerFlow * 2;  // room for two flows
  Harness h(kHoleRules, o);
  TcpSession s = Session();
  SendDataBehindAHole(h, s);
  h.Feed(kagami::testing::EthUdp("10.9.9.9", 1, "10.9.9.8", 2, "one"));
  h.Feed(kagami::testing::EthUdp("10.9.9.7", 1, "10.9.9.8", 2, "two"));
  EXPECT_EQ(h.scanner().flow_counters().evicted, 1u);
  std::vector<Record> r = h.Records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].sid, 2u);
  EXPECT_EQ(r[1].pkt_src, "stream (flow timeout)");
  EXPECT_EQ(r[1].flow_id, r[0].flow_id);
  h.Finish();
  EXPECT_EQ(h.Records().size(), 2u);
}

// ---------------------------------------------------------------------------
// Checksums

// A segment whose TCP checksum is wrong never reached the receiver's
// application: with validation on (the default, as Suricata for pcaps) the
// stream must not take its bytes, or an attacker decides what the sensor
// reassembles. Packet rules still see the packet.
TEST(TrafficChecksums, SegmentWithBadChecksumIsNotReassembled) {
  Harness h(
      "alert tcp any any -> any any (msg:\"split\"; flow:established,to_server; content:\"EVILPATTERN\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"decoy packet\"; flow:no_stream; content:\"DECOY\"; sid:2;)\n");
  TcpSession s = Session();
  h.Feed(s.Handshake());
  Bytes decoy = s.Segment(true, 0, "GET /?q=DECOY!");
  decoy[14 + 20 + 16] ^= 0x5a;  // TCP checksum
  h.Feed(decoy);
  h.Feed(s.Send(true, "GET /?q=EVILPA" "TTERN HTTP/1.0", {14}));
  h.Feed(s.Ack(false));
  h.Finish();
  EXPECT_TRUE(h.scanner().checksum_validation_active());
  EXPECT_EQ(h.Sids(), (std::vector<uint32_t>{2, 1}));
}

// With validation off (--checksums ignore) the same capture is taken as is.
TEST(TrafficChecksums, IgnoredChecksumsAreReassembled) {
  ScannerOptions o;
  o.checksums = ChecksumMode::kIgnore;
  Harness h("alert tcp any any -> any any (msg:\"decoy\"; flow:only_stream; content:\"DECOY!TTERN\"; sid:1;)\n", o);
  TcpSession s = Session();
  h.Feed(s.Handshake());
  Bytes decoy = s.Segment(true, 0, "GET /?q=DECOY!");
  decoy[14 + 20 + 16] ^= 0x5a;
  h.Feed(decoy);
  auto segs = s.Send(true, "GET /?q=EVILPA" "TTERN HTTP/1.0", {9});
  h.Feed(segs);
  h.Finish();
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1});
  EXPECT_GE(h.scanner().stream_counters().overlaps_different, 1u);
}

// ---------------------------------------------------------------------------
// Session teardown and reuse

// A client reusing its port for a new connection soon after the previous
// one on the same 4-tuple ended (both FINs acknowledged, or a RST). The new
// SYN (a new initial sequence number) starts a new session, as Suricata's
// TCP session reuse handling does; its data is reassembled.
class TrafficPortReuse : public ::testing::TestWithParam<bool> {};

TEST_P(TrafficPortReuse, NewSessionOnTheSameTupleIsReassembled) {
  const bool reset = GetParam();
  Harness h(kSplitRule);
  TcpSession a = Session(40000, 1000, 50000);
  h.Feed(a.Handshake());
  h.Feed(a.SendOne(true, "first session"));
  if (reset) {
    h.Feed(a.Rst(false));
  } else {
    h.Feed(a.Fin(true));
    h.Feed(a.Fin(false));
    h.Feed(a.Ack(true));
  }
  h.Advance(int64_t{2} * 1'000'000'000);
  TcpSession b = Session(40000, 900000, 700000);
  h.Feed(b.Handshake());
  h.Feed(b.Send(true, kSplitData, {12}));
  h.Feed(b.Ack(false));
  h.Finish();
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1});
}

INSTANTIATE_TEST_SUITE_P(FinAndRst, TrafficPortReuse, ::testing::Values(false, true),
                         [](const auto& info) { return std::string(info.param ? "AfterRst" : "AfterFin"); });

// A RST whose sequence number is far outside the receiver's window is
// dropped by the receiver (RFC 793/5961), so the sensor must not end the
// session on it: the data after it is still delivered to the application.
TEST(TrafficTeardown, OutOfWindowRstDoesNotEndTheSession) {
  Harness h(kSplitRule);
  TcpSession s = Session();
  h.Feed(s.Handshake());
  auto segs = s.Send(true, kSplitData, {12});
  h.Feed(segs[0]);
  h.Feed(s.Segment(true, 100000, "", kRst));
  h.Feed(segs[1]);
  h.Feed(s.Ack(false));
  h.Finish();
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{1});
}

// A RST in the window ends the session: later data is not reassembled.
TEST(TrafficTeardown, InWindowRstEndsTheSession) {
  Harness h(kSplitRule);
  TcpSession s = Session();
  h.Feed(s.Handshake());
  auto segs = s.Send(true, kSplitData, {12});
  h.Feed(segs[0]);
  h.Feed(s.Segment(true, 12, "", kRst | kAck));
  h.Feed(segs[1]);
  h.Finish();
  EXPECT_TRUE(h.Sids().empty());
}

}  // namespace
}  // namespace kagami::pipeline::traffic
