// The application layer through the real Scanner: protocol detection by
// content (HTTP and TLS on any port, DNS on its ports or by a clean shape),
// transaction rules firing exactly once per transaction however the bytes
// are cut, legacy content modifiers, the EVE app objects and transaction
// events, and the app layer switched off.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/app/tls/fingerprint.h"
#include "tests/pipeline/app_test_util.h"
#include "tests/pipeline/traffic_test_util.h"
#include "tests/support/http_body.h"

namespace kagami::pipeline::traffic {
namespace {

using kagami::testing::Bytes;
using kagami::testing::Chunked;
using kagami::testing::Gzip;
using namespace kagami::apptest;  // NOLINT: builders only

constexpr char kClient[] = "10.1.0.1";
constexpr char kServer[] = "10.2.0.2";

size_t Count(const std::vector<uint32_t>& sids, uint32_t sid) {
  return static_cast<size_t>(std::count(sids.begin(), sids.end(), sid));
}

std::vector<Bytes>& operator+=(std::vector<Bytes>& a, const std::vector<Bytes>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Records of one event type.
std::vector<Record> OfType(const std::vector<Record>& all, std::string_view type) {
  std::vector<Record> out;
  for (const Record& r : all) {
    if (Field(r.line, "event_type") == type) out.push_back(r);
  }
  return out;
}

// The alert records of `sid`.
std::vector<Record> AlertsOf(const std::vector<Record>& all, uint32_t sid) {
  std::vector<Record> out;
  for (const Record& r : OfType(all, "alert")) {
    if (r.sid == sid) out.push_back(r);
  }
  return out;
}

// A whole TCP session: handshake, the request cut at `req_cuts`, the
// response cut at `resp_cuts`, then both FINs.
std::vector<Bytes> Exchange(TcpSession& s, std::string_view request, std::string_view response,
                            const std::vector<size_t>& req_cuts = {}, const std::vector<size_t>& resp_cuts = {}) {
  std::vector<Bytes> f = s.Handshake();
  if (!request.empty()) f += s.Send(true, request, req_cuts);
  if (!response.empty()) f += s.Send(false, response, resp_cuts);
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  f.push_back(s.Ack(true));
  return f;
}

// ---------------------------------------------------------------------------
// 1. HTTP

constexpr char kUriRule[] = "alert http any any -> any any (msg:\"gate\"; http.uri; content:\"/gate.php\"; sid:1;)\n";

class HttpPorts : public ::testing::TestWithParam<uint16_t> {};

TEST_P(HttpPorts, DetectedByContentOnAnyPortUriRuleFiresOnce) {
  Harness h(kUriRule);
  TcpSession s(kClient, 40000, kServer, GetParam());
  h.Feed(Exchange(s, HttpGet("/gate.php?id=7"), HttpOk("ok")));
  h.Finish();
  EXPECT_EQ(h.hits(1), 1u);
  const auto records = h.Records();
  const auto alerts = AlertsOf(records, 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(Field(alerts[0].line, "app_proto"), "http");
  EXPECT_NE(alerts[0].line.find("\"http\":{"), std::string::npos) << alerts[0].line;
  EXPECT_NE(alerts[0].line.find("\"url\":\"/gate.php?id=7\""), std::string::npos) << alerts[0].line;
  EXPECT_EQ(alerts[0].dest_port, GetParam());
  // No transaction events unless asked for.
  EXPECT_TRUE(OfType(records, "http").empty());
  const app::AppCounters& c = h.scanner().app_counters();
  EXPECT_EQ(c.flows_http, 1u);
  EXPECT_EQ(c.http_transactions, 1u);
  EXPECT_EQ(c.flows_failed, 0u);
}

INSTANTIATE_TEST_SUITE_P(AppLayer, HttpPorts, ::testing::Values(80, 8081, 443, 22));

TEST(AppLayerHttp, UriRuleFiresOncePerTransactionOnKeepAlive) {
  Harness h(kUriRule);
  TcpSession s(kClient, 40001, kServer, 80);
  std::vector<Bytes> f = s.Handshake();
  for (int i = 0; i < 3; ++i) {
    f += s.Send(true, HttpGet("/gate.php?n=" + std::to_string(i)));
    f += s.Send(false, HttpOk("body" + std::to_string(i)));
  }
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(1), 3u);
  EXPECT_EQ(Count(h.Sids(), 1), 3u);
  EXPECT_EQ(h.scanner().app_counters().http_transactions, 3u);
}

TEST(AppLayerHttp, PipelinedRequestsInOneSegmentAreTwoTransactions) {
  ScannerOptions o;
  o.log_http = true;
  Harness h(kUriRule, o);
  TcpSession s(kClient, 40002, kServer, 80);
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, HttpGet("/gate.php?a=1") + HttpGet("/gate.php?a=2"));
  f += s.Send(false, HttpOk("first") + HttpOk("second", "404 Not Found"));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(1), 2u);
  const auto records = h.Records();
  const auto alerts = AlertsOf(records, 1);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_NE(alerts[0].line.find("\"url\":\"/gate.php?a=1\""), std::string::npos) << alerts[0].line;
  EXPECT_NE(alerts[1].line.find("\"url\":\"/gate.php?a=2\""), std::string::npos) << alerts[1].line;
  // One http event per transaction, each with its own status.
  const auto events = OfType(records, "http");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].line.find("\"status\":200"), std::string::npos) << events[0].line;
  EXPECT_NE(events[1].line.find("\"status\":404"), std::string::npos) << events[1].line;
  EXPECT_EQ(h.scanner().app_counters().http_transactions, 2u);
}

