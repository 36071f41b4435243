#include "gtest/gtest.h"
#include "rules/rule_loader.h"
#include "tests/rules/rule_test_util.h"

namespace kagami::rules {
namespace {

using testing::Error;
using testing::One;
using testing::Tcp;

TEST(ByteTest, Forms) {
  Rule r = One(Tcp("content:\"x\"; byte_test:4,>,1000,20,relative,little;"));
  const auto& b = std::get<ByteTestOption>(r.steps.at(1).option);
  EXPECT_EQ(b.nbytes, 4u);
  EXPECT_EQ(b.op, ">");
  EXPECT_FALSE(b.op_negated);
  EXPECT_EQ(b.value.value, 1000);
  EXPECT_EQ(b.offset.value, 20);
  EXPECT_TRUE(b.relative);
  EXPECT_EQ(b.endian, Endian::kLittle);
  EXPECT_EQ(b.base, NumberBase::kBinary);

  r = One(Tcp("byte_test: 3, !=, 0x10, -2, string, hex, bitmask 0xff0;"));
  const auto& s = std::get<ByteTestOption>(r.steps.at(0).option);
  EXPECT_TRUE(s.op_negated);
  EXPECT_EQ(s.op, "=");
  EXPECT_EQ(s.value.value, 16);
  EXPECT_EQ(s.offset.value, -2);
  EXPECT_EQ(s.base, NumberBase::kHex);
  EXPECT_EQ(s.bitmask, 0xff0u);
  EXPECT_EQ(std::get<ByteTestOption>(One(Tcp("byte_test:2,&,1,0,string;")).steps[0].option).base, NumberBase::kDec);
  EXPECT_EQ(std::get<ByteTestOption>(One(Tcp("byte_test:2,<=,1,0,dce;")).steps[0].option).endian, Endian::kDce);
  EXPECT_EQ(std::get<ByteTestOption>(One(Tcp("byte_test:1,!&,1,0;")).steps[0].option).op, "&");

  EXPECT_EQ(Error(Tcp("byte_test:4,>,1;")), "1:41: byte_test needs: bytes, [!]operator, value, offset[, options]");
  EXPECT_EQ(Error(Tcp("byte_test:4,~,1,0;")), "1:43: byte_test: unknown operator '~' (expected <, >, =, <=, >=, &, ^, optionally with !)");
  EXPECT_EQ(Error(Tcp("byte_test:9,=,1,0;")), "1:41: byte_test: number of bytes must be 1-8 (binary)");
  EXPECT_EQ(Error(Tcp("byte_test:4,=,1,0,sideways;")), "1:49: byte_test: unknown option 'sideways'");
  EXPECT_EQ(Error(Tcp("byte_test:4,=,1,0,big,little;")), "1:53: byte_test: only one of big, little and dce may be given");
  EXPECT_EQ(Error(Tcp("byte_test:4,=,1,0,hex;")), "1:41: byte_test: hex/dec/oct need 'string'");
}

TEST(ByteJump, Forms) {
  Rule r = One(Tcp("byte_jump:4,12,relative,multiplier 2,little,align,from_beginning,post_offset -3,bitmask 0x0f;"));
  const auto& b = std::get<ByteJumpOption>(r.steps.at(0).option);
  EXPECT_EQ(b.nbytes, 4u);
  EXPECT_EQ(b.offset.value, 12);
  EXPECT_TRUE(b.relative);
  EXPECT_EQ(b.multiplier, 2u);
  EXPECT_EQ(b.endian, Endian::kLittle);
  EXPECT_TRUE(b.align);
  EXPECT_TRUE(b.from_beginning);
  EXPECT_EQ(b.post_offset, -3);
  EXPECT_EQ(b.bitmask, 0x0fu);
  r = One(Tcp("byte_jump:2,0,string,oct,from_end,dce;"));
  const auto& s = std::get<ByteJumpOption>(r.steps.at(0).option);
  EXPECT_EQ(s.base, NumberBase::kOct);
  EXPECT_TRUE(s.from_end);
  EXPECT_EQ(s.endian, Endian::kDce);
  EXPECT_EQ(Error(Tcp("byte_jump:4;")), "1:41: byte_jump needs: bytes, offset[, options]");
  EXPECT_EQ(Error(Tcp("byte_jump:4,0,from_beginning,from_end;")), "1:41: byte_jump: from_beginning and from_end exclude each other");
  EXPECT_EQ(Error(Tcp("byte_jump:4,0,multiplier 0;")), "1:45: byte_jump: invalid multiplier '0'");
}

TEST(ByteExtract, DefinesVariables) {
  Rule r = One(Tcp("byte_extract:2,0,len,relative,multiplier 4,little,align 4,bitmask 0x7ff; "
                   "content:\"x\"; distance:len; within:len; byte_test:2,>,len,len; byte_jump:2,len; "
                   "isdataat:len,relative; content:\"y\"; offset:len; depth:len;"));
  const auto& e = std::get<ByteExtractOption>(r.steps.at(0).option);
  EXPECT_EQ(e.nbytes, 2u);
  EXPECT_EQ(e.offset, 0);
  EXPECT_EQ(e.name, "len");
  EXPECT_TRUE(e.relative);
  EXPECT_EQ(e.multiplier, 4u);
  EXPECT_EQ(e.endian, Endian::kLittle);
  EXPECT_EQ(e.align, 4u);
  EXPECT_EQ(e.bitmask, 0x7ffu);
  const auto& c = std::get<ContentOption>(r.steps.at(1).option);
  EXPECT_EQ(c.distance->var, "len");
  EXPECT_TRUE(c.within->is_var());
  EXPECT_EQ(std::get<ByteTestOption>(r.steps.at(2).option).value.var, "len");
  EXPECT_EQ(std::get<ByteTestOption>(r.steps.at(2).option).offset.var, "len");
  EXPECT_EQ(std::get<ByteJumpOption>(r.steps.at(3).option).offset.var, "len");
  EXPECT_EQ(std::get<IsDataAtOption>(r.steps.at(4).option).offset.var, "len");
  const auto& c2 = std::get<ContentOption>(r.steps.at(5).option);
  EXPECT_EQ(c2.offset->var, "len");
  EXPECT_EQ(c2.depth->var, "len");

  Rule s = One(Tcp("byte_extract:3,1,n,string,hex,dce;"));
  const auto& se = std::get<ByteExtractOption>(s.steps.at(0).option);
  EXPECT_EQ(se.base, NumberBase::kHex);
  EXPECT_EQ(se.endian, Endian::kDce);

  EXPECT_EQ(Error(Tcp("byte_test:2,>,len,0;")), "1:45: unknown variable 'len' (define it with an earlier byte_extract)");
  EXPECT_EQ(Error(Tcp("content:\"x\"; byte_extract:2,0,1bad;")), "1:61: byte_extract: invalid variable name '1bad'");
  EXPECT_EQ(Error(Tcp("byte_extract:2,0,v,align 3;")), "1:50: byte_extract: align must be 2 or 4");
}

TEST(IsDataAt, Forms) {
  Rule r = One(Tcp("isdataat:!10,relative,rawbytes; isdataat:5;"));
  const auto& a = std::get<IsDataAtOption>(r.steps.at(0).option);
  EXPECT_TRUE(a.negated);
  EXPECT_EQ(a.offset.value, 10);
  EXPECT_TRUE(a.relative);
  EXPECT_TRUE(a.rawbytes);
  const auto& b = std::get<IsDataAtOption>(r.steps.at(1).option);
  EXPECT_FALSE(b.negated);
  EXPECT_FALSE(b.relative);
  EXPECT_EQ(Error(Tcp("isdataat:5,sideways;")), "1:42: isdataat: unknown option 'sideways' (expected relative or rawbytes)");
}

TEST(Bsize, AndUrilen) {
  Rule r = One("alert http any any -> any any (http.uri; bsize:>10; urilen:5<>20; urilen:3,raw; http.host; bsize:7; sid:1;)");
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_EQ(r.steps[0].buffer, "http.uri");
  EXPECT_EQ(std::get<BsizeOption>(r.steps[0].option).check.op, NumberCheck::Op::kGt);
  EXPECT_EQ(r.steps[1].buffer, "http.uri");
  EXPECT_EQ(std::get<BsizeOption>(r.steps[1].option).check.op, NumberCheck::Op::kRangeExclusive);
  EXPECT_EQ(r.steps[2].buffer, "http.uri.raw");
  EXPECT_EQ(r.steps[3].buffer, "http.host");
  EXPECT_EQ(std::get<BsizeOption>(r.steps[3].option).check.a, 7u);
}

}  // namespace
}  // namespace kagami::rules
