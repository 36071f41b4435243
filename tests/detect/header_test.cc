// Header verification: protocol classes, addresses, ports, direction, header
// keywords (flags, itype/icode, ttl, dsize, ...) and the flow keyword.

#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

TEST(Protocol, ClassesSelectRules) {
  Harness h(R"(alert ip any any -> any any (msg:"ip"; sid:1;)
alert tcp any any -> any any (msg:"tcp"; sid:2;)
alert udp any any -> any any (msg:"udp"; sid:3;)
alert icmp any any -> any any (msg:"icmp"; sid:4;)
alert pkthdr any any -> any any (msg:"pkthdr"; sid:5;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "x")), (std::vector<uint32_t>{1, 2, 5}));
  EXPECT_EQ(h.Sids(*MakeUdp("1.1.1.1", 1, "2.2.2.2", 2, "x")), (std::vector<uint32_t>{1, 3, 5}));
  EXPECT_EQ(h.Sids(*MakeIcmp("1.1.1.1", "2.2.2.2", 8, 0)), (std::vector<uint32_t>{1, 4, 5}));
  EXPECT_EQ(h.Sids(*MakeIcmp("2001:db8::1", "2001:db8::2", 128, 0)), (std::vector<uint32_t>{1, 4, 5}));
  EXPECT_EQ(h.Sids(*MakeIp("1.1.1.1", "2.2.2.2", 47, "gre")), (std::vector<uint32_t>{1, 5}));
}

TEST(Protocol, NonIpPacketNeverMatches) {
  Harness h("alert ip any any -> any any (msg:\"ip\"; sid:1;)");
  auto t = MakeIp("1.1.1.1", "2.2.2.2", 6, "");
  t->p.ip_version = 0;
  EXPECT_FALSE(h.Fires(*t));
}

TEST(Protocol, AppLayerPacketRulesNeedTheFlowsProtocol) {
  Harness h(R"(alert http any any -> any any (msg:"h"; content:"GET"; sid:1;)
alert tcp any any -> any any (msg:"t"; content:"GET"; sid:2;)
alert tcp any any -> any any (msg:"not http"; app-layer-protocol:!http; content:"GET"; sid:3;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().rules_loaded, 3u);
  EXPECT_EQ(h.engine().stats().rules_waiting_for_app_layer, 0u);
  const auto get = MakeTcp("1.1.1.1", 1, "2.2.2.2", 80, "GET / HTTP/1.1");
  EXPECT_EQ(h.Sids(*get), std::vector<uint32_t>{2});  // protocol not known yet
  EXPECT_EQ(h.SidsInAppFlow(*get, app::AppProto::kHttp), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(h.SidsInAppFlow(*get, app::AppProto::kTls), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(h.SidsInAppFlow(*get, app::AppProto::kFailed), (std::vector<uint32_t>{2, 3}));
}

TEST(Addresses, ListsCidrsAndNegation) {
  Harness h(R"(alert ip [10.0.0.0/8,!10.1.0.0/16] any -> any any (msg:"a"; sid:1;)
alert ip any any -> [192.168.1.1,192.168.2.0/24] any (msg:"b"; sid:2;)
alert ip !172.16.0.0/12 any -> any any (msg:"c"; sid:3;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeUdp("10.2.3.4", 1, "8.8.8.8", 53, "")), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(h.Sids(*MakeUdp("10.1.3.4", 1, "8.8.8.8", 53, "")), (std::vector<uint32_t>{3}));
  EXPECT_EQ(h.Sids(*MakeUdp("172.16.0.1", 1, "192.168.2.77", 53, "")), (std::vector<uint32_t>{2}));
  EXPECT_EQ(h.Sids(*MakeUdp("172.16.0.1", 1, "192.168.1.2", 53, "")), (std::vector<uint32_t>{}));
}

TEST(Addresses, Ipv6) {
  Harness h("alert ip 2001:db8::/32 any -> any any (msg:\"v6\"; sid:1;)");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h.Fires(*MakeUdp("2001:db8::5", 1, "2001:db9::1", 2, "")));
  EXPECT_FALSE(h.Fires(*MakeUdp("2001:db9::5", 1, "2001:db8::1", 2, "")));
}

TEST(Ports, SetsRangesNegation) {
  Harness h(R"(alert tcp any any -> any [80,443,8000:8100] (msg:"web"; sid:1;)
alert tcp any any -> any !22 (msg:"not ssh"; sid:2;)
alert tcp any 1024: -> any 22 (msg:"hi src"; sid:3;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 5000, "2.2.2.2", 8050, "")), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 5000, "2.2.2.2", 22, "")), (std::vector<uint32_t>{3}));
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 500, "2.2.2.2", 22, "")), (std::vector<uint32_t>{}));
}

