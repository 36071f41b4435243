// Indicator feeds through the real Scanner: addresses checked once per flow,
// names, URLs, user agents and TLS fingerprints checked as the app layer
// completes each transaction, one alert per indicator per flow, near misses
// quiet, and the attribution written under alert.context.intel.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/app/tls/fingerprint.h"
#include "engine/intel/intel_builder.h"
#include "engine/intel/intel_store.h"
#include "rules/feeds/csv_reader.h"
#include "rules/feeds/stix_reader.h"
#include "tests/app/tls/tls_test_util.h"
#include "tests/pipeline/app_test_util.h"
#include "tests/pipeline/traffic_test_util.h"
#include "tests/support/http_body.h"

namespace kagami::pipeline::traffic {
namespace {

using kagami::testing::Bytes;
using namespace kagami::apptest;  // NOLINT: builders only

constexpr char kClient[] = "10.1.0.1";

// A store from CSV text (header included), subdomain matching as given.
std::shared_ptr<const intel::IntelStore> CsvStore(const std::string& csv, bool subdomains = true) {
  intel::IntelStoreBuilder builder;
  feeds::FeedOptions options;
  options.match_subdomains = subdomains;
  builder.BeginFeed("test.csv", options);
  feeds::FeedReport report;
  EXPECT_TRUE(feeds::ReadCsvString(csv, "test.csv", options, &builder, &report));
  EXPECT_EQ(report.skipped, 0u);
  for (const auto& d : report.diagnostics) ADD_FAILURE() << d.ToString();
  return builder.Build();
}

std::shared_ptr<const intel::IntelStore> StixStore(const std::string& json) {
  intel::IntelStoreBuilder builder;
  feeds::FeedOptions options;
  builder.BeginFeed("test.stix.json", options);
  feeds::FeedReport report;
  EXPECT_TRUE(feeds::ReadStixString(json, "test.stix.json", options, &builder, &report));
  for (const auto& d : report.diagnostics) ADD_FAILURE() << d.ToString();
  return builder.Build();
}

// The intel alerts (gid 9000) among the records.
std::vector<Record> IntelAlerts(const std::vector<Record>& all) {
  std::vector<Record> out;
  for (const Record& r : all) {
    if (Field(r.line, "event_type") == "alert" && Field(r.line, "gid") == "9000") out.push_back(r);
  }
  return out;
}

// The "intel" object under alert.context (its text up to the record's end).
std::string IntelContext(const Record& r) {
  const size_t at = r.line.find("\"context\":{\"intel\":{");
  return at == std::string::npos ? std::string() : r.line.substr(at);
}

bool Has(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

std::vector<Bytes>& operator+=(std::vector<Bytes>& a, const std::vector<Bytes>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<Bytes> TcpExchange(TcpSession& s, std::string_view request, std::string_view response) {
  std::vector<Bytes> f = s.Handshake();
  if (!request.empty()) f += s.Send(true, request);
  if (!response.empty()) f += s.Send(false, response);
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  f.push_back(s.Ack(true));
  return f;
}

Bytes DnsPacket(const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport,
                const std::string& message) {
  return kagami::testing::EthUdp(src, sport, dst, dport, message);
}

TEST(IntelPipelineTest, AddressIndicatorAlertsOncePerFlowOnEitherSide) {
  Harness h("");
  h.scanner().set_intel(CsvStore("type,value,family\nip,198.51.100.7,Daserf\nipv4,10.9.0.0/16,xxmm\n"));
  TcpSession to_bad(kClient, 40000, "198.51.100.7", 80);
  h.Feed(TcpExchange(to_bad, HttpGet("/"), HttpOk("hi")));
  TcpSession neighbour(kClient, 40001, "198.51.100.8", 80);
  h.Feed(TcpExchange(neighbour, HttpGet("/"), HttpOk("hi")));
  TcpSession again(kClient, 40002, "198.51.100.7", 80);
  h.Feed(TcpExchange(again, HttpGet("/"), HttpOk("hi")));
  TcpSession from_bad("10.9.3.4", 40003, "192.0.2.80", 443);
  h.Feed(TcpExchange(from_bad, "x", "y"));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 3u);
  // Flows 1 and 3 (one alert each, on their SYN), then flow 4's source.
  EXPECT_EQ(alerts[0].dest_ip, "198.51.100.7");
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"seen_in\":\"ip.dst\"")) << alerts[0].line;
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"indicator\":\"198.51.100.7\"")) << alerts[0].line;
  EXPECT_NE(alerts[0].flow_id, alerts[1].flow_id);
  EXPECT_EQ(alerts[0].sid, alerts[1].sid);
  EXPECT_TRUE(Has(IntelContext(alerts[2]), "\"seen_in\":\"ip.src\"")) << alerts[2].line;
  EXPECT_TRUE(Has(IntelContext(alerts[2]), "\"indicator\":\"10.9.0.0/16\"")) << alerts[2].line;
  EXPECT_TRUE(Has(IntelContext(alerts[2]), "\"malware\":[\"xxmm\"]")) << alerts[2].line;
  EXPECT_TRUE(Has(alerts[2].line, "\"metadata\":{\"malware_family\":[\"xxmm\"]}")) << alerts[2].line;
  EXPECT_EQ(h.alerts(), 3u);
}