TEST(AppLayerHttp, RequestOneBytePerSegmentGivesTheSameAlerts) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"gate\"; http.uri; content:\"/gate.php\"; sid:1;)\n"
      "alert http any any -> any any (msg:\"ua\"; http.user_agent; content:\"EvilBot/1.0\"; sid:2;)\n"
      "alert http any any -> any any (msg:\"stat\"; http.uri; content:\"/gate.php\"; http.stat_code; "
      "content:\"404\"; sid:3;)\n";
  auto engine = CompileRules(kRules);
  const std::string request = HttpGet("/gate.php", "c2.example.com", "User-Agent: EvilBot/1.0\r\n");
  const std::string response = HttpOk("not here", "404 Not Found");
  std::vector<std::vector<uint32_t>> results;
  for (bool bytewise : {false, true}) {
    Harness h("", {}, engine);
    TcpSession s(kClient, 40003, kServer, 80);
    h.Feed(Exchange(s, request, response, bytewise ? EveryByte(request.size()) : std::vector<size_t>{},
                    bytewise ? EveryByte(response.size()) : std::vector<size_t>{}));
    h.Finish();
    EXPECT_EQ(h.hits(1), 1u) << "bytewise " << bytewise;
    EXPECT_EQ(h.hits(2), 1u) << "bytewise " << bytewise;
    EXPECT_EQ(h.hits(3), 1u) << "bytewise " << bytewise;
    EXPECT_EQ(h.scanner().app_counters().http_transactions, 1u);
    results.push_back(h.Sids());
  }
  std::sort(results[0].begin(), results[0].end());
  std::sort(results[1].begin(), results[1].end());
  EXPECT_EQ(results[0], results[1]);
}

TEST(AppLayerHttp, UserAgentAndHostBuffers) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"ua\"; http.user_agent; content:\"EvilBot/1.0\"; sid:2;)\n"
      // Host is lower-cased and loses its port: the whole buffer is the name.
      "alert http any any -> any any (msg:\"host\"; http.host; content:\"c2.example.com\"; bsize:14; sid:3;)\n"
      "alert http any any -> any any (msg:\"host case\"; http.host; content:\"C2.Example\"; sid:4;)\n"
      "alert http any any -> any any (msg:\"host port\"; http.host; content:\":8080\"; sid:5;)\n"
      "alert http any any -> any any (msg:\"raw host\"; http.host.raw; content:\"C2.Example.COM:8080\"; sid:6;)\n";
  Harness h(kRules);
  TcpSession s(kClient, 40004, kServer, 8080);
  h.Feed(Exchange(s, HttpGet("/x", "C2.Example.COM:8080", "User-Agent: EvilBot/1.0\r\n"), HttpOk("fine")));
  h.Finish();
  EXPECT_EQ(h.hits(2), 1u);
  EXPECT_EQ(h.hits(3), 1u);
  EXPECT_EQ(h.hits(4), 0u);
  EXPECT_EQ(h.hits(5), 0u);
  EXPECT_EQ(h.hits(6), 1u);
  const auto alerts = AlertsOf(h.Records(), 3);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].line.find("\"hostname\":\"c2.example.com\""), std::string::npos) << alerts[0].line;
  EXPECT_NE(alerts[0].line.find("\"http_user_agent\":\"EvilBot/1.0\""), std::string::npos) << alerts[0].line;
}

