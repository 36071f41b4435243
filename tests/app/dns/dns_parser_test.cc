// ParseMessage: header, every record type, compression, limits, truncation.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/app/dns/dns_parser.h"
#include "tests/app/dns/dns_test_util.h"

namespace kagami::app::dns {
namespace {

using testing::Bytes;
using testing::Cat;
using testing::MessageBuilder;
using testing::ParseCopy;
using testing::WireName;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr uint16_t kA = 1, kNs = 2, kCname = 5, kSoa = 6, kNull = 10, kPtr = 12, kMx = 15,
                   kTxt = 16, kAaaa = 28, kSrv = 33, kDname = 39, kOpt = 41, kSshfp = 44;

Bytes U16s(std::initializer_list<uint16_t> vs) {
  Bytes b;
  for (uint16_t v : vs) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
  }
  return b;
}

Bytes U32s(std::initializer_list<uint32_t> vs) {
  Bytes b;
  for (uint32_t v : vs) {
    const Bytes hi = U16s({static_cast<uint16_t>(v >> 16), static_cast<uint16_t>(v)});
    b.insert(b.end(), hi.begin(), hi.end());
  }
  return b;
}

TEST(DnsParserTest, Query) {
  MessageBuilder m(0x1032, 0x0100, 1, 0, 0, 0);
  m.Question("google.com", kTxt);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_EQ(msg.id, 0x1032);
  EXPECT_EQ(msg.flags, 0x0100);
  EXPECT_FALSE(msg.response);
  EXPECT_TRUE(msg.rd);
  EXPECT_FALSE(msg.ra || msg.aa || msg.tc || msg.z);
  EXPECT_EQ(msg.opcode, 0);
  EXPECT_EQ(msg.rcode, 0);
  ASSERT_EQ(msg.questions.size(), 1u);
  EXPECT_EQ(msg.questions[0].name, "google.com");
  EXPECT_EQ(msg.questions[0].type, kTxt);
  EXPECT_EQ(msg.questions[0].cls, 1);
  EXPECT_TRUE(msg.answers.empty());
  EXPECT_TRUE(msg.anomalies.empty());
  EXPECT_EQ(FlagsHex(msg.flags), "100");
}

TEST(DnsParserTest, HeaderBits) {
  MessageBuilder m(7, 0x8000 | (5 << 11) | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0040 | 3, 0, 0, 0, 0);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_TRUE(msg.response && msg.aa && msg.tc && msg.rd && msg.ra && msg.z);
  EXPECT_EQ(msg.opcode, 5);
  EXPECT_EQ(msg.rcode, 3);
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kZFlagSet, 2u)));
}

TEST(DnsParserTest, ShortHeaderIsRejected) {
  const Bytes b(11, 0);
  Message msg;
  msg.questions.emplace_back();
  EXPECT_FALSE(ParseCopy(b, msg));
  EXPECT_TRUE(msg.questions.empty());
  EXPECT_FALSE(ParseMessage(nullptr, 0, {}, msg));
}

TEST(DnsParserTest, RootNameIsEmpty) {
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.Question("", kNs);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.questions.size(), 1u);
  EXPECT_EQ(msg.questions[0].name, "");
  EXPECT_EQ(msg.questions[0].type, kNs);
}

TEST(DnsParserTest, RawLabelBytesKept) {
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.U8(3).Raw(std::string_view("a.\0", 3)).U8(2).Raw("\xff\x41").U8(0).U16(1).U16(1);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_EQ(msg.questions[0].name, std::string("a.\0.\xff\x41", 6));
}