TEST(IntelPipelineTest, DnsQueryMatchesParentDomainOncePerFlowAndNearMissesStayQuiet) {
  Harness h("");
  h.scanner().set_intel(CsvStore("type,value\ndomain,evil-example.com\n"));
  // Query and its response in one flow: one alert (the query).
  h.Feed(DnsPacket(kClient, 5353 + 1, "192.0.2.53", 53, DnsQuery(7, "a.b.Evil-Example.com.")));
  h.Feed(DnsPacket("192.0.2.53", 53, kClient, 5354, DnsResponseA(7, "a.b.evil-example.com")));
  // Near misses in other flows.
  h.Feed(DnsPacket(kClient, 6000, "192.0.2.53", 53, DnsQuery(8, "notevil-example.com")));
  h.Feed(DnsPacket(kClient, 6001, "192.0.2.53", 53, DnsQuery(9, "evil-example.com.au")));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 1u);
  const std::string ctx = IntelContext(alerts[0]);
  EXPECT_TRUE(Has(ctx, "\"seen_in\":\"dns.query\"")) << ctx;
  EXPECT_TRUE(Has(ctx, "\"type\":\"domain\"")) << ctx;
  EXPECT_TRUE(Has(ctx, "\"indicator\":\"evil-example.com\"")) << ctx;
  EXPECT_TRUE(Has(alerts[0].line, "\"app_proto\":\"dns\"")) << alerts[0].line;
  EXPECT_TRUE(Has(alerts[0].line, "\"rrname\":\"a.b.Evil-Example.com\"")) << alerts[0].line;
}

TEST(IntelPipelineTest, ExactDomainFeedIgnoresSubdomains) {
  Harness h("");
  h.scanner().set_intel(CsvStore("type,value\ndomain,kot.gogoblog.net\n", /*subdomains=*/false));
  h.Feed(DnsPacket(kClient, 6000, "192.0.2.53", 53, DnsQuery(1, "x.kot.gogoblog.net")));
  h.Feed(DnsPacket(kClient, 6001, "192.0.2.53", 53, DnsQuery(2, "gogoblog.net")));
  h.Feed(DnsPacket(kClient, 6002, "192.0.2.53", 53, DnsQuery(3, "KOT.gogoblog.net")));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].src_port, 6002);
}

TEST(IntelPipelineTest, DnsAnswerNameInCnameData) {
  Harness h("");
  h.scanner().set_intel(CsvStore("type,value\ndomain,c2.evil-example.net\n"));
  // www.benign.example is a CNAME to the C2 name.
  const std::string answer = DnsRecord(kDnsFirstQuestion, 5, DnsName("c2.evil-example.net"));
  const std::string response = DnsHeader(4, 0x8180, 1, 1, 0, 0) + DnsQuestion("www.benign.example", 1) + answer;
  h.Feed(DnsPacket(kClient, 6000, "192.0.2.53", 53, DnsQuery(4, "www.benign.example")));
  h.Feed(DnsPacket("192.0.2.53", 53, kClient, 6000, response));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"seen_in\":\"dns.answer\"")) << alerts[0].line;
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"observed\":\"c2.evil-example.net\"")) << alerts[0].line;
}

