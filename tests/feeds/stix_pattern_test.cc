// STIX patterning: every supported object path and the term it makes, CIDR
// and ISSUBSET ranges, IN / OR / AND and their normal form with its cap,
// string escapes, and every unsupported construct refused with its offset.

#include "rules/feeds/stix_pattern.h"

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tests/feeds/feed_test_util.h"

namespace kagami::feeds {
namespace {

using namespace kagami::feeds::testing;  // NOLINT: test helpers

using T = IndicatorType;

std::vector<Clause> Parse(std::string_view pattern) {
  std::vector<Clause> clauses;
  PatternError error;
  EXPECT_TRUE(ParseStixPattern(pattern, &clauses, &error))
      << pattern << "\n  error at " << error.offset << ": " << error.message;
  return clauses;
}

// The error as "offset: message"; also checks the clauses are left empty.
std::string Error(std::string_view pattern) {
  std::vector<Clause> clauses(1);
  PatternError error;
  if (ParseStixPattern(pattern, &clauses, &error)) {
    ADD_FAILURE() << "parsed: " << pattern;
    return "";
  }
  EXPECT_TRUE(clauses.empty());
  EXPECT_LE(error.offset, pattern.size());
  return std::to_string(error.offset) + ": " + error.message;
}

// The offset of the first `needle` in `pattern`, as the prefix Error() gives.
std::string At(std::string_view pattern, std::string_view needle) {
  const size_t at = pattern.find(needle);
  EXPECT_NE(at, std::string_view::npos) << needle;
  return std::to_string(at) + ": ";
}


Term IpTerm(const char* lo, const char* hi, Side side = Side::kEither) {
  Term t;
  t.type = T::kIp;
  t.side = side;
  t.range = Range(lo, hi);
  return t;
}

Term ValueTerm(T type, const char* value) {
  Term t;
  t.type = type;
  t.value = value;
  return t;
}

Term PortTerm(uint16_t lo, uint16_t hi, Side side) {
  Term t;
  t.type = T::kPort;
  t.side = side;
  t.port_lo = lo;
  t.port_hi = hi;
  return t;
}

// One clause holding exactly `terms`.
std::vector<Clause> One(std::vector<Term> terms) { return {Clause{std::move(terms)}}; }

TEST(StixPattern, Ipv4Address) {
  EXPECT_EQ(Parse("[ipv4-addr:value = '198.51.100.1']"), One({IpTerm("198.51.100.1", "198.51.100.1")}));
}

TEST(StixPattern, Ipv4CidrMasksHostBits) {
  EXPECT_EQ(Parse("[ipv4-addr:value = '10.1.2.3/8']"), One({IpTerm("10.0.0.0", "10.255.255.255")}));
  EXPECT_EQ(Parse("[ipv4-addr:value = '192.0.2.0/24']"), One({IpTerm("192.0.2.0", "192.0.2.255")}));
  EXPECT_EQ(Parse("[ipv4-addr:value = '192.0.2.7/32']"), One({IpTerm("192.0.2.7", "192.0.2.7")}));
  EXPECT_EQ(Parse("[ipv4-addr:value = '192.0.2.7/0']"), One({IpTerm("0.0.0.0", "255.255.255.255")}));
}

TEST(StixPattern, Ipv6AddressAndCidr) {
  EXPECT_EQ(Parse("[ipv6-addr:value = '2001:DB8::1']"), One({IpTerm("2001:db8::1", "2001:db8::1")}));
  EXPECT_EQ(Parse("[ipv6-addr:value = '2001:db8:1:2::5/32']"),
            One({IpTerm("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")}));
  EXPECT_EQ(Parse("[ipv6-addr:value = '2001:db8::/127']"), One({IpTerm("2001:db8::", "2001:db8::1")}));
}

TEST(StixPattern, BadAddresses) {
  EXPECT_EQ(Error("[ipv4-addr:value = '2001:db8::1']"), "19: invalid IPv4 address or CIDR '2001:db8::1'");
  EXPECT_EQ(Error("[ipv6-addr:value = '192.0.2.1']"), "19: invalid IPv6 address or CIDR '192.0.2.1'");
  EXPECT_EQ(Error("[ipv4-addr:value = '300.1.1.1']"), "19: invalid IPv4 address or CIDR '300.1.1.1'");
  EXPECT_EQ(Error("[ipv4-addr:value = '10.0.0.0/33']"), "19: invalid IPv4 address or CIDR '10.0.0.0/33'");
  EXPECT_EQ(Error("[ipv4-addr:value = '10.0.0.0/']"), "19: invalid IPv4 address or CIDR '10.0.0.0/'");
  EXPECT_EQ(Error("[ipv4-addr:value = '10.0.0.0/8x']"), "19: invalid IPv4 address or CIDR '10.0.0.0/8x'");
  EXPECT_EQ(Error("[ipv6-addr:value = '2001:db8::/129']"), "19: invalid IPv6 address or CIDR '2001:db8::/129'");
  EXPECT_EQ(Error("[network-traffic:dst_ref.value = 'evil.example']"),
            "33: invalid IP address or CIDR 'evil.example'");
}

TEST(StixPattern, DomainNormalised) {
  EXPECT_EQ(Parse("[domain-name:value = 'Evil.Example.COM.']"), One({ValueTerm(T::kDomain, "evil.example.com")}));
  EXPECT_EQ(Error("[domain-name:value = 'bad name.example']"), "21: invalid domain name 'bad name.example'");
}

TEST(StixPattern, UrlNormalised) {
  EXPECT_EQ(Parse("[url:value = 'HTTP://Evil.Example:80/a%7eb?x=1']"),
            One({ValueTerm(T::kUrl, "evil.example/a~b?x=1")}));
  EXPECT_EQ(Error("[url:value = 'http:///nohost']"), "13: invalid URL 'http:///nohost'");
}

TEST(StixPattern, NetworkTrafficAddressesAndPorts) {
  EXPECT_EQ(Parse("[network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 443]"),
            One({IpTerm("203.0.113.5", "203.0.113.5", Side::kDestination), PortTerm(443, 443, Side::kDestination)}));
  EXPECT_EQ(Parse("[network-traffic:src_ref.value = '2001:db8::/48' AND network-traffic:src_port = 0]"),
            One({IpTerm("2001:db8::", "2001:db8:0:ffff:ffff:ffff:ffff:ffff", Side::kSource),
                 PortTerm(0, 0, Side::kSource)}));
  EXPECT_EQ(Error("[network-traffic:dst_ref.value = '1.2.3.4' AND network-traffic:dst_port = 65536]"),
            "74: port out of range");
  EXPECT_EQ(Error("[network-traffic:dst_ref.value = '1.2.3.4' AND network-traffic:dst_port = '80']"),
            "74: expected an integer port for 'network-traffic:dst_port', found a string literal");
}

TEST(StixPattern, PortRanges) {
  const std::string ip = "[network-traffic:dst_ref.value = '1.2.3.4' AND ";
  auto port = [&](const std::string& test) { return Parse(ip + test + "]")[0].terms.at(1); };
  EXPECT_EQ(port("network-traffic:dst_port >= 1024"), PortTerm(1024, 65535, Side::kDestination));
  EXPECT_EQ(port("network-traffic:dst_port > 1024"), PortTerm(1025, 65535, Side::kDestination));
  EXPECT_EQ(port("network-traffic:src_port < 1024"), PortTerm(0, 1023, Side::kSource));
  EXPECT_EQ(port("network-traffic:src_port <= 1024"), PortTerm(0, 1024, Side::kSource));
  EXPECT_EQ(Error(ip + "network-traffic:dst_port < 0]"), "74: port range is empty");
  EXPECT_EQ(Error(ip + "network-traffic:dst_port > 65535]"), "74: port range is empty");
  EXPECT_EQ(Error("[domain-name:value > 'a.example']"),
            "19: operator '>' is only supported on port paths, not 'domain-name:value'");
}

TEST(StixPattern, RefTypeAndProtocolsAreDropped) {
  EXPECT_EQ(Parse("[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '1.2.3.4' "
                  "AND network-traffic:protocols[*] = 'tcp' AND network-traffic:protocols[0] = 'ipv4']"),
            One({IpTerm("1.2.3.4", "1.2.3.4", Side::kDestination)}));
  EXPECT_EQ(Parse("[network-traffic:src_ref.type IN ('ipv4-addr', 'ipv6-addr') AND "
                  "network-traffic:src_ref.value = '1.2.3.4']"),
            One({IpTerm("1.2.3.4", "1.2.3.4", Side::kSource)}));
  const std::string p = "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = '1.2.3.4']";
  EXPECT_EQ(Error(p), "32: 'network-traffic:dst_ref.type' = 'domain-name' is unsupported");
}

TEST(StixPattern, FileAndCertificateHashes) {
  const std::string md5 = "D41D8CD98F00B204E9800998ECF8427E";
  const std::string sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  const std::string sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const std::string colon_sha1 = "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09";
  EXPECT_EQ(Parse("[file:hashes.MD5 = '" + md5 + "']"), One({ValueTerm(T::kFileMd5, "d41d8cd98f00b204e9800998ecf8427e")}));
  EXPECT_EQ(Parse("[file:hashes.'MD5' = '" + md5 + "']")[0].terms[0].type, T::kFileMd5);
  EXPECT_EQ(Parse("[file:hashes.'SHA-1' = '" + sha1 + "']"), One({ValueTerm(T::kFileSha1, sha1.c_str())}));
  EXPECT_EQ(Parse("[file:hashes.SHA1 = '" + sha1 + "']"), One({ValueTerm(T::kFileSha1, sha1.c_str())}));
  EXPECT_EQ(Parse("[file:hashes.'SHA-256' = '" + sha256 + "']"), One({ValueTerm(T::kFileSha256, sha256.c_str())}));
  EXPECT_EQ(Parse("[file:hashes.SHA256 = '" + sha256 + "']"), One({ValueTerm(T::kFileSha256, sha256.c_str())}));
  EXPECT_EQ(Parse("[x509-certificate:hashes.'SHA-1' = '" + colon_sha1 + "']"),
            One({ValueTerm(T::kCertSha1, sha1.c_str())}));
  EXPECT_EQ(Parse("[x509-certificate:hashes.SHA1 = '" + sha1 + "']"), One({ValueTerm(T::kCertSha1, sha1.c_str())}));
  EXPECT_EQ(Parse("[x509-certificate:hashes.'SHA-256' = '" + sha256 + "']"),
            One({ValueTerm(T::kCertSha256, sha256.c_str())}));
  EXPECT_EQ(Parse("[x509-certificate:hashes.SHA256 = '" + sha256 + "']"),
            One({ValueTerm(T::kCertSha256, sha256.c_str())}));

  EXPECT_EQ(Error("[file:hashes.'SHA-256' = '" + sha1 + "']"),
            "25: invalid file_sha256 digest '" + sha1 + "' (want 64 hex digits)");
  EXPECT_EQ(Error("[file:hashes.MD5 = 'xyz']"), "19: invalid file_md5 digest 'xyz' (want 32 hex digits)");
  EXPECT_EQ(Error("[x509-certificate:hashes.MD5 = '" + md5 + "']"),
            "1: object path 'x509-certificate:hashes.MD5' is unsupported");
  EXPECT_EQ(Error("[file:hashes.'SHA-512' = 'ab']"), "1: object path 'file:hashes.'SHA-512'' is unsupported");
}

TEST(StixPattern, UserAgent) {
  EXPECT_EQ(Parse("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Evil/1.0 (X)']"),
            One({ValueTerm(T::kUserAgent, "Evil/1.0 (X)")}));
  EXPECT_EQ(Parse("[network-traffic:extensions.'http-request-ext'.request_header.'user-agent' = 'a']"),
            One({ValueTerm(T::kUserAgent, "a")}));
  EXPECT_EQ(Error("[network-traffic:extensions.'http-request-ext'.request_header.'Host' = 'a']"),
            "1: object path 'network-traffic:extensions.'http-request-ext'.request_header.'Host'' is unsupported");
}

TEST(StixPattern, InExpandsToOr) {
  EXPECT_EQ(Parse("[domain-name:value IN ('a.example', 'B.example')]"),
            (std::vector<Clause>{Clause{{ValueTerm(T::kDomain, "a.example")}},
                                 Clause{{ValueTerm(T::kDomain, "b.example")}}}));
  const auto c = Parse("[network-traffic:dst_ref.value = '1.2.3.4' AND network-traffic:dst_port IN (80, 443)]");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], One({IpTerm("1.2.3.4", "1.2.3.4", Side::kDestination), PortTerm(80, 80, Side::kDestination)})[0]);
  EXPECT_EQ(c[1], One({IpTerm("1.2.3.4", "1.2.3.4", Side::kDestination), PortTerm(443, 443, Side::kDestination)})[0]);
  EXPECT_EQ(Error("[domain-name:value IN ()]"), "23: empty IN set");
  EXPECT_EQ(Error("[domain-name:value IN ('a.example' 'b.example')]"),
            "35: expected ',' or ')' in the IN set, found ''b.example''");
}