// One response holding every record type the parser knows.
TEST(DnsParserTest, EveryRecordType) {
  MessageBuilder m(0xbeef, 0x8180, 1, 12, 1, 1);
  m.Question("example.com", kA);  // name at 12
  m.Rr("", kA, 300, {93, 184, 216, 34}, 12);
  m.Rr("", kAaaa, 301, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 12);
  m.Rr("www", kCname, 302, WireName("", 12), 12);
  m.Rr("", kMx, 303, Cat({U16s({10}), WireName("mail", 12)}), 12);
  m.Rr("", kNs, 304, WireName("ns1", 12), 12);
  m.Rr("4.3.2.1.in-addr.arpa", kPtr, 305, WireName("host", 12));
  m.Rr("", kTxt, 306, Cat({Bytes{5}, Bytes{'h', 'e', 'l', 'l', 'o'}, Bytes{0}, Bytes{2, 'o', 'k'}}), 12);
  m.Rr("_sip._tcp", kSrv, 307, Cat({U16s({1, 2, 5060}), WireName("sip", 12)}), 12);
  m.Rr("old", kDname, 308, WireName("new.example.net"), 12);
  m.Rr("", kNull, 309, {'r', 'a', 'w', 0}, 12);
  m.Rr("", kSshfp, 310, {1, 2, 0xab, 0xcd}, 12);
  m.Rr("", 99 /* SPF: not decoded */, 311, {3, 'x', 'y', 'z'}, 12);
  m.Rr("", kSoa, 312,
       Cat({WireName("ns1", 12), WireName("hostmaster", 12), U32s({2024010101, 7200, 3600, 1209600, 300})}),
       12);
  m.Rr("", kOpt, 0, Cat({U16s({10, 8}), Bytes{1, 2, 3, 4, 5, 6, 7, 8}, U16s({12, 0})}));
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_TRUE(msg.anomalies.empty()) << AnomalyName(msg.anomalies[0].first);
  ASSERT_EQ(msg.answers.size(), 12u);
  ASSERT_EQ(msg.authorities.size(), 1u);
  ASSERT_EQ(msg.additionals.size(), 1u);
  const auto& a = msg.answers;

  EXPECT_EQ(a[0].name, "example.com");
  EXPECT_EQ(a[0].type, kA);
  EXPECT_EQ(a[0].cls, 1);
  EXPECT_EQ(a[0].ttl, 300u);
  EXPECT_EQ(a[0].rdata, "93.184.216.34");

  EXPECT_EQ(a[1].rdata, "2001:0db8:0000:0000:0000:0000:0000:0001");
  EXPECT_EQ(a[1].ttl, 301u);

  EXPECT_EQ(a[2].name, "www.example.com");
  EXPECT_EQ(a[2].rdata, "example.com");

  EXPECT_EQ(a[3].mx_preference, 10);
  EXPECT_EQ(a[3].rdata, "mail.example.com");

  EXPECT_EQ(a[4].rdata, "ns1.example.com");

  EXPECT_EQ(a[5].name, "4.3.2.1.in-addr.arpa");
  EXPECT_EQ(a[5].rdata, "host.example.com");

  EXPECT_THAT(a[6].txt, ElementsAre("hello", "", "ok"));
  EXPECT_EQ(a[6].rdata, "hello");

  EXPECT_EQ(a[7].name, "_sip._tcp.example.com");
  ASSERT_TRUE(a[7].srv.has_value());
  EXPECT_EQ(a[7].srv->priority, 1);
  EXPECT_EQ(a[7].srv->weight, 2);
  EXPECT_EQ(a[7].srv->port, 5060);
  EXPECT_EQ(a[7].srv->name, "sip.example.com");
  EXPECT_EQ(a[7].rdata, "");

  EXPECT_EQ(a[8].name, "old.example.com");
  EXPECT_EQ(a[8].rdata, "new.example.net");

  EXPECT_EQ(a[9].rdata, std::string("raw\0", 4));

  ASSERT_TRUE(a[10].sshfp.has_value());
  EXPECT_EQ(a[10].sshfp->algo, 1);
  EXPECT_EQ(a[10].sshfp->fp_type, 2);
  EXPECT_EQ(a[10].sshfp->fingerprint, "\xab\xcd");

  EXPECT_EQ(a[11].type, 99);
  EXPECT_EQ(a[11].rdata, "");

  const Record& soa = msg.authorities[0];
  ASSERT_TRUE(soa.soa.has_value());
  EXPECT_EQ(soa.soa->mname, "ns1.example.com");
  EXPECT_EQ(soa.soa->rname, "hostmaster.example.com");
  EXPECT_EQ(soa.soa->serial, 2024010101u);
  EXPECT_EQ(soa.soa->refresh, 7200u);
  EXPECT_EQ(soa.soa->retry, 3600u);
  EXPECT_EQ(soa.soa->expire, 1209600u);
  EXPECT_EQ(soa.soa->minimum, 300u);
  EXPECT_EQ(soa.rdata, "");

  const Record& opt = msg.additionals[0];
  EXPECT_EQ(opt.name, "");
  EXPECT_EQ(opt.type, kOpt);
  ASSERT_EQ(opt.opt.size(), 2u);
  EXPECT_EQ(opt.opt[0].code, 10);
  EXPECT_EQ(opt.opt[0].data, "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(opt.opt[1].code, 12);
  EXPECT_EQ(opt.opt[1].data, "");
}

TEST(DnsParserTest, AaaaRfc5952Option) {
  MessageBuilder m(1, 0x8180, 0, 1, 0, 0);
  m.Rr("v6", kAaaa, 1, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  DnsOptions o;
  o.aaaa_rfc5952 = true;
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg, o));
  EXPECT_EQ(msg.answers[0].rdata, "2001:db8::1");
}

