// End-to-end: the command line reads as a Suricata user expects. A
// repeatable option takes one value per occurrence, so a rule file or
// capture after `--var NAME=VALUE`, `--rules FILE` or `--intel FILE` is not
// swallowed into the option.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/e2e/kagami_process.h"
#include "tests/support/peers.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
  EXPECT_THAT(var.out + var.err, HasSubstr("1 rule loaded, 0 errors"));
  ProcessResult intel = RunKagami({"rules", "check", "--intel", feed_, rules_}, dir_);
  EXPECT_EQ(intel.exit_code, 0) << intel.err;
  EXPECT_THAT(intel.out + intel.err, HasSubstr("1 rule loaded"));
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

// A bad variable is one error naming the flag, before any rule is read; a
// name written with '$' is refused; a variable no rule reads is a warning.
TEST_F(CommandLineE2eTest, VariablesAreCheckedOnceAtTheCommandLine) {
  ProcessResult bad = RunKagami({"scan", "--rules", rules_, "--var", "HOME_NET=foo", demo_}, dir_);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("kagami: --var HOME_NET=foo: "));
  EXPECT_THAT(bad.err, HasSubstr("'foo'"));
  EXPECT_THAT(bad.err, ::testing::Not(HasSubstr("one.rules")));
  ProcessResult ports = RunKagami({"rules", "check", "--var", "HTTP_PORTS=10.0.0.1", rules_}, dir_);
  EXPECT_EQ(ports.exit_code, 2);
  EXPECT_THAT(ports.err, HasSubstr("kagami: --var HTTP_PORTS=10.0.0.1: "));
  ProcessResult dollar = RunKagami({"scan", "--rules", rules_, "--var", "$HOME_NET=10.0.0.0/8", demo_}, dir_);
  EXPECT_EQ(dollar.exit_code, 2);
  EXPECT_THAT(dollar.err, HasSubstr("write the name without '$'"));
  ProcessResult typo = RunKagami({"scan", "-q", "--rules", rules_, "--var", "HOMENET=10.0.0.0/8", "--eve",
                                  dir_ + "/eve.json", demo_},
                                 dir_);
  EXPECT_EQ(typo.exit_code, 0) << typo.err;
  EXPECT_THAT(typo.err, HasSubstr("warning: --var HOMENET: no loaded rule uses $HOMENET"));
}

// -r reads a capture, as in tcpdump, Suricata and Snort; -S names rules as
// Suricata's -S does.
TEST_F(CommandLineE2eTest, DashRReadsACaptureAndDashSNamesRules) {
  std::ofstream(dir_ + "/demo.rules") << "alert ip any any -> any any (msg:\"any\"; sid:7;)\n";
  ProcessResult r = RunKagami({"scan", "-q", "-S", dir_ + "/demo.rules", "-r", demo_, "--eve", "-"}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(AlertSids(r.out).empty());
  for (long sid : AlertSids(r.out)) EXPECT_EQ(sid, 7);
  // -r with a rule file is a capture that cannot be read, said as such.
  ProcessResult wrong = RunKagami({"scan", "-q", "-r", dir_ + "/demo.rules", "--eve", "-"}, dir_);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("not a pcap or pcapng file"));
}

// --eve-types lists what is written: without alert, no alert records.
TEST_F(CommandLineE2eTest, EveTypesWithoutAlertWriteNoAlerts) {
  ProcessResult r = RunKagami({"scan", "-q", "--eve-types", "dns", "--eve", "-", demo_}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  for (const std::string& line : Lines(r.out)) EXPECT_THAT(line, HasSubstr("\"event_type\":\"dns\""));
}

// The summary names where records went and says when a file was appended
// to; files that are not captures are not counted as scanned.
TEST_F(CommandLineE2eTest, SummaryNamesOutputsAndUnreadFiles) {
  const std::string eve = dir_ + "/eve.json";
  ProcessResult first = RunKagami({"scan", "--eve", eve, demo_}, dir_);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, ::testing::ContainsRegex("\noutput eve \\(file " + eve + "\\): [0-9]+ records sent\n"));
  std::ofstream(dir_ + "/notes.txt") << "not a capture\n";
  ProcessResult again = RunKagami({"scan", "--eve", eve, demo_, rules_, dir_ + "/notes.txt"}, dir_);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("kagami: scanned 1 file (2 could not be read), "));
  EXPECT_THAT(again.err, HasSubstr("\noutput eve (file " + eve + ", appended after "));
}

// On a terminal, the progress line is drawn on stderr, except when records
// go to standard output on that terminal too: it would land among them.
TEST_F(CommandLineE2eTest, NoProgressLineAmongRecordsOnATerminal) {
  if (!HaveProgram("script")) GTEST_SKIP() << "script (util-linux) is not installed";
  // script(1) gives the command a terminal for stdout and stderr alike.
  const auto on_terminal = [&](const std::string& args) {
    return ShellOutput("script -qfec \"" + KagamiBinary() + " scan " + args + " " + demo_ + "\" /dev/null");
  };
  const std::string to_file = on_terminal("--eve " + dir_ + "/eve.json");
  EXPECT_THAT(to_file, HasSubstr("\r\033[K"));  // the line was drawn (and cleared)
  const std::string to_stdout = on_terminal("--eve -");
  EXPECT_THAT(to_stdout, HasSubstr("\"event_type\":\"alert\""));
  EXPECT_THAT(to_stdout, Not(HasSubstr("\033[K")));
  const std::string fast = on_terminal("--output fast:-");
  EXPECT_THAT(fast, HasSubstr("[**]"));
  EXPECT_THAT(fast, Not(HasSubstr("\033[K")));
}

// Singular and plural agree with the number in the summary.
TEST_F(CommandLineE2eTest, SummaryWordingAgreesWithNumbers) {
  ProcessResult r = RunKagami({"scan", "--eve", dir_ + "/eve.json", demo_}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("indicators: 194 loaded, 1 feed\n"));
  EXPECT_THAT(r.err, ::testing::Not(::testing::ContainsRegex("[^0-9,]1 [a-z]+s[ ,\n]")));
}

// rules check --strict fails on warnings too; every problem is listed.
TEST_F(CommandLineE2eTest, RulesCheckStrictFailsOnWarnings) {
  // rate_filter is read but not applied: a warning.
  const std::string thresholds = dir_ + "/threshold.config";
  std::ofstream(thresholds) << "rate_filter gen_id 1, sig_id 1, track by_src, count 1, seconds 1, "
                               "new_action drop, timeout 10\n";
  ProcessResult plain = RunKagami({"rules", "check", "--threshold-file", thresholds, rules_}, dir_);
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.err, HasSubstr("warning"));
  EXPECT_THAT(plain.out, HasSubstr("1 rule loaded, 0 errors, 1 warning"));
  ProcessResult strict = RunKagami({"rules", "check", "--strict", "--threshold-file", thresholds, rules_}, dir_);
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_THAT(strict.out, HasSubstr("1 rule loaded, 0 errors, 1 warning"));
}

}  // namespace
}  // namespace kagami::testing