// The buffers built only for a rule that reads them (dotted host, http.start,
// http.header_names) are there when one does, alone or beside others; an
// engine that reads none of them still sees the rest.
TEST(AppLayerHttp, BuffersBuiltOnDemandAreThereForTheirRules) {
  constexpr char kBuilt[] =
      "alert http any any -> any any (msg:\"dot\"; http.host; dotprefix; content:\".example.com\"; endswith; "
      "sid:31;)\n"
      "alert http any any -> any any (msg:\"start\"; http.start; content:\"GET /x HTTP/1.1|0d 0a|Host\"; "
      "sid:32;)\n"
      "alert http any any -> any any (msg:\"names\"; http.header_names; content:\"|0d 0a|User-Agent|0d 0a|\"; "
      "sid:33;)\n";
  constexpr char kPlain[] =
      "alert http any any -> any any (msg:\"ua\"; http.user_agent; content:\"EvilBot/1.0\"; sid:34;)\n";
  for (const std::string& rules : {std::string(kBuilt), std::string(kPlain), std::string(kBuilt) + kPlain}) {
    SCOPED_TRACE(rules);
    Harness h(rules);
    TcpSession s(kClient, 40010, kServer, 80);
    h.Feed(Exchange(s, HttpGet("/x", "c2.example.com", "User-Agent: EvilBot/1.0\r\n"), HttpOk("fine")));
    h.Finish();
    const bool built = rules.find("sid:31;") != std::string::npos;
    const bool plain = rules.find("sid:34;") != std::string::npos;
    if (built) {
      EXPECT_EQ(h.hits(31), 1u);
      EXPECT_EQ(h.hits(32), 1u);
      EXPECT_EQ(h.hits(33), 1u);
    }
    if (plain) {
      EXPECT_EQ(h.hits(34), 1u);
    }
  }
}

TEST(AppLayerHttp, StatCodeAndUriInOneRuleFireOnTheResponseOnce) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"uri+404\"; http.uri; content:\"/gate.php\"; http.stat_code; "
      "content:\"404\"; sid:4;)\n";
  Harness h(kRules);
  TcpSession s(kClient, 40005, kServer, 80);
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, HttpGet("/gate.php"));
  f += s.Send(false, HttpOk("gone", "404 Not Found"));
  f += s.Send(true, HttpGet("/gate.php"));  // a second transaction answered 200: no alert
  f += s.Send(false, HttpOk("here"));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(4), 1u);
  const auto alerts = AlertsOf(h.Records(), 4);
  ASSERT_EQ(alerts.size(), 1u);
  // Raised by the response packet: server to client.
  EXPECT_EQ(alerts[0].src_ip, kServer);
  EXPECT_EQ(alerts[0].dest_ip, kClient);
  EXPECT_NE(alerts[0].line.find("\"status\":404"), std::string::npos) << alerts[0].line;
}

TEST(AppLayerHttp, FileDataOnChunkedGzipResponse) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"body\"; flow:to_client; file_data; "
      "content:\"MALWARE-PAYLOAD-MARKER\"; sid:7;)\n"
      // The marker never appears on the wire: the body is compressed.
      "alert tcp any any -> any any (msg:\"raw\"; content:\"MALWARE-PAYLOAD-MARKER\"; sid:8;)\n";
  const std::string body = "<html>" + std::string(300, 'a') + "MALWARE-PAYLOAD-MARKER" + std::string(300, 'b') + "</html>";
  const std::string gz = Gzip(body);
  ASSERT_EQ(gz.find("MALWARE"), std::string::npos);
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
      Chunked(gz, 7);
  for (bool split : {false, true}) {
    Harness h(kRules);
    TcpSession s(kClient, 40006, kServer, 80);
    std::vector<size_t> cuts;
    if (split) {
      for (size_t at = 5; at < response.size(); at += 11) cuts.push_back(at);
    }
    h.Feed(Exchange(s, HttpGet("/download"), response, {}, cuts));
    h.Finish();
    EXPECT_EQ(h.hits(7), 1u) << "split " << split;
    EXPECT_EQ(h.hits(8), 0u) << "split " << split;
  }
}

TEST(AppLayerHttp, ResponseHeaderWithFlowToClient) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"resp hdr\"; flow:to_client; http.header; "
      "content:\"X-C2-Channel|3a 20|beacon|0d 0a|\"; sid:9;)\n";
  auto engine = CompileRules(kRules);
  {
    Harness h("", {}, engine);
    TcpSession s(kClient, 40007, kServer, 80);
    h.Feed(Exchange(s, HttpGet("/"), HttpOk("x", "200 OK", "X-C2-Channel: beacon\r\n")));
    h.Finish();
    EXPECT_EQ(h.hits(9), 1u);
    const auto alerts = AlertsOf(h.Records(), 9);
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].src_ip, kServer);
  }
  {
    // The same header in the request only: to_client never sees it.
    Harness h("", {}, engine);
    TcpSession s(kClient, 40008, kServer, 80);
    h.Feed(Exchange(s, HttpGet("/", "www.example.com", "X-C2-Channel: beacon\r\n"), HttpOk("x")));
    h.Finish();
    EXPECT_EQ(h.hits(9), 0u);
  }
}