TEST(Direction, Bidirectional) {
  Harness h("alert tcp 10.0.0.1 any <> 10.0.0.2 80 (msg:\"bi\"; content:\"x\"; sid:1;)");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h.Fires(*MakeTcp("10.0.0.1", 3333, "10.0.0.2", 80, "x")));
  EXPECT_TRUE(h.Fires(*MakeTcp("10.0.0.2", 80, "10.0.0.1", 3333, "x")));
  EXPECT_FALSE(h.Fires(*MakeTcp("10.0.0.2", 3333, "10.0.0.1", 80, "x")));
  EXPECT_FALSE(h.Fires(*MakeTcp("10.0.0.1", 3333, "10.0.0.3", 80, "x")));
}

TEST(Direction, BidirectionalHeaderOnlyThroughIndex) {
  Harness h("alert ip [5.5.5.5,6.6.6.0/24] any <> any any (msg:\"bi\"; sid:1;)");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().address_indexed_rules, 1u);
  EXPECT_TRUE(h.Fires(*MakeUdp("5.5.5.5", 1, "9.9.9.9", 2, "")));
  EXPECT_TRUE(h.Fires(*MakeUdp("9.9.9.9", 1, "6.6.6.7", 2, "")));
  EXPECT_FALSE(h.Fires(*MakeUdp("9.9.9.9", 1, "8.8.8.8", 2, "")));
}

TEST(HeaderChecks, TcpFlagsModes) {
  auto fires = [](const char* flags, uint8_t pkt_flags) {
    std::string text = std::string("alert tcp any any -> any any (msg:\"f\"; flags:") + flags + "; sid:1;)";
    Harness h(text);
    return h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "", pkt_flags));
  };
  constexpr uint8_t S = 0x02, A = 0x10, F = 0x01, P = 0x08, C = 0x80, E = 0x40;
  EXPECT_TRUE(fires("S", S));
  EXPECT_FALSE(fires("S", S | A));      // exact
  EXPECT_TRUE(fires("S+", S | A));      // plus others
  EXPECT_FALSE(fires("S+", A));
  EXPECT_TRUE(fires("*SF", F | P));     // any of
  EXPECT_FALSE(fires("*SF", A));
  EXPECT_TRUE(fires("!SF", A));         // none of
  EXPECT_FALSE(fires("!SF", A | S));
  EXPECT_TRUE(fires("S,CE", S | C | E));  // CWR/ECE ignored
  EXPECT_FALSE(fires("S", S | C));
}

TEST(HeaderChecks, FlagsOnlyOnTcp) {
  Harness h("alert ip any any -> any any (msg:\"f\"; flags:S; sid:1;)");
  EXPECT_FALSE(h.Fires(*MakeUdp("1.1.1.1", 1, "2.2.2.2", 2, "")));
}

TEST(HeaderChecks, ItypeIcodeRanges) {
  Harness h(R"(alert icmp any any -> any any (msg:"echo"; itype:8; icode:0; sid:1;)
alert icmp any any -> any any (msg:"unreach"; itype:>2; icode:1; sid:2;)
alert icmp any any -> any any (msg:"range"; itype:10<>14; sid:3;)
alert icmp any any -> any any (msg:"id"; icmp_id:7; icmp_seq:9; sid:4;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeIcmp("1.1.1.1", "2.2.2.2", 8, 0)), (std::vector<uint32_t>{1, 4}));
  EXPECT_EQ(h.Sids(*MakeIcmp("1.1.1.1", "2.2.2.2", 3, 1)), (std::vector<uint32_t>{2}));
  EXPECT_EQ(h.Sids(*MakeIcmp("1.1.1.1", "2.2.2.2", 13, 0)), (std::vector<uint32_t>{3, 4}));
  // Type 14 (timestamp reply) is outside 10<>14 but carries an id/seq.
  EXPECT_EQ(h.Sids(*MakeIcmp("1.1.1.1", "2.2.2.2", 14, 0)), (std::vector<uint32_t>{4}));
  EXPECT_EQ(h.Sids(*MakeIcmp("1.1.1.1", "2.2.2.2", 5, 0)), (std::vector<uint32_t>{}));
}

