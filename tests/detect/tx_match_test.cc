// Transaction rules: steps on app buffers matched on a TxView, once per
// transaction, in the right direction, only when their buffers are final.

#include <gtest/gtest.h>

#include "tests/detect/detect_test_util.h"

namespace kagami::detect {
namespace {

using namespace testing;

using app::TxView;
using Sids = std::vector<uint32_t>;

// A request as the HTTP adapter would present it.
void Request(TxView& v, std::string_view uri, std::string_view ua = {}) {
  v.Reset(app::AppProto::kHttp, true);
  v.Set(app::kBufHttpMethod, "GET");
  v.Set(app::kBufHttpUri, uri);
  v.Set(app::kBufHttpHost, "example.com");
  if (ua.empty()) v.SetAbsent(app::kBufHttpUserAgent);
  else v.Set(app::kBufHttpUserAgent, ua);
  v.Set(app::kBufHttpHeader, "Host: example.com\r\n");
}

void Response(TxView& v, std::string_view uri, std::string_view code, std::string_view headers) {
  v.Reset(app::AppProto::kHttp, false);
  v.Set(app::kBufHttpMethod, "GET");
  v.Set(app::kBufHttpUri, uri);
  v.Set(app::kBufHttpStatCode, code);
  v.Set(app::kBufHttpHeader, headers);
}

std::unique_ptr<TestPacket> InFlow(std::unique_ptr<TestPacket> t, bool to_server) {
  t->p.flow_flags = static_cast<uint8_t>(decode::kFlowKnown | decode::kFlowEstablished |
                    (to_server ? decode::kFlowToServer : 0));
  return t;
}

class TxMatch : public ::testing::Test {
 protected:
  std::unique_ptr<TestPacket> to_server = InFlow(MakeTcp("10.0.0.1", 40000, "10.0.0.2", 80, ""), true);
  std::unique_ptr<TestPacket> to_client = InFlow(MakeTcp("10.0.0.2", 80, "10.0.0.1", 40000, ""), false);
  TxView view;
  app::TxInspectState state;
};

TEST_F(TxMatch, UriContentAlertsOncePerTransaction) {
  Harness h(R"(alert http any any -> any any (msg:"u"; http.uri; content:"/evil"; sid:1;)
alert http any any -> any any (msg:"legacy"; content:"evil"; http_uri; sid:2;)
alert http any any -> any any (msg:"miss"; http.uri; content:"/good"; sid:3;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().tx_rules, 3u);
  Request(view, "/evil.php");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), (Sids{1, 2}));
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{});  // same transaction
  app::TxInspectState next;
  EXPECT_EQ(h.SidsForTx(*to_server, view, next), (Sids{1, 2}));  // a new one
}

TEST_F(TxMatch, RequestAndResponseBuffersWaitForTheResponse) {
  Harness h(R"(alert http any any -> any any (msg:"u+s"; http.uri; content:"/a"; http.stat_code; content:"404"; sid:1;))");
  ASSERT_TRUE(h.ok());
  Request(view, "/a");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{});
  Response(view, "/a", "404", "Server: x\r\n");
  EXPECT_EQ(h.SidsForTx(*to_client, view, state), Sids{1});
  EXPECT_TRUE(state.pending.empty());
}

TEST_F(TxMatch, EitherSideBuffersFollowTheDirection) {
  Harness h(R"(alert http any any -> any any (msg:"resp hdr"; flow:to_client; http.header; content:"ng1nx"; nocase; sid:1;)
alert http any any -> any any (msg:"any hdr"; http.header; content:"example.com"; sid:2;))");
  ASSERT_TRUE(h.ok());
  Request(view, "/");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{2});
  Response(view, "/", "200", "Server: NG1NX\r\n");
  EXPECT_EQ(h.SidsForTx(*to_client, view, state), Sids{1});
}

// flow:to_client with request buffers and an either-side buffer: the
// response's side of file.data, looked at with the request's URI.
TEST_F(TxMatch, ToClientRuleWithRequestBuffersInspectsTheResponseBody) {
  Harness h(R"(alert http any any -> any any (msg:"uri+resp body"; flow:established,to_client; http.uri; content:"/addr.gif"; file.data; content:!"GIF8"; depth:4; sid:1;)
alert http any any -> any any (msg:"uri only, to_client"; flow:established,to_client; http.uri; content:"/addr.gif"; sid:2;))");
  ASSERT_TRUE(h.ok());
  Request(view, "/x/addr.gif");
  view.Set(app::kBufFileData, "");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{});
  Response(view, "/x/addr.gif", "200", "Content-Type: image/gif\r\n");
  view.Set(app::kBufFileData, "not an image");
  EXPECT_EQ(h.SidsForTx(*to_client, view, state), Sids{1});

  app::TxInspectState gif;
  Response(view, "/x/addr.gif", "200", "Content-Type: image/gif\r\n");
  view.Set(app::kBufFileData, "GIF89a....");
  EXPECT_EQ(h.SidsForTx(*to_client, view, gif), Sids{});
}