TEST(StixPattern, AndBindsTighterThanOr) {
  const Term a = ValueTerm(T::kDomain, "a.example"), b = ValueTerm(T::kDomain, "b.example");
  const Term u = ValueTerm(T::kUrl, "c.example/x");
  EXPECT_EQ(Parse("[domain-name:value = 'a.example' OR domain-name:value = 'b.example' AND url:value = 'c.example/x']"),
            (std::vector<Clause>{Clause{{a}}, Clause{{b, u}}}));
  EXPECT_EQ(Parse("[(domain-name:value = 'a.example' OR domain-name:value = 'b.example') AND url:value = 'c.example/x']"),
            (std::vector<Clause>{Clause{{a, u}}, Clause{{b, u}}}));
  EXPECT_EQ(Parse("[url:value = 'c.example/x' AND (domain-name:value = 'a.example' OR domain-name:value = 'b.example')]"),
            (std::vector<Clause>{Clause{{u, a}}, Clause{{u, b}}}));
}

TEST(StixPattern, DistributesProducts) {
  // (a OR b) AND (c OR d) -> ac, ad, bc, bd.
  const auto c = Parse(
      "[(ipv4-addr:value = '1.1.1.1' OR ipv4-addr:value = '2.2.2.2') AND "
      "(network-traffic:dst_port = 1 OR network-traffic:dst_port = 2)]");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].terms, (std::vector<Term>{IpTerm("1.1.1.1", "1.1.1.1"), PortTerm(1, 1, Side::kDestination)}));
  EXPECT_EQ(c[1].terms, (std::vector<Term>{IpTerm("1.1.1.1", "1.1.1.1"), PortTerm(2, 2, Side::kDestination)}));
  EXPECT_EQ(c[2].terms, (std::vector<Term>{IpTerm("2.2.2.2", "2.2.2.2"), PortTerm(1, 1, Side::kDestination)}));
  EXPECT_EQ(c[3].terms, (std::vector<Term>{IpTerm("2.2.2.2", "2.2.2.2"), PortTerm(2, 2, Side::kDestination)}));
}

