// Content keyword semantics: modifiers, relative chains, backtracking,
// negation, startswith/endswith, nocase and fast pattern selection.

#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

TEST(Content, PlainMatchAnywhere) {
  EXPECT_TRUE(TcpRuleMatches("content:\"evil\";", "this is evil stuff"));
  EXPECT_FALSE(TcpRuleMatches("content:\"evil\";", "this is EVIL stuff"));
  EXPECT_FALSE(TcpRuleMatches("content:\"evil\";", ""));
}

TEST(Content, HexBytesAndNul) {
  EXPECT_TRUE(TcpRuleMatches("content:\"|00 01|A\";", std::string("xx\0\x01" "Ayy", 7)));
  EXPECT_FALSE(TcpRuleMatches("content:\"|00 01|A\";", std::string("xx\0\x02" "Ayy", 7)));
}

TEST(Content, Nocase) {
  EXPECT_TRUE(TcpRuleMatches("content:\"EvIl\"; nocase;", "this is eViL stuff"));
  EXPECT_FALSE(TcpRuleMatches("content:\"EvIl\"; nocase;", "this is eVxL stuff"));
}

TEST(Content, OffsetAndDepth) {
  // "def" at position 3.
  EXPECT_TRUE(TcpRuleMatches("content:\"def\"; offset:3;", "abcdefgh"));
  EXPECT_FALSE(TcpRuleMatches("content:\"def\"; offset:4;", "abcdefgh"));
  EXPECT_TRUE(TcpRuleMatches("content:\"abc\"; depth:3;", "abcdefgh"));
  EXPECT_FALSE(TcpRuleMatches("content:\"def\"; depth:5;", "abcdefgh"));
  // depth counts from offset.
  EXPECT_TRUE(TcpRuleMatches("content:\"def\"; offset:3; depth:3;", "abcdefgh"));
  EXPECT_FALSE(TcpRuleMatches("content:\"def\"; offset:2; depth:3;", "abcdefgh"));
}

TEST(Content, DistanceAndWithin) {
  EXPECT_TRUE(TcpRuleMatches("content:\"ab\"; content:\"ef\"; distance:2;", "abcdef"));
  EXPECT_FALSE(TcpRuleMatches("content:\"ab\"; content:\"ef\"; distance:3;", "abcdef"));
  EXPECT_TRUE(TcpRuleMatches("content:\"ab\"; content:\"ef\"; within:4;", "abcdef"));
  EXPECT_FALSE(TcpRuleMatches("content:\"ab\"; content:\"ef\"; within:3;", "abcdef"));
  // within counts from the end of the previous match plus distance.
  EXPECT_TRUE(TcpRuleMatches("content:\"ab\"; content:\"ef\"; distance:2; within:2;", "abcdef"));
  EXPECT_FALSE(TcpRuleMatches("content:\"ab\"; content:\"ef\"; distance:1; within:2;", "abcdef"));
  // Relative content must come after the previous match.
  EXPECT_FALSE(TcpRuleMatches("content:\"ef\"; content:\"ab\"; distance:0;", "abcdef"));
}

TEST(Content, NegativeDistance) {
  // "cd" found, then "bc" may start one byte before its end... i.e. overlap.
  EXPECT_TRUE(TcpRuleMatches("content:\"cd\"; content:\"bc\"; distance:-3; within:2;", "abcdef"));
  EXPECT_FALSE(TcpRuleMatches("content:\"cd\"; content:\"ab\"; distance:-3; within:2;", "abcdef"));
  EXPECT_TRUE(TcpRuleMatches("content:\"cd\"; content:\"ab\"; distance:-4; within:2;", "abcdef"));
}

TEST(Content, RelativeChainBacktracks) {
  // The first "a" is not followed by "b"; the retry at the next "a" is.
  EXPECT_TRUE(TcpRuleMatches("content:\"a\"; content:\"b\"; distance:0; within:1;", "axxxab"));
  EXPECT_FALSE(TcpRuleMatches("content:\"a\"; content:\"b\"; distance:0; within:1;", "axxxa b"));
  // Three levels: the middle content must be retried as well.
  EXPECT_TRUE(TcpRuleMatches(
      "content:\"X\"; content:\"1\"; distance:0; within:2; content:\"2\"; distance:0; within:1;",
      "X1zX1zX12"));
  EXPECT_FALSE(TcpRuleMatches(
      "content:\"X\"; content:\"1\"; distance:0; within:2; content:\"2\"; distance:0; within:1;",
      "X1zX1zX1z"));
}

TEST(Content, BacktrackingIsBounded) {
  // Many "a"s never followed by "b": must give up without hanging.
  std::string payload(20000, 'a');
  EXPECT_FALSE(TcpRuleMatches("content:\"a\"; content:\"a\"; distance:0; content:\"b\"; distance:0; within:1;",
                              payload));
}

TEST(Content, NegatedContent) {
  EXPECT_TRUE(TcpRuleMatches("content:\"GET\"; content:!\"admin\";", "GET /index"));
  EXPECT_FALSE(TcpRuleMatches("content:\"GET\"; content:!\"admin\";", "GET /admin"));
}

TEST(Content, NegatedContentWindow) {
  // Negation only looks inside its window.
  EXPECT_TRUE(TcpRuleMatches("content:\"GET\"; content:!\"admin\"; distance:0; within:5;", "GET /xx/admin"));
  EXPECT_FALSE(TcpRuleMatches("content:\"GET\"; content:!\"admin\"; distance:0; within:8;", "GET /admin"));
  EXPECT_TRUE(TcpRuleMatches("content:!\"admin\"; depth:5;", "xadminxxxx"));
  EXPECT_FALSE(TcpRuleMatches("content:!\"admin\"; depth:6;", "xadminxxxx"));
}