// A response alone (the query was not captured): the question counts as a
// query seen, and a name the message repeats (in another case, as a CNAME
// target and then as an A record's owner) is looked up once.
TEST(IntelPipelineTest, DnsNamesRepeatedInOneMessageAreLookedUpOnce) {
  Harness h("");
  h.scanner().set_intel(CsvStore("type,value\ndomain,c2.evil-example.net\ndomain,other.example\n"));
  // www.benign.example CNAME C2.Evil-Example.NET; then c2.evil-example.net A
  // 192.0.2.9, twice, and WWW.benign.example A.
  std::string answers = DnsRecord(kDnsFirstQuestion, 5, DnsName("C2.Evil-Example.NET"));
  for (const char* owner : {"c2.evil-example.net", "c2.evil-example.net", "WWW.benign.example"}) {
    answers += DnsRecord(DnsName(owner), 1, std::string("\xc0\x00\x02\x09", 4));
  }
  const std::string response =
      DnsHeader(4, 0x8180, 1, 4, 0, 0) + DnsQuestion("www.benign.example", 1) + answers;
  h.Feed(DnsPacket("192.0.2.53", 53, kClient, 6000, response));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"seen_in\":\"dns.answer\"")) << alerts[0].line;
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"observed\":\"C2.Evil-Example.NET\"")) << alerts[0].line;
  // The flow's addresses, www.benign.example (question) and the C2 name.
  EXPECT_EQ(h.scanner().intel_lookups(), 3u);
}

TEST(IntelPipelineTest, HttpHostUrlAndUserAgent) {
  Harness h("");
  h.scanner().set_intel(CsvStore(
      "type,value\n"
      "url,http://www.example.org/wp/gate.php\n"
      "user_agent,Mozilla/4.0 (compatible; MSIE 8.0; Win32)\n"
      "domain,cdn.example.info\n"));
  TcpSession url(kClient, 41000, "192.0.2.10", 80);
  h.Feed(TcpExchange(url, HttpGet("/wp/gate%2ephp?id=42", "WWW.example.org:80"), HttpOk("x")));
  TcpSession other_path(kClient, 41001, "192.0.2.10", 80);
  h.Feed(TcpExchange(other_path, HttpGet("/wp/gate.php5", "www.example.org"), HttpOk("x")));
  TcpSession ua(kClient, 41002, "192.0.2.11", 80);
  h.Feed(TcpExchange(ua, HttpGet("/", "a.example", "User-Agent: Mozilla/4.0 (compatible; MSIE 8.0; Win32)\r\n"),
                     HttpOk("x")));
  TcpSession ua_near(kClient, 41003, "192.0.2.11", 80);
  h.Feed(TcpExchange(ua_near, HttpGet("/", "a.example", "User-Agent: Mozilla/4.0 (compatible; MSIE 8.0; Win64)\r\n"),
                     HttpOk("x")));
  TcpSession host(kClient, 41004, "192.0.2.12", 8080);
  h.Feed(TcpExchange(host, HttpGet("/x", "img.cdn.example.info:8080"), HttpOk("x")));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"seen_in\":\"http.url\"")) << alerts[0].line;
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"observed\":\"www.example.org/wp/gate.php?id=42\"")) << alerts[0].line;
  EXPECT_EQ(alerts[0].src_port, 41000);
  EXPECT_TRUE(Has(alerts[0].line, "\"http\":{")) << alerts[0].line;
  EXPECT_TRUE(Has(IntelContext(alerts[1]), "\"seen_in\":\"http.user_agent\"")) << alerts[1].line;
  EXPECT_EQ(alerts[1].src_port, 41002);
  EXPECT_TRUE(Has(IntelContext(alerts[2]), "\"seen_in\":\"http.host\"")) << alerts[2].line;
  EXPECT_EQ(alerts[2].src_port, 41004);
}

