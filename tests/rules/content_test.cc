// content, its modifiers, pcre, and buffer selection.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gtest/gtest.h"
#include "rules/rule_loader.h"
#include "tests/rules/rule_test_util.h"

namespace kagami::rules {
namespace {

using testing::Error;
using testing::One;
using testing::Tcp;

const ContentOption& C(const Rule& r, size_t i) { return std::get<ContentOption>(r.steps.at(i).option); }
const PcreOption& P(const Rule& r, size_t i) { return std::get<PcreOption>(r.steps.at(i).option); }

TEST(Content, Decoding) {
  EXPECT_EQ(C(One(Tcp("content:\"abc\";")), 0).bytes, "abc");
  EXPECT_EQ(C(One(Tcp("content:\"|41 42|C\";")), 0).bytes, "ABC");
  EXPECT_EQ(C(One(Tcp("content:\"|4142|\";")), 0).bytes, "AB");
  EXPECT_EQ(C(One(Tcp("content:\"a|00 ff|b|0d0a|\";")), 0).bytes, std::string("a\x00\xff" "b\r\n", 6));
  EXPECT_EQ(C(One(Tcp("content:\"\\\"q\\;\\\\\\:\";")), 0).bytes, "\"q;\\:");
  EXPECT_EQ(C(One(Tcp("content:\"semi;colon\";")), 0).bytes, "semi;colon");  // ';' inside quotes
  EXPECT_EQ(C(One(Tcp("content:unquoted;")), 0).bytes, "unquoted");
  Rule neg_rule = One(Tcp("content:!\"evil\";"));
  const ContentOption& neg = C(neg_rule, 0);
  EXPECT_TRUE(neg.negated);
  EXPECT_EQ(neg.bytes, "evil");
  EXPECT_EQ(Error(Tcp("content:\"\";")), "1:39: content: empty pattern");
  EXPECT_EQ(Error(Tcp("content:\"|4|\";")), "1:41: content: odd number of hex digits");
  EXPECT_EQ(Error(Tcp("content:\"|4G|\";")), "1:42: content: invalid hex digit 'G'");
  EXPECT_EQ(Error(Tcp("content:\"|41\";")), "1:40: content: unterminated |hex| block");
  EXPECT_EQ(Error(Tcp("content:\"a\\x\";")), "1:41: content: invalid escape '\\x' (only \\\\ \\\" \\; \\: \\| are allowed; use |hex| for others)");
}

TEST(Content, Modifiers) {
  Rule r = One(Tcp("content:\"GET\"; nocase; offset:0; depth:3; content:\"/x\"; distance:1; within:10; "
                   "content:\"end\"; rawbytes; endswith; fast_pattern; content:\"beg\"; startswith;"));
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_TRUE(C(r, 0).nocase);
  EXPECT_EQ(C(r, 0).offset->value, 0);
  EXPECT_EQ(C(r, 0).depth->value, 3);
  EXPECT_FALSE(C(r, 0).relative());
  EXPECT_EQ(C(r, 1).distance->value, 1);
  EXPECT_EQ(C(r, 1).within->value, 10);
  EXPECT_TRUE(C(r, 1).relative());
  EXPECT_TRUE(C(r, 2).rawbytes);
  EXPECT_TRUE(C(r, 2).endswith);
  EXPECT_TRUE(C(r, 2).fast_pattern);
  EXPECT_TRUE(C(r, 3).startswith);
  for (const DetectStep& s : r.steps) EXPECT_EQ(s.buffer, kPayloadBuffer);
  EXPECT_EQ(r.steps[1].location.column, 73);

  EXPECT_EQ(C(One(Tcp("content:\"a\"; content:\"b\"; distance:-5;")), 1).distance->value, -5);
  Rule fp = One(Tcp("content:\"abcdef\"; fast_pattern:only;"));
  EXPECT_TRUE(C(fp, 0).fast_pattern_only);
  fp = One(Tcp("content:\"abcdef\"; fast_pattern:2,3;"));
  EXPECT_EQ(C(fp, 0).fast_pattern_chop, (std::pair<uint32_t, uint32_t>{2, 3}));
}

TEST(Content, ModifierErrors) {
  EXPECT_EQ(Error(Tcp("nocase;")), "1:31: 'nocase' needs a preceding 'content' option");
  EXPECT_EQ(Error(Tcp("content:\"a\"; nocase; nocase;")), "1:52: 'nocase' given twice for the same content");
  EXPECT_EQ(Error(Tcp("content:\"a\"; offset:1; distance:2;")),
            "1:54: 'distance' (relative) cannot be mixed with offset/depth (absolute) on the same content");
  EXPECT_EQ(Error(Tcp("content:\"a\"; within:2; depth:5;")),
            "1:54: 'depth' (absolute) cannot be mixed with distance/within (relative) on the same content");
  EXPECT_EQ(Error(Tcp("content:\"abcd\"; depth:3;")), "1:53: 'depth:3' is smaller than the content's length (4 bytes)");
  EXPECT_EQ(Error(Tcp("content:\"abcd\"; within:2;")), "1:54: 'within:2' is smaller than the content's length (4 bytes)");
  EXPECT_EQ(Error(Tcp("content:\"a\"; offset:-1;")), "1:51: '-1' must not be negative");
  EXPECT_EQ(Error(Tcp("content:\"a\"; depth:x;")), "1:50: unknown variable 'x' (define it with an earlier byte_extract)");
  EXPECT_EQ(Error(Tcp("content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;")),
            "1:71: 'fast_pattern' can be used on only one content per rule");
  EXPECT_EQ(Error(Tcp("content:\"abc\"; fast_pattern:2,5;")), "1:59: fast_pattern: chop 2,5 goes past the content's 3 bytes");
  EXPECT_EQ(Error(Tcp("content:\"abc\"; depth:3; startswith;")), "1:55: 'startswith' cannot be combined with offset, depth, distance or within");
  EXPECT_EQ(Error(Tcp("content:\"abc\"; nocase:1;")), "1:53: option 'nocase' takes no value");
}

TEST(Content, StickyBuffers) {
  Rule r = One("alert http any any -> any any (content:\"pkt\"; http.uri; content:\"/a\"; content:\"/b\"; "
               "http.header; content:\"Host\"; pcre:\"/x/\"; pkt_data; content:\"raw\"; sid:1;)");
  ASSERT_EQ(r.steps.size(), 6u);
  EXPECT_EQ(r.steps[0].buffer, "pkt");
  EXPECT_EQ(r.steps[1].buffer, "http.uri");
  EXPECT_EQ(r.steps[2].buffer, "http.uri");
  EXPECT_EQ(r.steps[3].buffer, "http.header");
  EXPECT_EQ(r.steps[4].buffer, "http.header");
  EXPECT_EQ(r.steps[5].buffer, "pkt");

  struct Case {
    const char* keyword;
    const char* buffer;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"http.uri.raw", "http.uri.raw"}, {"http.method", "http.method"}, {"http.host", "http.host"},
           {"http.host.raw", "http.host.raw"}, {"http.user_agent", "http.user_agent"},
           {"http.header.raw", "http.header.raw"}, {"http.cookie", "http.cookie"},
           {"http.request_line", "http.request_line"}, {"http_request_line", "http.request_line"},
           {"http.response_line", "http.response_line"}, {"http.stat_code", "http.stat_code"},
           {"http.stat_msg", "http.stat_msg"}, {"http.request_body", "http.request_body"},
           {"http.response_body", "http.response_body"}, {"http.server_body", "http.response_body"},
           {"file.data", "file.data"}, {"file_data", "file.data"},
           {"http.content_type", "http.content_type"}, {"http.start", "http.start"},
           {"dns.query", "dns.query"}, {"dns_query", "dns.query"}, {"tls.sni", "tls.sni"}, {"tls_sni", "tls.sni"},
           {"tls.cert_subject", "tls.cert_subject"}, {"tls_cert_subject", "tls.cert_subject"},
           {"tls.cert_issuer", "tls.cert_issuer"}, {"tls_cert_issuer", "tls.cert_issuer"},
           {"tls.cert_serial", "tls.cert_serial"}, {"tls.cert_fingerprint", "tls.cert_fingerprint"},
           {"ja3.hash", "ja3.hash"}, {"ja3_hash", "ja3.hash"},
           {"ja3.string", "ja3.string"}, {"ja3_string", "ja3.string"}, {"ja3s.hash", "ja3s.hash"},
           {"ja3s.string", "ja3s.string"}, {"ja4.hash", "ja4.hash"}}) {
    Rule x = One(std::string("alert http any any -> any any (") + c.keyword + "; content:\"v\"; sid:1;)");
    EXPECT_EQ(x.steps.at(0).buffer, c.buffer) << c.keyword;
  }
  // file.data is the body of the side inspected (request to_server,
  // response to_client), in HTTP rules too.
  EXPECT_EQ(One("alert smtp any any -> any any (file_data; content:\"v\"; sid:1;)").steps[0].buffer, "file.data");
}

