// IpAddress text: IPv4 is formatted here (not by inet_ntop), so every octet
// width and both ends of the range are checked against inet_ntop, along with
// parsing back.
#include "common/ip_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

namespace kagami {
namespace {

std::string Ntop(uint32_t host_order) {
  const uint32_t net = htonl(host_order);
  char buf[INET_ADDRSTRLEN];
  EXPECT_NE(inet_ntop(AF_INET, &net, buf, sizeof buf), nullptr);
  return buf;
}

TEST(IpAddressFormat, Ipv4EdgesAndOctetWidths) {
  EXPECT_EQ(IpAddress::FromV4(0).ToString(), "0.0.0.0");
  EXPECT_EQ(IpAddress::FromV4(0xffffffff).ToString(), "255.255.255.255");
  EXPECT_EQ(IpAddress::FromV4(0x0a000001).ToString(), "10.0.0.1");
  EXPECT_EQ(IpAddress::FromV4(0x01146409).ToString(), "1.20.100.9");
  EXPECT_EQ(IpAddress::FromV4(0xc0a8640a).ToString(), "192.168.100.10");
  char buf[64];
  std::memset(buf, 'x', sizeof buf);
  const size_t n = IpAddress::FromV4(0x09636405).Format(buf);
  EXPECT_EQ(std::string(buf, n), "9.99.100.5");
  EXPECT_EQ(buf[n], '\0');  // terminated, as inet_ntop's text is
}

TEST(IpAddressFormat, Ipv4MatchesInetNtopAndParsesBack) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    // Octets drawn so that one, two and three digit widths all occur often.
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const uint32_t widths[] = {static_cast<uint32_t>(rng() % 10), static_cast<uint32_t>(10 + rng() % 90),
                                 static_cast<uint32_t>(100 + rng() % 156)};
      v = v << 8 | widths[rng() % 3];
    }
    const IpAddress a = IpAddress::FromV4(v);
    ASSERT_EQ(a.ToString(), Ntop(v)) << v;
    ASSERT_EQ(IpAddress::Parse(a.ToString()), a) << v;
  }
}

TEST(IpAddressFormat, Ipv6StaysRfc5952) {
  EXPECT_EQ(IpAddress::Parse("2001:DB8:0:0:0:0:0:1")->ToString(), "2001:db8::1");
  EXPECT_EQ(IpAddress::Parse("::")->ToString(), "::");
  EXPECT_EQ(IpAddress::Parse("::ffff:10.1.2.3")->ToString(), "10.1.2.3");  // v4-mapped is IPv4 here
}

}  // namespace
}  // namespace kagami
