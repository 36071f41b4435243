// Text helpers: type, rcode, flags, anomaly names and address formats.

#include <gtest/gtest.h>

#include "engine/app/dns/dns_parser.h"

namespace kagami::app::dns {
namespace {

TEST(DnsNamesTest, TypeNames) {
  EXPECT_EQ(TypeName(1), "A");
  EXPECT_EQ(TypeName(28), "AAAA");
  EXPECT_EQ(TypeName(5), "CNAME");
  EXPECT_EQ(TypeName(16), "TXT");
  EXPECT_EQ(TypeName(33), "SRV");
  EXPECT_EQ(TypeName(41), "OPT");
  EXPECT_EQ(TypeName(65), "HTTPS");
  EXPECT_EQ(TypeName(255), "ANY");
  EXPECT_EQ(TypeName(256), "URI");
  EXPECT_EQ(TypeName(0), "");
  EXPECT_EQ(TypeName(999), "");
  EXPECT_EQ(TypeText(15), "MX");
  EXPECT_EQ(TypeText(999), "999");
  EXPECT_EQ(TypeText(65535), "65535");
}

TEST(DnsNamesTest, RcodeNames) {
  EXPECT_EQ(RcodeName(0), "NOERROR");
  EXPECT_EQ(RcodeName(2), "SERVFAIL");
  EXPECT_EQ(RcodeName(3), "NXDOMAIN");
  EXPECT_EQ(RcodeName(5), "REFUSED");
  EXPECT_EQ(RcodeName(10), "NOTZONE");
  EXPECT_EQ(RcodeName(12), "12");
  EXPECT_EQ(RcodeName(16), "BADVERS/BADSIG");
  EXPECT_EQ(RcodeName(22), "BADTRUNC");
  EXPECT_EQ(RcodeName(23), "23");
}

TEST(DnsNamesTest, FlagsHex) {
  EXPECT_EQ(FlagsHex(0x8180), "8180");
  EXPECT_EQ(FlagsHex(0x0100), "100");
  EXPECT_EQ(FlagsHex(0x8583), "8583");
  EXPECT_EQ(FlagsHex(0x000a), "a");
  EXPECT_EQ(FlagsHex(0), "0");
  EXPECT_EQ(FlagsHex(0xffff), "ffff");
}

TEST(DnsNamesTest, AnomalyNamesAreDistinct) {
  for (int i = 0; i < static_cast<int>(Anomaly::kCount); ++i)
    for (int j = i + 1; j < static_cast<int>(Anomaly::kCount); ++j)
      EXPECT_NE(AnomalyName(static_cast<Anomaly>(i)), AnomalyName(static_cast<Anomaly>(j)));
  EXPECT_EQ(AnomalyName(Anomaly::kCompressionLoop), "compression_loop");
}

TEST(DnsNamesTest, Ipv4) {
  const uint8_t a[4] = {192, 0, 2, 255};
  EXPECT_EQ(FormatIpv4(a), "192.0.2.255");
}

std::string V6(std::initializer_list<unsigned> groups, bool rfc) {
  uint8_t b[16] = {};
  int i = 0;
  for (unsigned g : groups) {
    b[i++] = static_cast<uint8_t>(g >> 8);
    b[i++] = static_cast<uint8_t>(g);
  }
  return rfc ? FormatIpv6Rfc5952(b) : FormatIpv6Expanded(b);
}

TEST(DnsNamesTest, Ipv6Expanded) {
  EXPECT_EQ(V6({0x2a00, 0x1450, 0x4001, 0x816, 0, 0, 0, 0x200e}, false),
            "2a00:1450:4001:0816:0000:0000:0000:200e");
}

TEST(DnsNamesTest, Ipv6Rfc5952) {
  EXPECT_EQ(V6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}, true), "2001:db8::1");
  EXPECT_EQ(V6({0, 0, 0, 0, 0, 0, 0, 0}, true), "::");
  EXPECT_EQ(V6({0, 0, 0, 0, 0, 0, 0, 1}, true), "::1");
  EXPECT_EQ(V6({1, 0, 0, 0, 0, 0, 0, 0}, true), "1::");
  // A single zero group is not shortened.
  EXPECT_EQ(V6({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}, true), "2001:db8:0:1:1:1:1:1");
  // The longest run wins; on a tie the first.
  EXPECT_EQ(V6({0x2001, 0, 0, 1, 0, 0, 0, 1}, true), "2001:0:0:1::1");
  EXPECT_EQ(V6({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}, true), "2001:db8::1:0:0:1");
  EXPECT_EQ(V6({0xABCD, 0xEF01, 0, 0, 0, 0, 0, 0}, true), "abcd:ef01::");
  EXPECT_EQ(V6({0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0280}, true), "::ffff:192.0.2.128");
}

}  // namespace
}  // namespace kagami::app::dns
