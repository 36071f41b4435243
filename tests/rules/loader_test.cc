// Files, positions and diagnostics: comments, continuation lines, include,
// directories, duplicate sids, malformed input.

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "rules/rule_loader.h"
#include "tests/rules/rule_test_util.h"

namespace kagami::rules {
namespace {

using testing::Error;
using testing::Parse;

TEST(Diagnostic, ToString) {
  Diagnostic d;
  d.location = {"a.rules", 3, 7};
  d.message = "bad";
  EXPECT_EQ(d.ToString(), "a.rules:3:7: error: bad");
  d.severity = Diagnostic::Severity::kWarning;
  EXPECT_EQ(d.ToString(), "a.rules:3:7: warning: bad");
  d.severity = Diagnostic::Severity::kNote;
  d.location = {"a.rules", 0, 0};
  EXPECT_EQ(d.ToString(), "a.rules: note: bad");
}

TEST(Loader, UnknownKeywordPointsAtKeyword) {
  RuleSet set = ParseRules("# header comment\n\n  alert tcp any any -> any any (msg:\"x\"; foo:bar; sid:1;)\n",
                           "my.rules", {});
  ASSERT_EQ(set.diagnostics.size(), 1u);
  EXPECT_EQ(set.diagnostics[0].ToString(), "my.rules:3:42: error: unknown keyword 'foo'");
  EXPECT_EQ(set.error_count(), 1u);
  EXPECT_TRUE(set.rules.empty());
}

TEST(Loader, ErrorsLeaveOtherRulesLoaded) {
  RuleSet set = Parse(
      "alert tcp any any -> any any (sid:1;)\n"
      "alert tcp any any -> any any (msg:\"no sid\";)\n"
      "alert tcp any any -> any any (sid:2; dsize:abc;)\n"
      "alert tcp any any -> any any (sid:1; rev:2;)\n"
      "alert tcp any any -> any any (sid:3; pcre:\"/a(/\";)\n"
      "alert tcp any any -> any any (gid:2; sid:1;)\n");
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].sid, 1u);
  EXPECT_EQ(set.rules[1].gid, 2u);
  ASSERT_EQ(set.diagnostics.size(), 4u);
  EXPECT_EQ(set.diagnostics[0].ToString(), "t.rules:2:1: error: rule has no 'sid' option");
  EXPECT_EQ(set.diagnostics[1].ToString(),
            "t.rules:3:44: error: invalid number check 'abc' (expected N, !N, <N, >N, <=N, >=N, N<>M or N-M)");
  EXPECT_EQ(set.diagnostics[2].ToString(), "t.rules:4:1: error: duplicate rule gid 1 sid 1: first defined at t.rules:1");
  EXPECT_EQ(set.diagnostics[3].location.line, 5);
  EXPECT_EQ(set.diagnostics[3].location.column, 47);  // the end of the regex, where ')' is missing
  EXPECT_EQ(set.diagnostics[3].message.rfind("pcre: ", 0), 0u);
}

TEST(Loader, MultiLineRulesKeepPhysicalPositions) {
  RuleSet set = Parse(
      "alert tcp any any -> any any ( \\\n"
      "    msg:\"split\"; \\\n"
      "    content:\"abc\"; \\\n"
      "    bogus; sid:5;)\n"
      "alert tcp any any -> any any (msg:\"ok\"; \\\r\n"
      "  sid:6;)\r\n");
  ASSERT_EQ(set.diagnostics.size(), 1u);
  EXPECT_EQ(set.diagnostics[0].ToString(), "t.rules:4:5: error: unknown keyword 'bogus'");
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].sid, 6u);
  EXPECT_EQ(set.rules[0].location.line, 5);
  EXPECT_EQ(set.rules[0].text, "alert tcp any any -> any any (msg:\"ok\";   sid:6;)");

  set = Parse("alert tcp any any -> any any (msg:\"x\"; \\\n  content:\"a\"; \\\n  sid:9;)\n");
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].steps[0].location.line, 2);
  EXPECT_EQ(set.rules[0].steps[0].location.column, 3);
}

TEST(Loader, CommentsAndDisabledRules) {
  RuleSet set = Parse("# alert tcp any any -> any any (sid:1;)\n   #alert bogus\n\n\t\n"
                      "alert tcp any any -> any any (sid:2;) \n");
  EXPECT_TRUE(set.diagnostics.empty());
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].sid, 2u);
}