TEST(DnsParserTest, BadRdataLengthsKeepTheRecordAndGoOn) {
  MessageBuilder m(1, 0x8180, 0, 6, 0, 0);
  m.Rr("a", kA, 1, {1, 2, 3, 4, 5});                        // A with 5 bytes
  m.Rr("b", kAaaa, 1, {1, 2, 3, 4});                        // AAAA with 4
  m.Rr("c", kCname, 1, Cat({WireName("x"), Bytes{9, 9}}));  // bytes after the name
  m.Rr("d", kMx, 1, {0});                                   // no room for the name
  m.Rr("e", kTxt, 1, {5, 'a', 'b'});                        // string runs past rdata
  m.Rr("f", kA, 1, {10, 0, 0, 1});                          // good
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.answers.size(), 6u);
  EXPECT_EQ(msg.answers[0].rdata, "");
  EXPECT_EQ(msg.answers[1].rdata, "");
  EXPECT_EQ(msg.answers[2].rdata, "x");
  EXPECT_TRUE(msg.answers[4].txt.empty());
  EXPECT_EQ(msg.answers[5].name, "f");
  EXPECT_EQ(msg.answers[5].rdata, "10.0.0.1");
  size_t bad = 0;
  for (const auto& [kind, off] : msg.anomalies) bad += kind == Anomaly::kBadRdataLength;
  EXPECT_EQ(bad, 5u);
}

TEST(DnsParserTest, NameInRdataMayNotRunPastRdata) {
  // CNAME rdlength 2 but the name inside needs 3 bytes: the in-place part is
  // bounded by the rdata, not the message.
  MessageBuilder m(1, 0x8180, 0, 2, 0, 0);
  m.Name("a").RrHeader(kCname, 1, 2).U8(1).U8('x').U8(0);
  // ... which leaves "\0" as the start of the next record's name.
  m.RrHeader(kA, 1, 4).Raw(Bytes{1, 1, 1, 1});
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.answers.size(), 2u);
  EXPECT_EQ(msg.answers[0].rdata, "");
  EXPECT_EQ(msg.answers[1].name, "");
  EXPECT_EQ(msg.answers[1].rdata, "1.1.1.1");
  EXPECT_TRUE(msg.HasAnomaly(Anomaly::kBadRdataLength));
}

TEST(DnsParserTest, RecordOverflowKeepsEarlierRecords) {
  MessageBuilder m(1, 0x8180, 1, 3, 0, 0);
  m.Question("q.example", kA);
  m.Rr("", kA, 1, {1, 2, 3, 4}, 12);
  const size_t second = m.size();
  m.Rr("", kA, 1, {5, 6, 7, 8}, 12);
  m.Patch16(second + 2 + 8, 200);  // rdlength past the end
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_EQ(msg.questions.size(), 1u);
  ASSERT_EQ(msg.answers.size(), 1u);
  EXPECT_EQ(msg.answers[0].rdata, "1.2.3.4");
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kRecordOverflow, second + 2 + 8)));
}

