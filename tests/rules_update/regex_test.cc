// Regexes of the management files: case-insensitive search, and Python
// re.sub templates and empty-match handling for modify.conf.

#include "rules/update/regex.h"

#include "gtest/gtest.h"

namespace kagami::rules::update {
namespace {

std::string Sub(std::string_view pattern, std::string_view to, std::string_view subject) {
  Regex re;
  std::string why;
  size_t at = 0;
  EXPECT_TRUE(re.Compile(pattern, false, &why, &at)) << why;
  Replacement r;
  EXPECT_TRUE(re.ParseReplacement(to, &r, &at, &why)) << why;
  std::string out;
  EXPECT_GE(re.ReplaceAll(subject, r, &out), 0);
  return out;
}

std::string TemplateError(std::string_view pattern, std::string_view to) {
  Regex re;
  std::string why;
  size_t at = 0;
  EXPECT_TRUE(re.Compile(pattern, false, &why, &at)) << why;
  Replacement r;
  if (re.ParseReplacement(to, &r, &at, &why)) return "";
  return std::to_string(at) + ": " + why;
}

TEST(RegexTest, CaselessSearch) {
  Regex re;
  std::string why;
  size_t at = 0;
  ASSERT_TRUE(re.Compile("heartbleed", true, &why, &at));
  EXPECT_TRUE(re.Search("ET EXPLOIT Possible OpenSSL HeartBleed", nullptr));
  EXPECT_FALSE(re.Search("nothing here", nullptr));
}

TEST(RegexTest, CompileErrorHasOffset) {
  Regex re;
  std::string why;
  size_t at = 0;
  EXPECT_FALSE(re.Compile("ab(c", false, &why, &at));
  EXPECT_EQ(at, 4u);
  EXPECT_NE(why.find("missing closing parenthesis"), std::string::npos) << why;
}

TEST(RegexTest, BackReferences) {
  EXPECT_EQ(Sub("(alert)(.*)", "drop\\2", "alert tcp x"), "drop tcp x");
  EXPECT_EQ(Sub("seconds \\d+", "seconds 3600", "count 1, seconds 60;"), "count 1, seconds 3600;");
  EXPECT_EQ(Sub("(a)(b)?", "[\\1|\\2]", "ac"), "[a|]c");
  EXPECT_EQ(Sub("(?<word>b+)", "<\\g<word>\\g<1>>", "abbc"), "a<bbbb>c");
  EXPECT_EQ(Sub("(x)", "\\1\\n\\t\\\\.\\.", "x"), "x\n\t\\.\\.");
  EXPECT_EQ(Sub("x", "\\101", "x"), "A");  // three octal digits
}

TEST(RegexTest, EveryMatchIsReplaced) {
  EXPECT_EQ(Sub("a", "b", "banana"), "bbnbnb");
  // Python 3.7+: empty matches next to a previous match are replaced too.
  EXPECT_EQ(Sub("x*", "-", "abxd"), "-a-b--d-");
  EXPECT_EQ(Sub("^", "# ", "alert"), "# alert");
}

TEST(RegexTest, BadTemplates) {
  EXPECT_EQ(TemplateError("(a)", "\\2"), "0: invalid group reference 2 (the pattern has 1 group)");
  EXPECT_EQ(TemplateError("(a)", "x\\q"), "1: bad escape \\q");
  EXPECT_EQ(TemplateError("(a)", "x\\"), "1: bad escape (end of template)");
  EXPECT_EQ(TemplateError("(a)", "\\g<nope>"), "0: unknown group name 'nope'");
  EXPECT_EQ(TemplateError("(a)", "\\g<1"), "0: missing '>' in \\g<...>");
}

}  // namespace
}  // namespace kagami::rules::update