TEST(IntelPipelineTest, TlsSniJa3AndCertificateFingerprint) {
  namespace tt = kagami::app::tls::testing;
  tt::CertSpec spec;
  spec.subject = {{"CN", "mail.evil-example.jp"}};
  spec.serial = {0x01, 0x02};
  spec.not_before = 1'600'000'000;
  spec.not_after = 1'900'000'000;
  const tt::Bytes der = tt::MakeCertificate(spec);
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(der.data(), der.size(), digest);
  std::string sha1;
  for (uint8_t b : digest) {
    static constexpr char kHex[] = "0123456789ABCDEF";  // upper case: matching folds case
    sha1 += kHex[b >> 4];
    sha1 += kHex[b & 15];
  }
  const tt::Bytes cert_record = tt::Record(22, tt::Handshake(11, tt::CertificateBody({der})));
  const std::string cert_bytes(cert_record.begin(), cert_record.end());

  HelloSpec hello;
  hello.sni = "update.evil-example.jp";
  const std::string ja3 = app::tls::Md5Hex(Ja3String(hello));
  HelloSpec plain;
  plain.sni = "www.example.com";
  plain.ciphers = {0x1301};

  Harness h("");
  h.scanner().set_intel(CsvStore("type,value\ndomain,evil-example.jp\nja3," + ja3 + "\ncert_sha1," + sha1 + "\n",
                                 true));
  // SNI and JA3 on one hello: two indicators, two alerts in the flow.
  TcpSession a(kClient, 42000, "192.0.2.20", 443);
  h.Feed(TcpExchange(a, ClientHelloRecord(hello), ServerHelloRecord()));
  // Only the certificate (a benign SNI and different JA3).
  TcpSession b(kClient, 42001, "192.0.2.21", 443);
  h.Feed(TcpExchange(b, ClientHelloRecord(plain), ServerHelloRecord() + cert_bytes));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 3u);
  std::vector<std::string> seen;
  for (const Record& r : alerts) {
    const std::string ctx = IntelContext(r);
    const size_t at = ctx.find("\"seen_in\":\"");
    seen.push_back(ctx.substr(at + 11, ctx.find('"', at + 11) - at - 11));
    EXPECT_TRUE(Has(r.line, "\"app_proto\":\"tls\"")) << r.line;
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"tls.cert_fingerprint", "tls.ja3.hash", "tls.sni"}));
  EXPECT_EQ(alerts[2].src_port, 443);  // the certificate came from the server
}

TEST(IntelPipelineTest, FileDigestOfAnHttpDownload) {
  std::string payload = "MZ";
  for (int i = 0; i < 4000; ++i) payload.push_back(static_cast<char>('a' + i % 26));
  const std::string md5 = app::tls::Md5Hex(payload);
  Harness h("");
  h.scanner().set_intel(CsvStore("type,value,family\nfile_md5," + md5 + ",Daserf\n"));
  TcpSession dl(kClient, 45000, "192.0.2.30", 80);
  h.Feed(TcpExchange(dl, HttpGet("/download/update.exe"),
                     "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(payload.size()) + "\r\n\r\n" + payload));
  // One byte different: no alert.
  std::string other = payload;
  other.back() = '!';
  TcpSession near(kClient, 45001, "192.0.2.30", 80);
  h.Feed(TcpExchange(near, HttpGet("/download/update.exe"),
                     "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(other.size()) + "\r\n\r\n" + other));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].src_port, 80);  // on the server's packet that ended the body
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"seen_in\":\"file.md5\"")) << alerts[0].line;
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"observed\":\"" + md5 + "\"")) << alerts[0].line;
}