TEST(DnsParserTest, MissingRecordsAreTruncation) {
  MessageBuilder m(1, 0x8180, 1, 2, 0, 0);  // promises 2 answers, has 1
  m.Question("q", kA);
  m.Rr("", kA, 1, {1, 2, 3, 4}, 12);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_EQ(msg.answers.size(), 1u);
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kTruncated, m.size())));
}

TEST(DnsParserTest, TrailingData) {
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.Question("q", kA);
  const size_t end = m.size();
  m.Raw("junk");
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kTrailingData, end)));
}

TEST(DnsParserTest, TooManyRecords) {
  MessageBuilder m(1, 0x8180, 1, 5, 0, 0);
  m.Question("q", kA);
  for (int i = 0; i < 5; ++i) m.Rr("", kA, 1, {1, 2, 3, static_cast<uint8_t>(i)}, 12);
  DnsOptions o;
  o.max_records = 3;
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg, o));
  EXPECT_EQ(msg.questions.size(), 1u);
  EXPECT_EQ(msg.answers.size(), 2u);
  ASSERT_EQ(msg.anomalies.size(), 1u);
  EXPECT_EQ(msg.anomalies[0].first, Anomaly::kTooManyRecords);
}

TEST(DnsParserTest, HugeCountsDoNotAllocateAhead) {
  MessageBuilder m(1, 0x8180, 0xffff, 0xffff, 0xffff, 0xffff);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_TRUE(msg.questions.empty());
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kTruncated, 12u)));
}

// --- names and compression ---

TEST(DnsParserTest, CompressionChain) {
  // "a.b.example.com": answer name "a" -> "b" (in the first answer's rdata)
  // -> "example.com" (the question).
  MessageBuilder m(1, 0x8180, 1, 2, 0, 0);
  m.Question("example.com", kA);
  m.Name("", 12).RrHeader(kCname, 1, 4);
  const size_t b_at = m.size();
  m.Name("b", 12);
  m.Rr("a", kA, 1, {1, 1, 1, 1}, static_cast<int>(b_at));
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.answers.size(), 2u);
  EXPECT_EQ(msg.answers[0].rdata, "b.example.com");
  EXPECT_EQ(msg.answers[1].name, "a.b.example.com");
  EXPECT_TRUE(msg.anomalies.empty());
}

TEST(DnsParserTest, PointerToItself) {
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.U16(0xC00C).U16(1).U16(1);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  // The name is cut, but its in-place end is known: the question survives.
  ASSERT_EQ(msg.questions.size(), 1u);
  EXPECT_EQ(msg.questions[0].name, "");
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kForwardPointer, 12u)));
}

TEST(DnsParserTest, PointerBackIntoTheSameName) {
  // "x" then a pointer to the start of this very name: a loop.
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.Name("x", 12).U16(1).U16(1);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.questions.size(), 1u);
  EXPECT_EQ(msg.questions[0].name, "x");
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kCompressionLoop, 14u)));
}

TEST(DnsParserTest, TwoNamesPointingAtEachOther) {
  // Name A at 12: "p" -> B; name B: "q" -> A. Following B from A is a
  // forward jump; reading B, then A, then A's pointer is forward again.
  MessageBuilder m(1, 0x8180, 1, 1, 0, 0);
  const size_t b_at = 12 + 4 + 4;  // after question "p"+ptr (4 bytes) + type/class
  m.Name("p", static_cast<int>(b_at)).U16(1).U16(1);
  m.Name("q", 12).RrHeader(kA, 1, 4).Raw(Bytes{1, 2, 3, 4});
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.questions.size(), 1u);
  EXPECT_EQ(msg.questions[0].name, "p");
  ASSERT_EQ(msg.answers.size(), 1u);
  EXPECT_EQ(msg.answers[0].name, "q.p");
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kForwardPointer, 14u),
                                         Pair(Anomaly::kForwardPointer, 14u)));
}

TEST(DnsParserTest, PointerIntoHeader) {
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.Name("x", 4).U16(1).U16(1);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kBadPointer, 14u)));
}

