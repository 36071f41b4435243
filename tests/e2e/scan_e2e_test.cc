// End-to-end: the kagami binary on captures and rules the tests make.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/e2e/kagami_process.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pcap_writer.h"

namespace kagami::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class ScanE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  std::string dir_;
};

std::vector<TestPacket> MixedTraffic() {
  std::vector<TestPacket> p;
  p.push_back({.bytes = EthTcp("10.0.0.1", 40000, "198.51.100.7", 80, "GET /evil HTTP/1.1\r\n\r\n")});
  p.push_back({.bytes = EthUdp("10.0.0.1", 53000, "10.0.0.53", 53, "benign")});
  p.push_back({.bytes = EthIcmp("10.0.0.1", "198.51.100.9", "ping")});
  p.push_back({.bytes = EthTcp("2001:db8::1", 40001, "2001:db8::2", 8080, "evil over v6")});
  return p;
}

constexpr char kRules[] =
    "alert tcp any any -> any any (msg:\"evil content\"; content:\"evil\"; sid:1; rev:2;)\n"
    "alert icmp any any -> any any (msg:\"echo request\"; itype:8; sid:2;)\n"
    "alert ip any any -> [198.51.100.0/24,!198.51.100.9] any (msg:\"to listed net\"; sid:3;)\n"
    "alert udp $HOME_NET any -> any 53 (msg:\"dns from home\"; sid:4;)\n";

TEST_F(ScanE2eTest, AlertsOnEveryRuleKindAndWritesValidEve) {
  std::string pcap = Write("mixed.pcap", MakePcap(MixedTraffic()));
  std::string rules = Write("test.rules", kRules);
  std::string eve = dir_ + "/eve.json";
  ProcessResult r = RunKagami({"scan", "--rules", rules, "--eve", eve, pcap}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string text = ReadFile(eve);
  EXPECT_THAT(AlertSids(text), UnorderedElementsAre(1, 3, 4, 2, 1));
  EXPECT_THAT(text, HasSubstr("\"pcap_filename\":\"" + pcap + "\""));
  // IPv6 spelled out in full, as Suricata writes it.
  EXPECT_THAT(text, HasSubstr("\"src_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0001\""));
  EXPECT_THAT(text, HasSubstr("\"signature\":\"evil content\""));
  EXPECT_THAT(r.err, HasSubstr("4 packets"));
  int valid = ValidateEve(eve);
  if (valid == -1) GTEST_SKIP() << "python3-jsonschema or the EVE schema is not available";
  EXPECT_EQ(valid, 0);
}

TEST_F(ScanE2eTest, EveToStdout) {
  std::string pcap = Write("mixed.pcap", MakePcap(MixedTraffic()));
  std::string rules = Write("test.rules", kRules);
  ProcessResult r = RunKagami({"scan", "--quiet", "--rules", rules, "--eve", "-", pcap}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(AlertSids(r.out).size(), 5u);
  EXPECT_EQ(r.err, "");
}

TEST_F(ScanE2eTest, VarOverridesHomeNet) {
  std::string pcap = Write("mixed.pcap", MakePcap(MixedTraffic()));
  std::string rules = Write("test.rules", kRules);
  ProcessResult r = RunKagami({"scan", "-q", "--rules", rules, "--eve", "-", "--var",
                               "HOME_NET=[192.168.0.0/16]", pcap}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<long> sids = AlertSids(r.out);
  EXPECT_EQ(std::count(sids.begin(), sids.end(), 4), 0);
  EXPECT_EQ(std::count(sids.begin(), sids.end(), 1), 2);
}

TEST_F(ScanE2eTest, CorruptFileKeepsEarlierAlertsAndGoesOn) {
  std::vector<TestPacket> packets = MixedTraffic();
  std::string whole = MakePcap(packets);
  // Cut the file inside the third record: two good packets, then damage.
  size_t first = 24 + 16 + packets[0].bytes.size();
  size_t second = first + 16 + packets[1].bytes.size();
  std::string broken = Write("a-broken.pcap", whole.substr(0, second + 16 + 5));
  std::string good = Write("b-good.pcap", whole);
  std::string rules = Write("test.rules", kRules);
  ProcessResult r = RunKagami({"scan", "--rules", rules, "--eve", "-", broken, good}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(broken + ": packet 3 at byte offset " + std::to_string(second) + ":"));
  // sid 1 and 3 from the first packet of the broken file, sid 4 from its
  // second, then all five from the good file.
  EXPECT_EQ(AlertSids(r.out).size(), 3u + 5u);
}

TEST_F(ScanE2eTest, DirectoriesExpandInNameOrder) {
  std::string sub = dir_ + "/captures";
  ASSERT_EQ(std::system(("mkdir -p '" + sub + "/nested'").c_str()), 0);
  std::vector<TestPacket> one = {{.bytes = EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "evil")}};
  std::ofstream(sub + "/b.pcap", std::ios::binary) << MakePcap(one);
  std::ofstream(sub + "/nested/a.pcapng", std::ios::binary) << MakePcapng(one);
  std::string rules = Write("test.rules", kRules);
  ProcessResult r = RunKagami({"scan", "-q", "--rules", rules, "--eve", "-", sub}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("b.pcap"));
  EXPECT_THAT(lines[1], HasSubstr("nested/a.pcapng"));
}

TEST_F(ScanE2eTest, BadRulesAreReportedWithPositionAndTheRestLoad) {
  std::string pcap = Write("mixed.pcap", MakePcap(MixedTraffic()));
  std::string rules = Write("bad.rules",
                            "alert tcp any any -> any any (msg:\"ok\"; content:\"evil\"; sid:1;)\n"
                            "alert tcp any any -> any any (msg:\"bad\"; frobnicate:1; sid:2;)\n");
  // The scan runs with the rules that loaded, the summary counts both, and
  // the exit status says not everything loaded.
  ProcessResult r = RunKagami({"scan", "--rules", rules, "--eve", "-", pcap}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(rules + ":2:"));
  EXPECT_THAT(r.err, HasSubstr("frobnicate"));
  EXPECT_THAT(r.err, HasSubstr("kagami: rules " + rules + ": 1 rule, 1 failed\n"));
  EXPECT_THAT(r.err, HasSubstr("\nrules: 1 loaded, 1 failed\n"));
  EXPECT_THAT(r.err, HasSubstr("--allow-rule-errors"));
  EXPECT_THAT(AlertSids(r.out), ElementsAre(1, 1));
  ProcessResult allowed =
      RunKagami({"scan", "-q", "--allow-rule-errors", "--rules", rules, "--eve", "-", pcap}, dir_);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_THAT(AlertSids(allowed.out), ElementsAre(1, 1));

  ProcessResult strict = RunKagami({"scan", "--strict", "--rules", rules, "--eve", "-", pcap}, dir_);
  EXPECT_NE(strict.exit_code, 0);
  EXPECT_EQ(AlertSids(strict.out).size(), 0u);
}

TEST_F(ScanE2eTest, RulesCheckPrintsDiagnosticsAndCounts) {
  std::string good = Write("good.rules", kRules);
  ProcessResult ok = RunKagami({"rules", "check", good}, dir_);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("4 rules loaded, 0 errors"));
  EXPECT_THAT(ok.out, HasSubstr("tcp"));

  std::string bad = Write("bad.rules", std::string(kRules) +
                                           "alert tcp any any -> any any (msg:\"x\"; content:\"a\"; sid:1;)\n");
  ProcessResult dup = RunKagami({"rules", "check", bad}, dir_);
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_THAT(dup.err, HasSubstr(bad + ":5:"));
}

TEST_F(ScanE2eTest, MissingInputIsAClearError) {
  std::string rules = Write("test.rules", kRules);
  ProcessResult r = RunKagami({"scan", "--rules", rules, "--eve", "-", dir_ + "/nope.pcap"}, dir_);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("nope.pcap"));
}

