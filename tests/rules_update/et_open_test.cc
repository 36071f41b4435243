// The real ET Open set (../shared/bench/rules/et-open.rules, a
// concatenation of its category files with "# ---- file: NAME" markers),
// split back into its files: a group: and a re: disable change exactly
// the rules a plain scan of the text says they should, and the merged
// result passes the acceptance check.

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "rules/update/acceptance.h"
#include "rules/update/rule_update.h"

namespace kagami::rules::update {
namespace {

const char kEtOpen[] = KAGAMI_SOURCE_DIR "/../shared/bench/rules/et-open.rules";
const char kMarker[] = "# ---- file: ";

std::vector<RuleFile> SplitIntoFiles(const std::string& text) {
  std::vector<RuleFile> files;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(kMarker)) {
      files.push_back({line.substr(sizeof(kMarker) - 1), ""});
      continue;
    }
    if (!files.empty()) files.back().text += line + "\n";
  }
  return files;
}

// The sid of an enabled one-line rule, read without the update code.
bool EnabledSid(const std::string& line, uint32_t* sid) {
  if (line.empty() || line[0] == '#' || line.find("gid:") != std::string::npos) return false;
  const size_t at = line.find("; sid:");
  if (at == std::string::npos) return false;
  *sid = static_cast<uint32_t>(std::stoul(line.substr(at + 6)));
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(EtOpenTest, GroupAndRegexDisableChangeExactlyTheExpectedRules) {
  std::ifstream in(kEtOpen, std::ios::binary);
  if (!in) GTEST_SKIP() << kEtOpen << " is not there";
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<RuleFile> files = SplitIntoFiles(ss.str());
  ASSERT_GT(files.size(), 40u);

  // What the two lines should disable, from the text alone.
  std::set<uint32_t> expected;
  size_t dos = 0, heartbleed = 0;
  for (const RuleFile& f : files) {
    std::istringstream lines(f.text);
    std::string line;
    while (std::getline(lines, line)) {
      uint32_t sid = 0;
      if (!EnabledSid(line, &sid)) continue;
      if (f.name == "emerging-dos.rules") {
        expected.insert(sid);
        ++dos;
      }
      if (Lower(line).find("heartbleed") != std::string::npos) {
        expected.insert(sid);
        ++heartbleed;
      }
    }
  }
  ASSERT_GT(dos, 10u);
  ASSERT_GT(heartbleed, 5u);

  UpdateInput input;
  input.files = files;
  input.sources = {"et/open"};
  input.management.push_back({ManagementKind::kDisable, "disable.conf", "group:emerging-dos\nre:heartbleed\n"});
  UpdateResult r = BuildUpdate(std::move(input));
  EXPECT_EQ(r.source_errors, 0u);
  EXPECT_EQ(r.management_errors, 0u);
  for (const rules::Diagnostic& d : r.diagnostics) {
    EXPECT_EQ(d.message.find("matches no rule"), std::string::npos) << d.ToString();
  }

  std::vector<RuleId> want;
  for (uint32_t sid : expected) want.push_back({1, sid});
  EXPECT_EQ(r.report.management.disabled, want);
  EXPECT_TRUE(r.report.management.enabled.empty());
  // Unless a flowbit dependency brought them back, they stay disabled.
  std::set<RuleId> back(r.report.management.flowbits_enabled.begin(), r.report.management.flowbits_enabled.end());
  RuleText merged = ReadRuleText(r.merged, "merged.rules");
  EXPECT_EQ(merged.rules.size(), r.report.total);
  for (const ManagedRule& rule : merged.rules) {
    if (rule.gid == 1 && expected.contains(rule.sid) && !back.contains(rule.id())) {
      EXPECT_FALSE(rule.enabled) << rule.sid;
    }
  }

  AcceptanceCheck check = CheckMergedRules(r.merged, "merged.rules");
  // The report on real data, for whoever reads the test log.
  for (const std::string& line : r.report.TextLines(5)) std::printf("  %s\n", line.c_str());
  std::printf("  loader: %zu loaded, %zu failed\n", check.loaded, check.failed);
  EXPECT_EQ(check.total(), r.report.enabled);
  RefusalDecision decision = DecideRefusal(check, r.report.enabled, std::nullopt);
  EXPECT_FALSE(decision.refuse) << decision.reason;
  // Against itself the same set is no change at all.
  UpdateInput again;
  again.files = files;
  again.sources = {"et/open"};
  again.management.push_back({ManagementKind::kDisable, "disable.conf", "group:emerging-dos\nre:heartbleed\n"});
  again.previous_merged = r.merged;
  UpdateResult second = BuildUpdate(std::move(again));
  EXPECT_EQ(second.merged, r.merged);
  EXPECT_TRUE(second.report.added.empty());
  EXPECT_TRUE(second.report.removed.empty());
  EXPECT_TRUE(second.report.changed.empty());
  EXPECT_FALSE(DecideRefusal(check, second.report.enabled, second.report.previous_enabled).refuse);
}

}  // namespace
}  // namespace kagami::rules::update
