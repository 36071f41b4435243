// Reading rule files for the update: enabled and commented-out rules,
// comments, continuation lines, the fields matchers use, and bad lines
// reported with file:line:col and the line.

#include "rules/update/managed_rule.h"

#include "gtest/gtest.h"
#include "tests/rules_update/update_test_util.h"

namespace kagami::rules::update::testing {
namespace {

TEST(ManagedRuleTest, EnabledRuleFields) {
  RuleText t = ReadRuleText(
      "alert tcp any any -> any any (msg:\"a \\; b\"; metadata: deployment Perimeter, former_category MALWARE; "
      "flowbits:set,x; gid:3; sid:7; rev:4;)\n",
      "x.rules");
  ASSERT_TRUE(t.diagnostics.empty()) << t.diagnostics[0].ToString();
  ASSERT_EQ(t.rules.size(), 1u);
  const ManagedRule& r = t.rules[0];
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.action, "alert");
  EXPECT_EQ(r.gid, 3u);
  EXPECT_EQ(r.sid, 7u);
  EXPECT_EQ(r.rev, 4u);
  EXPECT_EQ(r.msg, "a ; b");
  EXPECT_EQ(r.metadata, (std::vector<std::string>{"deployment Perimeter", "former_category MALWARE"}));
  EXPECT_EQ(r.flowbits, std::vector<std::string>{"set,x"});
  EXPECT_EQ(r.file, "x.rules");
  EXPECT_EQ(r.line, 1);
  EXPECT_FALSE(r.noalert);
}

TEST(ManagedRuleTest, GidDefaultsToOneAndRevToZero) {
  RuleText t = ReadRuleText("alert ip any any -> any any (sid:9;)\n", "x.rules");
  ASSERT_EQ(t.rules.size(), 1u);
  EXPECT_EQ(t.rules[0].gid, 1u);
  EXPECT_EQ(t.rules[0].rev, 0u);
}

TEST(ManagedRuleTest, CommentedOutRulesAreDisabledRulesOtherCommentsAreIgnored) {
  RuleText t = ReadRuleText(
      "# Emerging Threats\n"
      "#alert tcp any any -> any any (msg:\"one\"; sid:1; rev:2;)\n"
      "  ##  drop udp any any -> any any (msg:\"two\"; sid:2;)\n"
      "# alert is what this file is about (but this is prose)\n"
      "# alert tcp any any -> any any (msg:\"no sid\";)\n"
      "#\n"
      "alert tcp any any -> any any (msg:\"three\"; sid:3;)\n",
      "x.rules");
  ASSERT_TRUE(t.diagnostics.empty()) << t.diagnostics[0].ToString();
  ASSERT_EQ(t.rules.size(), 3u);
  EXPECT_FALSE(t.rules[0].enabled);
  EXPECT_EQ(t.rules[0].sid, 1u);
  EXPECT_EQ(t.rules[0].text, "alert tcp any any -> any any (msg:\"one\"; sid:1; rev:2;)");
  EXPECT_EQ(t.rules[0].Format(), "# alert tcp any any -> any any (msg:\"one\"; sid:1; rev:2;)");
  EXPECT_FALSE(t.rules[1].enabled);
  EXPECT_EQ(t.rules[1].action, "drop");
  EXPECT_EQ(t.rules[1].line, 3);
  EXPECT_TRUE(t.rules[2].enabled);
  EXPECT_EQ(t.rules[2].line, 7);
}

TEST(ManagedRuleTest, MultiLineRulesAreJoined) {
  RuleText t = ReadRuleText(
      "alert tcp any any -> any any (msg:\"multi\"; \\\n"
      "    content:\"abc\"; \\\n"
      "    sid:10; rev:1;)\n"
      "# alert tcp any any -> any any (msg:\"off\"; \\\n"
      "#   sid:11;)\n"
      "alert tcp any any -> any any (msg:\"after\"; sid:12;)\n",
      "x.rules");
  ASSERT_TRUE(t.diagnostics.empty()) << t.diagnostics[0].ToString();
  ASSERT_EQ(t.rules.size(), 3u);
  EXPECT_EQ(t.rules[0].text, "alert tcp any any -> any any (msg:\"multi\";     content:\"abc\";     sid:10; rev:1;)");
  EXPECT_EQ(t.rules[0].line, 1);
  EXPECT_FALSE(t.rules[1].enabled);
  EXPECT_EQ(t.rules[1].sid, 11u);
  EXPECT_EQ(t.rules[1].line, 4);
  EXPECT_EQ(t.rules[2].sid, 12u);
  EXPECT_EQ(t.rules[2].line, 6);
}

TEST(ManagedRuleTest, CommentEndingInBackslashDoesNotSwallowTheNextRule) {
  RuleText t = ReadRuleText("# see C:\\\nalert ip any any -> any any (sid:1;)\n", "x.rules");
  ASSERT_EQ(t.rules.size(), 1u);
  EXPECT_TRUE(t.rules[0].enabled);
}

TEST(ManagedRuleTest, NoalertIsRecognised) {
  RuleText t = ReadRuleText(
      "alert ip any any -> any any (flowbits:set,a; flowbits:noalert; sid:1;)\n"
      "alert ip any any -> any any (noalert; sid:2;)\n",
      "x.rules");
  ASSERT_EQ(t.rules.size(), 2u);
  EXPECT_TRUE(t.rules[0].noalert);
  EXPECT_TRUE(t.rules[1].noalert);
}

TEST(ManagedRuleTest, BadEnabledLinesAreErrorsWithPositionAndLine) {
  RuleText t = ReadRuleText(
      "alert ip any any -> any any (sid:1;)\n"
      "alert ip any any -> any any (msg:\"x\";)\n"
      "   alert ip any any -> any any (msg:\"x\"; sid:abc;)\n"
      "alert ip any any -> any any (msg:\"x\"; \\\n"
      "  sid:5\n",
      "bad.rules");
  ASSERT_EQ(t.rules.size(), 1u);
  ASSERT_EQ(t.diagnostics.size(), 3u);
  EXPECT_EQ(t.diagnostics[0].ToString(),
            "bad.rules:2:1: error: rule has no sid: in 'alert ip any any -> any any (msg:\"x\";)'");
  EXPECT_EQ(t.diagnostics[1].ToString(),
            "bad.rules:3:46: error: sid must be a number from 0 to 4294967295: in "
            "'alert ip any any -> any any (msg:\"x\"; sid:abc;)'");
  // The error is on the continuation line, at the end of the rule.
  EXPECT_EQ(t.diagnostics[2].location.line, 5);
  EXPECT_NE(t.diagnostics[2].message.find("expected ')'"), std::string::npos) << t.diagnostics[2].message;
}

TEST(ManagedRuleTest, CrLfLineEndings) {
  RuleText t = ReadRuleText("alert ip any any -> any any (sid:1;)\r\n# alert ip any any -> any any (sid:2;)\r\n",
                            "x.rules");
  ASSERT_EQ(t.rules.size(), 2u);
  EXPECT_EQ(t.rules[0].text, "alert ip any any -> any any (sid:1;)");
  EXPECT_FALSE(t.rules[1].enabled);
}

}  // namespace
}  // namespace kagami::rules::update::testing
