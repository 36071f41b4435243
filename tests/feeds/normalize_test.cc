// The canonical forms feed values and traffic values are compared in:
// domains, URL keys (scheme, port, case, percent-escapes, fragment,
// userinfo, IPv6 literals, empty paths), request keys in origin and absolute
// form, and hex digests.

#include "rules/feeds/normalize.h"

#include <iterator>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace kagami::feeds {
namespace {

TEST(NormalizeDomain, LowerCasesAndDropsTrailingDots) {
  EXPECT_EQ(NormalizeDomain("WWW.Example.COM"), "www.example.com");
  EXPECT_EQ(NormalizeDomain("example.com."), "example.com");
  EXPECT_EQ(NormalizeDomain("example.com..."), "example.com");
  EXPECT_EQ(NormalizeDomain(" \texample.com \t"), "example.com");
  EXPECT_EQ(NormalizeDomain("_dmarc.example.com"), "_dmarc.example.com");
  EXPECT_EQ(NormalizeDomain("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(NormalizeDomain("localhost"), "localhost");
  EXPECT_EQ(NormalizeDomain("\xC3\xA9.example"), "\xC3\xA9.example");  // bytes kept as they are
}

TEST(NormalizeDomain, RejectsWhatNoHostNameCarries) {
  for (const char* bad :
       {"", " ", ".", "...", ".example.com", "a..example", "a b.example", "a/b", "a:80", "a?b",
        "a#b", "user@a.example", "a\\b", "a,b", "\"a\"", "'a'", "a\x7f", "a\x01"}) {
    EXPECT_EQ(NormalizeDomain(bad), std::nullopt) << bad;
  }
  EXPECT_TRUE(NormalizeDomain(std::string(253, 'a')).has_value());
  EXPECT_EQ(NormalizeDomain(std::string(254, 'a')), std::nullopt);
  EXPECT_TRUE(NormalizeDomain(std::string(253, 'a') + ".").has_value());
}

TEST(FoldDomain, LowerCasesWithoutValidating) {
  char buf[64];
  std::string_view in = "WWW.Example.COM..";
  size_t n = FoldDomain(in, buf);
  EXPECT_EQ(std::string_view(buf, n), "www.example.com");
  n = FoldDomain("A B/C", buf);
  EXPECT_EQ(std::string_view(buf, n), "a b/c");
  n = FoldDomain("...", buf);
  EXPECT_EQ(n, 0u);
  n = FoldDomain("", buf);
  EXPECT_EQ(n, 0u);
}

TEST(NormalizeUrl, SchemeAndDefaultPort) {
  EXPECT_EQ(NormalizeUrl("http://example.com/a"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("HTTPS://example.com/a"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("example.com/a"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("http://example.com:80/a"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("https://example.com:443/a"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("http://example.com:443/a"), "example.com:443/a");
  EXPECT_EQ(NormalizeUrl("https://example.com:80/a"), "example.com:80/a");
  EXPECT_EQ(NormalizeUrl("example.com:80/a"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("example.com:8080/a"), "example.com:8080/a");
  EXPECT_EQ(NormalizeUrl("http://example.com:080/a"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("http://example.com:/a"), "example.com/a");  // empty port: the default
  EXPECT_EQ(NormalizeUrl("http://example.com:65535/"), "example.com:65535/");
  EXPECT_EQ(NormalizeUrl("http://example.com:65536/"), std::nullopt);
  EXPECT_EQ(NormalizeUrl("http://example.com:70000/"), std::nullopt);
  // Another scheme keeps host and path; no port is its default.
  EXPECT_EQ(NormalizeUrl("ftp://Files.Example.com/x"), "files.example.com/x");
  EXPECT_EQ(NormalizeUrl("ftp://files.example.com:80/x"), "files.example.com:80/x");
  // "://" in the path is not a scheme.
  EXPECT_EQ(NormalizeUrl("example.com/r?u=http://x"), "example.com/r?u=http://x");
}

TEST(NormalizeUrl, CaseOnlyInTheHost) {
  EXPECT_EQ(NormalizeUrl("http://WWW.Example.COM./Path/File.PHP?Q=A"),
            "www.example.com/Path/File.PHP?Q=A");
}

TEST(NormalizeUrl, PercentEscapes) {
  // Unreserved characters are decoded, every other escape upper-cased.
  EXPECT_EQ(NormalizeUrl("example.com/%7euser/%41%2d%2E%5F"), "example.com/~user/A-._");
  EXPECT_EQ(NormalizeUrl("example.com/a%2fb%3f?q=%3d%20"), "example.com/a%2Fb%3F?q=%3D%20");
  // Incomplete or non-hex escapes are left as written.
  EXPECT_EQ(NormalizeUrl("example.com/100%"), "example.com/100%");
  EXPECT_EQ(NormalizeUrl("example.com/%zz%4"), "example.com/%zz%4");
  EXPECT_EQ(NormalizeUrl("example.com/%41"), "example.com/A");
  // Escapes next to each other, a lone '%' before one, plain runs between.
  EXPECT_EQ(NormalizeUrl("example.com/%%41%41%%"), "example.com/%AA%%");
  EXPECT_EQ(NormalizeUrl("example.com/%2fabc%2F/def/%7E"), "example.com/%2Fabc%2F/def/~");
}

TEST(NormalizeUrl, FragmentUserinfoAndEmptyPath) {
  EXPECT_EQ(NormalizeUrl("http://example.com/a#top"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("http://example.com#top"), "example.com/");
  EXPECT_EQ(NormalizeUrl("http://user:pw@example.com/a"), "example.com/a");
  EXPECT_EQ(NormalizeUrl("http://a@b@example.com:8080"), "example.com:8080/");
  EXPECT_EQ(NormalizeUrl("http://example.com/a@b"), "example.com/a@b");  // '@' in the path stays
  EXPECT_EQ(NormalizeUrl("http://example.com"), "example.com/");
  EXPECT_EQ(NormalizeUrl("http://example.com?x=1"), "example.com/?x=1");
  EXPECT_EQ(NormalizeUrl("  http://example.com/a \r\n"), "example.com/a");
}

TEST(NormalizeUrl, Ipv6Literals) {
  EXPECT_EQ(NormalizeUrl("http://[2001:DB8::1]/a"), "[2001:db8::1]/a");
  EXPECT_EQ(NormalizeUrl("http://[2001:db8::1]:80/a"), "[2001:db8::1]/a");
  EXPECT_EQ(NormalizeUrl("http://[2001:db8::1]:8080"), "[2001:db8::1]:8080/");
  EXPECT_EQ(NormalizeUrl("http://[2001:db8::1/a"), std::nullopt);    // no ']'
  EXPECT_EQ(NormalizeUrl("http://[2001:db8::1]x/a"), std::nullopt);  // junk after ']'
}

TEST(NormalizeUrl, RejectsUrlsWithoutAHost) {
  for (const char* bad :
       {"", "http://", "/path", "http:///path", "http://:80/", "http://./", "http://a b/",
        "http://example.com:8o/", "http://example.com:99999999/"}) {
    EXPECT_EQ(NormalizeUrl(bad), std::nullopt) << bad;
  }
}

TEST(NormalizeUrlInto, ReusesTheBuffer) {
  std::string out = "stale";
  ASSERT_TRUE(NormalizeUrlInto("Example.com", &out));
  EXPECT_EQ(out, "example.com/");
  EXPECT_FALSE(NormalizeUrlInto("/nohost", &out));
}

TEST(UrlKeyForRequest, OriginForm) {
  EXPECT_EQ(UrlKeyForRequest("Example.com", "/a/b?c=d"), "example.com/a/b?c=d");
  EXPECT_EQ(UrlKeyForRequest("example.com:80", "/"), "example.com/");
  EXPECT_EQ(UrlKeyForRequest("example.com:8080", "/x"), "example.com:8080/x");
  EXPECT_EQ(UrlKeyForRequest("example.com", ""), "example.com/");
  EXPECT_EQ(UrlKeyForRequest("example.com", "*"), "example.com/*");
  EXPECT_EQ(UrlKeyForRequest("example.com", "/%7e"), "example.com/~");
  // The key matches the feed's spelling of the same URL.
  EXPECT_EQ(UrlKeyForRequest("www.suamok.com", "//shop//img//index.php"),
            NormalizeUrl("http://www.suamok.com//shop//img//index.php"));
  EXPECT_EQ(UrlKeyForRequest("", "/a"), std::nullopt);  // no Host header
}

// The key of an origin-form request is the normalised host + "/" + target,
// whatever odd bytes either holds (the common case skips joining them).
TEST(UrlKeyForRequest, IsTheNormalisedJoinOfHostAndTarget) {
  const std::string_view pieces[] = {"a", "Ex", ".", ":", ":80", ":8080", "/", "//", "?", "#", "@",
                                     " ", "\t", "\r\n", "%7e", "%2F", "%", "%4", "[::1]", "]", "x://", "http:"};
  std::mt19937 rng(7);
  auto random_text = [&](size_t max_pieces) {
    std::string s;
    const size_t n = rng() % (max_pieces + 1);
    for (size_t i = 0; i < n; ++i) s += pieces[rng() % std::size(pieces)];
    return s;
  };
  std::string joined, out;
  for (int i = 0; i < 20000; ++i) {
    const std::string host = i % 2 ? "h" + random_text(2) : random_text(3);
    const std::string target = random_text(5);
    if (target.rfind("http", 0) == 0 || host.empty()) continue;  // absolute form / no host: tested above
    const std::string whole = host + (target.empty() || target.front() != '/' ? "/" : "") + target;
    const std::optional<std::string> expected = NormalizeUrl(whole);
    const bool ok = UrlKeyForRequestInto(host, target, &joined, &out);
    ASSERT_EQ(ok, expected.has_value()) << "host '" << host << "' target '" << target << "'";
    if (ok) {
      EXPECT_EQ(out, *expected) << "host '" << host << "' target '" << target << "'";
    }
  }
}

TEST(UrlKeyForRequest, AbsoluteForm) {
  // A proxy request names its own host; the Host header is not used.
  EXPECT_EQ(UrlKeyForRequest("proxy.example", "http://Target.example/a?b"), "target.example/a?b");
  EXPECT_EQ(UrlKeyForRequest("", "HTTP://target.example:80/"), "target.example/");
  EXPECT_EQ(UrlKeyForRequest("proxy.example", "https://target.example:443/x"), "target.example/x");
  std::string joined, out;
  ASSERT_TRUE(UrlKeyForRequestInto("h.example", "/p", &joined, &out));
  EXPECT_EQ(out, "h.example/p");
  ASSERT_TRUE(UrlKeyForRequestInto("h.example", "http://o.example/q", &joined, &out));
  EXPECT_EQ(out, "o.example/q");
}

TEST(UrlKeyWithoutQuery, DropsTheQuery) {
  EXPECT_EQ(UrlKeyWithoutQuery("example.com/a.php?x=1"), "example.com/a.php");
  EXPECT_EQ(UrlKeyWithoutQuery("example.com/a.php"), "example.com/a.php");
  EXPECT_EQ(UrlKeyWithoutQuery("example.com/?"), "example.com/");
  EXPECT_EQ(UrlKeyWithoutQuery(""), "");
}

TEST(NormalizeHexDigest, SeparatorsCaseAndLength) {
  EXPECT_EQ(NormalizeHexDigest("D41D8CD98F00B204E9800998ECF8427E", 32),
            "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(NormalizeHexDigest("da:39:a3:ee:5e:6b:4b:0d:32:55:bf:ef:95:60:18:90:af:d8:07:09", 40),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(NormalizeHexDigest(" d41d8cd9-8f00b204 e9800998\tecf8427e ", 32),
            "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(NormalizeHexDigest("d41d8cd98f00b204e9800998ecf8427", 32), std::nullopt);
  EXPECT_EQ(NormalizeHexDigest("d41d8cd98f00b204e9800998ecf8427e0", 32), std::nullopt);
  EXPECT_EQ(NormalizeHexDigest("g41d8cd98f00b204e9800998ecf8427e", 32), std::nullopt);
  EXPECT_EQ(NormalizeHexDigest("0xd41d8cd98f00b204e9800998ecf842", 32), std::nullopt);
  EXPECT_EQ(NormalizeHexDigest("", 32), std::nullopt);
  EXPECT_EQ(NormalizeHexDigest(std::string(64, 'F'), 64), std::string(64, 'f'));
}

}  // namespace
}  // namespace kagami::feeds