TEST(StixPattern, ObservationOrConcatenates) {
  EXPECT_EQ(Parse("[domain-name:value = 'a.example'] OR [ipv4-addr:value = '1.2.3.4']"),
            (std::vector<Clause>{Clause{{ValueTerm(T::kDomain, "a.example")}}, Clause{{IpTerm("1.2.3.4", "1.2.3.4")}}}));
  EXPECT_EQ(Parse("([domain-name:value = 'a.example'] OR ([url:value = 'a.example/']))\n"),
            (std::vector<Clause>{Clause{{ValueTerm(T::kDomain, "a.example")}}, Clause{{ValueTerm(T::kUrl, "a.example/")}}}));
  EXPECT_EQ(Parse("  [\tdomain-name:value\n=='a.example'\r]  ").size(), 1u);
}

TEST(StixPattern, ClauseCap) {
  auto ors = [](int n, const char* path) {
    std::string s = "(";
    for (int i = 0; i < n; ++i) {
      if (i) s += " OR ";
      s += std::string(path) + " = " + (path[0] == 'n' ? std::to_string(i + 1) : "'10.0.0." + std::to_string(i) + "'");
    }
    return s + ")";
  };
  EXPECT_EQ(Parse("[" + ors(8, "ipv4-addr:value") + " AND " + ors(8, "network-traffic:dst_port") + "]").size(), 64u);
  const std::string big = "[" + ors(8, "ipv4-addr:value") + " AND " + ors(9, "network-traffic:dst_port") + "]";
  EXPECT_EQ(Error(big), At(big, "AND (") + "pattern expands to more than 64 clauses");
  std::string in = "[domain-name:value IN (";
  for (int i = 0; i < 65; ++i) in += (i ? ", 'd" : "'d") + std::to_string(i) + ".example'";
  in += ")]";
  EXPECT_EQ(Error(in), At(in, "'d64.") + "pattern expands to more than 64 clauses");
  std::string obs;
  for (int i = 0; i < 65; ++i) obs += (i ? " OR [domain-name:value = 'd" : "[domain-name:value = 'd") + std::to_string(i) + ".example']";
  EXPECT_EQ(Error(obs), At(obs, "OR [domain-name:value = 'd64.") + "pattern expands to more than 64 clauses");
}