TEST(AppLayerHttp, LegacyHttpUriModifierOnTcpRule) {
  constexpr char kRules[] =
      "alert tcp any any -> any any (msg:\"legacy\"; content:\"/gate.php\"; http_uri; sid:10;)\n"
      "alert tcp any any -> any any (msg:\"legacy ua\"; content:\"EvilBot\"; http_user_agent; "
      "content:\"GET\"; http_method; sid:11;)\n";
  Harness h(kRules);
  TcpSession s(kClient, 40009, kServer, 8081);
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, HttpGet("/gate.php", "a.example", "User-Agent: EvilBot\r\n") + HttpGet("/gate.php?2"));
  f += s.Send(false, HttpOk("1") + HttpOk("2"));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(10), 2u);
  EXPECT_EQ(h.hits(11), 1u);
  for (const Record& r : AlertsOf(h.Records(), 10)) EXPECT_EQ(Field(r.line, "app_proto"), "http");
}

TEST(AppLayerHttp, HttpRuleDoesNotFireOnSshAndTheFlowFails) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"gate\"; http.uri; content:\"/gate.php\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"legacy\"; content:\"/gate.php\"; http_uri; sid:10;)\n"
      // Packet rules still run on a flow of no known protocol.
      "alert tcp any any -> any any (msg:\"raw\"; flow:to_server; content:\"/gate.php\"; sid:12;)\n";
  Harness h(kRules);
  TcpSession s(kClient, 40010, kServer, 22);
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(false, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n");
  f += s.Send(true, "SSH-2.0-OpenSSH_9.6\r\nGET /gate.php HTTP/1.1\r\nHost: x\r\n\r\n");
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(1), 0u);
  EXPECT_EQ(h.hits(10), 0u);
  EXPECT_EQ(h.hits(12), 1u);
  const app::AppCounters& c = h.scanner().app_counters();
  EXPECT_EQ(c.flows_failed, 1u);
  EXPECT_EQ(c.flows_http, 0u);
  EXPECT_EQ(c.http_transactions, 0u);
}

TEST(AppLayerHttp, BodyReadUntilCloseCompletesAtFlowEnd) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"body\"; file_data; content:\"CLOSE-MARKER\"; sid:13;)\n";
  for (bool fins : {true, false}) {
    ScannerOptions o;
    o.log_http = true;
    Harness h(kRules, o);
    TcpSession s(kClient, 40011, kServer, 80);
    std::vector<Bytes> f = s.Handshake();
    f += s.Send(true, "GET /stream HTTP/1.0\r\nHost: a\r\n\r\n");
    f += s.Send(false, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body then CLOSE-MARKER and more");
    if (fins) {
      f.push_back(s.Fin(false));
      f.push_back(s.Fin(true));
      f.push_back(s.Ack(false));
    }
    h.Feed(f);
    h.Finish();
    EXPECT_EQ(h.hits(13), 1u) << "fins " << fins;
    const auto events = OfType(h.Records(), "http");
    EXPECT_EQ(events.size(), 1u) << "fins " << fins;
  }
}

// ---------------------------------------------------------------------------
// 2. DNS

constexpr char kDnsRule[] =
    "alert dns any any -> any any (msg:\"evil query\"; dns.query; content:\"evil.example\"; sid:20;)\n";

Bytes Udp(bool from_client, uint16_t client_port, uint16_t server_port, const std::string& payload) {
  return from_client ? kagami::testing::EthUdp(kClient, client_port, kServer, server_port, payload)
                     : kagami::testing::EthUdp(kServer, server_port, kClient, client_port, payload);
}

TEST(AppLayerDns, UdpQueryFiresOncePerQueryMessageNotOnResponses) {
  ScannerOptions o;
  o.log_dns = true;
  Harness h(kDnsRule, o);
  h.Feed(Udp(true, 53001, 53, DnsQuery(0x1111, "www.evil.example")));
  h.Feed(Udp(false, 53001, 53, DnsResponseA(0x1111, "www.evil.example")));
  h.Feed(Udp(true, 53001, 53, DnsQuery(0x2222, "mail.evil.example", 28)));
  h.Feed(Udp(false, 53001, 53, DnsResponseA(0x2222, "mail.evil.example")));
  h.Feed(Udp(true, 53001, 53, DnsQuery(0x3333, "www.benign.example")));
  h.Finish();
  EXPECT_EQ(h.hits(20), 2u);
  const auto records = h.Records();
  const auto alerts = AlertsOf(records, 20);
  ASSERT_EQ(alerts.size(), 2u);
  for (const Record& r : alerts) {
    EXPECT_EQ(Field(r.line, "app_proto"), "dns");
    EXPECT_NE(r.line.find("\"dns\":{"), std::string::npos) << r.line;
    EXPECT_NE(r.line.find("\"type\":\"request\""), std::string::npos) << r.line;
    EXPECT_EQ(r.src_ip, kClient);
  }
  EXPECT_EQ(OfType(records, "dns").size(), 5u);
  const app::AppCounters& c = h.scanner().app_counters();
  EXPECT_EQ(c.flows_dns, 1u);
  EXPECT_EQ(c.dns_messages, 5u);
}

