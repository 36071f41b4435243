// End-to-end: the kagami binary on captures of HTTP (odd port), DNS (UDP
// and TCP) and TLS sessions: app-layer rules, --eve-types and the EVE
// app objects and transaction events (checked against Suricata's schema),
// --no-app-layer, the HTTP body limit options and the summary's app layer
// line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/pipeline/app_test_util.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pcap_writer.h"
#define KAGAMI_TRAFFIC_BUILDERS_ONLY
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using pipeline::traffic::Field;
using pipeline::traffic::TcpSession;
using namespace kagami::apptest;  // NOLINT: builders only

constexpr char kClient[] = "10.1.0.1";
constexpr char kServer[] = "10.2.0.2";

constexpr char kRules[] =
    "alert http any any -> any any (msg:\"gate uri\"; http.uri; content:\"/gate.php\"; sid:1;)\n"
    "alert dns any any -> any any (msg:\"evil query\"; dns.query; content:\"evil.example\"; sid:20;)\n"
    "alert tls any any -> any any (msg:\"c2 sni\"; tls.sni; content:\"c2.example\"; sid:30;)\n"
    "alert tcp any any -> any any (msg:\"raw gate\"; flow:to_server; content:\"/gate.php\"; sid:40;)\n"
    "alert http any any -> any any (msg:\"body\"; flow:to_client; file_data; content:\"BODYMARK\"; sid:50;)\n";

std::vector<Bytes>& operator+=(std::vector<Bytes>& a, const std::vector<Bytes>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<Bytes> Exchange(TcpSession& s, std::string_view request, std::string_view response,
                            const std::vector<size_t>& req_cuts = {}) {
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, request, req_cuts);
  f += s.Send(false, response);
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  f.push_back(s.Ack(true));
  return f;
}

// HTTP on 8081 (request cut in three), DNS over UDP 53 (query + response),
// DNS over TCP 53 (a query split inside its length prefix), TLS on 443.
std::vector<Bytes> MixedTraffic() {
  std::vector<Bytes> f;
  TcpSession http(kClient, 40000, kServer, 8081);
  const std::string request = HttpGet("/gate.php?id=42", "C2.example.com:8081", "User-Agent: EvilBot/1.0\r\n");
  f += Exchange(http, request, HttpOk("0123456789BODYMARK", "200 OK", "Content-Type: text/plain\r\n"), {4, 9});
  f.push_back(EthUdp(kClient, 53000, kServer, 53, DnsQuery(0x1234, "cdn.evil.example")));
  f.push_back(EthUdp(kServer, 53, kClient, 53000, DnsResponseA(0x1234, "cdn.evil.example")));
  TcpSession dns(kClient, 40001, kServer, 53);
  f += Exchange(dns, DnsTcpFrame(DnsQuery(0x0707, "tcp.evil.example", 16)),
                DnsTcpFrame(DnsResponseA(0x0707, "tcp.evil.example")), {1, 13});
  HelloSpec hello;
  hello.sni = "c2.example";
  TcpSession tls(kClient, 40002, kServer, 443);
  f += tls.Handshake();
  f += tls.Send(true, ClientHelloRecord(hello));
  f += tls.Send(false, ServerHelloRecord());
  f += tls.Send(true, ChangeCipherSpecRecord() + AppDataRecord("encrypted finished"));
  f += tls.Send(false, ChangeCipherSpecRecord() + AppDataRecord("encrypted finished"));
  f.push_back(tls.Fin(true));
  f.push_back(tls.Fin(false));
  return f;
}

class AppE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-app-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rules_ = Write("app.rules", kRules);
    std::vector<TestPacket> packets;
    int64_t ts = int64_t{1'700'000'000} * 1'000'000'000;
    for (const Bytes& f : MixedTraffic()) {
      packets.push_back({.ts_ns = ts, .bytes = f});
      ts += 1'000'000;
    }
    pcap_ = Write("mixed.pcap", MakePcap(packets));
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  ProcessResult Scan(const std::string& name, const std::vector<std::string>& extra, std::string* eve_text,
                     bool quiet = true) {
    const std::string eve = dir_ + "/" + name + ".eve.json";
    std::vector<std::string> args = {"scan", "--rules", rules_, "--eve", eve};
    if (quiet) args.push_back("-q");
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(pcap_);
    ProcessResult r = RunKagami(args, dir_);
    *eve_text = ReadFile(eve);
    eve_path_ = eve;
    return r;
  }

  std::string dir_, rules_, pcap_, eve_path_;
};

std::vector<long> Sorted(std::vector<long> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> LinesOfType(const std::string& eve, std::string_view type) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(eve)) {
    if (Field(line, "event_type") == type) out.push_back(line);
  }
  return out;
}

std::string AlertLine(const std::string& eve, long sid) {
  for (const std::string& line : LinesOfType(eve, "alert")) {
    if (Field(line, "signature_id") == std::to_string(sid)) return line;
  }
  return {};
}