TEST(StixPattern, IsSubset) {
  EXPECT_EQ(Parse("[ipv4-addr:value ISSUBSET '198.51.100.0/24']"), One({IpTerm("198.51.100.0", "198.51.100.255")}));
  EXPECT_EQ(Parse("[network-traffic:dst_ref.value ISSUBSET '2001:db8::/64']"),
            One({IpTerm("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", Side::kDestination)}));
  EXPECT_EQ(Error("[domain-name:value ISSUBSET 'example.com']"),
            "19: ISSUBSET is only supported on address paths, not 'domain-name:value'");
}

TEST(StixPattern, StringEscapes) {
  EXPECT_EQ(Parse(R"([url:value = 'http://x.example/it\'s'])"), One({ValueTerm(T::kUrl, "x.example/it's")}));
  EXPECT_EQ(Parse(R"([network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'a\\b\'c'])"),
            One({ValueTerm(T::kUserAgent, R"(a\b'c)")}));
  const std::string bad = R"([url:value = 'http://x.example/\n'])";
  EXPECT_EQ(Error(bad), At(bad, "\\n") + "invalid escape '\\n' in string literal (only \\' and \\\\)");
  EXPECT_EQ(Error("[url:value = 'http://x.example/]"), "13: unterminated string literal");
  EXPECT_EQ(Error("[url:value = 'abc\\"), "13: unterminated string literal");
}

