// Every supported link type finds the IP header; non-IP frames decode as kOk
// without an IP layer.

#include "tests/decode/decode_test_util.h"

namespace kagami::decode::test {
namespace {

namespace kt = kagami::testing;

const Bytes& V4Tcp() {
  static const Bytes b = kt::Ip("192.0.2.1", "198.51.100.2", 6,
                                kt::Tcp("192.0.2.1", 40000, "198.51.100.2", 443, "data"));
  return b;
}
const Bytes& V6Udp() {
  static const Bytes b = kt::Ip("2001:db8::1", "2001:db8::2", 17,
                                kt::Udp("2001:db8::1", 5000, "2001:db8::2", 53, "dns"));
  return b;
}

class LinkLayerTest : public DecoderTest {
 protected:
  void ExpectV4Tcp() {
    EXPECT_EQ(pkt_.ip_version, 4);
    EXPECT_EQ(pkt_.src.ToString(), "192.0.2.1");
    EXPECT_EQ(pkt_.dst.ToString(), "198.51.100.2");
    EXPECT_TRUE(pkt_.has_tcp());
    EXPECT_EQ(pkt_.dst_port, 443);
    EXPECT_EQ(Payload(), "data");
    EXPECT_EQ(TotalAnomalies(), 0u);
  }
  void ExpectV6Udp() {
    EXPECT_EQ(pkt_.ip_version, 6);
    EXPECT_EQ(pkt_.src.ToString(), "2001:db8::1");
    EXPECT_TRUE(pkt_.has_udp());
    EXPECT_EQ(pkt_.dst_port, 53);
    EXPECT_EQ(Payload(), "dns");
    EXPECT_EQ(TotalAnomalies(), 0u);
  }
};

TEST_F(LinkLayerTest, Ethernet) {
  ASSERT_EQ(Decode(kt::Ethernet(V4Tcp())), DecodeResult::kOk);
  ExpectV4Tcp();
  EXPECT_EQ(pkt_.view, &view_);
  EXPECT_EQ(pkt_.l3, frame_.data() + 14);
  EXPECT_EQ(pkt_.l3_len, V4Tcp().size());
  EXPECT_EQ(pkt_.vlan_count, 0);
  ASSERT_EQ(Decode(kt::Ethernet(V6Udp())), DecodeResult::kOk);
  ExpectV6Udp();
}

TEST_F(LinkLayerTest, EthernetPaddingIsNotPayload) {
  Bytes f = kt::Ethernet(kt::Ip("10.0.0.1", "10.0.0.2", 17, kt::Udp("10.0.0.1", 1, "10.0.0.2", 2, "")));
  f.resize(60, 0);  // minimum frame size
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(pkt_.l3_len, 28u);
  EXPECT_EQ(pkt_.payload_len, 0u);
  EXPECT_FALSE(pkt_.l4_checksum_bad);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(LinkLayerTest, SingleVlan) {
  kt::IpOptions o;
  o.vlans = {42};
  ASSERT_EQ(Decode(kt::Ethernet(V4Tcp(), o)), DecodeResult::kOk);
  ExpectV4Tcp();
  EXPECT_EQ(pkt_.vlan_count, 1);
  EXPECT_EQ(pkt_.vlan_id[0], 42);
  EXPECT_EQ(decoder_.counters().vlan, 1u);
}

TEST_F(LinkLayerTest, QinQ) {
  kt::IpOptions o;
  o.vlans = {100, 4095};
  ASSERT_EQ(Decode(kt::Ethernet(V6Udp(), o)), DecodeResult::kOk);
  ExpectV6Udp();
  EXPECT_EQ(pkt_.vlan_count, 2);
  EXPECT_EQ(pkt_.vlan_id[0], 100);
  EXPECT_EQ(pkt_.vlan_id[1], 4095);
}

TEST_F(LinkLayerTest, Tpid9100AndPriorityBitsIgnored) {
  Bytes f = kt::Ethernet(V4Tcp());
  const Bytes tag = {0x91, 0x00, 0xe0 | 0x01, 0x23};  // PCP 7, VID 0x123
  f.insert(f.begin() + 12, tag.begin(), tag.end());
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  ExpectV4Tcp();
  EXPECT_EQ(pkt_.vlan_id[0], 0x123);
}

TEST_F(LinkLayerTest, DeepVlanStackSkipsAndCounts) {
  kt::IpOptions o;
  o.vlans = {1, 2, 3, 4};
  ASSERT_EQ(Decode(kt::Ethernet(V4Tcp(), o)), DecodeResult::kOk);
  EXPECT_EQ(pkt_.vlan_count, 2);
  EXPECT_EQ(pkt_.vlan_id[0], 1);
  EXPECT_EQ(pkt_.vlan_id[1], 2);
  EXPECT_EQ(Count(Anomaly::kVlanTooManyTags), 1u);
  EXPECT_TRUE(pkt_.has_tcp());
}

TEST_F(LinkLayerTest, ArpIsNotIp) {
  Bytes f(14 + 28, 0);
  f[12] = 0x08;
  f[13] = 0x06;
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_version, 0);
  EXPECT_EQ(pkt_.l3, nullptr);
  EXPECT_EQ(decoder_.counters().other, 1u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(LinkLayerTest, LinuxSll) {
  Bytes h(16, 0);
  h[2] = 0x00;
  h[3] = 0x01;  // ARPHRD_ETHER
  h[14] = 0x08;
  h[15] = 0x00;
  ASSERT_EQ(Decode(Concat(h, V4Tcp()), capture::kLinkLinuxSll), DecodeResult::kOk);
  ExpectV4Tcp();
  h[14] = 0x86;
  h[15] = 0xdd;
  ASSERT_EQ(Decode(Concat(h, V6Udp()), capture::kLinkLinuxSll), DecodeResult::kOk);
  ExpectV6Udp();
}

TEST_F(LinkLayerTest, LinuxSllWithVlan) {
  Bytes h(16, 0);
  h[14] = 0x81;
  h[15] = 0x00;
  const Bytes tag = {0x00, 0x07, 0x08, 0x00};
  ASSERT_EQ(Decode(Concat(Concat(h, tag), V4Tcp()), capture::kLinkLinuxSll), DecodeResult::kOk);
  ExpectV4Tcp();
  EXPECT_EQ(pkt_.vlan_id[0], 7);
}

TEST_F(LinkLayerTest, LinuxSll2) {
  Bytes h(20, 0);
  h[0] = 0x86;
  h[1] = 0xdd;
  ASSERT_EQ(Decode(Concat(h, V6Udp()), capture::kLinkLinuxSll2), DecodeResult::kOk);
  ExpectV6Udp();
  h[0] = 0x08;
  h[1] = 0x00;
  ASSERT_EQ(Decode(Concat(h, V4Tcp()), capture::kLinkLinuxSll2), DecodeResult::kOk);
  ExpectV4Tcp();
}

TEST_F(LinkLayerTest, RawIp) {
  ASSERT_EQ(Decode(V4Tcp(), capture::kLinkRaw), DecodeResult::kOk);
  ExpectV4Tcp();
  EXPECT_EQ(pkt_.l3, frame_.data());
  ASSERT_EQ(Decode(V6Udp(), capture::kLinkRaw), DecodeResult::kOk);
  ExpectV6Udp();
  ASSERT_EQ(Decode(V4Tcp(), capture::kLinkIpv4), DecodeResult::kOk);
  ExpectV4Tcp();
  ASSERT_EQ(Decode(V6Udp(), capture::kLinkIpv6), DecodeResult::kOk);
  ExpectV6Udp();
}

TEST_F(LinkLayerTest, RawIpWrongVersion) {
  EXPECT_EQ(Decode(V6Udp(), capture::kLinkIpv4), DecodeResult::kMalformed);
  EXPECT_EQ(Decode(V4Tcp(), capture::kLinkIpv6), DecodeResult::kMalformed);
  Bytes junk = V4Tcp();
  junk[0] = 0x55;
  EXPECT_EQ(Decode(junk, capture::kLinkRaw), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpBadVersion), 3u);
  EXPECT_EQ(Decode({}, capture::kLinkRaw), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kLinkTruncated), 1u);
}

TEST_F(LinkLayerTest, NullBothByteOrders) {
  const Bytes v4_le = {2, 0, 0, 0}, v4_be = {0, 0, 0, 2};
  ASSERT_EQ(Decode(Concat(v4_le, V4Tcp()), capture::kLinkNull), DecodeResult::kOk);
  ExpectV4Tcp();
  ASSERT_EQ(Decode(Concat(v4_be, V4Tcp()), capture::kLinkNull), DecodeResult::kOk);
  ExpectV4Tcp();
  for (uint8_t af : {24, 28, 30}) {
    const Bytes le = {af, 0, 0, 0}, be = {0, 0, 0, af};
    ASSERT_EQ(Decode(Concat(le, V6Udp()), capture::kLinkNull), DecodeResult::kOk) << int{af};
    ExpectV6Udp();
    ASSERT_EQ(Decode(Concat(be, V6Udp()), capture::kLinkNull), DecodeResult::kOk) << int{af};
    ExpectV6Udp();
  }
  const Bytes other = {7, 0, 0, 0};
  ASSERT_EQ(Decode(Concat(other, V4Tcp()), capture::kLinkNull), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_version, 0);
}

TEST_F(LinkLayerTest, LoopIsNetworkOrder) {
  const Bytes v4 = {0, 0, 0, 2}, v6 = {0, 0, 0, 24};
  ASSERT_EQ(Decode(Concat(v4, V4Tcp()), capture::kLinkLoop), DecodeResult::kOk);
  ExpectV4Tcp();
  ASSERT_EQ(Decode(Concat(v6, V6Udp()), capture::kLinkLoop), DecodeResult::kOk);
  ExpectV6Udp();
  const Bytes host_order = {2, 0, 0, 0};
  ASSERT_EQ(Decode(Concat(host_order, V4Tcp()), capture::kLinkLoop), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_version, 0);
}

TEST_F(LinkLayerTest, CiscoHdlc) {
  const Bytes v4 = {0x0f, 0x00, 0x08, 0x00}, v6 = {0x8f, 0x00, 0x86, 0xdd};
  ASSERT_EQ(Decode(Concat(v4, V4Tcp()), capture::kLinkCiscoHdlc), DecodeResult::kOk);
  ExpectV4Tcp();
  ASSERT_EQ(Decode(Concat(v6, V6Udp()), capture::kLinkCiscoHdlc), DecodeResult::kOk);
  ExpectV6Udp();
  const Bytes slarp = {0x8f, 0x00, 0x80, 0x35};
  ASSERT_EQ(Decode(Concat(slarp, Bytes(20, 0)), capture::kLinkCiscoHdlc), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_version, 0);
}

TEST_F(LinkLayerTest, UnsupportedLinkType) {
  EXPECT_EQ(Decode(V4Tcp(), 147), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kUnsupportedLinkType), 1u);
}

TEST_F(LinkLayerTest, TruncatedLinkHeaders) {
  struct Case {
    uint32_t linktype;
    size_t header;
  };
  for (Case c : {Case{capture::kLinkEthernet, 14}, Case{capture::kLinkLinuxSll, 16},
                 Case{capture::kLinkLinuxSll2, 20}, Case{capture::kLinkNull, 4},
                 Case{capture::kLinkLoop, 4}, Case{capture::kLinkCiscoHdlc, 4}}) {
    const uint64_t before = Count(Anomaly::kLinkTruncated);
    EXPECT_EQ(Decode(Bytes(c.header - 1, 0), c.linktype), DecodeResult::kMalformed);
    EXPECT_EQ(Count(Anomaly::kLinkTruncated), before + 1) << c.linktype;
  }
}

TEST_F(LinkLayerTest, TruncatedVlanTag) {
  kt::IpOptions o;
  o.vlans = {5};
  Bytes f = kt::Ethernet(V4Tcp(), o);
  f.resize(16);
  EXPECT_EQ(Decode(f), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kVlanTruncated), 1u);
}

