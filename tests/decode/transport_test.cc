// TCP, UDP, ICMPv4 and ICMPv6 headers, options and checksums.

#include "tests/decode/decode_test_util.h"

namespace kagami::decode::test {
namespace {

namespace kt = kagami::testing;

class TransportTest : public DecoderTest {};

constexpr size_t kL4 = 14 + 20;  // TCP/UDP offset in an Ethernet IPv4 frame

TEST_F(TransportTest, TcpFields) {
  kt::L4Options o;
  o.tcp_flags = kTcpSyn | kTcpEce | kTcpCwr;
  o.seq = 0xdeadbeef;
  o.ack = 7;
  o.window = 1024;
  ASSERT_EQ(Decode(kt::EthTcp("10.0.0.1", 51000, "10.0.0.2", 80, "GET /", o)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.has_tcp());
  EXPECT_EQ(pkt_.src_port, 51000);
  EXPECT_EQ(pkt_.dst_port, 80);
  EXPECT_EQ(pkt_.tcp_seq, 0xdeadbeefu);
  EXPECT_EQ(pkt_.tcp_ack, 7u);
  EXPECT_EQ(pkt_.tcp_flags, kTcpSyn | kTcpEce | kTcpCwr);
  EXPECT_EQ(pkt_.tcp_window, 1024);
  EXPECT_EQ(pkt_.l4, frame_.data() + kL4);
  EXPECT_EQ(pkt_.l4_len, 25u);
  EXPECT_EQ(Payload(), "GET /");
  EXPECT_EQ(pkt_.tcp_wscale, 0xff);
  EXPECT_EQ(pkt_.tcp_mss, 0);
  EXPECT_EQ(decoder_.counters().tcp, 1u);
}

TEST_F(TransportTest, TcpOptionsRecorded) {
  kt::L4Options o;
  o.tcp_options = {2, 4, 0x23, 0x28,                 // MSS 9000
                   4, 2,                             // SACK permitted
                   8, 10, 0, 0, 0, 1, 0, 0, 0, 2,    // timestamps 1, 2
                   1, 3, 3, 14,                      // NOP, window scale 14
                   5, 10, 0, 0, 0, 1, 0, 0, 0, 2,    // one SACK block
                   0};                               // EOL
  ASSERT_EQ(Decode(kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "opt", o)), DecodeResult::kOk);
  EXPECT_EQ(TotalAnomalies(), 0u);
  EXPECT_EQ(pkt_.tcp_mss, 9000);
  EXPECT_TRUE(pkt_.tcp_sack_permitted);
  EXPECT_TRUE(pkt_.tcp_has_timestamp);
  EXPECT_EQ(pkt_.tcp_ts_val, 1u);
  EXPECT_EQ(pkt_.tcp_ts_ecr, 2u);
  EXPECT_EQ(pkt_.tcp_wscale, 14);
  EXPECT_EQ(Payload(), "opt");
}

TEST_F(TransportTest, TcpBadOptionsCountedAndDecoded) {
  const Bytes bad[] = {
      {2, 3, 0, 0},                   // MSS with the wrong length
      {3, 4, 7, 0},                   // window scale with the wrong length
      {8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},  // timestamps with the wrong length
      {5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},  // SACK not 2 + 8n
      {4, 3, 0, 0},                   // SACK permitted with the wrong length
      {2},                            // kind without length (then EOL padding)
      {30, 1, 0, 0},                  // length below 2
      {30, 40, 0, 0},                 // runs past the header
  };
  uint64_t n = 0;
  for (const Bytes& options : bad) {
    kt::L4Options o;
    o.tcp_options = options;
    ASSERT_EQ(Decode(kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "still", o)), DecodeResult::kOk);
    EXPECT_EQ(Count(Anomaly::kTcpBadOptions), ++n) << ::testing::PrintToString(options);
    EXPECT_TRUE(pkt_.has_tcp());
    EXPECT_EQ(Payload(), "still");
  }
  EXPECT_EQ(Count(Anomaly::kTcpChecksumBad), 0u);
}

TEST_F(TransportTest, TcpHeaderLengthBelowTwenty) {
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "abcdefgh");
  f[kL4 + 12] = 0x40;
  EXPECT_EQ(Decode(f), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kTcpBadHeaderLength), 1u);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.src.ToString(), "10.0.0.1");  // IP layer kept
}

