// Applying the management files: each kind changes exactly the rules it
// names, in suricata-update's order (disable, enable, drop, modify), with
// back-references, noalert rules kept from drop, flowbit dependencies,
// and warnings for lines that match nothing.

#include "rules/update/apply_management.h"

#include "gtest/gtest.h"
#include "tests/rules_update/update_test_util.h"

namespace kagami::rules::update::testing {
namespace {

// Six rules in three files; 5 is disabled, 6 has gid 3.
std::vector<ManagedRule> Sample() {
  SourceSet s = ReadSources({
      {"emerging-icmp.rules", RuleLine(1, "metadata: deployment Perimeter, signature_severity Major;") + "\n" +
                                  RuleLine(2, "metadata: deployment Internal;") + "\n"},
      {"emerging-icmp_info.rules", RuleLine(3, "content:\"HeartBleed\";") + "\n# " + RuleLine(5) + "\n"},
      {"local.rules", RuleLine(4) + "\nalert ip any any -> any any (msg:\"gid three\"; gid:3; sid:6; rev:2;)\n"},
  });
  EXPECT_TRUE(s.diagnostics.empty());
  return s.rules;
}

std::vector<RuleId> AllIds() {
  std::vector<RuleId> ids = Ids({1, 2, 3, 4});
  ids.push_back({3, 6});
  return ids;
}

std::vector<RuleId> Without(std::vector<RuleId> ids, std::initializer_list<RuleId> gone) {
  for (const RuleId& g : gone) std::erase(ids, g);
  return ids;
}

struct Applied {
  std::vector<ManagedRule> rules;
  ManagementResult result;
};

Applied Apply(ManagementKind kind, std::string_view text) {
  Applied a{Sample(), {}};
  a.result = ApplyManagement(Parse(kind, text), &a.rules);
  return a;
}

TEST(ApplyManagementTest, DisableBySid) {
  Applied a = Apply(ManagementKind::kDisable, "2\n");
  EXPECT_EQ(EnabledIds(a.rules), Without(AllIds(), {{1, 2}}));
  EXPECT_EQ(a.result.disabled, Ids({2}));
  EXPECT_TRUE(a.result.diagnostics.empty());
}

TEST(ApplyManagementTest, DisableByGidSidAndRev) {
  Applied a = Apply(ManagementKind::kDisable, "3:6\n1:1:1\n1:2:9\n");
  EXPECT_EQ(a.result.disabled, (std::vector<RuleId>{{1, 1}, {3, 6}}));
  ASSERT_EQ(a.result.diagnostics.size(), 1u);  // rule 2 has rev 1, not 9
  EXPECT_EQ(a.result.diagnostics[0].ToString(), "disable.conf:3:1: warning: matches no rule: in '1:2:9'");
}

TEST(ApplyManagementTest, DisableByList) {
  Applied a = Apply(ManagementKind::kDisable, "1, 3:6\n");
  EXPECT_EQ(a.result.disabled, (std::vector<RuleId>{{1, 1}, {3, 6}}));
}

TEST(ApplyManagementTest, DisableByRegexIsCaseInsensitive) {
  Applied a = Apply(ManagementKind::kDisable, "re:heartbleed\n");
  EXPECT_EQ(a.result.disabled, Ids({3}));
}

TEST(ApplyManagementTest, DisableByGroupWithAndWithoutExtension) {
  EXPECT_EQ(Apply(ManagementKind::kDisable, "group:emerging-icmp.rules\n").result.disabled, Ids({1, 2}));
  EXPECT_EQ(Apply(ManagementKind::kDisable, "group:emerging-icmp\n").result.disabled, Ids({1, 2}));
  EXPECT_EQ(Apply(ManagementKind::kDisable, "emerging-icmp.rules\n").result.disabled, Ids({1, 2}));
  EXPECT_EQ(Apply(ManagementKind::kDisable, "group:emerging-icmp*\n").result.disabled, Ids({1, 2, 3}));
  EXPECT_EQ(Apply(ManagementKind::kDisable, "filename:emerging-icmp_*\n").result.disabled, Ids({3}));
  // filename: wants the whole name.
  Applied a = Apply(ManagementKind::kDisable, "filename:emerging-icmp\n");
  EXPECT_TRUE(a.result.disabled.empty());
  EXPECT_EQ(a.result.diagnostics.size(), 1u);
}

TEST(ApplyManagementTest, DisableByMetadataIsCaseInsensitive) {
  Applied a = Apply(ManagementKind::kDisable, "metadata: Deployment perimeter\n");
  EXPECT_EQ(a.result.disabled, Ids({1}));
}

TEST(ApplyManagementTest, DisableAll) {
  Applied a = Apply(ManagementKind::kDisable, "*\n");
  EXPECT_TRUE(EnabledIds(a.rules).empty());
  EXPECT_EQ(a.result.disabled.size(), 5u);
}

TEST(ApplyManagementTest, EnableTurnsOnOnlyDisabledRulesItNames) {
  Applied a = Apply(ManagementKind::kEnable, "5\n1\n");
  EXPECT_EQ(a.result.enabled, Ids({5}));  // 1 was enabled already
  EXPECT_TRUE(Find(a.rules, 5)->enabled);
  EXPECT_TRUE(a.result.diagnostics.empty());  // 1 matched, it just had nothing to do
}

TEST(ApplyManagementTest, EnableWinsOverDisable) {
  Applied a{Sample(), {}};
  Management m = Parse(ManagementKind::kDisable, "group:emerging-icmp\n");
  Management e = Parse(ManagementKind::kEnable, "2\n");
  m.enable = std::move(e.enable);
  a.result = ApplyManagement(m, &a.rules);
  EXPECT_EQ(a.result.disabled, Ids({1, 2}));
  EXPECT_EQ(a.result.enabled, Ids({2}));
  EXPECT_EQ(EnabledIds(a.rules), Without(AllIds(), {{1, 1}}));
}

TEST(ApplyManagementTest, DropChangesTheActionOfExactlyTheNamedRules) {
  Applied a = Apply(ManagementKind::kDrop, "re:heartbleed\n4\n5\n");
  EXPECT_EQ(a.result.dropped, Ids({3, 4, 5}));
  for (const ManagedRule& r : a.rules) {
    const bool dropped = r.gid == 1 && (r.sid == 3 || r.sid == 4 || r.sid == 5);
    EXPECT_EQ(r.action, dropped ? "drop" : "alert") << r.sid;
    EXPECT_EQ(r.text.starts_with("drop "), dropped) << r.text;
  }
  // A disabled rule stays disabled, now as a drop rule.
  EXPECT_FALSE(Find(a.rules, 5)->enabled);
  EXPECT_EQ(Find(a.rules, 5)->Format(), "# " + RuleLine(5, "", 1, "drop"));
}

TEST(ApplyManagementTest, DropLeavesNoalertRulesAlone) {
  SourceSet s = ReadSources({{"a.rules", RuleLine(1, "flowbits:set,x; flowbits:noalert;") + "\n" + RuleLine(2) + "\n"}});
  Management m = Parse(ManagementKind::kDrop, "*\n");
  ManagementResult r = ApplyManagement(m, &s.rules);
  EXPECT_EQ(r.dropped, Ids({2}));
  EXPECT_EQ(Find(s.rules, 1)->action, "alert");
}

TEST(ApplyManagementTest, ModifyWithBackReferences) {
  Applied a = Apply(ManagementKind::kModify,
                    "2 \"(msg:\\\"rule) (\\d+)\" \"\\1 number \\2\"\n"
                    "re:heartbleed \"^(alert)(.*)$\" \"drop\\\\2\"\n");
  EXPECT_EQ(a.result.modified, Ids({2, 3}));
  EXPECT_EQ(Find(a.rules, 2)->text,
            "alert tcp any any -> any any (msg:\"rule number 2\"; metadata: deployment Internal; sid:2; rev:1;)");
  EXPECT_EQ(Find(a.rules, 2)->msg, "rule number 2");
  EXPECT_EQ(Find(a.rules, 3)->action, "drop");
  EXPECT_EQ(Find(a.rules, 3)->text, RuleLine(3, "content:\"HeartBleed\";", 1, "drop"));
  // Nothing else changed.
  const std::vector<ManagedRule> before = Sample();
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i].sid == 2 || before[i].sid == 3) continue;
    EXPECT_EQ(a.rules[i].Format(), before[i].Format());
  }
}