TEST(DnsParserTest, PointerHopBudget) {
  // A NULL record's rdata holds a chain of pointers, each to the one before;
  // the first points at the question. A name entering at the last pointer
  // needs more hops than allowed.
  MessageBuilder m(1, 0x8180, 1, 2, 0, 0);
  m.Question("end", kA);
  constexpr int kChain = 80;
  m.Name("", 12).RrHeader(kNull, 1, 2 * kChain);
  const size_t chain = m.size();
  m.U16(0xC00C);
  for (int i = 1; i < kChain; ++i) m.U16(static_cast<uint16_t>(0xC000 | (chain + 2 * (i - 1))));
  m.Rr("x", kA, 1, {1, 2, 3, 4}, static_cast<int>(chain + 2 * (kChain - 1)));
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.answers.size(), 2u);
  EXPECT_EQ(msg.answers[1].rdata, "1.2.3.4");
  EXPECT_EQ(msg.answers[1].name, "x");
  EXPECT_TRUE(msg.HasAnomaly(Anomaly::kCompressionLoop));

  // A chain within budget resolves.
  MessageBuilder ok(1, 0x8180, 1, 2, 0, 0);
  ok.Question("end", kA);
  ok.Name("", 12).RrHeader(kNull, 1, 2 * 10);
  const size_t c2 = ok.size();
  ok.U16(0xC00C);
  for (int i = 1; i < 10; ++i) ok.U16(static_cast<uint16_t>(0xC000 | (c2 + 2 * (i - 1))));
  ok.Rr("x", kA, 1, {1, 2, 3, 4}, static_cast<int>(c2 + 2 * 9));
  ASSERT_TRUE(ParseCopy(ok.bytes(), msg));
  EXPECT_EQ(msg.answers[1].name, "x.end");
  EXPECT_TRUE(msg.anomalies.empty());
}

TEST(DnsParserTest, ReservedLabelTypeStopsTheParse) {
  MessageBuilder m(1, 0x8180, 1, 1, 0, 0);
  m.U8(1).U8('a').U8(0x41).Raw("x").U8(0).U16(1).U16(1);
  m.Rr("", kA, 1, {1, 2, 3, 4}, 12);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_TRUE(msg.questions.empty());
  EXPECT_TRUE(msg.answers.empty());
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kLabelTooLong, 14u)));
}

TEST(DnsParserTest, NameTooLongIsKept) {
  const std::string label(63, 'a');
  const std::string name = label + "." + label + "." + label + "." + label + "." + label;
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.Question(name, kA);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.questions.size(), 1u);
  EXPECT_EQ(msg.questions[0].name, name);
  EXPECT_FALSE(msg.questions[0].name_truncated);
  EXPECT_EQ(msg.questions[0].type, kA);
  EXPECT_THAT(msg.anomalies, ElementsAre(Pair(Anomaly::kNameTooLong, 12u)));
}

TEST(DnsParserTest, NameTextCappedAtLabelBoundary) {
  const std::string label(63, 'b');
  std::string name;
  for (int i = 0; i < 20; ++i) name += (i ? "." : "") + label;  // 1279 characters
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.Question(name, kMx);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  ASSERT_EQ(msg.questions.size(), 1u);
  const Question& q = msg.questions[0];
  EXPECT_TRUE(q.name_truncated);
  EXPECT_EQ(q.name.size(), 16u * 64 - 1);  // 16 whole labels fit in 1025
  EXPECT_EQ(q.name, name.substr(0, q.name.size()));
  EXPECT_EQ(q.type, kMx);  // the in-place end was still found
}

TEST(DnsParserTest, LongestValidName) {
  // 255 bytes on the wire: 3 x 63 + 61 + terminators.
  const std::string name = std::string(63, 'c') + "." + std::string(63, 'c') + "." +
                           std::string(63, 'c') + "." + std::string(61, 'c');
  MessageBuilder m(1, 0, 1, 0, 0, 0);
  m.Question(name, kA);
  ASSERT_EQ(m.size(), 12u + 255 + 4);
  Message msg;
  ASSERT_TRUE(ParseCopy(m.bytes(), msg));
  EXPECT_EQ(msg.questions[0].name, name);
  EXPECT_TRUE(msg.anomalies.empty());
}

