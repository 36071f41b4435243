// byte_test, byte_jump, byte_extract, isdataat, pcre and bsize.

#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

using std::string_literals::operator""s;

TEST(ByteTest, RawBigAndLittleEndian) {
  EXPECT_TRUE(TcpRuleMatches("byte_test:2,=,0x0102,0;", "\x01\x02zz"s));
  EXPECT_FALSE(TcpRuleMatches("byte_test:2,=,0x0201,0;", "\x01\x02zz"s));
  EXPECT_TRUE(TcpRuleMatches("byte_test:2,=,0x0201,0,little;", "\x01\x02zz"s));
  EXPECT_TRUE(TcpRuleMatches("byte_test:4,>,1000,1;", "z\x00\x00\x10\x00"s));
  EXPECT_FALSE(TcpRuleMatches("byte_test:4,<,1000,1;", "z\x00\x00\x10\x00"s));
}

TEST(ByteTest, Operators) {
  EXPECT_TRUE(TcpRuleMatches("byte_test:1,<=,5,0;", "\x05"s));
  EXPECT_TRUE(TcpRuleMatches("byte_test:1,>=,5,0;", "\x05"s));
  EXPECT_FALSE(TcpRuleMatches("byte_test:1,>,5,0;", "\x05"s));
  EXPECT_TRUE(TcpRuleMatches("byte_test:1,&,0x80,0;", "\x81"s));
  EXPECT_FALSE(TcpRuleMatches("byte_test:1,&,0x80,0;", "\x7f"s));
  EXPECT_TRUE(TcpRuleMatches("byte_test:1,^,0x01,0;", "\x03"s));
  EXPECT_FALSE(TcpRuleMatches("byte_test:1,^,0x03,0;", "\x03"s));
  EXPECT_TRUE(TcpRuleMatches("byte_test:1,!=,5,0;", "\x06"s));
  EXPECT_FALSE(TcpRuleMatches("byte_test:1,!=,5,0;", "\x05"s));
}

TEST(ByteTest, StringBases) {
  EXPECT_TRUE(TcpRuleMatches("byte_test:3,>,100,0,string,dec;", "123 abc"));
  EXPECT_FALSE(TcpRuleMatches("byte_test:3,>,100,0,string,dec;", "099 abc"));
  EXPECT_TRUE(TcpRuleMatches("byte_test:2,=,255,0,string,hex;", "ff"));
  EXPECT_TRUE(TcpRuleMatches("byte_test:3,=,8,0,string,oct;", "010"));
  EXPECT_FALSE(TcpRuleMatches("byte_test:3,=,1,0,string,dec;", "abc"));
}

TEST(ByteTest, BitmaskShiftsLikeSuricata) {
  // 0x30 & 0xf0 = 0x30, shifted right by 4 -> 3.
  EXPECT_TRUE(TcpRuleMatches("byte_test:1,=,3,0,bitmask 0xf0;", "\x30"s));
  EXPECT_FALSE(TcpRuleMatches("byte_test:1,=,0x30,0,bitmask 0xf0;", "\x30"s));
}

TEST(ByteTest, RelativeAndOutOfBounds) {
  EXPECT_TRUE(TcpRuleMatches("content:\"hdr\"; byte_test:1,=,7,1,relative;", "xxhdr\x00\x07"s));
  EXPECT_FALSE(TcpRuleMatches("content:\"hdr\"; byte_test:1,=,7,0,relative;", "xxhdr\x00\x07"s));
  EXPECT_FALSE(TcpRuleMatches("content:\"hdr\"; byte_test:4,=,7,0,relative;", "xxhdr\x00\x07"s));
}

TEST(ByteTest, ValueFromVariable) {
  EXPECT_TRUE(TcpRuleMatches("byte_extract:1,0,want; byte_test:1,=,want,1;", "\x09\x09"s));
  EXPECT_FALSE(TcpRuleMatches("byte_extract:1,0,want; byte_test:1,=,want,1;", "\x09\x08"s));
}

TEST(ByteJump, RelativeJumpThenRelativeContent) {
  // "A", length 3, three bytes skipped, then "X".
  const char* opts = "content:\"A\"; byte_jump:1,0,relative; content:\"X\"; distance:0; within:1;";
  EXPECT_TRUE(TcpRuleMatches(opts, "A\x03" "abcX"s));
  EXPECT_FALSE(TcpRuleMatches(opts, "A\x02" "abcX"s));
}