TEST(StixPattern, ObservationOperatorsAndQualifiersUnsupported) {
  const std::string a = "[domain-name:value = 'a.example']";
  EXPECT_EQ(Error(a + " AND " + a), "34: observation expressions joined by AND are unsupported (they need state across flows)");
  EXPECT_EQ(Error(a + " FOLLOWEDBY " + a), "34: FOLLOWEDBY is unsupported (it needs state across flows)");
  EXPECT_EQ(Error(a + " OR " + a + " FOLLOWEDBY " + a), "71: FOLLOWEDBY is unsupported (it needs state across flows)");
  EXPECT_EQ(Error(a + " WITHIN 300 SECONDS"), "34: qualifier WITHIN is unsupported (it needs state across flows)");
  EXPECT_EQ(Error(a + " REPEATS 5 TIMES"), "34: qualifier REPEATS is unsupported (it needs state across flows)");
  EXPECT_EQ(Error(a + " START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'"),
            "34: qualifier START is unsupported (it needs state across flows)");
  EXPECT_EQ(Error("(" + a + " OR " + a + ") WITHIN 5 SECONDS"),
            "73: qualifier WITHIN is unsupported (it needs state across flows)");
}

TEST(StixPattern, ComparisonOperatorsUnsupported) {
  EXPECT_EQ(Error("[domain-name:value != 'a.example']"), "19: operator '!=' is unsupported");
  EXPECT_EQ(Error("[domain-name:value <> 'a.example']"), "19: operator '<>' is unsupported");
  EXPECT_EQ(Error("[domain-name:value LIKE '%.example']"), "19: operator LIKE is unsupported");
  EXPECT_EQ(Error("[domain-name:value MATCHES '^a']"), "19: operator MATCHES is unsupported");
  EXPECT_EQ(Error("[ipv4-addr:value ISSUPERSET '10.0.0.1']"), "17: operator ISSUPERSET is unsupported");
  EXPECT_EQ(Error("[ipv4-addr:value NOT = '10.0.0.1']"), "17: NOT is unsupported");
  EXPECT_EQ(Error("[ipv4-addr:value NOT IN ('10.0.0.1')]"), "17: NOT is unsupported");
  EXPECT_EQ(Error("[NOT ipv4-addr:value = '10.0.0.1']"), "1: NOT is unsupported");
  EXPECT_EQ(Error("[EXISTS domain-name:value]"), "1: EXISTS is unsupported");
  EXPECT_EQ(Error("[domain-name:value = 'a.example' AND EXISTS url:value]"), "37: EXISTS is unsupported");
}

// The error of both ParseStixPattern and the general parser alone, which
// must agree, as Error() gives it.
std::string ErrorOfBoth(std::string_view pattern) {
  std::vector<Clause> general;
  PatternError general_error;
  EXPECT_FALSE(ParseStixPatternGeneral(pattern, &general, &general_error)) << pattern;
  const std::string error = Error(pattern);
  EXPECT_EQ(error, std::to_string(general_error.offset) + ": " + general_error.message) << pattern;
  return error;
}

