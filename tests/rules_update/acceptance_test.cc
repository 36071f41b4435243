// The acceptance check: the merged text through Kagami's loader, and the
// refusal policy (failed share, shrinkage against the previous set).

#include "rules/update/acceptance.h"

#include "gtest/gtest.h"
#include "tests/rules_update/update_test_util.h"

namespace kagami::rules::update::testing {
namespace {

TEST(AcceptanceTest, CountsLoadedAndFailedAndSkipsDisabledRules) {
  const std::string text = RuleLine(1) + "\n" + "# " + RuleLine(2, "bogus_keyword;") + "\n" +
                           RuleLine(3, "bogus_keyword;") + "\n" + RuleLine(4) + "\n";
  AcceptanceCheck c = CheckMergedRules(text, "merged.rules");
  EXPECT_EQ(c.loaded, 2u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.total(), 3u);
  ASSERT_EQ(c.first_errors.size(), 1u);
  EXPECT_EQ(c.first_errors[0].location.file, "merged.rules");
  EXPECT_EQ(c.first_errors[0].location.line, 3);
  EXPECT_NE(c.first_errors[0].message.find("bogus_keyword"), std::string::npos);
}

TEST(AcceptanceTest, KeepsOnlyTheFirstErrors) {
  std::string text;
  for (uint32_t sid = 1; sid <= 20; ++sid) text += RuleLine(sid, "bogus_keyword;") + "\n";
  AcceptanceCheck c = CheckMergedRules(text, "m.rules", {}, 3);
  EXPECT_EQ(c.failed, 20u);
  EXPECT_EQ(c.first_errors.size(), 3u);
  EXPECT_EQ(c.first_errors[2].location.line, 3);
}

AcceptanceCheck Counts(size_t loaded, size_t failed) {
  AcceptanceCheck c;
  c.loaded = loaded;
  c.failed = failed;
  return c;
}

TEST(AcceptanceTest, RefusesWhenTooManyRulesFail) {
  EXPECT_FALSE(DecideRefusal(Counts(95, 5), 100, std::nullopt).refuse);  // exactly 5 %
  RefusalDecision d = DecideRefusal(Counts(94, 6), 100, std::nullopt);
  EXPECT_TRUE(d.refuse);
  EXPECT_EQ(d.reason, "6 of 100 enabled rules fail to load (6.0 %, more than 5.0 %)");
  RefusalPolicy lax;
  lax.max_failed_share = 0.10;
  EXPECT_FALSE(DecideRefusal(Counts(94, 6), 100, std::nullopt, lax).refuse);
}

TEST(AcceptanceTest, RefusesASetMuchSmallerThanThePreviousOne) {
  EXPECT_FALSE(DecideRefusal(Counts(500, 0), 500, 1000).refuse);  // exactly half
  RefusalDecision d = DecideRefusal(Counts(499, 0), 499, 1000);
  EXPECT_TRUE(d.refuse);
  EXPECT_EQ(d.reason,
            "the new rule set has 499 enabled rules, 49.9 % of the previous 1000 (less than 50.0 %): a truncated "
            "download?");
  RefusalPolicy strict;
  strict.min_previous_share = 0.9;
  EXPECT_TRUE(DecideRefusal(Counts(899, 0), 899, 1000, strict).refuse);
  EXPECT_FALSE(DecideRefusal(Counts(900, 0), 900, 1000, strict).refuse);
  // No previous set, or an empty one: nothing to compare with.
  EXPECT_FALSE(DecideRefusal(Counts(10, 0), 10, std::nullopt).refuse);
  EXPECT_FALSE(DecideRefusal(Counts(10, 0), 10, 0).refuse);
}

TEST(AcceptanceTest, RefusesAnEmptySet) {
  RefusalDecision d = DecideRefusal(Counts(0, 0), 0, std::nullopt);
  EXPECT_TRUE(d.refuse);
  EXPECT_EQ(d.reason, "the new rule set has no enabled rule");
}

}  // namespace
}  // namespace kagami::rules::update::testing