TEST(AppLayerDns, ResponseAloneIsNotAQuery) {
  Harness h(kDnsRule);
  h.Feed(Udp(false, 53002, 53, DnsResponseA(0x4444, "www.evil.example")));
  h.Finish();
  EXPECT_EQ(h.hits(20), 0u);
  EXPECT_EQ(h.scanner().app_counters().dns_messages, 1u);
}

TEST(AppLayerDns, TcpLengthPrefixedSplitAcrossSegments) {
  const std::string q1 = DnsTcpFrame(DnsQuery(0x0101, "a.evil.example"));
  const std::string q2 = DnsTcpFrame(DnsQuery(0x0202, "b.evil.example", 16));
  const std::string client = q1 + q2;
  const std::string server =
      DnsTcpFrame(DnsResponseA(0x0101, "a.evil.example")) + DnsTcpFrame(DnsResponseA(0x0202, "b.evil.example"));
  // Cut inside the first length prefix, inside the header, inside the name,
  // right at the frame boundary and inside the second prefix; then bytewise.
  const std::vector<std::vector<size_t>> cut_sets = {
      {},
      {1, 5, 20, q1.size(), q1.size() + 1},
      EveryByte(client.size()),
  };
  for (const auto& cuts : cut_sets) {
    ScannerOptions o;
    o.log_dns = true;
    Harness h(kDnsRule, o);
    TcpSession s(kClient, 40020, kServer, 53);
    h.Feed(Exchange(s, client, server, cuts, cuts.empty() ? std::vector<size_t>{} : std::vector<size_t>{1, 7}));
    h.Finish();
    EXPECT_EQ(h.hits(20), 2u) << cuts.size() << " cuts";
    const app::AppCounters& c = h.scanner().app_counters();
    EXPECT_EQ(c.flows_dns, 1u);
    EXPECT_EQ(c.dns_messages, 4u);
    EXPECT_EQ(OfType(h.Records(), "dns").size(), 4u);
  }
}

TEST(AppLayerDns, UdpOddPortWithCleanQueryIsParsed) {
  Harness h(kDnsRule);
  h.Feed(Udp(true, 53003, 5300, DnsQuery(0x5555, "x.evil.example")));
  h.Feed(Udp(false, 53003, 5300, DnsResponseA(0x5555, "x.evil.example")));
  h.Finish();
  EXPECT_EQ(h.hits(20), 1u);
  EXPECT_EQ(h.scanner().app_counters().flows_dns, 1u);
  EXPECT_EQ(h.scanner().app_counters().dns_messages, 2u);
}

TEST(AppLayerDns, DotprefixRulesSeeTheDottedName) {
  // ET's domain rules: dns.query; dotprefix; content:".evil.example"; endswith.
  Harness h("alert dns any any -> any any (msg:\"dot\"; dns.query; dotprefix; content:\".evil.example\"; "
            "endswith; sid:21;)\n");
  h.Feed(Udp(true, 53010, 53, DnsQuery(0x1001, "evil.example")));
  h.Feed(Udp(true, 53010, 53, DnsQuery(0x1002, "a.b.evil.example")));
  h.Feed(Udp(true, 53010, 53, DnsQuery(0x1003, "notevil.example")));
  h.Finish();
  EXPECT_EQ(h.hits(21), 2u);
}

TEST(AppLayerDns, UdpOddPortWithOddShapeIsNotDns) {
  // Off the DNS ports only a clean shape is taken for DNS (AppLayer::OnUdp).
  Harness h(kDnsRule);
  h.Feed(Udp(true, 53004, 5300, DnsOddQuery(0x6666, "y.evil.example")));
  h.Feed(Udp(true, 53004, 5300, DnsQuery(0x6667, "z.evil.example")));  // the flow has failed already
  h.Finish();
  EXPECT_EQ(h.hits(20), 0u);
  EXPECT_EQ(h.scanner().app_counters().flows_dns, 0u);
  EXPECT_EQ(h.scanner().app_counters().flows_failed, 1u);
}

