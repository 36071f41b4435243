// The packet builder is what every other module's tests stand on: check its
// frames byte by byte where it matters, and that their checksums verify.

#include "tests/support/packet_builder.h"

#include "tests/decode/decode_test_util.h"

namespace kagami::decode::test {
namespace {

namespace kt = kagami::testing;

class PacketBuilderTest : public DecoderTest {};

TEST_F(PacketBuilderTest, EthTcpLayout) {
  Bytes f = kt::EthTcp("10.0.0.1", 1234, "10.0.0.2", 80, "hello");
  ASSERT_EQ(f.size(), 14u + 20 + 20 + 5);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x00);
  EXPECT_EQ(f[14], 0x45);
  EXPECT_EQ(f[16] << 8 | f[17], 45);  // total length
  EXPECT_EQ(f[23], 6);
  EXPECT_EQ(f[34] << 8 | f[35], 1234);
  EXPECT_EQ(f[46] >> 4, 5);  // data offset
  EXPECT_EQ(f[47], 0x18);
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(TotalAnomalies(), 0u);
  EXPECT_FALSE(pkt_.ip_checksum_bad);
  EXPECT_FALSE(pkt_.l4_checksum_bad);
  EXPECT_EQ(Payload(), "hello");
}

TEST_F(PacketBuilderTest, ChecksumsVerifyForEveryProtocol) {
  const Bytes frames[] = {
      kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "odd"),
      kt::EthTcp("2001:db8::1", 1, "2001:db8::2", 2, "even"),
      kt::EthUdp("10.0.0.1", 53, "10.0.0.2", 5353, "x"),
      kt::EthUdp("2001:db8::1", 53, "2001:db8::2", 5353, ""),
      kt::EthIcmp("10.0.0.1", "10.0.0.2", "ping!"),
      kt::EthIcmp("fe80::1", "ff02::1", "ping6"),
  };
  for (const Bytes& f : frames) {
    EXPECT_EQ(Decode(f), DecodeResult::kOk);
    EXPECT_FALSE(pkt_.ip_checksum_bad);
    EXPECT_FALSE(pkt_.l4_checksum_bad);
    EXPECT_NE(pkt_.l4, nullptr);
  }
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(PacketBuilderTest, BadChecksumSwitches) {
  kt::L4Options bad_l4;
  bad_l4.bad_checksum = true;
  kt::IpOptions bad_ip;
  bad_ip.bad_checksum = true;
  Decode(kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "a", bad_l4));
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  EXPECT_FALSE(pkt_.ip_checksum_bad);
  Decode(kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "a", {}, bad_ip));
  EXPECT_FALSE(pkt_.l4_checksum_bad);
  EXPECT_TRUE(pkt_.ip_checksum_bad);
  Decode(kt::EthUdp("2001:db8::1", 1, "2001:db8::2", 2, "a", bad_l4));
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  Decode(kt::EthIcmp("10.0.0.1", "10.0.0.2", "a", bad_l4));
  EXPECT_TRUE(pkt_.l4_checksum_bad);
  Decode(kt::EthIcmp("2001:db8::1", "2001:db8::2", "a", bad_l4));
  EXPECT_TRUE(pkt_.l4_checksum_bad);
}

TEST_F(PacketBuilderTest, UdpBadChecksumIsNeverZero) {
  kt::L4Options bad;
  bad.bad_checksum = true;
  for (int port = 0; port < 2000; ++port) {
    Bytes u = kt::Udp("10.0.0.1", static_cast<uint16_t>(port), "10.0.0.2", 53, "q", bad);
    ASSERT_FALSE(u[6] == 0 && u[7] == 0) << port;
  }
}

TEST_F(PacketBuilderTest, OptionsArePaddedToFourBytes) {
  kt::L4Options l4;
  l4.tcp_options = {2, 4, 0x05, 0xb4, 1, 3, 3, 7};  // MSS, NOP, WS: 8 bytes
  l4.tcp_options.push_back(1);                      // 9 -> padded to 12
  kt::IpOptions ip;
  ip.ipv4_options = {1, 1, 1};  // padded to 4
  Bytes f = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "p", l4, ip);
  EXPECT_EQ(f[14], 0x46);
  EXPECT_EQ(f[14 + 24 + 12] >> 4, 8);
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  EXPECT_EQ(TotalAnomalies(), 0u);
  EXPECT_EQ(pkt_.tcp_mss, 1460);
  EXPECT_EQ(pkt_.tcp_wscale, 7);
  EXPECT_EQ(Payload(), "p");
}

TEST_F(PacketBuilderTest, VlanTags) {
  kt::IpOptions one;
  one.vlans = {100};
  Bytes f = kt::EthUdp("10.0.0.1", 1, "10.0.0.2", 2, "", {}, one);
  EXPECT_EQ(f[12] << 8 | f[13], 0x8100);
  EXPECT_EQ(f[14] << 8 | f[15], 100);
  EXPECT_EQ(f[16] << 8 | f[17], 0x0800);
  kt::IpOptions two;
  two.vlans = {10, 20};
  f = kt::EthTcp("2001:db8::1", 1, "2001:db8::2", 2, "", {}, two);
  EXPECT_EQ(f[12] << 8 | f[13], 0x88a8);
  EXPECT_EQ(f[16] << 8 | f[17], 0x8100);
  EXPECT_EQ(f[20] << 8 | f[21], 0x86dd);
}

TEST_F(PacketBuilderTest, Ipv4FragmentFlags) {
  kt::IpOptions ip;
  ip.mf = true;
  ip.df = false;
  ip.frag_offset = 185;
  ip.id = 0xbeef;
  Bytes p = kt::Ip("10.0.0.1", "10.0.0.2", 17, Bytes(16, 0xaa), ip);
  EXPECT_EQ(p[4] << 8 | p[5], 0xbeef);
  EXPECT_EQ(p[6] << 8 | p[7], 0x2000 | 185);
}

TEST_F(PacketBuilderTest, Ipv6FragmentGetsAFragmentHeader) {
  kt::IpOptions ip;
  ip.mf = true;
  ip.id = 77;
  Bytes p = kt::Ip("2001:db8::1", "2001:db8::2", 17, Bytes(16, 0xaa), ip);
  ASSERT_EQ(p.size(), 40u + 8 + 16);
  EXPECT_EQ(p[6], 44);
  EXPECT_EQ(p[4] << 8 | p[5], 24);
  EXPECT_EQ(p[40], 17);
  EXPECT_EQ(p[43], 1);  // M flag
  EXPECT_EQ(p[47], 77);
}

}  // namespace
}  // namespace kagami::decode::test