// --- truncation at every offset ---

TEST(DnsParserTest, TruncatedAtEveryOffset) {
  MessageBuilder m(0x4242, 0x8180, 1, 4, 1, 1);
  m.Question("www.example.org", kA);
  const size_t question_end = m.size();
  std::vector<size_t> answer_ends;
  m.Rr("", kCname, 60, WireName("web", 12), 12);
  answer_ends.push_back(m.size());
  for (uint8_t i = 0; i < 3; ++i) {
    m.Rr("web", kA, 60, {10, 0, 0, i}, 12);
    answer_ends.push_back(m.size());
  }
  m.Rr("example.org", kSoa, 60,
       Cat({WireName("ns"), WireName("admin"), U32s({1, 2, 3, 4, 5})}));
  m.Rr("", kOpt, 0, {});
  const Bytes& full = m.bytes();

  Message whole;
  ASSERT_TRUE(ParseCopy(full, whole));
  ASSERT_TRUE(whole.anomalies.empty());
  ASSERT_EQ(whole.answers.size(), 4u);

  Message msg;  // reused across cuts, as a flow's parser would
  for (size_t cut = 0; cut < full.size(); ++cut) {
    SCOPED_TRACE(cut);
    const bool ok = ParseCopy(full.data(), cut, msg);
    if (cut < 12) {
      EXPECT_FALSE(ok);
      continue;
    }
    ASSERT_TRUE(ok);
    EXPECT_FALSE(msg.anomalies.empty());
    EXPECT_EQ(msg.id, 0x4242);
    if (cut >= question_end) {
      ASSERT_EQ(msg.questions.size(), 1u);
      EXPECT_EQ(msg.questions[0].name, "www.example.org");
    } else {
      EXPECT_TRUE(msg.questions.empty());
    }
    size_t complete = 0;
    for (size_t end : answer_ends) complete += end <= cut;
    ASSERT_EQ(msg.answers.size(), complete);
    for (size_t i = 0; i < complete; ++i) {
      EXPECT_EQ(msg.answers[i].name, whole.answers[i].name);
      EXPECT_EQ(msg.answers[i].rdata, whole.answers[i].rdata);
    }
  }
}

TEST(DnsParserTest, ReusedMessageIsReset) {
  MessageBuilder big(1, 0x8180 | 0x0040, 1, 2, 1, 0);
  big.Question("big", kA);
  big.Rr("", kA, 1, {1, 1, 1, 1}, 12);
  big.Rr("", kTxt, 1, {1, 'x'}, 12);
  big.Rr("", kSoa, 1, Cat({WireName("a"), WireName("b"), U32s({1, 2, 3, 4, 5})}), 12);
  MessageBuilder small(2, 0x8180, 1, 1, 0, 0);
  small.Question("s", kA);
  small.Rr("", kTxt, 5, {}, 12);

  Message msg;
  ASSERT_TRUE(ParseCopy(big.bytes(), msg));
  EXPECT_EQ(msg.answers.size(), 2u);
  ASSERT_TRUE(ParseCopy(small.bytes(), msg));
  Message fresh;
  ASSERT_TRUE(ParseCopy(small.bytes(), fresh));
  EXPECT_EQ(msg.id, 2);
  EXPECT_FALSE(msg.z);
  EXPECT_TRUE(msg.anomalies.empty());
  ASSERT_EQ(msg.questions.size(), 1u);
  EXPECT_EQ(msg.questions[0].name, "s");
  ASSERT_EQ(msg.answers.size(), 1u);
  EXPECT_EQ(msg.answers[0].name, "s");
  EXPECT_EQ(msg.answers[0].type, kTxt);
  EXPECT_EQ(msg.answers[0].ttl, 5u);
  EXPECT_TRUE(msg.answers[0].txt.empty());
  EXPECT_EQ(msg.answers[0].rdata, "");
  EXPECT_TRUE(msg.authorities.empty());
}

}  // namespace
}  // namespace kagami::app::dns