TEST(AppLayerDns, UdpDnsPortLetsAnOddShapeThrough) {
  // On a DNS port a message with an unusual shape still reaches the parser:
  // a query carrying an answer record on port 53.
  Harness h(kDnsRule);
  h.Feed(Udp(true, 53005, 53, DnsOddQuery(0x7777, "w.evil.example")));
  h.Finish();
  EXPECT_EQ(h.hits(20), 1u);
  EXPECT_EQ(h.scanner().app_counters().flows_dns, 1u);
}

// ---------------------------------------------------------------------------
// 3. TLS

constexpr char kSniRule[] = "alert tls any any -> any any (msg:\"sni\"; tls.sni; content:\"c2.example\"; sid:30;)\n";

std::vector<Bytes> TlsSession(TcpSession& s, const HelloSpec& hello, const std::vector<size_t>& hello_cuts = {}) {
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, ClientHelloRecord(hello), hello_cuts);
  f += s.Send(false, ServerHelloRecord());
  f += s.Send(true, ChangeCipherSpecRecord() + AppDataRecord("finished-encrypted"));
  f += s.Send(false, ChangeCipherSpecRecord() + AppDataRecord("finished-encrypted"));
  f += s.Send(true, AppDataRecord("GET /c2.example secret"));
  f += s.Send(false, AppDataRecord("response"));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  return f;
}

class TlsPorts : public ::testing::TestWithParam<uint16_t> {};

TEST_P(TlsPorts, SniRuleFiresOncePerSession) {
  ScannerOptions o;
  o.log_tls = true;
  Harness h(kSniRule, o);
  HelloSpec hello;
  hello.sni = "c2.example";
  TcpSession a(kClient, 40030, kServer, GetParam());
  TcpSession b(kClient, 40031, kServer, GetParam());
  h.Feed(TlsSession(a, hello));
  h.Feed(TlsSession(b, hello, {3, 9, 50}));
  h.Finish();
  EXPECT_EQ(h.hits(30), 2u);
  const auto records = h.Records();
  const auto alerts = AlertsOf(records, 30);
  ASSERT_EQ(alerts.size(), 2u);
  for (const Record& r : alerts) {
    EXPECT_EQ(Field(r.line, "app_proto"), "tls");
    EXPECT_NE(r.line.find("\"sni\":\"c2.example\""), std::string::npos) << r.line;
  }
  const auto events = OfType(records, "tls");
  EXPECT_EQ(events.size(), 2u);
  const app::AppCounters& c = h.scanner().app_counters();
  EXPECT_EQ(c.flows_tls, 2u);
  EXPECT_EQ(c.tls_sessions, 2u);
}

INSTANTIATE_TEST_SUITE_P(AppLayer, TlsPorts, ::testing::Values(443, 8443, 80));

TEST(AppLayerTls, OtherSniDoesNotFire) {
  Harness h(kSniRule);
  HelloSpec hello;
  hello.sni = "www.example.org";
  TcpSession s(kClient, 40032, kServer, 443);
  h.Feed(TlsSession(s, hello));
  h.Finish();
  EXPECT_EQ(h.hits(30), 0u);
  EXPECT_EQ(h.scanner().app_counters().flows_tls, 1u);
}

TEST(AppLayerTls, Ja3HashRuleWithKagamisOwnFingerprint) {
  HelloSpec spec;
  spec.sni = "ja3.example";
  // The hash from kagami's fingerprint code on the hello's fields...
  app::tls::ClientHello ch;
  ch.legacy_version = spec.version;
  ch.cipher_suites = spec.ciphers;
  ch.extensions = HelloExtensionTypes(spec);
  ch.supported_groups = spec.groups;
  ch.ec_point_formats = spec.point_formats;
  ch.signature_algorithms = spec.sig_algs;
  ch.sni = spec.sni;
  ch.alpn = spec.alpn;
  app::tls::ComputeClientFingerprints(ch);
  // ...agrees with the JA3 definition applied by hand.
  EXPECT_EQ(ch.ja3_string, Ja3String(spec));
  EXPECT_EQ(ch.ja3_hash, app::tls::Md5Hex(Ja3String(spec)));
  ASSERT_EQ(ch.ja3_hash.size(), 32u);
  const std::string rules =
      "alert tls any any -> any any (msg:\"ja3\"; ja3.hash; content:\"" + ch.ja3_hash + "\"; sid:31;)\n" +
      "alert tls any any -> any any (msg:\"other ja3\"; ja3.hash; content:\"0123456789abcdef0123456789abcdef\"; "
      "sid:32;)\n" +
      "alert tls any any -> any any (msg:\"ja4\"; ja4.hash; content:\"" + ch.ja4 + "\"; sid:33;)\n";
  Harness h(rules);
  TcpSession s(kClient, 40033, kServer, 8443);
  h.Feed(TlsSession(s, spec));
  h.Finish();
  EXPECT_EQ(h.hits(31), 1u);
  EXPECT_EQ(h.hits(32), 0u);
  EXPECT_EQ(h.hits(33), 1u);
  const auto alerts = AlertsOf(h.Records(), 31);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].line.find("\"hash\":\"" + ch.ja3_hash + "\""), std::string::npos) << alerts[0].line;
}

