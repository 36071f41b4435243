// End-to-end: `kagami scan --intel` with a feed in each format (CSV, Zeek
// Intel, STIX 2.1) over a generated capture touching an indicator of every
// network type, plus near misses: exactly the expected alerts, attribution in
// alert.context.intel, every record valid against Suricata's EVE schema; and
// `kagami rules check --intel` counting a feed and reporting its problems.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
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

using ::testing::HasSubstr;
using pipeline::traffic::Field;
using pipeline::traffic::TcpSession;
using namespace kagami::apptest;  // NOLINT: builders only

constexpr char kClient[] = "10.1.0.1";

std::vector<Bytes>& operator+=(std::vector<Bytes>& a, const std::vector<Bytes>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<Bytes> Exchange(TcpSession& s, std::string_view request, std::string_view response) {
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, request);
  f += s.Send(false, response);
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  f.push_back(s.Ack(true));
  return f;
}

// One flow per indicator type, each followed by its near miss.
std::vector<Bytes> Traffic() {
  std::vector<Bytes> f;
  TcpSession ip(kClient, 40000, "198.51.100.7", 80);  // ip indicator
  f += Exchange(ip, HttpGet("/"), HttpOk("x"));
  TcpSession ip_near(kClient, 40001, "198.51.100.8", 80);
  f += Exchange(ip_near, HttpGet("/"), HttpOk("x"));
  f.push_back(EthUdp(kClient, 53001, "192.0.2.53", 53, DnsQuery(1, "www.gokickes-example.com")));
  f.push_back(EthUdp(kClient, 53002, "192.0.2.53", 53, DnsQuery(2, "notgokickes-example.com")));
  TcpSession url(kClient, 40002, "192.0.2.10", 80);
  f += Exchange(url, HttpGet("/news/index.php?id=7", "blog.softfix-example.kr"), HttpOk("x"));
  TcpSession ua(kClient, 40003, "192.0.2.11", 80);
  f += Exchange(ua, HttpGet("/", "a.example", "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Tick)\r\n"),
                HttpOk("x"));
  HelloSpec hello;
  hello.sni = "mail.sa-guard-example.com";
  TcpSession tls(kClient, 40004, "192.0.2.20", 443);
  f += Exchange(tls, ClientHelloRecord(hello), ServerHelloRecord());
  return f;
}

constexpr char kCsv[] =
    "type,value,family,campaign_or_report,source_url,confidence\n"
    "ipv4,198.51.100.7,Daserf,July 2017,https://example.org/report,high\n"
    "domain,gokickes-example.com,Daserf,July 2017,https://example.org/report,high\n"
    "url,http://blog.softfix-example.kr/news/index.php,Daserf,July 2017,https://example.org/report,medium\n"
    "http_user_agent,Mozilla/4.0 (compatible; MSIE 6.0; Tick),Datper,,https://example.org/ua,medium\n"
    "domain,sa-guard-example.com,Datper,2019,https://example.org/jpcert,medium\n"
    "byte_pattern,deadbeef,Daserf,,,low\n";

constexpr char kZeek[] =
    "#separator \\x09\n"
    "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
    "198.51.100.7\tIntel::ADDR\ttest-zeek\tDaserf C2\n"
    "gokickes-example.com\tIntel::DOMAIN\ttest-zeek\tDaserf C2\n"
    "blog.softfix-example.kr/news/index.php\tIntel::URL\ttest-zeek\tDaserf C2\n"
    "Mozilla/4.0 (compatible; MSIE 6.0; Tick)\tIntel::SOFTWARE\ttest-zeek\tDatper UA\n"
    "sa-guard-example.com\tIntel::DOMAIN\ttest-zeek\tDatper C2\n"
    "someone\tIntel::USER_NAME\ttest-zeek\tignored\n";

std::string StixIndicator(int n, const std::string& pattern) {
  return "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-00000000000" +
         std::to_string(n) +
         "\",\"created\":\"2020-01-01T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\",\"pattern_type\":\"stix\","
         "\"valid_from\":\"2020-01-01T00:00:00Z\",\"pattern\":\"" +
         pattern + "\"}";
}