// NOT and EXISTS are keywords, never object types: "[NOT:x = 'a']" is the
// keyword NOT followed by ':' (STIX 2.1 has NOT only after the path, as in
// "path NOT = 'a'"). The single-comparison shortcut took NOT for an object
// type and called "NOT:x" an unsupported path while the general parser
// refused NOT (a libFuzzer finding, stix_pattern_fuzz).
TEST(StixPattern, KeywordIsNeverAnObjectType) {
  EXPECT_EQ(ErrorOfBoth(std::string_view("[NOT:_dsrtce = 'fi\0\0\0']", 23)), "1: NOT is unsupported");
  EXPECT_EQ(ErrorOfBoth("[NOT:_='']"), "1: NOT is unsupported");
  EXPECT_EQ(ErrorOfBoth("[NOT:x = 'a']"), "1: NOT is unsupported");
  EXPECT_EQ(ErrorOfBoth("[NOT:value = 'a.example']"), "1: NOT is unsupported");
  EXPECT_EQ(ErrorOfBoth(" [ NOT : x == 'a' ] "), "3: NOT is unsupported");
  EXPECT_EQ(ErrorOfBoth("[NOT = 'a']"), "1: NOT is unsupported");
  EXPECT_EQ(ErrorOfBoth("[EXISTS:x = 'a']"), "1: EXISTS is unsupported");
  EXPECT_EQ(ErrorOfBoth("[url:value = 'a.example/' OR NOT:x = 'a']"), "29: NOT is unsupported");
  // NOT where the grammar has it, after the path: valid STIX, unsupported.
  EXPECT_EQ(ErrorOfBoth("[domain-name:value NOT = 'a.example']"), "19: NOT is unsupported");
  EXPECT_EQ(ErrorOfBoth("[file:name NOT = 'a']"), "1: object path 'file:name' is unsupported");
  // Keywords are upper case; these are plain (unsupported) object types.
  EXPECT_EQ(ErrorOfBoth("[not:x = 'a']"), "1: object path 'not:x' is unsupported");
  EXPECT_EQ(ErrorOfBoth("[NOTE:x = 'a']"), "1: object path 'NOTE:x' is unsupported");
}

TEST(StixPattern, UnsupportedObjectPaths) {
  EXPECT_EQ(Error("[email-addr:value = 'a@b.example']"), "1: object path 'email-addr:value' is unsupported");
  EXPECT_EQ(Error("[process:name = 'evil.exe']"), "1: object path 'process:name' is unsupported");
  EXPECT_EQ(Error("[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\x']"),
            "1: object path 'windows-registry-key:key' is unsupported");
  EXPECT_EQ(Error("[mutex:name = 'm']"), "1: object path 'mutex:name' is unsupported");
  EXPECT_EQ(Error("[domain-name:resolves_to_refs[*].value = '1.2.3.4']"),
            "1: object path 'domain-name:resolves_to_refs[*].value' is unsupported");
  EXPECT_EQ(Error("[url:value = 'a.example/' OR network-traffic:a.b.c.d.e.f.g = 'x']"),
            "29: object path 'network-traffic:a.b.c.d.e.f.g' is unsupported");
}

TEST(StixPattern, TypedLiteralsUnsupported) {
  EXPECT_EQ(Error("[domain-name:value = t'2016-01-01T00:00:00Z']"), "21: timestamp literal is unsupported");
  EXPECT_EQ(Error("[file:hashes.MD5 = h'00ff']"), "19: hex literal is unsupported");
  EXPECT_EQ(Error("[file:hashes.MD5 = b'AAEC']"), "19: binary literal is unsupported");
  EXPECT_EQ(Error("[file:hashes.MD5 = b64'AAEC']"), "19: binary literal is unsupported");
  EXPECT_EQ(Error("[file:hashes.MD5 = x'AAEC']"), "19: unknown literal prefix 'x'");
  EXPECT_EQ(Error("[domain-name:value = 42]"),
            "21: expected a string literal for 'domain-name:value', found a integer literal");
  EXPECT_EQ(Error("[domain-name:value = true]"),
            "21: expected a string literal for 'domain-name:value', found a boolean literal");
  EXPECT_EQ(Error("[domain-name:value = 4.5]"),
            "21: expected a string literal for 'domain-name:value', found a float literal");
}