TEST(ByteJump, FromBeginningMultiplierAlignPostOffset) {
  // Payload: [0]=Z [1]=3 then filler; markers placed where each jump lands.
  std::string p = "Z\x03" "0123456789"s;
  // from_beginning: jump to 3.
  EXPECT_TRUE(TcpRuleMatches("byte_jump:1,1,from_beginning; content:\"1\"; distance:0; within:1;", p));
  // default: from after the read bytes (2) + 3*2 = 8.
  EXPECT_TRUE(TcpRuleMatches("byte_jump:1,1,multiplier 2; content:\"6\"; distance:0; within:1;", p));
  // align: 3 rounds up to 4 -> 2 + 4 = 6.
  EXPECT_TRUE(TcpRuleMatches("byte_jump:1,1,align; content:\"4\"; distance:0; within:1;", p));
  // post_offset: 2 + 3 - 1 = 4.
  EXPECT_TRUE(TcpRuleMatches("byte_jump:1,1,post_offset -1; content:\"2\"; distance:0; within:1;", p));
  // Jumping past the end fails.
  EXPECT_FALSE(TcpRuleMatches("byte_jump:1,1,multiplier 100; isdataat:!1,relative;", p));
}

TEST(ByteJump, FromEnd) {
  // Value 0 with from_end lands on the buffer end; post_offset -2 two bytes before.
  std::string p = "\x00" "abcdXY"s;
  EXPECT_TRUE(TcpRuleMatches("byte_jump:1,0,from_end,post_offset -2; content:\"XY\"; distance:0; within:2;", p));
}

TEST(ByteJump, ZeroBytesOnlyMovesTheCursor) {
  // Suricata's bug-4623 shape: step back from a content's end with post_offset.
  std::string p = "xx\x7c\xe0\x3a\x01\xe8\xed\x0f\x54"s;
  EXPECT_TRUE(TcpRuleMatches("content:\"|3a 01 e8 ed 0f|\"; byte_jump:0,0,relative,post_offset -7; "
                             "pcre:\"/^\\x7c\\xe0\\x3a/R\";", p));
  EXPECT_TRUE(TcpRuleMatches("content:\"|01 e8 ed 0f 54|\"; byte_jump:0,0,relative,post_offset -7; "
                             "pcre:\"/^\\xe0\\x3a\\x01\\xe8\\xed\\x0f\\x54/R\";", p));
  EXPECT_FALSE(TcpRuleMatches("content:\"|01 e8 ed 0f 54|\"; byte_jump:0,0,relative,post_offset -7; "
                              "pcre:\"/^\\x3a/R\";", p));
}

TEST(ByteJump, StringValue) {
  // "12" then 12 bytes later "!".
  EXPECT_TRUE(TcpRuleMatches("byte_jump:2,0,string,dec; content:\"!\"; distance:0; within:1;",
                             "12abcdefghijkl!"));
  EXPECT_FALSE(TcpRuleMatches("byte_jump:2,0,string,dec; content:\"!\"; distance:0; within:1;",
                              "12abcdefghijk!"));
}

TEST(ByteExtract, MultiplierAndCursor) {
  // byte_extract moves the cursor past the extracted bytes.
  EXPECT_TRUE(TcpRuleMatches("byte_extract:2,0,n,multiplier 2; content:\"ok\"; distance:0; within:2; "
                             "byte_test:1,=,n,0,relative;", "\x00\x03ok\x06"s));
}

TEST(IsDataAt, AbsoluteAndRelative) {
  EXPECT_TRUE(TcpRuleMatches("isdataat:3;", "abcd"));
  EXPECT_FALSE(TcpRuleMatches("isdataat:4;", "abcd"));
  EXPECT_TRUE(TcpRuleMatches("isdataat:!4;", "abcd"));
  EXPECT_TRUE(TcpRuleMatches("content:\"ab\"; isdataat:2,relative;", "abcd"));
  EXPECT_FALSE(TcpRuleMatches("content:\"ab\"; isdataat:3,relative;", "abcd"));
  EXPECT_TRUE(TcpRuleMatches("content:\"cd\"; isdataat:!1,relative;", "abcd"));
  EXPECT_FALSE(TcpRuleMatches("content:\"bc\"; isdataat:!1,relative;", "abcd"));
}

TEST(Pcre, Basic) {
  EXPECT_TRUE(TcpRuleMatches("pcre:\"/fo+bar/\";", "xx foooobar yy"));
  EXPECT_FALSE(TcpRuleMatches("pcre:\"/fo+bar/\";", "xx fbar yy"));
  EXPECT_TRUE(TcpRuleMatches("pcre:\"/FOO/i\";", "foo"));
  EXPECT_FALSE(TcpRuleMatches("pcre:\"/FOO/\";", "foo"));
}

TEST(Pcre, Negated) {
  EXPECT_TRUE(TcpRuleMatches("content:\"user\"; pcre:!\"/root/\";", "user alice"));
  EXPECT_FALSE(TcpRuleMatches("content:\"user\"; pcre:!\"/root/\";", "user root"));
}

TEST(Pcre, RelativeAnchorsAtCursor) {
  EXPECT_TRUE(TcpRuleMatches("content:\"key=\"; pcre:\"/^[0-9]+/R\";", "key=123"));
  EXPECT_FALSE(TcpRuleMatches("content:\"key=\"; pcre:\"/^[0-9]+/R\";", "123 key=abc"));
}

TEST(Pcre, RelativeRetriesEarlierContent) {
  EXPECT_TRUE(TcpRuleMatches("content:\"k=\"; pcre:\"/^[0-9]/R\";", "k=x k=5"));
}