TEST(IntelPipelineTest, FileDigestOfAGzipEncodedDownloadWithNoRuleReadingBodies) {
  // No rule reads bodies, so none are kept; the digest is still of the
  // decoded file, not of the gzip bytes on the wire.
  std::string payload = "MZ";
  for (int i = 0; i < 4000; ++i) payload.push_back(static_cast<char>('a' + i % 7));
  const std::string gz = testing::Gzip(payload);
  Harness h("");
  h.scanner().set_intel(CsvStore("type,value,family\nfile_md5," + app::tls::Md5Hex(payload) +
                                 ",Daserf\nfile_md5," + app::tls::Md5Hex(gz) + ",wire bytes\n"));
  TcpSession dl(kClient, 45010, "192.0.2.31", 80);
  h.Feed(TcpExchange(dl, HttpGet("/download/update.exe"),
                     "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                         std::to_string(gz.size()) + "\r\n\r\n" + gz));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_TRUE(Has(alerts[0].line, "Daserf")) << alerts[0].line;
  EXPECT_TRUE(Has(IntelContext(alerts[0]), "\"seen_in\":\"file.md5\"")) << alerts[0].line;
}

TEST(IntelPipelineTest, StixAndClauseAndAttribution) {
  const std::string bundle = R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"indicator","spec_version":"2.1","id":"indicator--aaaaaaaa-0000-4000-8000-000000000001",
     "created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"Datper C2 on 8443",
     "pattern":"[network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 8443]",
     "pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","confidence":90},
    {"type":"malware","spec_version":"2.1","id":"malware--bbbbbbbb-0000-4000-8000-000000000002",
     "created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"Datper","is_family":true},
    {"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--cccccccc-0000-4000-8000-000000000003",
     "created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","name":"Tick"},
    {"type":"relationship","spec_version":"2.1","id":"relationship--dddddddd-0000-4000-8000-000000000004",
     "created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","relationship_type":"indicates",
     "source_ref":"indicator--aaaaaaaa-0000-4000-8000-000000000001",
     "target_ref":"malware--bbbbbbbb-0000-4000-8000-000000000002"},
    {"type":"relationship","spec_version":"2.1","id":"relationship--eeeeeeee-0000-4000-8000-000000000005",
     "created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","relationship_type":"uses",
     "source_ref":"intrusion-set--cccccccc-0000-4000-8000-000000000003",
     "target_ref":"malware--bbbbbbbb-0000-4000-8000-000000000002"}]})";
  Harness h("");
  h.scanner().set_intel(StixStore(bundle));
  TcpSession wrong_port(kClient, 43000, "203.0.113.5", 443);
  h.Feed(TcpExchange(wrong_port, "a", "b"));
  TcpSession right(kClient, 43001, "203.0.113.5", 8443);
  h.Feed(TcpExchange(right, "a", "b"));
  h.Finish();
  std::vector<Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 1u);
  const Record& r = alerts[0];
  EXPECT_EQ(r.dest_port, 8443);
  const std::string ctx = IntelContext(r);
  EXPECT_TRUE(Has(r.line, "\"signature\":\"KAGAMI INTEL Datper C2 on 8443 (Tick)\"")) << r.line;
  EXPECT_TRUE(Has(r.line, "\"severity\":1")) << r.line;
  EXPECT_TRUE(Has(ctx, "\"stix_id\":\"indicator--aaaaaaaa-0000-4000-8000-000000000001\"")) << ctx;
  EXPECT_TRUE(Has(ctx, "\"intrusion_sets\":[\"Tick\"]")) << ctx;
  EXPECT_TRUE(Has(ctx, "\"malware\":[\"Datper\"]")) << ctx;
  EXPECT_TRUE(Has(ctx, "\"confidence\":90")) << ctx;
  EXPECT_GE(r.sid, 1'000'000'000u);
  EXPECT_LE(r.sid, 1'999'999'999u);
}

TEST(IntelPipelineTest, NoStoreOrEmptyStoreChangesNothing) {
  Harness h("");
  h.scanner().set_intel(nullptr);
  TcpSession s(kClient, 44000, "198.51.100.7", 80);
  h.Feed(TcpExchange(s, HttpGet("/"), HttpOk("x")));
  h.scanner().set_intel(CsvStore("type,value\n"));
  TcpSession t(kClient, 44001, "198.51.100.7", 80);
  h.Feed(TcpExchange(t, HttpGet("/"), HttpOk("x")));
  h.Finish();
  EXPECT_TRUE(IntelAlerts(h.Records()).empty());
  EXPECT_EQ(h.scanner().intel_lookups(), 0u);
}

}  // namespace
}  // namespace kagami::pipeline::traffic