TEST(Loader, MalformedInputsNeverCrash) {
  EXPECT_EQ(Error("alert tcp any any -> any any (sid:1;"), "1:37: unterminated rule options: expected ')' at the end of the rule");
  EXPECT_EQ(Error("alert tcp any any -> any any"), "1:29: expected '(' and rule options after the rule header");
  EXPECT_EQ(Error("alert tcp any any -> any any (msg:\"unterminated; sid:1;)"),
            "1:35: unterminated quoted string in option 'msg'");
  // A quoted value followed by the next option: the ';' is missing there.
  EXPECT_EQ(Error("alert tcp any any -> any any (msg:\"x\" sid:1;)"),
            "1:37: option 'msg': missing ';' after this quoted value (the next option, 'sid', follows it)");
  EXPECT_EQ(Error("alert tcp any any -> any any (msg:\"x\" content:\"abc\"; sid:1;)"),
            "1:37: msg: missing ';' after this quoted value (the next option, 'content', follows it)");
  EXPECT_EQ(Error("alert tcp any any -> any any (msg:\"x\"; content:\"abc\" nocase; sid:1;)"),
            "1:52: option 'content': missing ';' after this quoted value (the next option, 'nocase', follows it)");
  EXPECT_EQ(Error("alert tcp any any -> any any (sid:1; msg:\"x\")"), "1:42: unterminated quoted string in option 'msg'");
  EXPECT_EQ(Error("alert tcp any any -> any any (sid:1 rev:1)"), "1:42: missing ';' after option 'sid'");
  EXPECT_EQ(Error("alert tcp any any -> any any (sid:1; ??? )"), "1:38: expected a rule option keyword, found '?'");
  EXPECT_EQ(Error("alert tcp any any -> any any (sid:1; msg \"x\";)"), "1:42: expected ':' or ';' after option 'msg'");
  // Garbage bytes and huge lines produce diagnostics, not crashes.
  std::string garbage = "alert tcp any any -> any any (";
  for (int i = 0; i < 256; ++i) garbage.push_back(static_cast<char>(i));
  garbage += ")\n\x01\x02\xff(\n)))))\n[[[[[\n";
  RuleSet set = Parse(garbage);
  EXPECT_TRUE(set.rules.empty());
  EXPECT_GE(set.error_count(), 1u);
  std::string huge = "alert tcp any any -> any any (msg:\"" + std::string(1 << 20, 'A') + "\"; content:\"" +
                     std::string(1 << 16, 'B') + "\"; sid:1;)";
  set = Parse(huge);
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].msg.size(), 1u << 20);
  std::string deep = "alert tcp " + std::string(5000, '[') + "1.2.3.4" + std::string(5000, ']') + " any -> any any (sid:1;)";
  set = Parse(deep);
  EXPECT_EQ(set.rules.size() + set.error_count(), 1u);
  set = Parse("alert tcp any any -> any any (content:\"a\"; sid:1;) \\");  // trailing continuation at EOF
  EXPECT_EQ(set.rules.size(), 1u);
}

class LoaderFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kagami_rules_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

TEST_F(LoaderFiles, DirectoryInNameOrderAndIncludes) {
  Write("b.rules", "alert tcp any any -> any any (sid:2;)\n");
  Write("a.rules", "alert tcp any any -> any any (sid:1;)\ninclude sub/extra.inc\n");
  Write("sub/extra.inc", "alert tcp any any -> any any (sid:10;)\ninclude ../more/more.inc\n");
  Write("more/more.inc", "alert tcp any any -> any any (sid:11;)\n");
  Write("ignored.txt", "alert tcp any any -> any any (sid:99;)\n");
  RuleSet set = LoadRules({dir_.string()}, {});
  for (const Diagnostic& d : set.diagnostics) ADD_FAILURE() << d.ToString();
  ASSERT_EQ(set.rules.size(), 4u);
  EXPECT_EQ(set.rules[0].sid, 1u);
  EXPECT_EQ(set.rules[1].sid, 10u);
  EXPECT_EQ(set.rules[2].sid, 11u);
  EXPECT_EQ(set.rules[3].sid, 2u);
  EXPECT_EQ(set.rules[1].location.file, (dir_ / "a.rules").parent_path().string() + "/sub/extra.inc");
}