TEST(Pcre, ContentAfterPcreIsRelativeToMatchEnd) {
  EXPECT_TRUE(TcpRuleMatches("pcre:\"/id=[0-9]+/\"; content:\"|3B|\"; distance:0; within:1;", "id=42;"));
  EXPECT_FALSE(TcpRuleMatches("pcre:\"/id=[0-9]+/\"; content:\"|3B|\"; distance:0; within:1;", "id=42 ;"));
}

TEST(Pcre, MatchLimitAndOverride) {
  // A regex that needs a lot of backtracking to succeed.
  std::string payload(18, 'a');
  payload += "bac";
  DetectOptions tight;
  tight.pcre_match_limit = 10;
  {
    Harness h("alert tcp any any -> any any (msg:\"l\"; pcre:\"/(a+)+c/\"; sid:1;)", tight);
    ASSERT_TRUE(h.ok());
    EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, payload)));
  }
  {
    Harness h("alert tcp any any -> any any (msg:\"l\"; pcre:\"/(a+)+c/O\"; sid:1;)", tight);
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, payload)));
  }
}

TEST(Bsize, OnPayloadBuffer) {
  rules::Rule r;
  r.protocol = "tcp";
  r.src_addr = rules::AddressSet::Any();
  r.dst_addr = rules::AddressSet::Any();
  r.src_port = rules::PortSet::Any();
  r.dst_port = rules::PortSet::Any();
  r.sid = 5;
  rules::BsizeOption b;
  b.check.op = rules::NumberCheck::Op::kGt;
  b.check.a = 3;
  rules::DetectStep step;
  step.option = b;
  r.steps.push_back(step);
  rules::RuleSet set;
  set.rules.push_back(r);
  auto engine = DetectEngine::Compile(set, {}, nullptr);
  ASSERT_TRUE(engine.ok());
  Harness h(*engine);
  EXPECT_TRUE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "abcd")));
  EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "abc")));
}

}  // namespace
}  // namespace kagami::detect::testing

namespace kagami::detect::testing {
namespace {

// Suricata: byte_jump takes its byte count from a byte_extract variable.
TEST(ByteJumpVariableCount, ReadsTheCountFromAVariable) {
  // Count 2 from byte 0, then jump by the 2-byte value at offset 1 (0x0003)
  // past it: lands on "X".
  const std::string payload = std::string("\x02\x00\x03", 3) + "abcX";
  EXPECT_TRUE(TcpRuleMatches("byte_extract:1,0,n; byte_jump:n,1; content:\"X\"; within:1;", payload));
  EXPECT_FALSE(TcpRuleMatches("byte_extract:1,0,n; byte_jump:n,1; content:\"a\"; within:1;", payload));
  // A count beyond 8 bytes read from the packet does not match.
  const std::string big = std::string("\x09\x00\x03", 3) + "abcX";
  EXPECT_FALSE(TcpRuleMatches("byte_extract:1,0,n; byte_jump:n,1; content:\"X\";", big));
}

// byte_test takes its count from a variable too (Suricata's
// detect-bytetest-04: byte_test:var,=,0x01,5,bitmask 0xFF).
TEST(ByteTestVariableCount, ReadsTheCountFromAVariable) {
  // Byte 0 says "2 bytes"; the 2-byte value at offset 1 is 0x0102.
  const std::string payload = std::string("\x02\x01\x02xyz", 6);
  EXPECT_TRUE(TcpRuleMatches("byte_extract:1,0,n; byte_test:n,=,0x0102,1;", payload));
  EXPECT_FALSE(TcpRuleMatches("byte_extract:1,0,n; byte_test:n,=,0x01,1;", payload));
  EXPECT_TRUE(TcpRuleMatches("byte_extract:1,0,n; byte_test:n,=,0x02,1, bitmask 0xFF;", payload));
  // A zero or too large count never matches.
  EXPECT_FALSE(TcpRuleMatches("byte_extract:1,0,n; byte_test:n,=,0,1;", std::string("\x00\x00", 2)));
  EXPECT_FALSE(TcpRuleMatches("byte_extract:1,0,n; byte_test:n,>,0,1;", std::string("\x09", 1) + std::string(12, '\x01')));
}

TEST(ByteJumpVariableCount, UnknownVariableIsRejected) {
  rules::RuleSet set = rules::ParseRules(
      "alert tcp any any -> any any (msg:\"m\"; byte_jump:nope,0; sid:1;)", "<t>", rules::LoadOptions{});
  std::vector<rules::Diagnostic> diags;
  auto engine = DetectEngine::Compile(set, {}, &diags);
  ASSERT_TRUE(engine.ok());
  // Rejected by the parser or the compiler, never loaded.
  EXPECT_EQ(set.error_count() + (*engine)->stats().rules_rejected, 1u);
  EXPECT_EQ((*engine)->stats().rules_loaded, 0u);
}

}  // namespace
}  // namespace kagami::detect::testing