TEST_F(LinkLayerTest, CountersAndReset) {
  Decode(kt::Ethernet(V4Tcp()));
  Bytes arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  Decode(arp);  // must not keep the TCP packet's fields
  EXPECT_EQ(pkt_.ip_version, 0);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.dst_port, 0);
  EXPECT_EQ(pkt_.payload, nullptr);
  Decode(kt::Ethernet(V6Udp()), capture::kLinkEthernet, 1500);
  const DecoderCounters& k = decoder_.counters();
  EXPECT_EQ(k.packets, 3u);
  EXPECT_EQ(k.bytes, 14 + V4Tcp().size() + 42 + 1500);
  EXPECT_EQ(k.ipv4, 1u);
  EXPECT_EQ(k.ipv6, 1u);
  EXPECT_EQ(k.tcp, 1u);
  EXPECT_EQ(k.udp, 1u);
  EXPECT_EQ(k.other, 1u);
}

TEST(AnomalyNameTest, EveryKindHasADistinctName) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < static_cast<size_t>(Anomaly::kCount); ++i) {
    std::string_view n = AnomalyName(static_cast<Anomaly>(i));
    EXPECT_FALSE(n.empty());
    EXPECT_NE(n, "unknown");
    names.insert(n);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(Anomaly::kCount));
  EXPECT_EQ(AnomalyName(Anomaly::kTcpBadOptions), "tcp.bad_options");
  EXPECT_EQ(AnomalyName(Anomaly::kCount), "unknown");
}

}  // namespace
}  // namespace kagami::decode::test
