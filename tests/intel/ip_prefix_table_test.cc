// IpPrefixTable: CIDR splitting, printing, and "every containing block"
// lookups for IPv4 and IPv6, checked against a brute-force scan.

#include "engine/intel/ip_prefix_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace kagami::intel {
namespace {

rules::IpRange Cidr(std::string_view text) {
  const size_t slash = text.find('/');
  const auto a = IpAddress::Parse(text.substr(0, slash));
  EXPECT_TRUE(a.has_value()) << text;
  int len = a->is_v4() ? 32 : 128;
  if (slash != std::string_view::npos) len = std::stoi(std::string(text.substr(slash + 1)));
  if (a->is_v4()) len += 96;
  const Addr128 host = len == 128 ? 0 : (~Addr128{0} >> len);
  return rules::IpRange{AddrFromKey(AddrKey(*a) & ~host), AddrFromKey(AddrKey(*a) | host)};
}

rules::IpRange Range(std::string_view lo, std::string_view hi) {
  return rules::IpRange{*IpAddress::Parse(lo), *IpAddress::Parse(hi)};
}

std::vector<uint32_t> Lookup(const IpPrefixTable& t, std::string_view address) {
  std::vector<uint32_t> out;
  t.ForEach(*IpAddress::Parse(address), [&](uint32_t v) { out.push_back(v); });
  return out;
}

std::string Format(const rules::IpRange& r) {
  char buf[kIpRangeTextMax];
  return std::string(buf, FormatIpRange(r, buf));
}

TEST(CidrBlocks, SplitsARangeIntoTheFewestBlocks) {
  std::vector<std::string> blocks;
  const rules::IpRange r = Range("10.0.0.1", "10.0.0.9");
  ForEachCidrBlock(AddrKey(r.lo), AddrKey(r.hi), [&](Addr128 lo, Addr128 hi, int len) {
    blocks.push_back(AddrFromKey(lo).ToString() + "/" + std::to_string(len - 96) + "-" +
                     AddrFromKey(hi).ToString());
  });
  EXPECT_EQ(blocks, (std::vector<std::string>{"10.0.0.1/32-10.0.0.1", "10.0.0.2/31-10.0.0.3",
                                              "10.0.0.4/30-10.0.0.7", "10.0.0.8/31-10.0.0.9"}));
}

TEST(CidrBlocks, WholeSpaceIsOneBlock) {
  int calls = 0, prefix = -1;
  ForEachCidrBlock(0, ~Addr128{0}, [&](Addr128, Addr128, int len) {
    ++calls;
    prefix = len;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(prefix, 0);
}

TEST(FormatIpRange, AddressPrefixOrRange) {
  EXPECT_EQ(Format(Cidr("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(Format(Cidr("10.0.0.0/8")), "10.0.0.0/8");
  EXPECT_EQ(Format(Cidr("0.0.0.0/0")), "0.0.0.0/0");
  EXPECT_EQ(Format(Cidr("2001:db8::/32")), "2001:db8::/32");
  EXPECT_EQ(Format(Cidr("::/0")), "::/0");
  EXPECT_EQ(Format(Cidr("2001:db8::1")), "2001:db8::1");
  EXPECT_EQ(Format(Range("10.0.0.1", "10.0.0.9")), "10.0.0.1-10.0.0.9");
}

TEST(IpPrefixTable, NestedIpv4BlocksAllMatchInnermostFirst) {
  IpPrefixTable t;
  t.Add(Cidr("10.0.0.0/8"), 1);
  t.Add(Cidr("10.1.0.0/16"), 2);
  t.Add(Cidr("10.1.2.3/32"), 3);
  t.Add(Cidr("192.168.0.0/24"), 4);
  t.Build();
  EXPECT_EQ(Lookup(t, "10.1.2.3"), (std::vector<uint32_t>{3, 2, 1}));
  EXPECT_EQ(Lookup(t, "10.1.2.2"), (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(Lookup(t, "10.1.2.4"), (std::vector<uint32_t>{2, 1}));
  EXPECT_EQ(Lookup(t, "10.2.0.0"), (std::vector<uint32_t>{1}));
  EXPECT_EQ(Lookup(t, "10.255.255.255"), (std::vector<uint32_t>{1}));
  EXPECT_TRUE(Lookup(t, "9.255.255.255").empty());
  EXPECT_TRUE(Lookup(t, "11.0.0.0").empty());
  EXPECT_EQ(Lookup(t, "192.168.0.255"), (std::vector<uint32_t>{4}));
  EXPECT_TRUE(Lookup(t, "192.168.1.0").empty());
  EXPECT_TRUE(Lookup(t, "::a01:203").empty());  // not the IPv4-mapped 10.1.2.3
  EXPECT_EQ(t.block_count(), 4u);
}

TEST(IpPrefixTable, Ipv6NestedAndHostRoutes) {
  IpPrefixTable t;
  t.Add(Cidr("2001:db8::/32"), 5);
  t.Add(Cidr("2001:db8::1/128"), 6);
  t.Add(Cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 7);
  t.Build();
  EXPECT_EQ(Lookup(t, "2001:db8::1"), (std::vector<uint32_t>{6, 5}));
  EXPECT_EQ(Lookup(t, "2001:db8::2"), (std::vector<uint32_t>{5}));
  EXPECT_EQ(Lookup(t, "2001:db8::"), (std::vector<uint32_t>{5}));
  EXPECT_EQ(Lookup(t, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), (std::vector<uint32_t>{5}));
  EXPECT_TRUE(Lookup(t, "2001:db9::").empty());
  EXPECT_TRUE(Lookup(t, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff").empty());
  EXPECT_EQ(Lookup(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), (std::vector<uint32_t>{7}));
  EXPECT_TRUE(Lookup(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe").empty());
}

TEST(IpPrefixTable, SlashZeroCoversItsFamily) {
  IpPrefixTable t;
  t.Add(Cidr("0.0.0.0/0"), 1);
  t.Add(Cidr("255.255.255.255/32"), 2);
  t.Build();
  EXPECT_EQ(Lookup(t, "0.0.0.0"), (std::vector<uint32_t>{1}));
  EXPECT_EQ(Lookup(t, "255.255.255.255"), (std::vector<uint32_t>{2, 1}));
  EXPECT_TRUE(Lookup(t, "2001:db8::1").empty());

  IpPrefixTable v6;
  v6.Add(Cidr("::/0"), 9);
  v6.Build();
  EXPECT_EQ(Lookup(v6, "2001:db8::1"), (std::vector<uint32_t>{9}));
  EXPECT_EQ(Lookup(v6, "198.51.100.1"), (std::vector<uint32_t>{9}));  // ::/0 holds IPv4-mapped
}

TEST(IpPrefixTable, RangesThatAreNotOneBlock) {
  IpPrefixTable t;
  t.Add(Range("10.0.0.1", "10.0.0.9"), 8);
  t.Build();
  EXPECT_TRUE(Lookup(t, "10.0.0.0").empty());
  for (int i = 1; i <= 9; ++i) {
    EXPECT_EQ(Lookup(t, "10.0.0." + std::to_string(i)), (std::vector<uint32_t>{8})) << i;
  }
  EXPECT_TRUE(Lookup(t, "10.0.0.10").empty());
}

TEST(IpPrefixTable, EqualBlocksShareANodeAndRepeatsCollapse) {
  IpPrefixTable t;
  t.Add(Cidr("203.0.113.0/24"), 2);
  t.Add(Cidr("203.0.113.0/24"), 1);
  t.Add(Cidr("203.0.113.0/24"), 2);
  t.Build();
  EXPECT_EQ(Lookup(t, "203.0.113.77"), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(t.block_count(), 1u);
}

TEST(IpPrefixTable, EmptyTableMatchesNothing) {
  IpPrefixTable t;
  t.Build();
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(Lookup(t, "10.0.0.1").empty());
  EXPECT_TRUE(Lookup(t, "2001:db8::1").empty());
}

// Random nested and overlapping-by-nesting blocks against a linear scan.
TEST(IpPrefixTable, AgreesWithBruteForce) {
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  struct Block {
    uint32_t lo, hi, value;
  };
  std::vector<Block> blocks;
  IpPrefixTable t;
  for (uint32_t v = 0; v < 3000; ++v) {
    // Addresses in 10.0.0.0/12 so that blocks nest often.
    const uint32_t address = 0x0a000000u | static_cast<uint32_t>(next() & 0xfffff);
    const int len = 12 + static_cast<int>(next() % 21);
    const uint32_t host = len == 32 ? 0 : (0xffffffffu >> len);
    const Block b{address & ~host, address | host, v};
    blocks.push_back(b);
    t.Add(rules::IpRange{IpAddress::FromV4(b.lo), IpAddress::FromV4(b.hi)}, v);
  }
  t.Build();
  for (int probe = 0; probe < 5000; ++probe) {
    const uint32_t a = 0x0a000000u | static_cast<uint32_t>(next() & 0xfffff);
    std::vector<uint32_t> want, got;
    for (const Block& b : blocks) {
      if (b.lo <= a && a <= b.hi) want.push_back(b.value);
    }
    t.ForEach(IpAddress::FromV4(a), [&](uint32_t v) { got.push_back(v); });
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << IpAddress::FromV4(a).ToString();
  }
}

}  // namespace
}  // namespace kagami::intel
