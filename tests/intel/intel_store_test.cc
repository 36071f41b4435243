// IntelStore lookups through the builder: addresses (nested prefixes, sides),
// domains (exact, parents, per-feed subdomain switch, case, trailing dots),
// URLs with and without query, digests, user agents, AND clauses verified
// through Facts, and hit de-duplication.

#include "engine/intel/intel_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rules/feeds/normalize.h"

namespace kagami::intel {
namespace {

using feeds::IndicatorType;
using feeds::Side;

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

feeds::Term IpTerm(std::string_view cidr, Side side = Side::kEither) {
  feeds::Term t;
  t.type = IndicatorType::kIp;
  t.side = side;
  t.range = Cidr(cidr);
  return t;
}

feeds::Term PortTerm(uint16_t port, Side side) {
  feeds::Term t;
  t.type = IndicatorType::kPort;
  t.side = side;
  t.port_lo = t.port_hi = port;
  return t;
}

feeds::Term ValueTerm(IndicatorType type, std::string_view value) {
  feeds::Term t;
  t.type = type;
  t.value = std::string(value);
  return t;
}

feeds::Indicator Of(std::vector<std::vector<feeds::Term>> clauses) {
  feeds::Indicator ind;
  for (auto& terms : clauses) ind.clauses.push_back(feeds::Clause{std::move(terms)});
  return ind;
}

feeds::FeedOptions Subdomains(bool on) {
  feeds::FeedOptions o;
  o.match_subdomains = on;
  return o;
}

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

class IntelStoreTest : public ::testing::Test {
 protected:
  // Adds a one-term indicator to the current feed; returns its index in the
  // built store (indicators are numbered in the order they were added).
  uint32_t AddOne(feeds::Term term) {
    builder_.Add(Of({{std::move(term)}}));
    return static_cast<uint32_t>(builder_.size() - 1);
  }
  void Build() { store_ = builder_.Build(); }

