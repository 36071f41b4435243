#include "rules/address_set.h"

#include "gtest/gtest.h"

namespace kagami::rules {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

TEST(AddressSet, AnyAndEmpty) {
  AddressSet any = AddressSet::Any();
  EXPECT_TRUE(any.is_any());
  EXPECT_TRUE(any.Contains(Ip("1.2.3.4")));
  EXPECT_TRUE(any.Contains(Ip("::1")));
  AddressSet none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.Contains(Ip("1.2.3.4")));
  EXPECT_TRUE(any.Complement().empty());
  EXPECT_TRUE(none.Complement().is_any());
}

TEST(AddressSet, FromRangesSortsAndMerges) {
  AddressSet s = AddressSet::FromRanges({{Ip("10.0.0.5"), Ip("10.0.0.9")},
                                         {Ip("10.0.0.0"), Ip("10.0.0.4")},
                                         {Ip("10.0.0.20"), Ip("10.0.0.30")},
                                         {Ip("10.0.0.25"), Ip("10.0.0.40")}});
  ASSERT_EQ(s.ranges().size(), 2u);
  EXPECT_EQ(s.ranges()[0], (IpRange{Ip("10.0.0.0"), Ip("10.0.0.9")}));
  EXPECT_EQ(s.ranges()[1], (IpRange{Ip("10.0.0.20"), Ip("10.0.0.40")}));
  EXPECT_TRUE(s.Contains(Ip("10.0.0.9")));
  EXPECT_FALSE(s.Contains(Ip("10.0.0.10")));
  EXPECT_TRUE(s.Contains(Ip("10.0.0.40")));
  EXPECT_FALSE(s.Contains(Ip("10.0.0.41")));
  EXPECT_FALSE(s.Contains(Ip("9.255.255.255")));
}

TEST(AddressSet, ComplementOfV4ContainsAllV6) {
  AddressSet s = AddressSet::FromRanges({{Ip("1.2.3.4"), Ip("1.2.3.4")}});
  AddressSet c = s.Complement();
  EXPECT_FALSE(c.Contains(Ip("1.2.3.4")));
  EXPECT_TRUE(c.Contains(Ip("1.2.3.5")));
  EXPECT_TRUE(c.Contains(Ip("1.2.3.3")));
  EXPECT_TRUE(c.Contains(Ip("2001:db8::1")));
  EXPECT_TRUE(c.Contains(Ip("::")));
  EXPECT_TRUE(c.Contains(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_EQ(c.Complement().ranges(), s.ranges());
}

TEST(AddressSet, UnionMinus) {
  AddressSet a = AddressSet::FromRanges({{Ip("10.0.0.0"), Ip("10.255.255.255")}});
  AddressSet b = AddressSet::FromRanges({{Ip("10.1.0.0"), Ip("10.1.255.255")}});
  AddressSet d = a.Minus(b);
  EXPECT_TRUE(d.Contains(Ip("10.0.255.255")));
  EXPECT_FALSE(d.Contains(Ip("10.1.0.0")));
  EXPECT_FALSE(d.Contains(Ip("10.1.255.255")));
  EXPECT_TRUE(d.Contains(Ip("10.2.0.0")));
  EXPECT_EQ(d.ranges().size(), 2u);
  EXPECT_EQ(d.Union(b).ranges(), a.ranges());
  EXPECT_TRUE(a.Union(AddressSet::Any()).is_any());
  EXPECT_TRUE(a.Minus(AddressSet::Any()).empty());
  EXPECT_EQ(a.Minus(AddressSet()).ranges(), a.ranges());
  AddressSet everything_but_b = AddressSet::Any().Minus(b);
  EXPECT_TRUE(everything_but_b.Contains(Ip("::1")));
  EXPECT_FALSE(everything_but_b.Contains(Ip("10.1.2.3")));
  EXPECT_TRUE(everything_but_b.Union(b).is_any());
}

TEST(PortSet, Basics) {
  PortSet p = PortSet::FromRanges({{80, 80}, {443, 443}, {81, 90}, {1024, 65535}});
  ASSERT_EQ(p.ranges().size(), 3u);
  EXPECT_TRUE(p.Contains(80));
  EXPECT_TRUE(p.Contains(90));
  EXPECT_FALSE(p.Contains(91));
  EXPECT_TRUE(p.Contains(65535));
  EXPECT_FALSE(p.Contains(0));
  PortSet c = p.Complement();
  EXPECT_TRUE(c.Contains(0));
  EXPECT_FALSE(c.Contains(443));
  EXPECT_TRUE(c.Contains(1023));
  EXPECT_FALSE(c.Contains(1024));
  EXPECT_TRUE(c.Union(p).is_any());
  EXPECT_TRUE(PortSet::FromRanges({{0, 65535}}).is_any());
  EXPECT_TRUE(PortSet::Any().Complement().empty());
  PortSet m = PortSet::Any().Minus(PortSet::FromRanges({{80, 80}}));
  EXPECT_FALSE(m.Contains(80));
  EXPECT_TRUE(m.Contains(79));
  EXPECT_TRUE(m.Contains(81));
}

}  // namespace
}  // namespace kagami::rules
