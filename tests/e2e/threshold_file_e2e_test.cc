// End-to-end: kagami scan / rules check with --threshold-file on a capture
// and rules the test makes.
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
using ::testing::Not;

class ThresholdFileE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-thresh-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::vector<TestPacket> p;
    int64_t ts = 1700000000LL * 1000000000LL;
    auto add = [&](Bytes b) {
      p.push_back({.ts_ns = ts, .bytes = std::move(b)});
      ts += 1'000'000'000;  // one a second
    };
    for (int i = 0; i < 3; ++i) add(EthTcp("10.0.0.1", 40000, "198.51.100.7", 80, "evil"));
    for (int i = 0; i < 2; ++i) add(EthTcp("192.0.2.9", 40001, "198.51.100.7", 80, "evil"));
    add(EthTcp("2001:db8::1", 40002, "2001:db8::2", 80, "evil"));
    add(EthUdp("10.0.0.1", 53000, "10.0.0.53", 53, "query"));
    pcap_ = Write("traffic.pcap", MakePcap(p));
    rules_ = Write("test.rules",
                   "alert tcp any any -> any any (msg:\"evil\"; content:\"evil\"; "
                   "threshold:type limit, track by_src, count 10, seconds 60; sid:1;)\n"
                   "alert udp any any -> any 53 (msg:\"dns\"; sid:2;)\n");
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  std::string dir_, pcap_, rules_;
};

TEST_F(ThresholdFileE2eTest, WithoutThresholdFileEverythingAlerts) {
  ProcessResult r = RunKagami({"scan", "-q", "--rules", rules_, "--eve", "-", pcap_}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(r.out), ElementsAre(1, 1, 1, 1, 1, 1, 2));
}

TEST_F(ThresholdFileE2eTest, SuppressAndEventFilterApply) {
  std::string thresholds = Write("threshold.config",
                                 "# tuning\n"
                                 "suppress gen_id 1, sig_id 2\n"
                                 "suppress gen_id 1, sig_id 1, track by_src, ip [$SCANNERS, 2001:db8::/32]\n"
                                 "event_filter gen_id 1, sig_id 1, type limit, track by_src, \\\n"
                                 "    count 2, seconds 60\n"
                                 "rate_filter gen_id 1, sig_id 1, track by_rule, count 1, seconds 1, "
                                 "new_action drop, timeout 5\n");
  ProcessResult r = RunKagami({"scan", "-q", "--rules", rules_, "--var", "SCANNERS=192.0.2.0/24",
                               "--threshold-file", thresholds, "--eve", "-", pcap_},
                              dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 10.0.0.1 limited to 2 (the file's limit replaced the rule's 10); 192.0.2.9
  // and the IPv6 source suppressed; the dns rule suppressed entirely.
  EXPECT_THAT(AlertSids(r.out), ElementsAre(1, 1));
  EXPECT_THAT(r.out, HasSubstr("\"src_ip\":\"10.0.0.1\""));
  EXPECT_THAT(r.out, Not(HasSubstr("192.0.2.9")));
  EXPECT_THAT(r.err, HasSubstr(thresholds + ":6:1: warning: rate_filter is not supported by kagami; entry ignored"));
}

TEST_F(ThresholdFileE2eTest, ErrorInThresholdFileStopsWithItsPosition) {
  std::string thresholds = Write("threshold.config",
                                 "suppress gen_id 1, sig_id 2\n"
                                 "suppress gen_id 1, sig_id 1, track by_src, ip 10.0.0.300\n");
  std::string eve = dir_ + "/eve.json";
  ProcessResult r =
      RunKagami({"scan", "--rules", rules_, "--threshold-file", thresholds, "--eve", eve, pcap_}, dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(thresholds + ":2:47: error: invalid address '10.0.0.300'"));
  EXPECT_THAT(r.err, HasSubstr("1 error in threshold file"));
  EXPECT_EQ(ReadFile(eve), "");
}

TEST_F(ThresholdFileE2eTest, MissingThresholdFileIsFatal) {
  ProcessResult r = RunKagami({"scan", "-q", "--rules", rules_, "--threshold-file", dir_ + "/nope.config",
                               "--eve", "-", pcap_},
                              dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot read threshold file '" + dir_ + "/nope.config'"));
  EXPECT_EQ(r.out, "");
}

TEST_F(ThresholdFileE2eTest, RulesCheckReportsThresholdFileProblems) {
  std::string good = Write("good.config", "suppress gen_id 1, sig_id 99\n");
  ProcessResult ok = RunKagami({"rules", "check", rules_, "--threshold-file", good}, dir_);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.err, HasSubstr(good + ":1:1: warning: suppress: no loaded rule has gen_id 1, sig_id 99"));
  EXPECT_THAT(ok.out, HasSubstr("2 rules loaded, 0 errors"));

  std::string bad = Write("bad.config", "threshold gen_id 1, sig_id 1, type limit, track by_src, count 1\n");
  ProcessResult r = RunKagami({"rules", "check", rules_, "--threshold-file", bad}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(bad + ":1:64: error: threshold needs type, track, count, seconds; missing: seconds"));
}

}  // namespace
}  // namespace kagami::testing
