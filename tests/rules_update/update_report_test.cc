// The whole update on text: the merged file (header, order, disabled rules
// commented out) and the report against the previous merged file (added,
// removed, changed), as text lines and JSON.

#include "rules/update/update_report.h"

#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rules/update/rule_update.h"
#include "tests/rules_update/update_test_util.h"

namespace kagami::rules::update::testing {
namespace {

UpdateInput Input(std::vector<RuleFile> files) {
  UpdateInput in;
  in.files = std::move(files);
  in.sources = {"et/open https://rules.example/emerging.rules.tar.gz"};
  return in;
}

TEST(RuleUpdateTest, MergedFileHasHeaderFilesInOrderAndDisabledRulesCommented) {
  UpdateInput in = Input({{"b.rules", RuleLine(3) + "\n"}, {"a.rules", RuleLine(1) + "\n# " + RuleLine(2) + "\n"}});
  in.management.push_back({ManagementKind::kDisable, "disable.conf", "3\n"});
  UpdateResult r = BuildUpdate(in);
  EXPECT_EQ(r.merged,
            "# Merged by kagami rules update: 3 rules, 1 enabled, 2 disabled (commented out with \"# \").\n"
            "# Sources:\n"
            "#   et/open https://rules.example/emerging.rules.tar.gz\n"
            "# Rules by file name, then in file order. Edit enable.conf, disable.conf, drop.conf and\n"
            "# modify.conf rather than this file: the next update rewrites it.\n"
            "\n# file: a.rules\n" +
                RuleLine(1) + "\n# " + RuleLine(2) +
                "\n"
                "\n# file: b.rules\n"
                "# " +
                RuleLine(3) + "\n");
  EXPECT_EQ(r.management_errors, 0u);
  EXPECT_EQ(r.source_errors, 0u);
  // Reading the merged file back gives the same rules and states.
  RuleText back = ReadRuleText(r.merged, "merged.rules");
  ASSERT_EQ(back.rules.size(), 3u);
  EXPECT_TRUE(back.rules[0].enabled);
  EXPECT_FALSE(back.rules[1].enabled);
  EXPECT_FALSE(back.rules[2].enabled);
}

TEST(RuleUpdateTest, SameInputsGiveTheSameBytes) {
  UpdateInput in = Input({{"a.rules", RuleLine(1) + "\n"}});
  EXPECT_EQ(BuildUpdate(in).merged, BuildUpdate(in).merged);
}

TEST(RuleUpdateTest, ReportAgainstPreviousMergedFile) {
  UpdateInput first = Input({{"a.rules", RuleLine(1) + "\n" + RuleLine(2) + "\n" + RuleLine(3) + "\n" + RuleLine(4) +
                                             "\n" + RuleLine(5) + "\n"}});
  const std::string previous = BuildUpdate(first).merged;

  // 1 unchanged, 2 new rev, 3 new text same rev, 4 gone, 5 disabled now, 6 new.
  UpdateInput second = Input({{"a.rules", RuleLine(1) + "\n" + RuleLine(2, "", 2) + "\n" +
                                              RuleLine(3, "content:\"x\";") + "\n" + RuleLine(5) + "\n" + RuleLine(6) +
                                              "\n"}});
  second.management.push_back({ManagementKind::kDisable, "disable.conf", "5\n"});
  second.previous_merged = previous;
  UpdateResult r = BuildUpdate(second);
  const UpdateReport& rep = r.report;
  EXPECT_TRUE(rep.has_previous);
  EXPECT_EQ(rep.previous_total, 5u);
  EXPECT_EQ(rep.previous_enabled, 5u);
  EXPECT_EQ(rep.total, 5u);
  EXPECT_EQ(rep.enabled, 4u);
  EXPECT_EQ(rep.added, Ids({6}));
  EXPECT_EQ(rep.removed, Ids({4}));
  ASSERT_EQ(rep.changed.size(), 3u);
  EXPECT_EQ(rep.changed[0].id, (RuleId{1, 2}));
  EXPECT_TRUE(rep.changed[0].rev_changed());
  EXPECT_EQ(rep.changed[1].id, (RuleId{1, 3}));
  EXPECT_FALSE(rep.changed[1].rev_changed());
  EXPECT_FALSE(rep.changed[1].enabled_changed());
  EXPECT_EQ(rep.changed[2].id, (RuleId{1, 5}));
  EXPECT_TRUE(rep.changed[2].enabled_changed());
  EXPECT_EQ(rep.management.disabled, Ids({5}));

  const std::vector<std::string> lines = rep.TextLines();
  const std::vector<std::string> expected = {
      "rules: 5 (4 enabled, 1 disabled) from 1 file",
      "previous: 5 rules (5 enabled)",
      "added: 1: 1:6",
      "removed: 1: 1:4",
      "changed: 3: 1:2 (rev 1->2) 1:3 (text) 1:5 (disabled)",
      "disabled by disable.conf: 1: 1:5",
      "enabled by enable.conf: 0",
      "dropped by drop.conf: 0",
      "modified by modify.conf: 0",
  };
  EXPECT_EQ(lines, expected);

  rapidjson::Document doc;
  const std::string json = rep.Json();
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_EQ(doc["total"].GetUint(), 5u);
  EXPECT_EQ(doc["disabled"].GetUint(), 1u);
  EXPECT_EQ(doc["previous"]["enabled"].GetUint(), 5u);
  ASSERT_EQ(doc["added"].Size(), 1u);
  EXPECT_STREQ(doc["added"][0].GetString(), "1:6");
  EXPECT_STREQ(doc["removed"][0].GetString(), "1:4");
  ASSERT_EQ(doc["changed"].Size(), 3u);
  EXPECT_EQ(doc["changed"][0]["new_rev"].GetUint(), 2u);
  EXPECT_FALSE(doc["changed"][2]["is_enabled"].GetBool());
  EXPECT_STREQ(doc["management"]["disabled"][0].GetString(), "1:5");
  EXPECT_STREQ(doc["sources"][0].GetString(), "et/open https://rules.example/emerging.rules.tar.gz");
}

TEST(RuleUpdateTest, FirstUpdateHasNoPrevious) {
  UpdateResult r = BuildUpdate(Input({{"a.rules", RuleLine(1) + "\n" + RuleLine(1, "", 2) + "\n"}}));
  EXPECT_FALSE(r.report.has_previous);
  EXPECT_TRUE(r.report.added.empty());
  ASSERT_EQ(r.report.duplicates.size(), 1u);
  const std::vector<std::string> lines = r.report.TextLines();
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[1], "duplicates: 1 (highest rev kept): 1:1");
  EXPECT_EQ(lines[2], "previous: none (every rule is new)");
  rapidjson::Document doc;
  doc.Parse(r.report.Json().c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_TRUE(doc["previous"].IsNull());
  EXPECT_EQ(doc["duplicates"][0]["kept_rev"].GetUint(), 2u);
}

TEST(RuleUpdateTest, LongIdListsAreCutInTextOnly) {
  std::string text;
  for (uint32_t sid = 1; sid <= 30; ++sid) text += RuleLine(sid) + "\n";
  UpdateInput in = Input({{"a.rules", text}});
  in.previous_merged = "";
  UpdateResult r = BuildUpdate(in);
  EXPECT_EQ(r.report.added.size(), 30u);
  const std::vector<std::string> lines = r.report.TextLines(3);
  EXPECT_EQ(lines[2], "added: 30: 1:1 1:2 1:3 ... and 27 more");
}

TEST(RuleUpdateTest, ManagementErrorsAreCounted) {
  UpdateInput in = Input({{"a.rules", RuleLine(1) + "\n"}});
  in.management.push_back({ManagementKind::kDisable, "disable.conf", "nope\n"});
  in.management.push_back({ManagementKind::kModify, "modify.conf", "1 \"sid:1;\" \"sid:2;\"\n"});
  UpdateResult r = BuildUpdate(in);
  EXPECT_EQ(r.management_errors, 2u);
  // The bad disable line, then applying modify.conf: the refused change
  // and the line's "changes none" warning; the last two are in the report too.
  ASSERT_EQ(r.diagnostics.size(), 3u);
  EXPECT_EQ(r.diagnostics[0].location.file, "disable.conf");
  ASSERT_EQ(r.report.management.diagnostics.size(), 2u);
  EXPECT_EQ(r.report.management.diagnostics[0].severity, rules::Diagnostic::Severity::kError);
  EXPECT_EQ(r.report.management.diagnostics[1].severity, rules::Diagnostic::Severity::kWarning);
}

}  // namespace
}  // namespace kagami::rules::update::testing