// With no --rules or --intel, the shipped Tick pack's signatures and feed
// both fire on the demo capture's implants and on nothing else in it.
TEST_F(ScanE2eTest, ShippedPackFiresOnTheDemoCapture) {
  std::string demo = std::string(KAGAMI_SOURCE_DIR) + "/demo/tick-demo.pcap";
  ProcessResult r = RunKagami({"scan", "-q", "--eve", "-", demo}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<long> sids = AlertSids(r.out);
  // Datper, Gofarer, Daserf (addr.gif, headers, t0/t1) and ReVBShell signatures.
  for (long sid : {4200001, 4200002, 4200010, 4200011, 4200012, 4200018}) {
    EXPECT_GE(std::count(sids.begin(), sids.end(), sid), 1) << "sid " << sid;
  }
  // The feed: ShadowPy's C2 name and address, ReVBShell's address.
  EXPECT_THAT(r.out, HasSubstr("\"seen_in\":\"dns.query\""));
  EXPECT_THAT(r.out, HasSubstr("\"indicator\":\"115.144.69.108\""));
  EXPECT_THAT(r.out, HasSubstr("\"indicator\":\"103.127.124.119\""));
  // Only implants alert: every alert names Tick.
  for (const std::string& line : Lines(r.out)) {
    if (line.find("\"event_type\":\"alert\"") != std::string::npos) {
      EXPECT_THAT(line, HasSubstr("Tick")) << line;
    }
  }
}

}  // namespace
}  // namespace kagami::testing