// ---------------------------------------------------------------------------
// 4./5. EVE event types and the app layer switched off

constexpr char kAllRules[] =
    "alert http any any -> any any (msg:\"gate\"; http.uri; content:\"/gate.php\"; sid:1;)\n"
    "alert dns any any -> any any (msg:\"evil query\"; dns.query; content:\"evil.example\"; sid:20;)\n"
    "alert tls any any -> any any (msg:\"sni\"; tls.sni; content:\"c2.example\"; sid:30;)\n"
    "alert tcp any any -> any any (msg:\"raw gate\"; flow:to_server; content:\"/gate.php\"; sid:40;)\n";

std::vector<Bytes> MixedTraffic() {
  std::vector<Bytes> f;
  TcpSession http(kClient, 40040, kServer, 8081);
  f += Exchange(http, HttpGet("/gate.php"), HttpOk("hello"));
  f.push_back(Udp(true, 53040, 53, DnsQuery(0x1234, "cdn.evil.example")));
  f.push_back(Udp(false, 53040, 53, DnsResponseA(0x1234, "cdn.evil.example")));
  HelloSpec hello;
  hello.sni = "c2.example";
  TcpSession tls(kClient, 40041, kServer, 443);
  f += TlsSession(tls, hello);
  return f;
}

TEST(AppLayerEve, TransactionEventsOnlyWhenAsked) {
  for (bool log : {false, true}) {
    ScannerOptions o;
    o.log_http = o.log_dns = o.log_tls = log;
    Harness h(kAllRules, o);
    h.Feed(MixedTraffic());
    h.Finish();
    const auto records = h.Records();
    std::vector<uint32_t> sids;
    for (const Record& r : OfType(records, "alert")) sids.push_back(r.sid);
    std::sort(sids.begin(), sids.end());
    EXPECT_EQ(sids, (std::vector<uint32_t>{1, 20, 30, 40})) << "log " << log;
    EXPECT_EQ(OfType(records, "http").size(), log ? 1u : 0u);
    EXPECT_EQ(OfType(records, "dns").size(), log ? 2u : 0u);
    EXPECT_EQ(OfType(records, "tls").size(), log ? 1u : 0u);
    EXPECT_EQ(records.size(), log ? 8u : 4u);
    for (const Record& r : AlertsOf(records, 1)) EXPECT_NE(r.line.find("\"http\":{"), std::string::npos);
    for (const Record& r : AlertsOf(records, 20)) EXPECT_NE(r.line.find("\"dns\":{"), std::string::npos);
    for (const Record& r : AlertsOf(records, 30)) EXPECT_NE(r.line.find("\"tls\":{"), std::string::npos);
  }
}

TEST(AppLayerOff, AppRulesNeverFirePacketRulesDo) {
  ScannerOptions o;
  o.app.enabled = false;
  o.log_http = o.log_dns = o.log_tls = true;
  Harness h(kAllRules, o);
  h.Feed(MixedTraffic());
  h.Finish();
  EXPECT_EQ(h.hits(1), 0u);
  EXPECT_EQ(h.hits(20), 0u);
  EXPECT_EQ(h.hits(30), 0u);
  EXPECT_EQ(h.hits(40), 1u);
  EXPECT_EQ(h.Sids(), std::vector<uint32_t>{40});
  const app::AppCounters& c = h.scanner().app_counters();
  EXPECT_EQ(c.flows_http + c.flows_dns + c.flows_tls + c.flows_failed, 0u);
}

TEST(AppLayerHttp, EstablishedToServerRuleShapeAsInPublishedRulesets) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"et shape\"; flow:established,to_server; http.method; "
      "content:\"GET\"; http.uri; content:\"/gate.php\"; startswith; sid:14;)\n"
      "alert http any any -> any any (msg:\"et reply\"; flow:established,to_client; http.stat_code; "
      "content:\"200\"; sid:15;)\n";
  Harness h(kRules);
  TcpSession s(kClient, 40012, kServer, 8081);
  std::vector<Bytes> f = s.Handshake();
  for (int i = 0; i < 3; ++i) {
    f += s.Send(true, HttpGet("/gate.php?n=" + std::to_string(i)));
    f += s.Send(false, HttpOk("body"));
  }
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(14), 3u);
  EXPECT_EQ(h.hits(15), 3u);
}

