// End-to-end: the command line reads as a Suricata user expects. A
// repeatable option takes one value per occurrence, so a rule file or
// capture after `--var NAME=VALUE`, `--rules FILE` or `--intel FILE` is not
// swallowed into the option.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/e2e/kagami_process.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;

class CommandLineE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rules_ = dir_ + "/one.rules";
    std::ofstream(rules_) << "alert tcp $HOME_NET any -> any any (msg:\"one\"; content:\"needle\"; sid:1;)\n";
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string dir_, rules_;
  const std::string demo_ = std::string(KAGAMI_SOURCE_DIR) + "/demo/tick-demo.pcap";
  const std::string feed_ = std::string(KAGAMI_SOURCE_DIR) + "/rules/packs/tick/intel/tick-indicators.stix.json";
};

TEST_F(CommandLineE2eTest, RulesCheckKeepsThePositionalAfterARepeatableOption) {
  ProcessResult var = RunKagami({"rules", "check", "--var", "HOME_NET=[10.0.0.0/8]", rules_}, dir_);
  EXPECT_EQ(var.exit_code, 0) << var.err;
  EXPECT_THAT(var.out + var.err, HasSubstr("1 rules loaded, 0 errors"));
  ProcessResult intel = RunKagami({"rules", "check", "--intel", feed_, rules_}, dir_);
  EXPECT_EQ(intel.exit_code, 0) << intel.err;
  EXPECT_THAT(intel.out + intel.err, HasSubstr("1 rules loaded"));
}

TEST_F(CommandLineE2eTest, ScanKeepsTheCaptureAfterARepeatableOption) {
  // The capture between a repeatable option and more options.
  ProcessResult r = RunKagami({"scan", "--rules", rules_, "--var", "HOME_NET=[10.0.0.0/8]", demo_, "-q", "--eve",
                               dir_ + "/eve.json"},
                              dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CommandLineE2eTest, OneValuePerOccurrenceElsewhereToo) {
  // Two interfaces need -i twice; a bare second name is an error, not an interface.
  ProcessResult r = RunKagami({"live", "-i", "lo", "stray", "--check-config"}, dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("not expected: stray"));
}

}  // namespace
}  // namespace kagami::testing