TEST_F(TransportTest, TcpHeaderLengthPastSegment) {
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "abc");
  f[kL4 + 12] = 0xf0;  // 60 bytes, segment is 23
  EXPECT_EQ(Decode(f), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kTcpBadHeaderLength), 1u);
}

TEST_F(TransportTest, TcpChecksum) {
  kt::L4Options bad;
  bad.bad_checksum = true;
  for (std::string_view src : {"10.0.0.1", "2001:db8::1"}) {
    std::string_view dst = src.size() > 8 ? "2001:db8::2" : "10.0.0.2";
    ASSERT_EQ(Decode(kt::EthTcp(src, 1, dst, 2, "odd")), DecodeResult::kOk);
    EXPECT_FALSE(pkt_.l4_checksum_bad);
    ASSERT_EQ(Decode(kt::EthTcp(src, 1, dst, 2, "odd", bad)), DecodeResult::kOk);
    EXPECT_TRUE(pkt_.l4_checksum_bad);
    EXPECT_TRUE(pkt_.has_tcp());
  }
  EXPECT_EQ(Count(Anomaly::kTcpChecksumBad), 2u);
  EXPECT_EQ(TotalAnomalies(), 2u);
}

TEST_F(TransportTest, UdpFields) {
  ASSERT_EQ(Decode(kt::EthUdp("10.0.0.1", 5353, "224.0.0.251", 5353, "mdns")), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.has_udp());
  EXPECT_EQ(pkt_.src_port, 5353);
  EXPECT_EQ(pkt_.l4_len, 12u);
  EXPECT_EQ(Payload(), "mdns");
  EXPECT_EQ(decoder_.counters().udp, 1u);
}

TEST_F(TransportTest, UdpLengthShorterThanIpPayload) {
  Bytes f = kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "abcdef");
  // Say the datagram is 10 bytes: the payload is "ab", the rest is trailer.
  f[kL4 + 4] = 0;
  f[kL4 + 5] = 10;
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(Payload(), "ab");
  EXPECT_EQ(pkt_.l4_len, 10u);
  EXPECT_TRUE(pkt_.l4_checksum_bad);  // checksum was over the 14-byte datagram
}

TEST_F(TransportTest, UdpBadLength) {
  for (uint16_t len : {0, 7, 15}) {
    Bytes f = kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "abcdef");  // real length 14
    f[kL4 + 4] = static_cast<uint8_t>(len >> 8);
    f[kL4 + 5] = static_cast<uint8_t>(len);
    EXPECT_EQ(Decode(f), DecodeResult::kMalformed) << len;
    EXPECT_EQ(pkt_.l4, nullptr);
  }
  EXPECT_EQ(Count(Anomaly::kUdpBadLength), 3u);
}