TEST(Content, DotprefixSelectsTheTransformedBuffer) {
  Rule r = One("alert dns any any -> any any (dns.query; dotprefix; content:\".a.example\"; endswith; sid:1;)");
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].buffer, "dns.query.dotprefix");
  EXPECT_EQ(One("alert tls any any -> any any (tls.sni; dotprefix; content:\".x\"; sid:1;)").steps[0].buffer,
            "tls.sni.dotprefix");
  for (const char* bad : {"alert tcp any any -> any any (dotprefix; content:\"x\"; sid:1;)",
                          "alert http any any -> any any (http.uri; dotprefix; content:\"x\"; sid:1;)",
                          "alert dns any any -> any any (dns.query; content:\"a\"; dotprefix; content:\"x\"; sid:1;)"}) {
    RuleSet set = ParseRules(bad, "<t>", LoadOptions{});
    EXPECT_EQ(set.error_count(), 1u) << bad;
  }
}

TEST(Content, AppLayerProtocol) {
  Rule r = One("alert tcp any any -> any any (app-layer-protocol:!HTTP; sid:1;)");
  EXPECT_EQ(r.app_protocol, "http");
  EXPECT_TRUE(r.app_protocol_negated);
  EXPECT_EQ(One("alert tcp any any -> any any (app-layer-protocol:tls; sid:1;)").app_protocol, "tls");
  for (const char* bad : {"alert tcp any any -> any any (app-layer-protocol:smb; sid:1;)",
                          "alert tcp any any -> any any (app-layer-protocol; sid:1;)",
                          "alert tcp any any -> any any (app-layer-protocol:dns; app-layer-protocol:tls; sid:1;)"}) {
    RuleSet set = ParseRules(bad, "<t>", LoadOptions{});
    EXPECT_EQ(set.error_count(), 1u) << bad;
  }
  RuleSet smb = ParseRules("alert tcp any any -> any any (app-layer-protocol:smb; sid:1;)", "<t>", LoadOptions{});
  ASSERT_EQ(smb.error_count(), 1u);
  EXPECT_NE(smb.diagnostics[0].message.find("unsupported protocol 'smb'"), std::string::npos);
}