TEST(HeaderChecks, TtlAndDsize) {
  Harness h(R"(alert ip any any -> any any (msg:"ttl"; ttl:<10; sid:1;)
alert tcp any any -> any any (msg:"dsize"; dsize:>4; sid:2;)
alert tcp any any -> any any (msg:"dsize0"; dsize:0; sid:3;))");
  ASSERT_TRUE(h.ok());
  auto t = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "12345");
  t->p.ttl = 3;
  EXPECT_EQ(h.Sids(*t), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "")), (std::vector<uint32_t>{3}));
}

TEST(HeaderChecks, SeqAckWindow) {
  Harness h(R"(alert tcp any any -> any any (msg:"s"; seq:1000; ack:2000; window:65535; sid:1;)
alert tcp any any -> any any (msg:"w"; window:!65535; sid:2;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "")), (std::vector<uint32_t>{1}));
}

TEST(HeaderChecks, FragbitsAndIpopts) {
  Harness h(R"(alert ip any any -> any any (msg:"df"; fragbits:D; sid:1;)
alert ip any any -> any any (msg:"mf+"; fragbits:M+; sid:2;)
alert ip any any -> any any (msg:"rr"; ipopts:rr; sid:3;)
alert ip any any -> any any (msg:"any"; ipopts:any; sid:4;))");
  ASSERT_TRUE(h.ok());
  auto t = MakeUdp("1.1.1.1", 1, "2.2.2.2", 2, "");
  t->p.ip_df = true;
  EXPECT_EQ(h.Sids(*t), (std::vector<uint32_t>{1}));
  t->p.ip_mf = true;
  EXPECT_EQ(h.Sids(*t), (std::vector<uint32_t>{2}));
  t->p.ip_df = t->p.ip_mf = false;
  t->p.ipv4_options = decode::kIpOptRr;
  EXPECT_EQ(h.Sids(*t), (std::vector<uint32_t>{3, 4}));
}

TEST(Flow, WithoutFlowState) {
  Harness h(R"(alert tcp any any -> any any (msg:"est"; flow:established; sid:1;)
alert tcp any any -> any any (msg:"notest"; flow:not_established; sid:2;)
alert tcp any any -> any any (msg:"ts"; flow:to_server; sid:3;)
alert tcp any any -> any any (msg:"sl"; flow:stateless; sid:4;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "")), (std::vector<uint32_t>{2, 4}));
}

TEST(Flow, WithFlowState) {
  Harness h(R"(alert tcp any any -> any any (msg:"est ts"; flow:established,to_server; sid:1;)
alert tcp any any -> any any (msg:"tc"; flow:to_client; sid:2;)
alert tcp any any -> any any (msg:"stream"; flow:only_stream; sid:3;)
alert tcp any any -> any any (msg:"nostream"; flow:no_stream; sid:4;))");
  ASSERT_TRUE(h.ok());
  auto t = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "");
  t->p.flow_flags = decode::kFlowKnown | decode::kFlowEstablished | decode::kFlowToServer;
  EXPECT_EQ(h.Sids(*t), (std::vector<uint32_t>{1, 4}));
  // only_stream without payload steps needs new stream data with the packet.
  t->p.flow_flags = decode::kFlowKnown;
  EXPECT_EQ(h.Sids(*t), (std::vector<uint32_t>{2, 4}));
  const uint8_t data[] = {'x'};
  StreamData stream{data, 1, 0};
  EXPECT_EQ(h.SidsInFlow(*t, &stream), (std::vector<uint32_t>{2, 3, 4}));
}

}  // namespace
}  // namespace kagami::detect::testing