// Packet rules see the protocol as Suricata's IDS mode does: a direction's
// bytes are parsed when the other side acknowledges them, so `alert http`
// packet rules miss the request packet (and the handshake) and match from
// the server's acknowledgement on; transaction rules still fire.
// A transaction rule's payload content may lie in a segment far before the
// one that completes its buffers; the reassembler has long dropped those
// bytes, so the match is kept per transaction when it is seen.
TEST(AppLayerHttp, PayloadPartOfATransactionRuleMatchedEarlyInTheResponseCounts) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"mix\"; content:\"IE=Edge-marker\"; file_data; "
      "content:\"IE=Edge-marker\"; sid:60;)\n"
      // The payload part must be in the response stream, the body's side.
      "alert http any any -> any any (msg:\"wrong side\"; content:\"GET /\"; file_data; "
      "content:\"IE=Edge-marker\"; sid:61;)\n";
  const std::string body = "<meta content=IE=Edge-marker>" + std::string(6000, 'x');
  const std::string response = HttpOk(body);
  std::vector<size_t> cuts;
  for (size_t at = 1000; at < response.size(); at += 1000) cuts.push_back(at);
  Harness h(kRules);
  TcpSession s(kClient, 40020, kServer, 80);
  h.Feed(Exchange(s, HttpGet("/index.html"), response, {}, cuts));
  h.Finish();
  EXPECT_EQ(h.hits(60), 1u);
  EXPECT_EQ(h.hits(61), 0u);

  // Compressed, the marker is only in the decoded body, not on the wire.
  const std::string gz = Gzip(body);
  const std::string zipped = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                             std::to_string(gz.size()) + "\r\n\r\n" + gz;
  Harness quiet(kRules);
  TcpSession s2(kClient, 40021, kServer, 80);
  quiet.Feed(Exchange(s2, HttpGet("/index.html"), zipped));
  quiet.Finish();
  EXPECT_EQ(quiet.hits(60), 0u);
}

TEST(AppLayerHttp, PacketRulesSeeTheProtocolOnceTheOtherSideAcknowledges) {
  constexpr char kRules[] =
      "alert http any any -> any any (msg:\"http to server\"; flow:to_server; sid:50;)\n"
      "alert http any any -> any any (msg:\"http to client\"; flow:to_client; sid:51;)\n"
      "alert tcp any any -> any any (msg:\"tcp to server\"; flow:to_server; sid:52;)\n"
      "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/gate.php\"; sid:53;)\n";
  Harness h(kRules);
  TcpSession s(kClient, 40013, kServer, 80);
  std::vector<Bytes> f = s.Handshake();                 // SYN, SYN-ACK, ACK
  f.push_back(s.SendOne(true, HttpGet("/gate.php")));  // the request: not http yet to packet rules
  f.push_back(s.Ack(false));                            // the server acknowledges it: http from here
  f.push_back(s.SendOne(false, HttpOk("body")));
  f.push_back(s.Ack(true));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  f.push_back(s.Ack(true));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(52), 6u);  // every client packet
  EXPECT_EQ(h.hits(50), 3u);  // the client's ACK, FIN and last ACK
  EXPECT_EQ(h.hits(51), 3u);  // the server's ACK, response and FIN
  EXPECT_EQ(h.hits(53), 1u);
}

TEST(AppLayerHttp, RequestWithoutResponseIsLoggedAtFlowEnd) {
  ScannerOptions o;
  o.log_http = true;
  Harness h(kUriRule, o);
  TcpSession s(kClient, 40013, kServer, 80);
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, HttpGet("/gate.php"));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  f.push_back(s.Ack(true));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(1), 1u);
  const size_t events = OfType(h.Records(), "http").size();
  EXPECT_EQ(events, 1u);
}

TEST(AppLayerTls, ClientHelloOnlyIsLoggedOnceAtFlowEnd) {
  ScannerOptions o;
  o.log_tls = true;
  Harness h(kSniRule, o);
  HelloSpec hello;
  hello.sni = "c2.example";
  TcpSession s(kClient, 40034, kServer, 443);
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, ClientHelloRecord(hello));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  h.Feed(f);
  h.Finish();
  EXPECT_EQ(h.hits(30), 1u);
  const auto events = OfType(h.Records(), "tls");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].line.find("\"sni\":\"c2.example\""), std::string::npos) << events[0].line;
  EXPECT_EQ(h.scanner().app_counters().tls_sessions, 1u);
}

}  // namespace
}  // namespace kagami::pipeline::traffic
