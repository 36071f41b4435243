// IPv6 header and extension header chains.

#include "tests/decode/decode_test_util.h"

namespace kagami::decode::test {
namespace {

namespace kt = kagami::testing;

class Ipv6Test : public DecoderTest {};

constexpr size_t kIp = 14;

// An IPv6 packet whose extension headers `ext` (each already carrying its
// own next-header byte) sit between the fixed header and `l4`.
Bytes WithExtensions(uint8_t first, const Bytes& ext, const Bytes& l4) {
  Bytes p = kt::Ip("2001:db8::1", "2001:db8::2", first, Concat(ext, l4));
  return kt::Ethernet(p);
}

Bytes UdpSegment(std::string_view payload = "hi") {
  return kt::Udp("2001:db8::1", 1000, "2001:db8::2", 2000, payload);
}

Bytes Ext(uint8_t next, size_t len8 /* total length in bytes, multiple of 8 */) {
  Bytes h(len8, 0);
  h[0] = next;
  h[1] = static_cast<uint8_t>(len8 / 8 - 1);
  if (len8 >= 8) {  // PadN filling the rest, so the options parse too
    h[2] = 1;
    h[3] = static_cast<uint8_t>(len8 - 4);
  }
  return h;
}

TEST_F(Ipv6Test, HeaderFields) {
  Bytes f = kt::EthUdp("2001:db8::1", 1, "2001:db8::2", 2, "x");
  f[kIp] = 0x6a;      // traffic class 0xab
  f[kIp + 1] = 0xb1;  // + flow label bits
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_version, 6);
  EXPECT_EQ(pkt_.tos, 0xab);
  EXPECT_EQ(pkt_.ttl, 64);
  EXPECT_EQ(pkt_.ip_proto, 17);
  EXPECT_EQ(pkt_.dst.ToString(), "2001:db8::2");
  EXPECT_EQ(pkt_.l3_len, 40u + 9);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(Ipv6Test, ExtensionChain) {
  // hop-by-hop -> destination options -> routing (type 0, no segments left)
  Bytes ext = Concat(Concat(Ext(60, 8), Ext(43, 16)), Ext(17, 8));
  ext[24 + 2] = 0;  // routing type 0 ...
  ext[24 + 3] = 0;  // ... with no segments left
  ASSERT_EQ(Decode(WithExtensions(0, ext, UdpSegment())), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.has_udp());
  EXPECT_EQ(pkt_.ip_proto, 17);
  EXPECT_EQ(pkt_.l4, frame_.data() + kIp + 40 + 32);
  EXPECT_EQ(Payload(), "hi");
  EXPECT_FALSE(pkt_.l4_checksum_bad);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(Ipv6Test, AuthenticationHeader) {
  Bytes ah(24, 0);  // payload length 4 -> (4 + 2) * 4 = 24 bytes
  ah[0] = 17;
  ah[1] = 4;
  ASSERT_EQ(Decode(WithExtensions(51, ah, UdpSegment())), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.has_udp());
  EXPECT_EQ(pkt_.l4, frame_.data() + kIp + 40 + 24);
}

TEST_F(Ipv6Test, EspStopsTheChain) {
  Bytes esp(32, 0x5e);
  ASSERT_EQ(Decode(WithExtensions(60, Concat(Ext(50, 8), esp), {})), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_proto, 50);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.payload_len, 32u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(Ipv6Test, NoNextHeader) {
  ASSERT_EQ(Decode(WithExtensions(59, {}, {})), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_proto, 59);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.payload_len, 0u);
}

TEST_F(Ipv6Test, FirstFragment) {
  kt::IpOptions ip;
  ip.mf = true;
  ip.id = 0x0304;
  Bytes f = kt::EthUdp("2001:db8::1", 1, "2001:db8::2", 2, "frag", {}, ip);
  f[kIp + 40 + 4] = 0x01;  // the identification is 32 bits wide
  f[kIp + 40 + 5] = 0x02;
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.is_fragment);
  EXPECT_TRUE(pkt_.ip_mf);
  EXPECT_EQ(pkt_.frag_offset, 0);
  EXPECT_EQ(pkt_.frag_id, 0x01020304u);
  EXPECT_EQ(pkt_.ip_id, 0x0304);
  EXPECT_EQ(pkt_.ip_proto, 17);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.payload, frame_.data() + kIp + 48);
  EXPECT_EQ(pkt_.payload_len, 12u);
}

TEST_F(Ipv6Test, LaterFragment) {
  kt::IpOptions ip;
  ip.frag_offset = 100;
  ASSERT_EQ(Decode(kt::Ethernet(kt::Ip("2001:db8::1", "2001:db8::2", 6, Bytes(40, 0), ip))),
            DecodeResult::kOk);
  EXPECT_TRUE(pkt_.is_fragment);
  EXPECT_FALSE(pkt_.ip_mf);
  EXPECT_EQ(pkt_.frag_offset, 100);
  EXPECT_EQ(pkt_.ip_proto, 6);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.payload_len, 40u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(Ipv6Test, AtomicFragmentIsAWholePacket) {
  Bytes frag = {17, 0, 0, 0, 0, 0, 0, 9};
  ASSERT_EQ(Decode(WithExtensions(44, frag, UdpSegment())), DecodeResult::kOk);
  EXPECT_FALSE(pkt_.is_fragment);
  EXPECT_EQ(pkt_.frag_id, 9u);
  EXPECT_TRUE(pkt_.has_udp());
  EXPECT_FALSE(pkt_.l4_checksum_bad);
}

TEST_F(Ipv6Test, ChainTooLong) {
  Bytes ext;
  for (int i = 0; i < kMaxIpv6ExtensionHeaders; ++i) ext = Concat(ext, Ext(60, 8));
  ext = Concat(ext, Ext(17, 8));
  EXPECT_EQ(Decode(WithExtensions(60, ext, UdpSegment())), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpv6ExtensionChainTooLong), 1u);
  EXPECT_EQ(pkt_.ip_version, 6);  // what was decoded stays
  EXPECT_EQ(pkt_.src.ToString(), "2001:db8::1");
  // Exactly the limit is fine.
  ext.resize(8 * kMaxIpv6ExtensionHeaders);
  ext[ext.size() - 8] = 17;
  EXPECT_EQ(Decode(WithExtensions(60, ext, UdpSegment())), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.has_udp());
}

TEST_F(Ipv6Test, HopByHopNotFirst) {
  Bytes ext = Concat(Ext(0, 8), Ext(17, 8));
  ASSERT_EQ(Decode(WithExtensions(60, ext, UdpSegment())), DecodeResult::kOk);
  EXPECT_EQ(Count(Anomaly::kIpv6BadExtensionHeader), 1u);
  EXPECT_TRUE(pkt_.has_udp());
}

TEST_F(Ipv6Test, ExtensionHeaderPastPayloadLength) {
  Bytes ext = Ext(17, 8);
  ext[1] = 10;  // claims 88 bytes
  EXPECT_EQ(Decode(WithExtensions(60, ext, UdpSegment())), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpv6BadExtensionHeader), 1u);
}