TEST(StixPattern, ClausesWithNothingToMatch) {
  EXPECT_EQ(Error("[network-traffic:dst_port = 443]"),
            "0: observation has a branch with only port comparisons; a port needs an address or value beside it");
  EXPECT_EQ(Error("[domain-name:value = 'a.example'] OR [network-traffic:dst_port = 443 AND network-traffic:src_port = 1]"),
            "37: observation has a branch with only port comparisons; a port needs an address or value beside it");
  EXPECT_EQ(Error("[network-traffic:dst_port = 80 OR ipv4-addr:value = '1.2.3.4']"),
            "0: observation has a branch with only port comparisons; a port needs an address or value beside it");
  EXPECT_EQ(Error("[network-traffic:protocols[*] = 'tcp']"),
            "0: observation has a branch with nothing to match (only network-traffic type or protocol comparisons)");
  EXPECT_EQ(Error("[ipv4-addr:value = '1.2.3.4' OR network-traffic:dst_ref.type = 'ipv4-addr']"),
            "0: observation has a branch with nothing to match (only network-traffic type or protocol comparisons)");
}

TEST(StixPattern, SyntaxErrors) {
  EXPECT_EQ(Error(""), "0: empty pattern");
  EXPECT_EQ(Error("   "), "0: empty pattern");
  EXPECT_EQ(Error("domain-name:value = 'a'"), "0: expected '[' or '(' to start an observation expression, found 'domain-name'");
  EXPECT_EQ(Error("[domain-name:value = 'a.example'"), "32: expected AND, OR or ']', found end of pattern");
  EXPECT_EQ(Error("[domain-name:value = 'a.example'] ]"), "34: unexpected ']' after the pattern");
  EXPECT_EQ(Error("[domain-name value = 'a']"), "13: expected ':' after the object type, found 'value'");
  EXPECT_EQ(Error("[domain-name: = 'a']"), "14: expected a property name, found '='");
  EXPECT_EQ(Error("[domain-name:value = ]"), "21: expected a literal, found ']'");
  EXPECT_EQ(Error("[domain-name:value 'a']"), "19: expected a comparison operator after 'domain-name:value', found ''a''");
  EXPECT_EQ(Error("[domain-name:value = 'a.example' $]"), "33: unexpected character '$'");
  EXPECT_EQ(Error(std::string("[domain-name:value = 'a.example'] \x01")), "34: unexpected byte 0x01");
  EXPECT_EQ(Error("[]"), "1: expected a comparison (object-type:property ...), found ']'");
  EXPECT_EQ(Error("[network-traffic:protocols[x] = 'tcp']"), "27: expected a list index or '*', found 'x'");
  EXPECT_EQ(Error("[network-traffic:protocols[-1] = 'tcp']"), "27: expected a list index or '*', found '-1'");
  EXPECT_EQ(Error("[domain-name:'' = 'a']"), "13: empty property name");
  EXPECT_EQ(Error("[domain-name:value = 'a.example'] or [url:value = 'a.example/']"),
            "34: unexpected 'or' after the pattern");
}

TEST(StixPattern, DeepNestingRefused) {
  const std::string deep_cmp = "[" + std::string(200, '(') + "domain-name:value = 'a'" + std::string(200, ')') + "]";
  EXPECT_EQ(Error(deep_cmp), "65: parentheses nested too deeply");
  const std::string deep_obs = std::string(200, '(') + "[domain-name:value = 'a']" + std::string(200, ')');
  EXPECT_EQ(Error(deep_obs), "64: parentheses nested too deeply");
  const std::string ok = std::string(64, '(') + "[" + std::string(64, '(') + "domain-name:value = 'a'" +
                         std::string(64, ')') + "]" + std::string(64, ')');
  EXPECT_EQ(Parse(ok).size(), 1u);
}