TEST_F(TransportTest, UdpChecksum) {
  kt::L4Options bad;
  bad.bad_checksum = true;
  ASSERT_EQ(Decode(kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "x", bad)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  ASSERT_EQ(Decode(kt::EthUdp("2001:db8::1", 1, "2001:db8::2", 2, "x", bad)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  EXPECT_EQ(Count(Anomaly::kUdpChecksumBad), 2u);
}

TEST_F(TransportTest, UdpZeroChecksum) {
  Bytes v4 = kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "x");
  v4[kL4 + 6] = v4[kL4 + 7] = 0;  // "not computed": fine over IPv4
  ASSERT_EQ(Decode(v4), DecodeResult::kOk);
  EXPECT_FALSE(pkt_.l4_checksum_bad);
  Bytes v6 = kt::EthUdp("2001:db8::1", 1, "2001:db8::2", 2, "x");
  v6[14 + 40 + 6] = v6[14 + 40 + 7] = 0;  // forbidden over IPv6
  ASSERT_EQ(Decode(v6), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  EXPECT_EQ(Count(Anomaly::kUdpChecksumBad), 1u);
}

TEST_F(TransportTest, IcmpMessagesWithIdentifiers) {
  for (uint8_t type : {0, 8, 13, 14, 15, 16, 17, 18}) {
    kt::L4Options o;
    o.icmp_type = type;
    o.icmp_id = 0x4242;
    o.icmp_seq = 9;
    ASSERT_EQ(Decode(kt::EthIcmp("10.0.0.1", "10.0.0.2", "abc", o)), DecodeResult::kOk);
    EXPECT_TRUE(pkt_.has_icmp());
    EXPECT_EQ(pkt_.icmp_type, type);
    EXPECT_TRUE(pkt_.icmp_has_id) << int{type};
    EXPECT_EQ(pkt_.icmp_id, 0x4242);
    EXPECT_EQ(pkt_.icmp_seq, 9);
    EXPECT_EQ(Payload(), "abc");
  }
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TransportTest, IcmpMessagesWithoutIdentifiers) {
  kt::L4Options o;
  o.icmp_type = 3;  // destination unreachable
  o.icmp_code = 3;
  ASSERT_EQ(Decode(kt::EthIcmp("10.0.0.1", "10.0.0.2", "inner", o)), DecodeResult::kOk);
  EXPECT_EQ(pkt_.icmp_type, 3);
  EXPECT_EQ(pkt_.icmp_code, 3);
  EXPECT_FALSE(pkt_.icmp_has_id);
  EXPECT_EQ(pkt_.icmp_id, 0);
}

TEST_F(TransportTest, Icmpv6) {
  kt::L4Options o;
  o.icmp_type = 128;
  o.icmp_id = 5;
  o.icmp_seq = 6;
  ASSERT_EQ(Decode(kt::EthIcmp("2001:db8::1", "2001:db8::2", "ping", o)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.has_icmp());
  EXPECT_EQ(pkt_.ip_proto, 58);
  EXPECT_TRUE(pkt_.icmp_has_id);
  EXPECT_EQ(pkt_.icmp_id, 5);
  EXPECT_EQ(pkt_.icmp_seq, 6);
  EXPECT_FALSE(pkt_.l4_checksum_bad);
  o.icmp_type = 135;  // neighbour solicitation: no id
  ASSERT_EQ(Decode(kt::EthIcmp("fe80::1", "ff02::1:ff00:2", "target..........", o)),
            DecodeResult::kOk);
  EXPECT_FALSE(pkt_.icmp_has_id);
  EXPECT_FALSE(pkt_.l4_checksum_bad);
  EXPECT_EQ(decoder_.counters().icmp, 2u);
}

TEST_F(TransportTest, IcmpChecksum) {
  kt::L4Options bad;
  bad.bad_checksum = true;
  ASSERT_EQ(Decode(kt::EthIcmp("10.0.0.1", "10.0.0.2", "x", bad)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  ASSERT_EQ(Decode(kt::EthIcmp("2001:db8::1", "2001:db8::2", "x", bad)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  // ICMPv6 covers the pseudo header: the same message to another address fails.
  Bytes f = kt::EthIcmp("2001:db8::1", "2001:db8::2", "x");
  f[14 + 39] ^= 1;
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  EXPECT_EQ(Count(Anomaly::kIcmpChecksumBad), 3u);
}

TEST_F(TransportTest, IcmpProtocolMismatchIsOther) {
  // ICMPv4 inside IPv6 is not decoded as ICMP.
  Bytes icmp = kt::Icmp("10.0.0.1", "10.0.0.2", "x");
  ASSERT_EQ(Decode(kt::Ethernet(kt::Ip("2001:db8::1", "2001:db8::2", 1, icmp))), DecodeResult::kOk);
  EXPECT_FALSE(pkt_.has_icmp());
  EXPECT_EQ(pkt_.payload_len, icmp.size());
}

TEST_F(TransportTest, TruncatedTransportHeaders) {
  struct Case {
    Bytes frame;
    Anomaly anomaly;
  };
  Case cases[] = {
      {kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, ""), Anomaly::kTcpTruncated},
      {kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, ""), Anomaly::kUdpTruncated},
      {kt::EthIcmp("10.0.0.1", "10.0.0.2", ""), Anomaly::kIcmpTruncated},
  };
  for (Case& c : cases) {
    const uint32_t wire = static_cast<uint32_t>(c.frame.size());
    c.frame.resize(c.frame.size() - 1);
    EXPECT_EQ(Decode(c.frame, capture::kLinkEthernet, wire), DecodeResult::kMalformed);
    EXPECT_EQ(Count(c.anomaly), 1u) << AnomalyName(c.anomaly);
    EXPECT_EQ(pkt_.ip_version, 4);
    EXPECT_EQ(pkt_.l4, nullptr);
  }
}

}  // namespace
}  // namespace kagami::decode::test