std::string StixRelationship(int n, int indicator) {
  return "{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"relationship--00000000-0000-4000-8000-00000000010" +
         std::to_string(n) +
         "\",\"created\":\"2020-01-01T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\","
         "\"relationship_type\":\"indicates\",\"source_ref\":\"indicator--00000000-0000-4000-8000-00000000000" +
         std::to_string(indicator) + "\",\"target_ref\":\"intrusion-set--00000000-0000-4000-8000-000000000999\"}";
}

std::string Stix() {
  std::vector<std::string> objects = {
      StixIndicator(1, "[ipv4-addr:value = '198.51.100.7/32']"),
      StixIndicator(2, "[domain-name:value = 'gokickes-example.com']"),
      StixIndicator(3, "[url:value = 'http://blog.softfix-example.kr/news/index.php']"),
      StixIndicator(4,
                    "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = "
                    "'Mozilla/4.0 (compatible; MSIE 6.0; Tick)']"),
      StixIndicator(5, "[domain-name:value = 'sa-guard-example.com'] OR [domain-name:value = 'other-example.net']"),
      StixIndicator(6, "[process:name = 'evil.exe']"),  // unsupported: skipped with a warning
      "{\"type\":\"intrusion-set\",\"spec_version\":\"2.1\",\"id\":\"intrusion-set--00000000-0000-4000-8000-"
      "000000000999\",\"created\":\"2020-01-01T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\",\"name\":\"Tick\"}",
  };
  for (int i = 1; i <= 5; ++i) objects.push_back(StixRelationship(i, i));
  std::string out = "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":[";
  for (size_t i = 0; i < objects.size(); ++i) out += (i ? ",\n" : "\n") + objects[i];
  return out + "]}\n";
}

class IntelE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-intel-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rules_ = Write("empty.rules", "# no signatures: indicators only\n");
    std::vector<TestPacket> packets;
    int64_t ts = int64_t{1'700'000'000} * 1'000'000'000;
    for (const Bytes& f : Traffic()) {
      packets.push_back({.ts_ns = ts, .bytes = f});
      ts += 1'000'000;
    }
    pcap_ = Write("intel.pcap", MakePcap(packets));
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  // Scans with `feed_args`; returns the alert lines.
  std::vector<std::string> ScanAlerts(const std::string& name, const std::vector<std::string>& feed_args,
                                      ProcessResult* result = nullptr) {
    const std::string eve = dir_ + "/" + name + ".eve.json";
    std::vector<std::string> args = {"scan", "--rules", rules_, "--eve", eve};
    args.insert(args.end(), feed_args.begin(), feed_args.end());
    args.push_back(pcap_);
    ProcessResult r = RunKagami(args, dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (result) *result = r;
    ValidateSchema(eve);
    std::vector<std::string> alerts;
    std::istringstream in(ReadFile(eve));
    for (std::string line; std::getline(in, line);) {
      if (Field(line, "event_type") == "alert") alerts.push_back(line);
    }
    return alerts;
  }

  void ValidateSchema(const std::string& eve) {
    const std::string root = KAGAMI_SOURCE_DIR;
    const std::string schema = root + "/../shared/eve/schema.json";
    if (!std::ifstream(schema).good()) return;
    if (std::system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") != 0) return;
    const std::string cmd = "/usr/bin/python3 " + root + "/tests/support/validate_eve.py " + schema + " " + eve;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  static std::string SeenIn(const std::string& line) {
    const size_t at = line.find("\"seen_in\":\"");
    if (at == std::string::npos) return {};
    return line.substr(at + 11, line.find('"', at + 11) - at - 11);
  }
  static std::multiset<std::string> SeenIns(const std::vector<std::string>& alerts) {
    std::multiset<std::string> out;
    for (const std::string& a : alerts) out.insert(SeenIn(a));
    return out;
  }

  std::string dir_, rules_, pcap_;
};

const std::multiset<std::string> kExpected = {"ip.dst", "dns.query", "http.url", "http.user_agent", "tls.sni"};

TEST_F(IntelE2eTest, CsvFeedFiresEachTypeOnceAndNearMissesStayQuiet) {
  ProcessResult r;
  std::vector<std::string> alerts = ScanAlerts("csv", {"--intel", Write("tick.csv", kCsv)}, &r);
  EXPECT_EQ(SeenIns(alerts), kExpected);
  for (const std::string& a : alerts) {
    EXPECT_EQ(Field(a, "gid"), "9000") << a;
    EXPECT_THAT(a, HasSubstr("\"feed\":\"tick.csv\"")) << a;
    EXPECT_THAT(a, HasSubstr("\"malware\":[\"")) << a;
    EXPECT_THAT(a, HasSubstr("\"reference\":\"https://example.org/")) << a;
  }
  // The skipped byte_pattern row is reported with its line.
  EXPECT_THAT(r.err, HasSubstr("tick.csv:7"));
  EXPECT_THAT(r.err, HasSubstr("\nindicators: 5 loaded, 1 feed, 1 skipped\n"));
  EXPECT_THAT(r.err, HasSubstr("/tick.csv: 5 indicators, 1 skipped\n"));
}

TEST_F(IntelE2eTest, ZeekFeedFiresTheSame) {
  std::vector<std::string> alerts = ScanAlerts("zeek", {"--intel", Write("tick.intel", kZeek)});
  EXPECT_EQ(SeenIns(alerts), kExpected);
  for (const std::string& a : alerts) EXPECT_THAT(a, HasSubstr("\"source\":\"test-zeek\"")) << a;
}

TEST_F(IntelE2eTest, StixFeedFiresTheSameWithIntrusionSet) {
  ProcessResult r;
  std::vector<std::string> alerts = ScanAlerts("stix", {"--intel", Write("tick.json", Stix())}, &r);
  EXPECT_EQ(SeenIns(alerts), kExpected);
  for (const std::string& a : alerts) {
    EXPECT_THAT(a, HasSubstr("\"intrusion_sets\":[\"Tick\"]")) << a;
    EXPECT_THAT(a, HasSubstr("\"stix_id\":\"indicator--")) << a;
  }
  EXPECT_THAT(r.err, HasSubstr("indicator--00000000-0000-4000-8000-000000000006"));
}

TEST_F(IntelE2eTest, SidsAreStableAcrossRunsAndFeedOrder) {
  const std::string csv = Write("a.csv", kCsv);
  const std::string zeek = Write("b.intel", kZeek);
  auto sids = [&](const std::string& name, const std::vector<std::string>& args) {
    std::multiset<std::string> out;
    for (const std::string& a : ScanAlerts(name, args)) out.insert(Field(a, "signature_id"));
    return out;
  };
  const auto one = sids("one", {"--intel", csv, "--intel", zeek});
  const auto two = sids("two", {"--intel", zeek, "--intel", csv});
  EXPECT_EQ(one.size(), 10u);
  EXPECT_EQ(one, two);
}

TEST_F(IntelE2eTest, ExactDomainFeedDoesNotMatchSubdomains) {
  std::vector<std::string> alerts = ScanAlerts("exact", {"--intel-exact-domains", Write("tick.csv", kCsv)});
  // www.gokickes-example.com and mail.sa-guard-example.com no longer match.
  EXPECT_EQ(SeenIns(alerts), (std::multiset<std::string>{"ip.dst", "http.url", "http.user_agent"}));
}

TEST_F(IntelE2eTest, RulesCheckCountsTypesAndReportsProblems) {
  const std::string feed = Write("check.csv", std::string(kCsv) + "ipv4,300.1.2.3/8,Bad,,,low\n");
  ProcessResult r = RunKagami({"rules", "check", "--intel", feed}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // warnings only: the good rows load
  EXPECT_THAT(r.out, HasSubstr("check.csv (csv): 5 indicators: 1 ip, 2 domain, 1 url, 1 user_agent; 2 skipped"));
  EXPECT_THAT(r.out, HasSubstr("intel: 5 indicators from 1 feed"));
  EXPECT_THAT(r.out, HasSubstr("loaded in"));
  EXPECT_THAT(r.err, HasSubstr("check.csv:8:"));
  // A feed that is not there at all.
  ProcessResult missing = RunKagami({"rules", "check", "--intel", dir_ + "/missing.csv"}, dir_);
  EXPECT_NE(missing.exit_code, 0);
  // Malformed JSON: an error with its position, and a failing status.
  const std::string bad = Write("bad.json", "{\"type\":\"bundle\",\"objects\":[\n" +
                                                StixIndicator(1, "[domain-name:value = 'a.example']") + ",\n{oops");
  ProcessResult broken = RunKagami({"rules", "check", "--intel", bad}, dir_);
  EXPECT_EQ(broken.exit_code, 1) << broken.out << broken.err;
  EXPECT_THAT(broken.err, HasSubstr("bad.json:3:"));
  EXPECT_THAT(broken.out, HasSubstr("bad.json (stix): 1 indicator: 1 domain"));
}

// No --rules and no --intel: the shipped packs' signatures and the feeds in
// each pack's intel/ folder both load. Naming rules turns the default off.
TEST_F(IntelE2eTest, ShippedPackFeedsLoadWhenNothingIsNamed) {
  const std::string packs = dir_ + "/packs";
  ASSERT_EQ(std::system(("mkdir -p '" + packs + "/tick/intel'").c_str()), 0);
  std::ofstream(packs + "/tick/tick.rules") << "# no signatures in this test pack\n";
  std::ofstream(packs + "/tick/intel/indicators.csv", std::ios::binary) << kCsv;
  ASSERT_EQ(setenv("KAGAMI_PACKS", packs.c_str(), 1), 0);
  const std::string eve = dir_ + "/shipped.eve.json";
  ProcessResult r = RunKagami({"scan", "--eve", eve, pcap_}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("\nindicators: 5 loaded, 1 feed, 1 skipped\n"));
  EXPECT_THAT(r.err, HasSubstr("kagami: pack tick: 0 rules, 5 indicators (1 skipped) from " + packs + "/tick\n"));
  size_t intel_alerts = 0;
  std::istringstream in(ReadFile(eve));
  for (std::string line; std::getline(in, line);) intel_alerts += Field(line, "gid") == "9000";
  EXPECT_EQ(intel_alerts, kExpected.size());
  const std::string explicit_eve = dir_ + "/explicit.eve.json";
  ProcessResult e = RunKagami({"scan", "--rules", rules_, "--eve", explicit_eve, pcap_}, dir_);
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_THAT(ReadFile(explicit_eve), ::testing::Not(HasSubstr("\"gid\":9000")));
  EXPECT_THAT(e.err, ::testing::Not(HasSubstr("pack tick")));

  // --intel adds to the packs rather than replacing their feeds, and says so.
  const std::string extra = Write("extra.csv", "type,value\ndomain,nothing-here.example\n");
  ProcessResult added = RunKagami({"scan", "--intel", extra, "--eve", dir_ + "/added.eve.json", pcap_}, dir_);
  EXPECT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.err, HasSubstr("kagami: pack tick: 0 rules, 5 indicators (1 skipped) from "));
  EXPECT_THAT(added.err, HasSubstr("kagami: feed " + extra + ": 1 indicator\n"));
  EXPECT_THAT(added.err, HasSubstr("\nindicators: 6 loaded, 2 feeds, 1 skipped\n"));
  // --no-default-packs: only what is named.
  ProcessResult alone = RunKagami({"scan", "--no-default-packs", "--intel", extra, "--eve", dir_ + "/alone.json", pcap_},
                                  dir_);
  EXPECT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_THAT(alone.err, ::testing::Not(HasSubstr("pack tick")));
  EXPECT_THAT(alone.err, HasSubstr("\nindicators: 1 loaded, 1 feed\n"));
  // --default-packs keeps them beside --rules.
  ProcessResult both = RunKagami({"scan", "--default-packs", "--rules", rules_, "--eve", dir_ + "/both.json", pcap_},
                                 dir_);
  EXPECT_EQ(both.exit_code, 0) << both.err;
  EXPECT_THAT(both.err, HasSubstr("kagami: pack tick: "));
  EXPECT_THAT(both.err, HasSubstr("kagami: rules " + rules_ + ": "));

  // Packs that are not there: a clear error, nothing scanned.
  ASSERT_EQ(setenv("KAGAMI_PACKS", (dir_ + "/nowhere").c_str(), 1), 0);
  ProcessResult missing = RunKagami({"scan", "--eve", dir_ + "/missing.json", pcap_}, dir_);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("no shipped packs in " + dir_ + "/nowhere"));
  EXPECT_THAT(missing.err, HasSubstr("KAGAMI_PACKS"));
  unsetenv("KAGAMI_PACKS");
}

}  // namespace
}  // namespace kagami::testing