TEST(Content, TlsVersionIsAnExactMatchOnItsBuffer) {
  for (const auto& [text, hex] : std::initializer_list<std::pair<const char*, const char*>>{
           {"1.2", "0303"}, {"1.3", "0304"}, {"1.0", "0301"}, {"3.0", "0300"}, {"0x0302", "0302"}}) {
    Rule r = One(std::string("alert tls any any -> any any (tls.version:") + text + "; sid:1;)");
    ASSERT_EQ(r.steps.size(), 1u) << text;
    EXPECT_EQ(r.steps[0].buffer, "tls.version");
    const auto& c = std::get<ContentOption>(r.steps[0].option);
    EXPECT_EQ(c.bytes, hex);
    EXPECT_TRUE(c.startswith && c.endswith);
  }
  RuleSet bad = ParseRules("alert tls any any -> any any (tls.version:2.7; sid:1;)", "<t>", LoadOptions{});
  ASSERT_EQ(bad.error_count(), 1u);
  EXPECT_NE(bad.diagnostics[0].message.find("tls.version: unknown version '2.7'"), std::string::npos);
}

TEST(Content, LegacyModifiers) {
  Rule r = One("alert tcp any any -> any any (content:\"GET\"; http_method; content:\"/x\"; http_uri; nocase; "
               "content:\"plain\"; content:\"ua\"; http_user_agent; uricontent:\"/y\"; sid:1;)");
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps[0].buffer, "http.method");
  EXPECT_EQ(r.steps[1].buffer, "http.uri");
  EXPECT_TRUE(C(r, 1).nocase);
  EXPECT_EQ(r.steps[2].buffer, "pkt");
  EXPECT_EQ(r.steps[3].buffer, "http.user_agent");
  EXPECT_EQ(r.steps[4].buffer, "http.uri");
  struct Case {
    const char* keyword;
    const char* buffer;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"http_raw_uri", "http.uri.raw"}, {"http_host", "http.host"}, {"http_raw_host", "http.host.raw"},
           {"http_header", "http.header"}, {"http_raw_header", "http.header.raw"}, {"http_cookie", "http.cookie"},
           {"http_stat_code", "http.stat_code"}, {"http_stat_msg", "http.stat_msg"},
           {"http_client_body", "http.request_body"}, {"http_server_body", "http.response_body"}}) {
    Rule x = One(std::string("alert http any any -> any any (content:\"v\"; ") + c.keyword + "; sid:1;)");
    EXPECT_EQ(x.steps.at(0).buffer, c.buffer) << c.keyword;
  }
  EXPECT_EQ(Error(Tcp("http_uri;")), "1:31: 'http_uri' needs a preceding 'content' option");
  EXPECT_EQ(Error(Tcp("content:\"a\"; http_uri; http_header;")),
            "1:54: 'http_header': the preceding content already inspects http.uri");
}

