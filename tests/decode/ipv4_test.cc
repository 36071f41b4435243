// IPv4 header fields, options, fragments, lengths and header checksum.

#include "tests/decode/decode_test_util.h"

namespace kagami::decode::test {
namespace {

namespace kt = kagami::testing;

class Ipv4Test : public DecoderTest {};

constexpr size_t kIp = 14;  // IP header offset in an Ethernet frame

TEST_F(Ipv4Test, HeaderFields) {
  kt::IpOptions ip;
  ip.ttl = 7;
  ip.id = 0x1234;
  ip.df = true;
  Bytes f = kt::EthTcp("10.1.2.3", 1, "10.4.5.6", 2, "x", {}, ip);
  f[kIp + 1] = 0xb8;  // DSCP EF
  FixIpv4Checksum(f, kIp);
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_version, 4);
  EXPECT_EQ(pkt_.ttl, 7);
  EXPECT_EQ(pkt_.tos, 0xb8);
  EXPECT_EQ(pkt_.ip_id, 0x1234);
  EXPECT_TRUE(pkt_.ip_df);
  EXPECT_FALSE(pkt_.ip_mf);
  EXPECT_FALSE(pkt_.ip_rb);
  EXPECT_FALSE(pkt_.is_fragment);
  EXPECT_EQ(pkt_.ip_proto, 6);
  EXPECT_EQ(pkt_.src.v4(), 0x0a010203u);
  EXPECT_EQ(pkt_.dst.v4(), 0x0a040506u);
  EXPECT_EQ(pkt_.ipv4_options, 0);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(Ipv4Test, ReservedBit) {
  Bytes f = kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "");
  f[kIp + 6] |= 0x80;
  FixIpv4Checksum(f, kIp);
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.ip_rb);
}

TEST_F(Ipv4Test, OptionsRecorded) {
  kt::IpOptions ip;
  // NOP, record route (len 7, ptr 4, one address), timestamp (len 8, ptr 5),
  // router alert-like unknown option 148 len 4, EOL.
  ip.ipv4_options = {1, 7, 7, 4, 0, 0, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0, 148, 4, 0, 0, 0};
  ASSERT_EQ(Decode(kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "pay", {}, ip)), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ipv4_options, kIpOptAny | kIpOptNop | kIpOptRr | kIpOptTs | kIpOptEol);
  EXPECT_EQ(TotalAnomalies(), 0u);
  EXPECT_EQ(Payload(), "pay");
  EXPECT_EQ(pkt_.l4, frame_.data() + kIp + 44);
}

TEST_F(Ipv4Test, SecurityRoutingAndStreamIdOptions) {
  kt::IpOptions ip;
  ip.ipv4_options = {130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0,   // SEC
                     133, 3, 0,                             // ESEC
                     131, 7, 4, 1, 2, 3, 4,                 // LSRR
                     137, 3, 4,                             // SSRR (empty)
                     136, 4, 0, 1};                         // SATID
  ASSERT_EQ(Decode(kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "", {}, ip)), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ipv4_options, kIpOptAny | kIpOptSec | kIpOptEsec | kIpOptLsrr | kIpOptSsrr |
                                   kIpOptSatid);  // 28 bytes: no padding
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(Ipv4Test, BadOptionsAreCountedButDecodingGoesOn) {
  const Bytes bad_options[] = {
      {7},                  // kind without a length byte (then padding)
      {7, 1, 0, 0},         // length below 2
      {7, 9, 4, 0},         // longer than the options area
      {136, 3, 0, 0},       // stream id must be 4 long
      {68, 4, 4, 0},        // timestamp pointer below 5
      {7, 6, 4, 0, 0, 0},   // record route length not 3 + 4n
      {131, 7, 1, 1, 2, 3, 4},  // source route pointer below 4
  };
  uint64_t expected = 0;
  for (const Bytes& o : bad_options) {
    kt::IpOptions ip;
    ip.ipv4_options = o;
    ASSERT_EQ(Decode(kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "ok", {}, ip)), DecodeResult::kOk);
    EXPECT_EQ(Count(Anomaly::kIpv4BadOptions), ++expected) << ::testing::PrintToString(o);
    EXPECT_TRUE(pkt_.has_tcp());
    EXPECT_EQ(Payload(), "ok");
  }
}

TEST_F(Ipv4Test, FirstFragmentHasNoTransport) {
  kt::IpOptions ip;
  ip.mf = true;
  ip.id = 99;
  ASSERT_EQ(Decode(kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "frag", {}, ip)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.is_fragment);
  EXPECT_TRUE(pkt_.ip_mf);
  EXPECT_EQ(pkt_.frag_offset, 0);
  EXPECT_EQ(pkt_.frag_id, 99u);
  EXPECT_EQ(pkt_.ip_proto, 6);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_FALSE(pkt_.has_tcp());
  EXPECT_EQ(pkt_.src_port, 0);
  EXPECT_EQ(pkt_.payload, frame_.data() + kIp + 20);
  EXPECT_EQ(pkt_.payload_len, 24u);  // TCP header + "frag"
  EXPECT_EQ(decoder_.counters().tcp, 0u);
  EXPECT_EQ(decoder_.counters().other, 1u);
}