TEST_F(TxMatch, AbsentBufferDoesNotMatchEvenNegated) {
  Harness h(R"(alert http any any -> any any (msg:"ua"; http.user_agent; content:!"Mozilla"; sid:1;)
alert http any any -> any any (msg:"ua2"; http.user_agent; content:"curl"; sid:2;))");
  ASSERT_TRUE(h.ok());
  Request(view, "/");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{});
  app::TxInspectState s2;
  Request(view, "/", "curl/8.0");
  EXPECT_EQ(h.SidsForTx(*to_server, view, s2), (Sids{1, 2}));
}

TEST_F(TxMatch, RelativeStepsStayInTheirBuffer) {
  // Interleaved uri and packet contents (detect-uricontent-03 style): the
  // distance of each uri content is relative to the previous uri content.
  Harness h(R"(alert tcp any any -> any any (msg:"x"; content:"one"; http_uri; offset:1; depth:10; content:"two"; http_uri; distance:1; within:4; content:"three"; http_uri; distance:1; within:6; sid:3;)
alert tcp any any -> any any (msg:"y"; content:"one"; http_uri; content:"three"; http_uri; within:5; sid:4;))");
  ASSERT_TRUE(h.ok());
  Request(view, "/one/two/three");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{3});
}

TEST_F(TxMatch, MixedPacketAndBufferSteps) {
  Harness h(R"(alert http any any -> any any (msg:"m"; content:"POST"; http.uri; content:"/up"; sid:1;))");
  ASSERT_TRUE(h.ok());
  Request(view, "/upload");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{});  // the packet has no "POST"
  auto post = MakeTcp("10.0.0.1", 40000, "10.0.0.2", 80, "POST /upload HTTP/1.1\r\n");
  EXPECT_EQ(h.SidsForTx(*post, view, state), Sids{1});
}

TEST_F(TxMatch, RulesWithoutFastPatternAndUrilen) {
  Harness h(R"(alert http any any -> any any (msg:"len"; urilen:<10; sid:1;)
alert http any any -> any any (msg:"bsize"; http.host; bsize:11; sid:2;)
alert http any any -> any any (msg:"pcre U"; pcre:"/^\/[a-z]+\.php$/U"; sid:3;))");
  ASSERT_TRUE(h.ok());
  Request(view, "/a.php");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), (Sids{1, 2, 3}));
  app::TxInspectState s2;
  Request(view, "/long/path/x.php");
  EXPECT_EQ(h.SidsForTx(*to_server, view, s2), Sids{2});
}

TEST_F(TxMatch, MultiInstanceBufferMatchesAnyInstance) {
  Harness h(R"(alert dns any any -> any any (msg:"q"; dns.query; content:"evil.example"; endswith; sid:1;)
alert dns any any -> any any (msg:"both"; dns.query; content:"a"; content:"z"; distance:0; sid:2;))");
  ASSERT_TRUE(h.ok());
  auto dns = MakeUdp("10.0.0.1", 5353, "10.0.0.53", 53, "");
  view.Reset(app::AppProto::kDns, true);
  view.Set(app::kBufDnsQuery, "a.example");
  view.Set(app::kBufDnsQuery, "x.evil.example");
  // sid 2 needs "a" then "z" in ONE query name: neither has both.
  EXPECT_EQ(h.SidsForTx(*dns, view, state), Sids{1});
}

TEST_F(TxMatch, ProtocolAndDirectionChecks) {
  Harness h(R"(alert tls any any -> any any (msg:"sni"; tls.sni; content:"bad"; sid:1;)
alert http any any -> any any (msg:"code to_server"; flow:to_server; http.stat_code; content:"200"; sid:2;)
alert udp any any -> any any (msg:"uri on udp"; http.uri; content:"x"; sid:3;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().rules_waiting_for_app_layer, 1u);  // sid 2 can never match
  view.Reset(app::AppProto::kTls, true);
  view.Set(app::kBufTlsSni, "bad.example");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{1});
  // A tls rule on a view of another protocol, or the wrong direction: nothing.
  app::TxInspectState s2;
  view.Reset(app::AppProto::kTls, false);
  view.Set(app::kBufTlsSni, "bad.example");
  EXPECT_EQ(h.SidsForTx(*to_client, view, s2), Sids{});
}

