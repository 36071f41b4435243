// Merging source files: name order, one rule per gid:sid with the highest
// rev (the first of equal revs), duplicates counted and reported.

#include "rules/update/source_set.h"

#include "gtest/gtest.h"
#include "tests/rules_update/update_test_util.h"

namespace kagami::rules::update::testing {
namespace {

TEST(SourceSetTest, FilesAreReadInNameOrder) {
  SourceSet s = ReadSources({{"b.rules", RuleLine(2) + "\n"}, {"a.rules", RuleLine(1) + "\n" + RuleLine(3) + "\n"}});
  EXPECT_EQ(s.files, (std::vector<std::string>{"a.rules", "b.rules"}));
  ASSERT_EQ(s.rules.size(), 3u);
  EXPECT_EQ(s.rules[0].sid, 1u);
  EXPECT_EQ(s.rules[1].sid, 3u);
  EXPECT_EQ(s.rules[2].sid, 2u);
  EXPECT_TRUE(s.diagnostics.empty());
}

TEST(SourceSetTest, DuplicateKeepsHighestRevAtItsOwnPlace) {
  SourceSet s = ReadSources({
      {"a.rules", RuleLine(1, "", 2) + "\n" + RuleLine(5) + "\n"},
      {"b.rules", RuleLine(1, "content:\"new\";", 3) + "\n" + RuleLine(6) + "\n"},
  });
  ASSERT_EQ(s.rules.size(), 3u);
  EXPECT_EQ(s.rules[0].sid, 5u);
  EXPECT_EQ(s.rules[1].sid, 1u);
  EXPECT_EQ(s.rules[1].rev, 3u);
  EXPECT_EQ(s.rules[1].file, "b.rules");
  EXPECT_EQ(s.rules[2].sid, 6u);
  ASSERT_EQ(s.duplicates.size(), 1u);
  const DuplicateRule& d = s.duplicates[0];
  EXPECT_EQ(d.id, (RuleId{1, 1}));
  EXPECT_EQ(d.kept_rev, 3u);
  EXPECT_EQ(d.dropped_rev, 2u);
  EXPECT_EQ(d.kept.file, "b.rules");
  EXPECT_EQ(d.dropped.file, "a.rules");
  EXPECT_EQ(d.dropped.line, 1);
  ASSERT_EQ(s.diagnostics.size(), 1u);
  EXPECT_EQ(s.diagnostics[0].severity, rules::Diagnostic::Severity::kWarning);
  EXPECT_EQ(s.diagnostics[0].ToString(),
            "a.rules:1: warning: duplicate rule 1:1 rev 2 dropped; keeping rev 3 from b.rules:1");
}

TEST(SourceSetTest, DuplicateWithEqualRevKeepsTheFirst) {
  SourceSet s = ReadSources({
      {"a.rules", RuleLine(1, "content:\"first\";", 2) + "\n"},
      {"b.rules", RuleLine(1, "content:\"second\";", 2) + "\n"},
  });
  ASSERT_EQ(s.rules.size(), 1u);
  EXPECT_EQ(s.rules[0].file, "a.rules");
  ASSERT_EQ(s.duplicates.size(), 1u);
  EXPECT_EQ(s.duplicates[0].dropped.file, "b.rules");
}

TEST(SourceSetTest, DifferentGidsAreDifferentRules) {
  SourceSet s = ReadSources({{"a.rules", RuleLine(1) + "\n" + "alert ip any any -> any any (gid:2; sid:1;)\n"}});
  EXPECT_EQ(s.rules.size(), 2u);
  EXPECT_TRUE(s.duplicates.empty());
}

TEST(SourceSetTest, DisabledDuplicateCountsToo) {
  // A commented-out copy with a higher rev wins: it is the newer rule.
  SourceSet s = ReadSources({{"a.rules", RuleLine(1, "", 1) + "\n# " + RuleLine(1, "", 2) + "\n"}});
  ASSERT_EQ(s.rules.size(), 1u);
  EXPECT_FALSE(s.rules[0].enabled);
  EXPECT_EQ(s.duplicates.size(), 1u);
}

TEST(SourceSetTest, SameNameKeepsGivenOrder) {
  SourceSet s = ReadSources({{"x.rules", RuleLine(1, "content:\"A\";") + "\n"},
                             {"x.rules", RuleLine(1, "content:\"B\";") + "\n"}});
  ASSERT_EQ(s.rules.size(), 1u);
  EXPECT_NE(s.rules[0].text.find("\"A\""), std::string::npos);
}

}  // namespace
}  // namespace kagami::rules::update::testing