TEST(ApplyManagementTest, ModifyCanEnableACommentedOutRule) {
  Applied a = Apply(ManagementKind::kModify, "5 \"^# \" \"\"\n");
  EXPECT_EQ(a.result.modified, Ids({5}));
  EXPECT_TRUE(Find(a.rules, 5)->enabled);
}

TEST(ApplyManagementTest, ModifySeesTheDroppedRule) {
  Applied a{Sample(), {}};
  Management m = Parse(ManagementKind::kDrop, "4\n");
  Management mod = Parse(ManagementKind::kModify, "4 \"^drop\" \"reject\"\n");
  m.modify = std::move(mod.modify);
  a.result = ApplyManagement(m, &a.rules);
  EXPECT_EQ(a.result.dropped, Ids({4}));
  EXPECT_EQ(a.result.modified, Ids({4}));
  EXPECT_EQ(Find(a.rules, 4)->action, "reject");
}

TEST(ApplyManagementTest, ModifyThatBreaksTheRuleIsRefused) {
  Applied a = Apply(ManagementKind::kModify, "1 \"sid:1;\" \"sid:99;\"\n2 \"\\(\" \"\"\n");
  EXPECT_TRUE(a.result.modified.empty());
  ASSERT_EQ(a.result.diagnostics.size(), 4u);
  EXPECT_NE(a.result.diagnostics[0].message.find("changes the gid:sid to 1:99"), std::string::npos)
      << a.result.diagnostics[0].message;
  EXPECT_EQ(a.result.diagnostics[0].location.line, 1);
  EXPECT_EQ(a.result.diagnostics[1].location.line, 2);
  // Both lines then "change none" of the rules they matched.
  EXPECT_EQ(a.result.diagnostics[2].severity, rules::Diagnostic::Severity::kWarning);
  EXPECT_EQ(Find(a.rules, 1)->text, Sample()[0].text);
}