TEST(Pcre, Flags) {
  Rule r = One(Tcp("pcre:\"/^GET\\s+\\/[a-z]+\\.php/smixAEGRO\";"));
  const PcreOption& p = P(r, 0);
  EXPECT_EQ(p.pattern, "^GET\\s+\\/[a-z]+\\.php");
  EXPECT_EQ(p.flags, "smixAEGRO");
  EXPECT_EQ(p.compile_options, uint32_t{PCRE2_DOTALL | PCRE2_MULTILINE | PCRE2_CASELESS | PCRE2_EXTENDED |
                                        PCRE2_ANCHORED | PCRE2_DOLLAR_ENDONLY | PCRE2_UNGREEDY});
  EXPECT_TRUE(p.relative);
  EXPECT_TRUE(p.match_limit_override);
  EXPECT_FALSE(p.negated);
  EXPECT_EQ(r.steps[0].buffer, "pkt");

  EXPECT_TRUE(P(One(Tcp("pcre:!\"/x/\";")), 0).negated);
  EXPECT_TRUE(P(One(Tcp("pcre:\"!/x/\";")), 0).negated);
  EXPECT_EQ(P(One(Tcp("pcre:\"/[\"']?a;b/i\";")), 0).pattern, "[\"']?a;b");  // quotes and ';' inside
  struct Case {
    char flag;
    const char* buffer;
  };
  for (const Case& c : std::initializer_list<Case>{
           {'U', "http.uri"}, {'I', "http.uri.raw"}, {'P', "http.request_body"}, {'Q', "http.response_body"},
           {'H', "http.header"}, {'D', "http.header.raw"}, {'M', "http.method"}, {'C', "http.cookie"},
           {'S', "http.stat_code"}, {'Y', "http.stat_msg"}, {'V', "http.user_agent"}, {'W', "http.host"},
           {'B', "pkt"}}) {
    Rule x = One(Tcp(std::string("pcre:\"/a/") + c.flag + "\";"));
    EXPECT_EQ(x.steps[0].buffer, c.buffer) << c.flag;
  }
  EXPECT_EQ(One("alert http any any -> any any (http.uri; pcre:\"/a/\"; sid:1;)").steps[0].buffer, "http.uri");
}

TEST(Pcre, Errors) {
  EXPECT_EQ(Error(Tcp("pcre:\"/a/Z\";")), "1:40: pcre: unknown flag 'Z'");
  EXPECT_EQ(Error(Tcp("pcre:\"abc\";")), "1:37: pcre: expected \"/regex/flags\"");
  EXPECT_EQ(Error(Tcp("pcre:\"/abc\";")), "1:37: pcre: missing closing '/'");
  // The error column points into the regex, at the offending position.
  std::string e = Error(Tcp("pcre:\"/ab(c/\";"));
  EXPECT_EQ(e.substr(0, 12), "1:42: pcre: ") << e;
  e = Error(Tcp("pcre:\"/a[/\";"));
  EXPECT_EQ(e.substr(0, 12), "1:40: pcre: ") << e;
  EXPECT_EQ(Error("alert http any any -> any any (http.uri; pcre:\"/a/H\"; sid:1;)"),
            "1:51: pcre: flag 'H' selects http.header but the sticky buffer is http.uri");
}

}  // namespace
}  // namespace kagami::rules