TEST_F(Ipv4Test, LaterFragment) {
  kt::IpOptions ip;
  ip.frag_offset = 3;
  Bytes body(24, 0xee);
  // Garbage where a TCP header would be must not matter.
  ASSERT_EQ(Decode(kt::Ethernet(kt::Ip("10.0.0.1", "10.0.0.2", 6, body, ip))), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.is_fragment);
  EXPECT_FALSE(pkt_.ip_mf);
  EXPECT_EQ(pkt_.frag_offset, 3);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.payload_len, 24u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(Ipv4Test, OtherProtocolPayloadIsIpPayload) {
  Bytes gre = {0, 0, 0x08, 0x00, 1, 2, 3, 4};
  ASSERT_EQ(Decode(kt::Ethernet(kt::Ip("10.0.0.1", "10.0.0.2", 47, gre))), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_proto, 47);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.payload_len, 8u);
  EXPECT_EQ(decoder_.counters().other, 1u);
}

TEST_F(Ipv4Test, HeaderChecksum) {
  kt::IpOptions bad;
  bad.bad_checksum = true;
  EXPECT_EQ(Decode(kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "x", {}, bad)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.ip_checksum_bad);
  EXPECT_TRUE(pkt_.has_udp());  // not dropped: the caller decides
  EXPECT_EQ(Count(Anomaly::kIpChecksumBad), 1u);
  // Options are covered by the header checksum.
  kt::IpOptions opts;
  opts.ipv4_options = {1, 1, 1, 1};
  Bytes f = kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "x", {}, opts);
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_FALSE(pkt_.ip_checksum_bad);
  f[kIp + 21] = 0;  // NOP -> EOL
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.ip_checksum_bad);
}

TEST_F(Ipv4Test, NoChecksumVerificationUnlessAsked) {
  Decoder plain;
  kt::IpOptions bad;
  bad.bad_checksum = true;
  kt::L4Options bad_l4;
  bad_l4.bad_checksum = true;
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x", bad_l4, bad);
  capture::PacketView v;
  v.caplen = v.wirelen = static_cast<uint32_t>(f.size());
  v.data = f.data();
  ASSERT_EQ(plain.Decode(v, pkt_), DecodeResult::kOk);
  EXPECT_FALSE(pkt_.ip_checksum_bad);
  EXPECT_FALSE(pkt_.l4_checksum_bad);
}

TEST_F(Ipv4Test, HeaderLengthBelowTwenty) {
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x");
  f[kIp] = 0x44;
  EXPECT_EQ(Decode(f), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpv4BadHeaderLength), 1u);
  EXPECT_EQ(pkt_.ip_version, 0);
}

TEST_F(Ipv4Test, HeaderLongerThanPacket) {
  Bytes f = kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "");  // total 28
  f[kIp] = 0x4f;                                           // 60-byte header
  EXPECT_EQ(Decode(f), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpv4BadHeaderLength), 1u);
}

TEST_F(Ipv4Test, TotalLengthBelowHeaderLength) {
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x");
  f[kIp + 2] = 0;
  f[kIp + 3] = 19;
  FixIpv4Checksum(f, kIp);
  EXPECT_EQ(Decode(f), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpv4BadTotalLength), 1u);
}

TEST_F(Ipv4Test, TotalLengthBeyondFrame) {
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "abcdef");
  f[kIp + 3] += 100;
  FixIpv4Checksum(f, kIp);
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(Count(Anomaly::kIpv4BadTotalLength), 1u);
  EXPECT_EQ(Payload(), "abcdef");  // clipped to what is there
  EXPECT_FALSE(pkt_.l4_checksum_bad);  // not verified: segment incomplete
  EXPECT_EQ(Count(Anomaly::kTcpChecksumBad), 0u);
}

TEST_F(Ipv4Test, SnaplenCutIsNotAnAnomaly) {
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "abcdefgh");
  const uint32_t wire = static_cast<uint32_t>(f.size());
  f.resize(f.size() - 3);
  ASSERT_EQ(Decode(f, capture::kLinkEthernet, wire), DecodeResult::kOk);
  EXPECT_EQ(Payload(), "abcde");
  EXPECT_EQ(pkt_.l3_len, 20u + 20 + 5);
  EXPECT_EQ(TotalAnomalies(), 0u);  // and the TCP checksum is not verified
}

TEST_F(Ipv4Test, ZeroTotalLengthFromSegmentationOffload) {
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "tso");
  f[kIp + 2] = f[kIp + 3] = 0;
  FixIpv4Checksum(f, kIp);
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(Count(Anomaly::kIpv4BadTotalLength), 1u);
  EXPECT_EQ(Payload(), "tso");
}

}  // namespace
}  // namespace kagami::decode::test