TEST_F(Ipv6Test, ExtensionHeaderCutBySnaplen) {
  Bytes f = WithExtensions(60, Ext(17, 16), UdpSegment());
  const uint32_t wire = static_cast<uint32_t>(f.size());
  f.resize(kIp + 40 + 12);
  EXPECT_EQ(Decode(f, capture::kLinkEthernet, wire), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpv6Truncated), 1u);
}

TEST_F(Ipv6Test, AuthenticationHeaderTooShort) {
  Bytes ah(8, 0);
  ah[0] = 17;
  ah[1] = 0;  // (0 + 2) * 4 = 8 < 12
  EXPECT_EQ(Decode(WithExtensions(51, ah, UdpSegment())), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpv6BadExtensionHeader), 1u);
}

TEST_F(Ipv6Test, PayloadLengthBeyondFrame) {
  Bytes f = kt::EthUdp("2001:db8::1", 1, "2001:db8::2", 2, "abc");
  f[kIp + 5] += 50;
  ASSERT_EQ(Decode(f), DecodeResult::kOk);  // UDP length still fits the claim
  EXPECT_EQ(Count(Anomaly::kIpv6Truncated), 1u);
  EXPECT_EQ(Payload(), "abc");
  EXPECT_FALSE(pkt_.l4_checksum_bad);
}

TEST_F(Ipv6Test, RoutingHeaderFinalDestinationInChecksum) {
  // Type 0 routing header with one segment left: the UDP checksum is over
  // the final destination, not the current one in the IPv6 header.
  const std::string_view final_dst = "2001:db8::99";
  Bytes udp = kt::Udp("2001:db8::1", 1, final_dst, 2, "rt");
  Bytes rh(24, 0);
  rh[0] = 17;
  rh[1] = 2;
  rh[2] = 0;
  rh[3] = 1;
  auto a = IpAddress::Parse(final_dst);
  std::copy(a->bytes().begin(), a->bytes().end(), rh.begin() + 8);
  ASSERT_EQ(Decode(WithExtensions(43, rh, udp)), DecodeResult::kOk);
  EXPECT_TRUE(pkt_.has_udp());
  EXPECT_FALSE(pkt_.l4_checksum_bad);
  EXPECT_EQ(pkt_.dst.ToString(), "2001:db8::2");
}

TEST_F(Ipv6Test, TooShort) {
  Bytes f = kt::EthUdp("2001:db8::1", 1, "2001:db8::2", 2, "");
  f.resize(kIp + 39);
  EXPECT_EQ(Decode(f), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpv6Truncated), 1u);
  EXPECT_EQ(pkt_.ip_version, 0);
}

}  // namespace
}  // namespace kagami::decode::test
