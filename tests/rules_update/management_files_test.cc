// Parsing enable/disable/drop/modify.conf: every matcher form, comments,
// lists, modify's shell words and templates, and each malformed line
// reported as file:line:col with the line quoted.

#include "rules/update/management_files.h"

#include "gtest/gtest.h"
#include "tests/rules_update/update_test_util.h"

namespace kagami::rules::update::testing {
namespace {

using K = RuleMatcher::Kind;

TEST(ManagementFilesTest, MatcherForms) {
  Management m = Parse(ManagementKind::kDisable,
                       "# comment\n"
                       "\n"
                       "2019401\n"
                       "1:2019402\n"
                       "1:2019403:2\n"
                       "2019404, 1:2019405 ,3:7\n"
                       "re:heartbleed\n"
                       "group:emerging-icmp.rules\n"
                       "group:emerging-dos\n"
                       "filename:emerging-*.rules\n"
                       "emerging-scan.rules\n"
                       "metadata: deployment perimeter\n"
                       "*\n"
                       "   2019406   # trailing comment\n");
  ASSERT_EQ(m.disable.size(), 12u);
  const K kinds[] = {K::kIds,   K::kIds,      K::kIds,  K::kIds,      K::kRegex, K::kGroup,
                     K::kGroup, K::kFilename, K::kGroup, K::kMetadata, K::kAll,   K::kIds};
  for (size_t i = 0; i < m.disable.size(); ++i) EXPECT_EQ(m.disable[i].matcher.kind(), kinds[i]) << i;
  EXPECT_EQ(m.disable[0].location.line, 3);
  EXPECT_EQ(m.disable[11].location.column, 4);
  EXPECT_EQ(m.disable[11].line, "2019406   # trailing comment");
  EXPECT_TRUE(m.enable.empty());
}

TEST(ManagementFilesTest, ModifyLines) {
  Management m = Parse(ManagementKind::kModify,
                       "2019401 \"seconds \\d+\" \"seconds 3600\"\n"
                       "re:classtype:trojan-activity \"(alert)(.*)\" \"drop\\\\2\"\n"
                       "modifysid * \"^drop(.*)noalert(.*)\" | \"alert${1}noalert${2}\"\n"
                       "'metadata: deployment perimeter' 'a # b' 'c'  # comment\n"
                       "group:x.rules \"\\$HOME_NET\" \"any\"\n");
  ASSERT_EQ(m.modify.size(), 5u);
  EXPECT_EQ(m.modify[1].matcher.kind(), K::kRegex);
  EXPECT_EQ(m.modify[2].matcher.kind(), K::kAll);
  EXPECT_EQ(m.modify[3].matcher.kind(), K::kMetadata);
  // "\$" is "$": the pattern is "$HOME_NET", which as a regex is an
  // end-of-line anchor followed by text, as in suricata-update.
  std::string out;
  EXPECT_EQ(m.modify[2].from.ReplaceAll("drop tcp (noalert; sid:1;)", m.modify[2].to, &out), 1);
  EXPECT_EQ(out, "alert tcp (noalert; sid:1;)");
}

TEST(ManagementFilesTest, SeveralFilesOfOneKindAccumulate) {
  Management m;
  ParseManagementFile(ManagementKind::kDisable, "1\n", "a.conf", &m);
  ParseManagementFile(ManagementKind::kDisable, "2\n", "b.conf", &m);
  ParseManagementFile(ManagementKind::kEnable, "3\n", "c.conf", &m);
  ASSERT_EQ(m.disable.size(), 2u);
  EXPECT_EQ(m.disable[1].location.file, "b.conf");
  EXPECT_EQ(m.enable.size(), 1u);
}

TEST(ManagementFilesTest, MalformedMatcherLines) {
  EXPECT_EQ(ParseError(ManagementKind::kDisable, "# x\n  grop:emerging-dos\n"),
            "disable.conf:2:3: error: 'grop:emerging-dos' is not a matcher: expected a sid, gid:sid, re:REGEX, "
            "group:FILE, filename:FILE, metadata: KEY VALUE or *: in 'grop:emerging-dos'");
  EXPECT_EQ(ParseError(ManagementKind::kEnable, "2019401,20194x2\n"),
            "enable.conf:1:9: error: '20194x2' is not a sid, gid:sid or gid:sid:rev: in '2019401,20194x2'");
  EXPECT_EQ(ParseError(ManagementKind::kDisable, "1:2:3:4\n"),
            "disable.conf:1:1: error: '1:2:3:4' is not a sid, gid:sid or gid:sid:rev: in '1:2:3:4'");
  EXPECT_EQ(ParseError(ManagementKind::kDisable, "2019401,\n"),
            "disable.conf:1:9: error: empty entry in a sid list: in '2019401,'");
  EXPECT_EQ(ParseError(ManagementKind::kDrop, "re:MS(0[7-9]|10\n"),
            "drop.conf:1:16: error: bad regular expression: missing closing parenthesis: in 're:MS(0[7-9]|10'");
  EXPECT_EQ(ParseError(ManagementKind::kDisable, "metadata: deployment\n"),
            "disable.conf:1:11: error: metadata: needs a key and a value, e.g. 'metadata: deployment perimeter': "
            "in 'metadata: deployment'");
  EXPECT_EQ(ParseError(ManagementKind::kDisable, "group:\n"),
            "disable.conf:1:7: error: group: needs a file name or pattern: in 'group:'");
  EXPECT_EQ(ParseError(ManagementKind::kDisable, "re:\n"), "disable.conf:1:4: error: re: needs a regular expression: in 're:'");
}

TEST(ManagementFilesTest, MalformedModifyLines) {
  EXPECT_EQ(ParseError(ManagementKind::kModify, "2019401 \"seconds \\d+\"\n"),
            "modify.conf:1:22: error: expected <matcher> \"<from regex>\" \"<to>\" (3 words), found 2 words: "
            "in '2019401 \"seconds \\d+\"'");
  EXPECT_EQ(ParseError(ManagementKind::kModify, "2019401 \"seconds \\d+ \"x\"\n"),
            "modify.conf:1:24: error: no closing \" quote: in '2019401 \"seconds \\d+ \"x\"'");
  EXPECT_EQ(ParseError(ManagementKind::kModify, "bogus \"a\" \"b\"\n"),
            "modify.conf:1:1: error: 'bogus' is not a matcher: expected a sid, gid:sid, re:REGEX, group:FILE, "
            "filename:FILE, metadata: KEY VALUE or *: in 'bogus \"a\" \"b\"'");
  EXPECT_EQ(ParseError(ManagementKind::kModify, "1 \"(a\" \"b\"\n"),
            "modify.conf:1:6: error: bad regular expression: missing closing parenthesis: in '1 \"(a\" \"b\"'");
  EXPECT_EQ(ParseError(ManagementKind::kModify, "1 \"(a)\" \"\\2\"\n"),
            "modify.conf:1:10: error: bad replacement: invalid group reference 2 (the pattern has 1 group): "
            "in '1 \"(a)\" \"\\2\"'");
  EXPECT_EQ(ParseError(ManagementKind::kModify, "modifysid 1 \"a\" \"b\"\n"),
            "modify.conf:1:1: error: expected modifysid <matcher> \"<from>\" | \"<to>\": in 'modifysid 1 \"a\" \"b\"'");
  EXPECT_EQ(ParseError(ManagementKind::kModify, "1 \"\" \"b\"\n"),
            "modify.conf:1:3: error: the pattern to replace is empty: in '1 \"\" \"b\"'");
}

TEST(ManagementFilesTest, GoodLinesSurviveBadOnes) {
  Management m;
  ParseManagementFile(ManagementKind::kDisable, "1\nnope\n3\n", "disable.conf", &m);
  EXPECT_EQ(m.disable.size(), 2u);
  EXPECT_EQ(m.error_count(), 1u);
}

}  // namespace
}  // namespace kagami::rules::update::testing