TEST_F(AppE2eTest, AllEventTypesWriteAppObjectsAndValidEve) {
  std::string eve;
  ProcessResult r = Scan("all", {"--eve-types", "alert,http,dns,tls"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Two DNS queries (UDP and TCP) name evil.example: one alert each.
  EXPECT_THAT(Sorted(AlertSids(eve)), ElementsAre(1, 20, 20, 30, 40, 50));

  const std::string http_alert = AlertLine(eve, 1);
  EXPECT_EQ(Field(http_alert, "app_proto"), "http");
  EXPECT_THAT(http_alert, HasSubstr("\"http\":{"));
  EXPECT_THAT(http_alert, HasSubstr("\"hostname\":\"c2.example.com\""));
  EXPECT_THAT(http_alert, HasSubstr("\"url\":\"/gate.php?id=42\""));
  EXPECT_THAT(http_alert, HasSubstr("\"http_user_agent\":\"EvilBot/1.0\""));
  const std::string dns_alert = AlertLine(eve, 20);
  EXPECT_EQ(Field(dns_alert, "app_proto"), "dns");
  EXPECT_THAT(dns_alert, HasSubstr("\"dns\":{"));
  EXPECT_THAT(dns_alert, HasSubstr("\"rrname\":\"cdn.evil.example\""));
  const std::string tls_alert = AlertLine(eve, 30);
  EXPECT_EQ(Field(tls_alert, "app_proto"), "tls");
  EXPECT_THAT(tls_alert, HasSubstr("\"tls\":{"));
  EXPECT_THAT(tls_alert, HasSubstr("\"sni\":\"c2.example\""));
  EXPECT_THAT(tls_alert, HasSubstr("\"ja3\":{\"hash\":\""));

  const auto http = LinesOfType(eve, "http");
  ASSERT_EQ(http.size(), 1u);
  EXPECT_THAT(http[0], HasSubstr("\"status\":200"));
  EXPECT_THAT(http[0], HasSubstr("\"http_method\":\"GET\""));
  EXPECT_THAT(http[0], HasSubstr("\"length\":18"));
  const auto dns = LinesOfType(eve, "dns");
  ASSERT_EQ(dns.size(), 4u);  // UDP query + response, TCP query + response
  EXPECT_EQ(LinesOfType(eve, "tls").size(), 1u);
  EXPECT_EQ(Lines(eve).size(), 6u + 1u + 4u + 1u);

  int valid = ValidateEve(eve_path_);
  if (valid == -1) GTEST_SKIP() << "python3-jsonschema or the EVE schema is not available";
  EXPECT_EQ(valid, 0) << eve;
}

TEST_F(AppE2eTest, DefaultWritesOnlyAlerts) {
  std::string eve;
  ProcessResult r = Scan("default", {}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Sorted(AlertSids(eve)), ElementsAre(1, 20, 20, 30, 40, 50));
  EXPECT_EQ(LinesOfType(eve, "alert").size(), Lines(eve).size());
  // Alerts still carry the transaction's object.
  EXPECT_THAT(AlertLine(eve, 1), HasSubstr("\"http\":{"));
  int valid = ValidateEve(eve_path_);
  if (valid == -1) GTEST_SKIP() << "python3-jsonschema or the EVE schema is not available";
  EXPECT_EQ(valid, 0) << eve;
}

TEST_F(AppE2eTest, SomeEventTypes) {
  std::string eve;
  ProcessResult r = Scan("dnsonly", {"--eve-types", "alert, dns"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(LinesOfType(eve, "dns").size(), 4u);
  EXPECT_EQ(LinesOfType(eve, "http").size(), 0u);
  EXPECT_EQ(LinesOfType(eve, "tls").size(), 0u);
  EXPECT_EQ(LinesOfType(eve, "alert").size(), 6u);
}

TEST_F(AppE2eTest, UnknownEventTypeExitsWithStatus2) {
  std::string eve;
  ProcessResult r = Scan("bogus", {"--eve-types", "alert,bogus"}, &eve);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--eve-types"));
  EXPECT_THAT(r.err, HasSubstr("bogus"));
  EXPECT_EQ(eve, "");
}

TEST_F(AppE2eTest, BadBodyLimitExitsWithStatus2) {
  std::string eve;
  ProcessResult r = Scan("badlimit", {"--http-request-body-limit", "lots"}, &eve);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--http-request-body-limit"));
}

TEST_F(AppE2eTest, NoAppLayerNeverFiresAppRules) {
  std::string eve;
  ProcessResult r = Scan("noapp", {"--no-app-layer", "--eve-types", "alert,http,dns,tls"}, &eve, false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(40));
  EXPECT_EQ(Lines(eve).size(), 1u);
  EXPECT_THAT(r.err, Not(HasSubstr("app layer:")));
}

TEST_F(AppE2eTest, ResponseBodyLimitCutsFileData) {
  std::string eve;
  // BODYMARK starts at byte 10 of the body: a limit of 12 cuts it.
  ProcessResult r = Scan("limit", {"--http-response-body-limit", "12"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Sorted(AlertSids(eve)), ElementsAre(1, 20, 20, 30, 40));
  r = Scan("nolimit", {"--http-response-body-limit", "0"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Sorted(AlertSids(eve)), ElementsAre(1, 20, 20, 30, 40, 50));
}

TEST_F(AppE2eTest, SummaryHasAppLayerLine) {
  std::string eve;
  ProcessResult r = Scan("summary", {}, &eve, false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string line;
  for (const std::string& l : Lines(r.err)) {
    if (l.rfind("app layer:", 0) == 0) line = l;
  }
  ASSERT_FALSE(line.empty()) << r.err;
  EXPECT_EQ(line,
            "app layer: 1 http flow, 1 http transaction, 2 dns flows, 4 dns messages, 1 tls flow, "
            "1 tls handshake");
}

}  // namespace
}  // namespace kagami::testing