  std::vector<Hit> Flow(std::string_view src, std::string_view dst) {
    Facts f;
    f.src = Ip(src);
    f.dst = Ip(dst);
    return Flow(f);
  }
  std::vector<Hit> Flow(const Facts& f) {
    std::vector<Hit> out;
    store_->MatchFlow(f, &out);
    return out;
  }
  std::vector<Hit> Value(Where w, std::string_view v, const Facts& f = Facts()) {
    std::vector<Hit> out;
    store_->MatchValue(w, v, f, &out);
    return out;
  }
  static std::vector<uint32_t> Indicators(std::vector<Hit> hits) {
    std::vector<uint32_t> ids;
    for (const Hit& h : hits) ids.push_back(h.indicator);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  IntelStoreBuilder builder_;
  std::shared_ptr<const IntelStore> store_;
};

TEST_F(IntelStoreTest, NestedPrefixesAllFireOnEitherSide) {
  builder_.BeginFeed("ips.csv", feeds::FeedOptions{});
  const uint32_t wide = AddOne(IpTerm("10.0.0.0/8"));
  const uint32_t mid = AddOne(IpTerm("10.1.0.0/16"));
  const uint32_t host = AddOne(IpTerm("10.1.2.3/32"));
  Build();
  EXPECT_EQ(Indicators(Flow("10.1.2.3", "8.8.8.8")), (std::vector<uint32_t>{wide, mid, host}));
  for (const Hit& h : Flow("10.1.2.3", "8.8.8.8")) EXPECT_EQ(h.where, Where::kIpSrc);
  EXPECT_EQ(Flow("192.0.2.1", "10.1.2.3"),
            (std::vector<Hit>{{host, Where::kIpDst}, {mid, Where::kIpDst}, {wide, Where::kIpDst}}));
  EXPECT_EQ(Indicators(Flow("10.1.2.2", "192.0.2.1")), (std::vector<uint32_t>{wide, mid}));
  EXPECT_EQ(Indicators(Flow("192.0.2.1", "10.1.2.4")), (std::vector<uint32_t>{wide, mid}));
  EXPECT_EQ(Flow("10.1.2.2", "10.1.2.4").size(), 4u);  // both sides, each its own hit
  EXPECT_TRUE(Flow("9.255.255.255", "11.0.0.0").empty());
  EXPECT_TRUE(store_->wants(Where::kIpSrc));
  EXPECT_TRUE(store_->wants(Where::kIpDst));
  EXPECT_FALSE(store_->wants(Where::kDnsQuery));
  EXPECT_EQ(store_->count(IndicatorType::kIp), 3u);
}

TEST_F(IntelStoreTest, Ipv6HostRouteAndSlashZero) {
  const uint32_t host = AddOne(IpTerm("2001:db8::1/128"));
  const uint32_t all6 = AddOne(IpTerm("::/0"));
  const uint32_t all4 = AddOne(IpTerm("0.0.0.0/0"));
  const uint32_t one4 = AddOne(IpTerm("198.51.100.7/32"));
  Build();
  EXPECT_EQ(Flow("2001:db8::1", "2001:db8::2"),
            (std::vector<Hit>{{host, Where::kIpSrc}, {all6, Where::kIpSrc}, {all6, Where::kIpDst}}));
  EXPECT_EQ(Flow("2001:db8::2", "2001:db8::3").size(), 2u);  // ::/0 on both sides
  EXPECT_EQ(Indicators(Value(Where::kIpDst, "198.51.100.7")),
            (std::vector<uint32_t>{all6, all4, one4}));
  EXPECT_EQ(Indicators(Value(Where::kIpDst, "198.51.100.8")), (std::vector<uint32_t>{all6, all4}));
  EXPECT_TRUE(Value(Where::kIpDst, "not an address").empty());
  EXPECT_EQ(store_->view(host).value, "2001:db8::1");
  EXPECT_EQ(store_->view(all6).value, "::/0");
  EXPECT_EQ(store_->view(all4).value, "0.0.0.0/0");
}

TEST_F(IntelStoreTest, AddressSideIsRespected) {
  const uint32_t dst_only = AddOne(IpTerm("203.0.113.0/24", Side::kDestination));
  const uint32_t src_only = AddOne(IpTerm("203.0.113.9/32", Side::kSource));
  Build();
  EXPECT_EQ(Flow("192.0.2.1", "203.0.113.9"), (std::vector<Hit>{{dst_only, Where::kIpDst}}));
  EXPECT_EQ(Flow("203.0.113.9", "192.0.2.1"), (std::vector<Hit>{{src_only, Where::kIpSrc}}));
}

TEST_F(IntelStoreTest, DomainExactAndParentSuffixes) {
  builder_.BeginFeed("domains.csv", Subdomains(true));
  const uint32_t example = AddOne(ValueTerm(IndicatorType::kDomain, "example.com"));
  const uint32_t deep = AddOne(ValueTerm(IndicatorType::kDomain, "b.c.example.com"));
  Build();
  EXPECT_EQ(Value(Where::kDnsQuery, "example.com"), (std::vector<Hit>{{example, Where::kDnsQuery}}));
  EXPECT_EQ(Indicators(Value(Where::kTlsSni, "a.b.c.example.com")),
            (std::vector<uint32_t>{example, deep}));
  EXPECT_EQ(Indicators(Value(Where::kHttpHost, "www.example.com")), (std::vector<uint32_t>{example}));
  EXPECT_TRUE(Value(Where::kDnsQuery, "notexample.com").empty());
  EXPECT_TRUE(Value(Where::kDnsQuery, "example.co").empty());
  EXPECT_TRUE(Value(Where::kDnsQuery, "example.com.evil").empty());
  EXPECT_TRUE(Value(Where::kDnsQuery, "com").empty());
  EXPECT_TRUE(Value(Where::kDnsQuery, "xc.example.com").size() == 1);  // parent example.com only
  EXPECT_TRUE(Value(Where::kDnsQuery, "").empty());
  EXPECT_TRUE(Value(Where::kDnsQuery, "...").empty());
  EXPECT_TRUE(store_->wants(Where::kDnsAnswer));
  EXPECT_FALSE(store_->wants(Where::kHttpUrl));
}

TEST_F(IntelStoreTest, DomainCaseAndTrailingDot) {
  const uint32_t id = AddOne(ValueTerm(IndicatorType::kDomain, "Evil.Example"));  // stored folded
  Build();
  EXPECT_EQ(Value(Where::kDnsAnswer, "EVIL.example."), (std::vector<Hit>{{id, Where::kDnsAnswer}}));
  EXPECT_EQ(Value(Where::kDnsQuery, "Www.EVIL.Example.."), (std::vector<Hit>{{id, Where::kDnsQuery}}));
  EXPECT_EQ(store_->view(id).value, "evil.example");
}

TEST_F(IntelStoreTest, SubdomainMatchingIsPerFeed) {
  builder_.BeginFeed("exact.csv", Subdomains(false));
  const uint32_t exact = AddOne(ValueTerm(IndicatorType::kDomain, "evil.org"));
  builder_.BeginFeed("wide.csv", Subdomains(true));
  const uint32_t wide = AddOne(ValueTerm(IndicatorType::kDomain, "evil.org"));
  Build();
  EXPECT_EQ(store_->size(), 2u);  // the same value in two feeds stays two indicators
  EXPECT_EQ(Indicators(Value(Where::kDnsQuery, "evil.org")), (std::vector<uint32_t>{exact, wide}));
  EXPECT_EQ(Indicators(Value(Where::kDnsQuery, "a.evil.org")), (std::vector<uint32_t>{wide}));
  EXPECT_EQ(store_->view(exact).feed, "exact.csv");
  EXPECT_EQ(store_->view(wide).feed, "wide.csv");
}

TEST_F(IntelStoreTest, UrlWithAndWithoutQuery) {
  const uint32_t script =
      AddOne(ValueTerm(IndicatorType::kUrl, *feeds::NormalizeUrl("http://Bad.Example/gate.php")));
  const uint32_t exact = AddOne(
      ValueTerm(IndicatorType::kUrl, *feeds::NormalizeUrl("https://bad.example:8443/a?id=7")));
  Build();
  const std::string key = *feeds::UrlKeyForRequest("bad.example", "/gate.php?id=1&x=2");
  EXPECT_EQ(Value(Where::kHttpUrl, key), (std::vector<Hit>{{script, Where::kHttpUrl}}));
  EXPECT_EQ(Indicators(Value(Where::kHttpUrl, *feeds::UrlKeyForRequest("BAD.example:80", "/gate.php"))),
            (std::vector<uint32_t>{script}));
  EXPECT_TRUE(Value(Where::kHttpUrl, *feeds::UrlKeyForRequest("bad.example", "/gate.php5")).empty());
  EXPECT_TRUE(Value(Where::kHttpUrl, *feeds::UrlKeyForRequest("bad.example", "/Gate.php")).empty());
  EXPECT_EQ(Indicators(Value(Where::kHttpUrl, *feeds::UrlKeyForRequest("bad.example:8443", "/a?id=7"))),
            (std::vector<uint32_t>{exact}));
  EXPECT_TRUE(Value(Where::kHttpUrl, *feeds::UrlKeyForRequest("bad.example:8443", "/a?id=8")).empty());
  EXPECT_TRUE(Value(Where::kHttpUrl, *feeds::UrlKeyForRequest("bad.example:8443", "/a")).empty());
}

TEST_F(IntelStoreTest, DigestsCompareCaseInsensitively) {
  const uint32_t ja3 = AddOne(ValueTerm(IndicatorType::kJa3, "e7d705a3286e19ea42f587b344ee6865"));
  const std::string sha256(64, 'a');
  const uint32_t cert = AddOne(ValueTerm(IndicatorType::kCertSha256, sha256));
  const uint32_t md5 = AddOne(ValueTerm(IndicatorType::kFileMd5, "D41D8CD98F00B204E9800998ECF8427E"));
  Build();
  EXPECT_EQ(Value(Where::kTlsJa3, "E7D705A3286E19EA42F587B344EE6865"),
            (std::vector<Hit>{{ja3, Where::kTlsJa3}}));
  EXPECT_TRUE(Value(Where::kTlsJa3s, "e7d705a3286e19ea42f587b344ee6865").empty());  // other type
  EXPECT_TRUE(Value(Where::kTlsJa3, "e7d705a3286e19ea42f587b344ee6866").empty());
  EXPECT_EQ(Value(Where::kTlsCertSha256, std::string(64, 'A')),
            (std::vector<Hit>{{cert, Where::kTlsCertSha256}}));
  EXPECT_TRUE(Value(Where::kTlsCertSha256, std::string(63, 'a')).empty());
  EXPECT_EQ(Value(Where::kFileMd5, "d41d8cd98f00b204e9800998ecf8427e"),
            (std::vector<Hit>{{md5, Where::kFileMd5}}));
  EXPECT_TRUE(store_->wants(Where::kTlsJa3));
  EXPECT_FALSE(store_->wants(Where::kTlsJa4));
}

TEST_F(IntelStoreTest, UserAgentsAreExact) {
  const uint32_t ua = AddOne(ValueTerm(IndicatorType::kUserAgent, "Mozilla/5.0 (EvilBot)"));
  Build();
  EXPECT_EQ(Value(Where::kHttpUserAgent, "Mozilla/5.0 (EvilBot)"),
            (std::vector<Hit>{{ua, Where::kHttpUserAgent}}));
  EXPECT_TRUE(Value(Where::kHttpUserAgent, "mozilla/5.0 (evilbot)").empty());
  EXPECT_TRUE(Value(Where::kHttpUserAgent, "Mozilla/5.0 (EvilBot) ").empty());
}

TEST_F(IntelStoreTest, AddressAndPortClauseIsVerifiedThroughFacts) {
  builder_.Add(Of({{IpTerm("203.0.113.5", Side::kDestination), PortTerm(443, Side::kDestination)}}));
  Build();
  Facts f;
  f.src = Ip("192.0.2.1");
  f.dst = Ip("203.0.113.5");
  f.sport = 50000;
  f.dport = 443;
  f.has_ports = true;
  EXPECT_EQ(Flow(f), (std::vector<Hit>{{0, Where::kIpDst}}));
  f.dport = 80;
  EXPECT_TRUE(Flow(f).empty());
  f.dport = 443;
  f.has_ports = false;  // ICMP, fragments: the port term cannot hold
  EXPECT_TRUE(Flow(f).empty());
  f.has_ports = true;
  std::swap(f.src, f.dst);  // the address on the wrong side
  std::swap(f.sport, f.dport);
  EXPECT_TRUE(Flow(f).empty());
  EXPECT_EQ(store_->count(IndicatorType::kPort), 1u);
  EXPECT_EQ(store_->view(0).value, "203.0.113.5");
}

TEST_F(IntelStoreTest, DomainAndAddressClauseIsIndexedUnderTheDomain) {
  builder_.Add(Of({{IpTerm("198.51.100.7", Side::kDestination),
                    ValueTerm(IndicatorType::kDomain, "c2.example")}}));
  Build();
  Facts f;
  f.src = Ip("192.0.2.1");
  f.dst = Ip("198.51.100.7");
  EXPECT_TRUE(Flow(f).empty());  // the name is not known when the flow starts
  EXPECT_EQ(Value(Where::kTlsSni, "C2.example", f), (std::vector<Hit>{{0, Where::kTlsSni}}));
  EXPECT_EQ(Value(Where::kTlsSni, "x.c2.example", f), (std::vector<Hit>{{0, Where::kTlsSni}}));
  f.dst = Ip("198.51.100.8");
  EXPECT_TRUE(Value(Where::kTlsSni, "c2.example", f).empty());
  EXPECT_EQ(store_->view(0).value, "198.51.100.7");  // the first term prints
  EXPECT_EQ(store_->view(0).type, IndicatorType::kIp);
}

TEST_F(IntelStoreTest, DigestAndNameClauseReadsOtherFieldsFromFacts) {
  builder_.BeginFeed("stix", Subdomains(true));
  builder_.Add(Of({{ValueTerm(IndicatorType::kDomain, "c2.example"),
                    ValueTerm(IndicatorType::kJa3, "e7d705a3286e19ea42f587b344ee6865")}}));
  builder_.BeginFeed("stix-exact", Subdomains(false));
  builder_.Add(Of({{ValueTerm(IndicatorType::kUrl, "c2.example/x"),
                    ValueTerm(IndicatorType::kUserAgent, "EvilBot")}}));
  Build();
  const std::string ja3 = "e7d705a3286e19ea42f587b344ee6865";
  Facts f;
  EXPECT_TRUE(Value(Where::kTlsJa3, ja3, f).empty());  // SNI unknown
  f.values[static_cast<int>(Where::kTlsSni)] = "Api.C2.Example.";
  EXPECT_EQ(Value(Where::kTlsJa3, ja3, f), (std::vector<Hit>{{0, Where::kTlsJa3}}));
  f.values[static_cast<int>(Where::kTlsSni)] = "c2.example.net";
  EXPECT_TRUE(Value(Where::kTlsJa3, ja3, f).empty());
  // A domain lookup verifies the digest the other way round: the clause is
  // indexed under the digest, so the name alone finds nothing.
  EXPECT_TRUE(Value(Where::kTlsSni, "c2.example", f).empty());
  EXPECT_TRUE(store_->wants(Where::kTlsSni));  // needed in Facts for the clause

  Facts h;
  h.values[static_cast<int>(Where::kHttpUserAgent)] = "EvilBot";
  EXPECT_EQ(Value(Where::kHttpUrl, "c2.example/x?q=1", h), (std::vector<Hit>{{1, Where::kHttpUrl}}));
  h.values[static_cast<int>(Where::kHttpUserAgent)] = "evilbot";
  EXPECT_TRUE(Value(Where::kHttpUrl, "c2.example/x", h).empty());
}

TEST_F(IntelStoreTest, SeveralClausesOfOneIndicatorGiveOneHit) {
  builder_.Add(Of({{ValueTerm(IndicatorType::kDomain, "a.example.com")},
                   {ValueTerm(IndicatorType::kDomain, "example.com")},
                   {IpTerm("10.0.0.0/8")},
                   {IpTerm("10.0.0.0/16")}}));
  Build();
  EXPECT_EQ(Value(Where::kDnsQuery, "a.example.com"), (std::vector<Hit>{{0, Where::kDnsQuery}}));
  EXPECT_EQ(Flow("10.0.0.1", "192.0.2.1"), (std::vector<Hit>{{0, Where::kIpSrc}}));
  EXPECT_EQ(store_->size(), 1u);
  EXPECT_EQ(store_->view(0).value, "a.example.com");
}

TEST_F(IntelStoreTest, HitsAreAppendedAfterWhatTheCallerHas) {
  AddOne(ValueTerm(IndicatorType::kDomain, "example.com"));
  Build();
  std::vector<Hit> out = {{0, Where::kDnsQuery}};  // from an earlier call
  store_->MatchValue(Where::kDnsQuery, "example.com", Facts(), &out);
  EXPECT_EQ(out.size(), 2u);
}

TEST_F(IntelStoreTest, EmptyStoreMatchesNothing) {
  Build();
  EXPECT_TRUE(store_->empty());
  EXPECT_TRUE(Flow("10.0.0.1", "10.0.0.2").empty());
  EXPECT_TRUE(Value(Where::kDnsQuery, "example.com").empty());
  EXPECT_TRUE(Value(Where::kIpSrc, "10.0.0.1").empty());
  for (int w = 0; w < kWhereCount; ++w) EXPECT_FALSE(store_->wants(static_cast<Where>(w)));
}

}  // namespace
}  // namespace kagami::intel