TEST(ApplyManagementTest, ModifyThatSplitsTheRuleIsRefused) {
  Applied a = Apply(ManagementKind::kModify, "1 \"rev:1;\" \"rev:1;\\n\"\n");
  EXPECT_TRUE(a.result.modified.empty());
  ASSERT_FALSE(a.result.diagnostics.empty());
  EXPECT_NE(a.result.diagnostics[0].message.find("refused (it spans lines)"), std::string::npos)
      << a.result.diagnostics[0].message;
}

TEST(ApplyManagementTest, ModifyThatChangesNothingIsAWarning) {
  Applied a = Apply(ManagementKind::kModify, "1 \"seconds \\d+\" \"seconds 60\"\n");
  EXPECT_TRUE(a.result.modified.empty());
  ASSERT_EQ(a.result.diagnostics.size(), 1u);
  EXPECT_EQ(a.result.diagnostics[0].ToString(),
            "modify.conf:1:1: warning: matches 1 rule but changes none of them: in '1 \"seconds \\d+\" \"seconds 60\"'");
}

TEST(ApplyManagementTest, UnmatchedLinesAreWarnings) {
  Applied a = Apply(ManagementKind::kDisable, "re:nothing-like-this\ngroup:nope\n");
  ASSERT_EQ(a.result.diagnostics.size(), 2u);
  EXPECT_EQ(a.result.diagnostics[0].ToString(), "disable.conf:1:1: warning: matches no rule: in 're:nothing-like-this'");
  EXPECT_EQ(a.result.diagnostics[1].location.line, 2);
}

TEST(ApplyManagementTest, FlowbitSettersOfEnabledCheckersAreReenabledWithNoalert) {
  SourceSet s = ReadSources({{"a.rules",
                              RuleLine(1, "flowbits:set,login;") + "\n" +             //
                                  RuleLine(2, "flowbits:isset,login;") + "\n" +       //
                                  "# " + RuleLine(3, "flowbits:set,other;") + "\n" +  //
                                  RuleLine(4, "flowbits:set,chain; flowbits:isset,start;") + "\n" +
                                  RuleLine(5, "flowbits:set,start;") + "\n" +  //
                                  RuleLine(6, "flowbits:isset,chain;") + "\n"}});
  Management m = Parse(ManagementKind::kDisable, "1\n4\n5\n");
  ManagementResult r = ApplyManagement(m, &s.rules);
  EXPECT_EQ(r.disabled, Ids({1, 4, 5}));
  // 2 needs 1; 6 needs 4, which then needs 5; nobody needs 3.
  EXPECT_EQ(r.flowbits_enabled, Ids({1, 4, 5}));
  EXPECT_EQ(Find(s.rules, 1)->text, RuleLine(1, "flowbits:set,login; noalert;"));
  EXPECT_TRUE(Find(s.rules, 1)->noalert);
  EXPECT_FALSE(Find(s.rules, 3)->enabled);

  SourceSet again = ReadSources({{"a.rules", RuleLine(1, "flowbits:set,login;") + "\n" +
                                                 RuleLine(2, "flowbits:isset,login;") + "\n"}});
  ApplyOptions off;
  off.resolve_flowbits = false;
  ManagementResult r2 = ApplyManagement(Parse(ManagementKind::kDisable, "1\n"), &again.rules, off);
  EXPECT_TRUE(r2.flowbits_enabled.empty());
  EXPECT_FALSE(Find(again.rules, 1)->enabled);
}

}  // namespace
}  // namespace kagami::rules::update::testing