// ParseStixPattern reads a lone comparison in one pass. Whatever the text,
// it must agree with the general parser: the same clauses (over whatever the
// vector held before), or the same error at the same offset.
TEST(StixPattern, SingleComparisonShortcutAgreesWithTheGrammar) {
  const std::vector<std::string_view> types = {"ipv4-addr", "ipv6-addr", "domain-name", "url", "file",
                                               "x509-certificate", "network-traffic", "bogus", "t", "_x",
                                               "NOT", "EXISTS"};
  const std::vector<std::string_view> paths = {
      "value", "hashes.'SHA-256'", "hashes.MD5", "hashes . 'SHA-1'", "dst_ref.value", "src_ref.value",
      "dst_ref.type", "dst_port", "protocols[*]", "extensions.'http-request-ext'.request_header.'User-Agent'",
      "a.b.c.d.e.f.g", "''", "value'", "'va\\'lue'", "1x", "hashes.'SHA-256"};
  const std::vector<std::string_view> ops = {"=", "==", "!=", "IN", ">", "= =", "ISSUBSET"};
  const std::vector<std::string_view> values = {
      "'10.1.2.3'", "'10.0.0.0/8'", "'2001:db8::/32'", "'Example.COM.'", "'bad domain'",
      "'http://A.example:80/%7e'", "'d41d8cd98f00b204e9800998ecf8427e'",
      "'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709'", "''", "'ipv4-addr'", "'tcp'", "'Mozilla/5.0'",
      "'it\\'s'", "'open", "80", "t'2020-01-01T00:00:00Z'", "('a', 'b')"};
  const std::vector<std::string_view> blanks = {"", "", " ", "\t", "\r\n"};
  const std::vector<std::string_view> tails = {"", "", "", " OR [url:value = 'x.example/a']",
                                               " AND [ipv4-addr:value = '1.2.3.4']", " WITHIN 5 SECONDS", "]", "x"};
  // Half the time a type, path and value that belong together.
  struct Triple {
    std::string_view type, path, value;
  };
  const std::vector<Triple> fitting = {
      {"ipv4-addr", "value", "'10.1.2.3'"},
      {"ipv6-addr", "value", "'2001:db8::/32'"},
      {"domain-name", "value", "'Example.COM.'"},
      {"url", "value", "'http://A.example:80/%7e'"},
      {"file", "hashes.MD5", "'d41d8cd98f00b204e9800998ecf8427e'"},
      {"x509-certificate", "hashes.'SHA-1'", "'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709'"},
      {"network-traffic", "dst_ref.value", "'10.0.0.0/8'"},
      {"network-traffic", "extensions.'http-request-ext'.request_header.'User-Agent'", "'Mozilla/5.0'"}};
  std::mt19937 rng(11);
  auto pick = [&](const std::vector<std::string_view>& v) { return std::string(v[rng() % v.size()]); };
  int parsed = 0, refused = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string type = pick(types), path = pick(paths), value = pick(values);
    std::string op = rng() % 2 ? std::string(rng() % 2 ? "=" : "==") : pick(ops);
    if (rng() % 2) {
      const Triple& t = fitting[rng() % fitting.size()];
      type = t.type;
      path = t.path;
      value = t.value;
    }
    std::string p = pick(blanks) + "[" + pick(blanks) + type + pick(blanks) + ":" + pick(blanks) + path +
                    pick(blanks) + op + pick(blanks) + value + pick(blanks) + "]" + pick(blanks) + pick(tails);
    if (rng() % 4 == 0) {  // a byte lost or added somewhere
      const size_t at = rng() % (p.size() + 1);
      if (rng() % 2 && at < p.size()) {
        p.erase(at, 1);
      } else {
        p.insert(at, 1, "[]'.:= \\("[rng() % 10]);
      }
    }
    std::vector<Clause> shortcut = {Clause{{ValueTerm(T::kUrl, "old.example/x"), PortTerm(1, 2, Side::kSource)}},
                                    Clause{}};
    std::vector<Clause> general;
    PatternError shortcut_error, general_error;
    const bool ok = ParseStixPattern(p, &shortcut, &shortcut_error);
    ASSERT_EQ(ok, ParseStixPatternGeneral(p, &general, &general_error)) << p;
    if (ok) {
      ++parsed;
      EXPECT_EQ(shortcut, general) << p;
    } else {
      ++refused;
      EXPECT_TRUE(shortcut.empty()) << p;
      EXPECT_EQ(shortcut_error.offset, general_error.offset) << p;
      EXPECT_EQ(shortcut_error.message, general_error.message) << p;
    }
  }
  EXPECT_GT(parsed, 2000);
  EXPECT_GT(refused, 2000);
}

TEST(StixPattern, ReplacesPreviousContents) {
  std::vector<Clause> clauses = Parse("[domain-name:value = 'a.example'] OR [domain-name:value = 'b.example']");
  PatternError error;
  ASSERT_TRUE(ParseStixPattern("[domain-name:value = 'c.example']", &clauses, &error));
  EXPECT_EQ(clauses, One({ValueTerm(T::kDomain, "c.example")}));
}

}  // namespace
}  // namespace kagami::feeds