TEST(Content, NegatedContentDoesNotMoveCursor) {
  // The negated content sits between "ab" and "cd"; "cd" is relative to "ab".
  EXPECT_TRUE(TcpRuleMatches(
      "content:\"ab\"; content:!\"x\"; distance:0; within:1; content:\"cd\"; distance:0; within:2;",
      "abcd"));
  EXPECT_FALSE(TcpRuleMatches(
      "content:\"ab\"; content:!\"c\"; distance:0; within:1; content:\"cd\"; distance:0; within:2;",
      "abcd"));
}

TEST(Content, NegatedRelativeRetriesEarlierMatch) {
  // First "a" is followed by "b" (negation fails), the second is not.
  EXPECT_TRUE(TcpRuleMatches("content:\"a\"; content:!\"b\"; distance:0; within:1;", "ab ac"));
  EXPECT_FALSE(TcpRuleMatches("content:\"a\"; content:!\"b\"; distance:0; within:1;", "ab ab"));
}

TEST(Content, OnlyNegatedContent) {
  EXPECT_TRUE(TcpRuleMatches("content:!\"secret\";", "nothing here"));
  EXPECT_FALSE(TcpRuleMatches("content:!\"secret\";", "a secret here"));
  // Empty payload: nothing to find, negation holds.
  EXPECT_TRUE(TcpRuleMatches("content:!\"secret\";", ""));
}

TEST(Content, StartsWithEndsWith) {
  EXPECT_TRUE(TcpRuleMatches("content:\"GET\"; startswith;", "GET / HTTP"));
  EXPECT_FALSE(TcpRuleMatches("content:\"GET\"; startswith;", " GET / HTTP"));
  EXPECT_TRUE(TcpRuleMatches("content:\"HTTP\"; endswith;", "GET / HTTP"));
  EXPECT_FALSE(TcpRuleMatches("content:\"HTTP\"; endswith;", "GET / HTTP "));
  EXPECT_TRUE(TcpRuleMatches("content:\"abc\"; startswith; endswith;", "abc"));
  EXPECT_FALSE(TcpRuleMatches("content:\"abc\"; startswith; endswith;", "abcabc"));
}

TEST(Content, FastPatternNotFirstContent) {
  const char* opts = "content:\"ab\"; depth:2; content:\"longer-pattern\"; fast_pattern; distance:0;";
  EXPECT_TRUE(TcpRuleMatches(opts, "ab--longer-pattern"));
  EXPECT_FALSE(TcpRuleMatches(opts, "xab--longer-pattern"));
  EXPECT_FALSE(TcpRuleMatches(opts, "ab--longer-patter"));
}

TEST(Content, LongestContentIsPrefilterButAllAreVerified) {
  const char* opts = "content:\"a\"; content:\"bbbbbbbb\";";
  EXPECT_TRUE(TcpRuleMatches(opts, "bbbbbbbb a"));
  EXPECT_FALSE(TcpRuleMatches(opts, "bbbbbbbb"));
}

TEST(Content, FastPatternChop) {
  const char* opts = "content:\"abcdefgh\"; fast_pattern:2,3;";
  EXPECT_TRUE(TcpRuleMatches(opts, "xxabcdefghxx"));
  // The chopped part alone is not enough: the full content is verified.
  EXPECT_FALSE(TcpRuleMatches(opts, "xxcdexx"));
}

TEST(Content, FastPatternOnly) {
  EXPECT_TRUE(TcpRuleMatches("content:\"needle\"; fast_pattern:only;", "hay needle hay"));
  EXPECT_FALSE(TcpRuleMatches("content:\"needle\"; fast_pattern:only;", "hay needl hay"));
}

TEST(Content, NocasePrefilter) {
  Harness h(R"(alert tcp any any -> any any (msg:"a"; content:"SeLeCt"; nocase; sid:1;)
alert tcp any any -> any any (msg:"b"; content:"select"; sid:2;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "xx SELECT yy")), std::vector<uint32_t>{1});
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "xx select yy")), (std::vector<uint32_t>{1, 2}));
}

TEST(Content, RulesSharingAPattern) {
  Harness h(R"(alert tcp any any -> any any (msg:"a"; content:"shared"; sid:1;)
alert tcp any any -> any any (msg:"b"; content:"shared"; content:"more"; sid:2;)
alert udp any any -> any any (msg:"c"; content:"shared"; sid:3;)
alert ip any any -> any any (msg:"d"; content:"shared"; sid:4;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().prefilter_rules, 4u);
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "shared")), (std::vector<uint32_t>{1, 4}));
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "shared more")), (std::vector<uint32_t>{1, 2, 4}));
  EXPECT_EQ(h.Sids(*MakeUdp("1.1.1.1", 1, "2.2.2.2", 2, "shared")), (std::vector<uint32_t>{3, 4}));
}

TEST(Content, ByteExtractVariableInDistanceAndWithin) {
  // Length byte 3, then the content must be within those 3 bytes.
  const char* opts = "content:\"L\"; byte_extract:1,0,len,relative; content:\"abc\"; distance:0; within:len;";
  EXPECT_TRUE(TcpRuleMatches(opts, "L\x03" "abc"));
  EXPECT_FALSE(TcpRuleMatches(opts, "L\x02" "abc"));
}

TEST(Content, ByteExtractVariableAsOffset) {
  const char* opts = "byte_extract:1,0,off; content:\"zz\"; offset:off; depth:2;";
  EXPECT_TRUE(TcpRuleMatches(opts, "\x04xxxzz"));
  EXPECT_FALSE(TcpRuleMatches(opts, "\x03xxxzz"));
}

}  // namespace
}  // namespace kagami::detect::testing