TEST_F(LoaderFiles, DirectoriesLoadRecursivelyInPathOrder) {
  Write("packs/zeta/z.rules", "alert tcp any any -> any any (sid:3;)\n");
  Write("packs/alpha/b.rules", "alert tcp any any -> any any (sid:2;)\n");
  Write("packs/alpha/a.rules", "alert tcp any any -> any any (sid:1;)\n");
  RuleSet set = LoadRules({(dir_ / "packs").string()}, {});
  ASSERT_EQ(set.rules.size(), 3u);
  EXPECT_EQ(set.rules[0].sid, 1u);
  EXPECT_EQ(set.rules[1].sid, 2u);
  EXPECT_EQ(set.rules[2].sid, 3u);
}

TEST_F(LoaderFiles, IncludeCycleAndMissingFile) {
  std::string a = Write("a.rules", "alert tcp any any -> any any (sid:1;)\ninclude b.rules\n");
  Write("b.rules", "alert tcp any any -> any any (sid:2;)\n  include a.rules\ninclude missing.rules\n");
  RuleSet set = LoadRules({a}, {});
  EXPECT_EQ(set.rules.size(), 2u);
  ASSERT_EQ(set.diagnostics.size(), 2u);
  EXPECT_EQ(set.diagnostics[0].location.line, 2);
  EXPECT_EQ(set.diagnostics[0].location.column, 3);
  EXPECT_NE(set.diagnostics[0].message.find("include cycle"), std::string::npos) << set.diagnostics[0].message;
  EXPECT_EQ(set.diagnostics[1].location.line, 3);
  EXPECT_NE(set.diagnostics[1].message.find("cannot read rule file"), std::string::npos);
}

TEST_F(LoaderFiles, UnreadablePathAndDuplicateAcrossFiles) {
  std::string a = Write("a.rules", "alert tcp any any -> any any (sid:7;)\n");
  std::string b = Write("b.rules", "\nalert udp any any -> any any (sid:7;)\n");
  RuleSet set = LoadRules({a, b, (dir_ / "nope.rules").string()}, {});
  EXPECT_EQ(set.rules.size(), 1u);
  ASSERT_EQ(set.diagnostics.size(), 2u);
  EXPECT_EQ(set.diagnostics[0].ToString(), b + ":2:1: error: duplicate rule gid 1 sid 7: first defined at " + a + ":1");
  EXPECT_EQ(set.diagnostics[1].location.file, (dir_ / "nope.rules").string());
}

// A file large enough to be parsed on several threads gives what parsing
// one rule after another would: rules in file order, errors at their lines
// in order, duplicates told against the first definition even when the two
// fall in different parts, and an include in the middle placed where it is.
TEST_F(LoaderFiles, LargeFilesParseAsIfInOrder) {
  constexpr int kRules = 9001;
  Write("mid.rules", "alert tcp any any -> any any (msg:\"included\"; sid:900000;)\n");
  std::string text;
  std::vector<uint32_t> expected_sids;
  std::vector<std::string> expected_errors;
  const std::string path = (dir_ / "big.rules").string();
  for (int i = 1; i <= kRules; ++i) {
    if (i == kRules / 2) {
      text += "include mid.rules\n";
      expected_sids.push_back(900000);
      continue;
    }
    if (i % 1000 == 7) {  // a bad rule: an unknown keyword
      text += "alert tcp any any -> any any (nosuchkeyword; sid:" + std::to_string(i) + ";)\n";
      expected_errors.push_back(path + ":" + std::to_string(i) + ":31: error: unknown keyword 'nosuchkeyword'");
      continue;
    }
    if (i % 1500 == 0) {  // the sid of a rule in the first part again
      text += "alert udp any any -> any any (sid:" + std::to_string(i / 1500) + ";)\n";
      expected_errors.push_back(path + ":" + std::to_string(i) + ":1: error: duplicate rule gid 1 sid " +
                                std::to_string(i / 1500) + ": first defined at " + path + ":" +
                                std::to_string(i / 1500));
      continue;
    }
    // Addresses and ports from variables: every part resolves them itself.
    text += "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (content:\"r" + std::to_string(i) + "\"; sid:" +
            std::to_string(i) + ";)\n";
    expected_sids.push_back(static_cast<uint32_t>(i));
  }
  Write("big.rules", text);
  RuleSet set = LoadRules({path}, {});
  std::vector<uint32_t> sids;
  for (const Rule& r : set.rules) sids.push_back(r.sid);
  EXPECT_EQ(sids, expected_sids);
  std::vector<std::string> errors;
  for (const Diagnostic& d : set.diagnostics) errors.push_back(d.ToString());
  EXPECT_EQ(errors, expected_errors);
  ASSERT_EQ(set.rules.size(), expected_sids.size());
  const Rule& last = set.rules.back();
  EXPECT_EQ(last.location.line, kRules);
  EXPECT_EQ(last.text, "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (content:\"r9001\"; sid:9001;)");
  EXPECT_TRUE(last.dst_port.Contains(80));
  EXPECT_FALSE(last.dst_port.Contains(81));
  EXPECT_FALSE(last.src_addr.empty());
}