TEST_F(TxMatch, TlsVersionMatchesTheNegotiatedVersionExactly) {
  Harness h(R"(alert tls any any -> any any (msg:"1.2"; tls.version:1.2; sid:1;)
alert tls any any -> any any (msg:"1.3"; tls.version:1.3; sid:2;)
alert tls any any -> any any (msg:"old"; tls.version:0x0300; sid:3;))");
  ASSERT_TRUE(h.ok());
  view.Reset(app::AppProto::kTls, false);
  view.Set(app::kBufTlsVersion, "0303");
  EXPECT_EQ(h.SidsForTx(*to_client, view, state), Sids{1});
  // Before the ServerHello the version is not known: nothing yet.
  app::TxInspectState s2;
  view.Reset(app::AppProto::kTls, true);
  view.Set(app::kBufTlsSni, "x.example");
  EXPECT_EQ(h.SidsForTx(*to_server, view, s2), Sids{});
}

TEST_F(TxMatch, DotprefixMatchesTheDomainAndItsSubdomainsOnly) {
  Harness h(R"(alert dns any any -> any any (msg:"d"; dns.query; dotprefix; content:".evil.example"; endswith; sid:1;))");
  ASSERT_TRUE(h.ok());
  auto dns = MakeUdp("10.0.0.1", 5353, "10.0.0.53", 53, "");
  for (const auto& [name, fires] : std::initializer_list<std::pair<const char*, bool>>{
           {".evil.example", true}, {".a.b.evil.example", true}, {".notevil.example", false},
           {".evil.example.org", false}}) {
    app::TxInspectState st;
    view.Reset(app::AppProto::kDns, true);
    view.Set(app::kBufDnsQuery, std::string_view(name).substr(1));
    view.Set(app::kBufDnsQueryDot, name);
    EXPECT_EQ(h.SidsForTx(*dns, view, st), fires ? Sids{1} : Sids{}) << name;
  }
}

TEST_F(TxMatch, HeaderValueBuffers) {
  Harness h(R"(alert http any any -> any any (msg:"ref"; http.referer; content:"evil"; sid:1;)
alert http any any -> any any (msg:"srv"; http.server; content:"nginx"; sid:2;)
alert http any any -> any any (msg:"names"; http.header_names; content:"|0d 0a|X-Evil|0d 0a|"; sid:3;))");
  ASSERT_TRUE(h.ok());
  Request(view, "/");
  view.Set(app::kBufHttpReferer, "http://evil.example/");
  view.Set(app::kBufHttpHeaderNames, "\r\nHost\r\nX-Evil\r\n\r\n");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), (Sids{1, 3}));
  Response(view, "/", "200", "Server: nginx\r\n");
  view.Set(app::kBufHttpServer, "nginx");
  EXPECT_EQ(h.SidsForTx(*to_client, view, state), Sids{2});
}

TEST_F(TxMatch, ContradictingProtocolsAreRejected) {
  rules::RuleSet set = rules::ParseRules(R"(alert dns any any -> any any (msg:"x"; http.uri; content:"a"; sid:1;))",
                                         "<test>", rules::LoadOptions{});
  ASSERT_EQ(set.error_count(), 0u);
  std::vector<rules::Diagnostic> diags;
  auto engine = DetectEngine::Compile(set, {}, &diags);
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->stats().rules_rejected, 1u);
  ASSERT_FALSE(diags.empty());
  EXPECT_NE(diags.back().message.find("http.uri is a http buffer"), std::string::npos) << diags.back().message;
}

TEST_F(TxMatch, FlowbitsFromTransactionsReachPackets) {
  Harness h(R"(alert http any any -> any any (msg:"set"; http.uri; content:"/login"; flowbits:set,login; flowbits:noalert; sid:1;)
alert tcp any any -> any any (msg:"after login"; flowbits:isset,login; content:"secret"; sid:2;))");
  ASSERT_TRUE(h.ok());
  auto secret = MakeTcp("10.0.0.2", 80, "10.0.0.1", 40000, "secret");
  EXPECT_EQ(h.SidsInFlow(*secret), Sids{});
  Request(view, "/login");
  EXPECT_EQ(h.SidsForTx(*to_server, view, state), Sids{});
  EXPECT_EQ(h.SidsInFlow(*secret), Sids{2});
}

}  // namespace
}  // namespace kagami::detect