TEST_F(LoaderFiles, ClassificationFile) {
  std::string c = Write("class.config",
                        "# comment\nconfig classification: my-class,My Class,2\nconfig classification: broken\n"
                        "nonsense line\n");
  LoadOptions o;
  o.classification_file = c;
  RuleSet set = ParseRules("alert tcp any any -> any any (classtype:my-class; sid:1;)\n"
                           "alert tcp any any -> any any (classtype:trojan-activity; sid:2;)\n",
                           "x.rules", o);
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].category, "My Class");
  EXPECT_EQ(set.rules[0].priority, 2);
  ASSERT_EQ(set.diagnostics.size(), 3u);
  EXPECT_EQ(set.diagnostics[0].location.line, 3);
  EXPECT_EQ(set.diagnostics[0].location.column, 23);
  EXPECT_EQ(set.diagnostics[1].location.line, 4);
  EXPECT_EQ(set.diagnostics[1].location.column, 1);
  EXPECT_EQ(set.diagnostics[2].location.file, "x.rules");
  o.classification_file = (dir_ / "none.config").string();
  set = ParseRules("alert tcp any any -> any any (sid:1;)", "x.rules", o);
  EXPECT_EQ(set.rules.size(), 1u);
  ASSERT_EQ(set.diagnostics.size(), 1u);
  EXPECT_EQ(set.diagnostics[0].message, "cannot read classification file");
}

TEST(Variables, CheckedWithTheRuleParser) {
  EXPECT_EQ(CheckVariable("HOME_NET", {{"HOME_NET", "[10.0.0.0/8,192.168.1.0/24]"}}), "");
  EXPECT_EQ(CheckVariable("HTTP_PORTS", {{"HTTP_PORTS", "[80,8080:8090]"}}), "");
  EXPECT_EQ(CheckVariable("MY_SERVERS", {{"MY_SERVERS", "$HOME_NET"}}), "");
  EXPECT_NE(CheckVariable("HOME_NET", {{"HOME_NET", "foo"}}), "");
  EXPECT_NE(CheckVariable("HOME_NET", {{"HOME_NET", "10.0.0.0/33"}}), "");
  // A port variable is read as ports, an address one as addresses.
  EXPECT_NE(CheckVariable("HTTP_PORTS", {{"HTTP_PORTS", "10.0.0.1"}}), "");
  EXPECT_NE(CheckVariable("HOME_NET", {{"HOME_NET", "80"}}), "");
  // Another variable that is broken or missing is named.
  EXPECT_NE(CheckVariable("A_NET", {{"A_NET", "$NOPE"}}).find("NOPE"), std::string::npos);
}

TEST(Variables, TheSetSaysWhichOnesRulesUsed) {
  LoadOptions o;
  o.variables = {{"HOMENET", "10.0.0.0/8"}};
  RuleSet set = ParseRules("alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (sid:1;)\n", "x.rules", o);
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_TRUE(set.variables_used.contains("EXTERNAL_NET"));
  EXPECT_TRUE(set.variables_used.contains("HOME_NET"));  // directly, and through EXTERNAL_NET
  EXPECT_TRUE(set.variables_used.contains("HTTP_PORTS"));
  EXPECT_FALSE(set.variables_used.contains("HOMENET"));
}

}  // namespace
}  // namespace kagami::rules
