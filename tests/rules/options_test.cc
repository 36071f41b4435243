// Non-payload options: metadata, header checks, flow, flowbits, thresholds.

#include "gtest/gtest.h"
#include "rules/rule_loader.h"
#include "tests/rules/rule_test_util.h"

namespace kagami::rules {
namespace {

using testing::Error;
using testing::One;
using testing::Tcp;

TEST(Options, Metadata) {
  Rule r = One(
      "alert tcp any any -> any any (msg:\"ET TEST \\\"quoted\\\" \\; semi\"; gid:3; sid:2000001; rev:7; "
      "classtype:trojan-activity; reference:url,example.com/a,b; reference: cve , 2021-1234; "
      "metadata:created_at 2020_01_01, former_category MALWARE, signature_severity Major, flag; "
      "metadata: tag one; target:dest_ip;)");
  EXPECT_EQ(r.msg, "ET TEST \"quoted\" ; semi");
  EXPECT_EQ(r.gid, 3u);
  EXPECT_EQ(r.sid, 2000001u);
  EXPECT_EQ(r.rev, 7u);
  EXPECT_EQ(r.classtype, "trojan-activity");
  EXPECT_EQ(r.category, "A Network Trojan was detected");
  EXPECT_EQ(r.priority, 1);
  ASSERT_EQ(r.references.size(), 2u);
  EXPECT_EQ(r.references[0].system, "url");
  EXPECT_EQ(r.references[0].id, "example.com/a,b");
  EXPECT_EQ(r.references[1].system, "cve");
  EXPECT_EQ(r.references[1].id, "2021-1234");
  ASSERT_EQ(r.metadata.size(), 5u);
  EXPECT_EQ(r.metadata[0], (std::pair<std::string, std::string>{"created_at", "2020_01_01"}));
  EXPECT_EQ(r.metadata[2], (std::pair<std::string, std::string>{"signature_severity", "Major"}));
  EXPECT_EQ(r.metadata[3], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(r.metadata[4], (std::pair<std::string, std::string>{"tag", "one"}));
  EXPECT_EQ(r.target, "dest_ip");
  EXPECT_EQ(r.location.line, 1);
  EXPECT_EQ(r.location.column, 1);
}

TEST(Options, PriorityAndClasstype) {
  EXPECT_EQ(One(Tcp("classtype:misc-activity; priority:1;")).priority, 1);
  EXPECT_EQ(One(Tcp("priority:2; classtype:misc-activity;")).priority, 2);
  EXPECT_EQ(One(Tcp("classtype:misc-activity;")).priority, 3);
  EXPECT_EQ(One(Tcp("")).priority, 3);
  EXPECT_EQ(One(Tcp("classtype:bad-unknown;")).category, "Potentially Bad Traffic");
  EXPECT_EQ(Error(Tcp("classtype:no-such-class;")), "1:41: unknown classtype 'no-such-class' (not in classification.config)");
  EXPECT_EQ(Error(Tcp("priority:0;")), "1:40: invalid priority '0' (expected 1-255)");
  EXPECT_EQ(Error(Tcp("target:both;")), "1:38: invalid target 'both' (expected src_ip or dest_ip)");
}

TEST(Options, SidRequiredAndValid) {
  EXPECT_EQ(Error("alert tcp any any -> any any (msg:\"no sid\";)"), "1:1: rule has no 'sid' option");
  EXPECT_EQ(Error("alert tcp any any -> any any (sid:abc;)"), "1:35: invalid sid 'abc' (expected 0-4294967295)");
  EXPECT_EQ(Error("alert tcp any any -> any any (sid:0;)"), "1:35: sid must be greater than 0");
  EXPECT_EQ(Error("alert tcp any any -> any any (sid:1; sid:2;)"), "1:38: duplicate 'sid' option");
}

TEST(Options, HeaderNumbers) {
  Rule r = One(Tcp("dsize:>100; ttl:<5; itype:8; icode:0<>4; icmp_id:77; icmp_seq:3; seq:12345; ack:0; window:!1024;"));
  ASSERT_TRUE(r.header.dsize && r.header.ttl && r.header.itype && r.header.icode);
  EXPECT_EQ(r.header.dsize->op, NumberCheck::Op::kGt);
  EXPECT_EQ(r.header.dsize->a, 100u);
  EXPECT_EQ(r.header.ttl->op, NumberCheck::Op::kLt);
  EXPECT_EQ(r.header.itype->op, NumberCheck::Op::kEq);
  EXPECT_EQ(r.header.icode->op, NumberCheck::Op::kRangeExclusive);
  EXPECT_TRUE(r.header.icode->Matches(1));
  EXPECT_FALSE(r.header.icode->Matches(4));
  EXPECT_FALSE(r.header.icode->Matches(0));
  EXPECT_EQ(r.header.icmp_id->a, 77u);
  EXPECT_EQ(r.header.icmp_seq->a, 3u);
  EXPECT_EQ(r.header.tcp_seq->a, 12345u);
  EXPECT_EQ(r.header.tcp_ack->a, 0u);
  EXPECT_EQ(r.header.window->op, NumberCheck::Op::kNe);
  EXPECT_FALSE(r.header.empty());
  EXPECT_TRUE(One(Tcp("")).header.empty());
  EXPECT_EQ(One(Tcp("dsize:!0;")).header.dsize->op, NumberCheck::Op::kNe);
  EXPECT_EQ(One(Tcp("dsize:<=10;")).header.dsize->op, NumberCheck::Op::kLe);
  EXPECT_EQ(One(Tcp("dsize:>= 10;")).header.dsize->op, NumberCheck::Op::kGe);
  EXPECT_EQ(One(Tcp("dsize:10-20;")).header.dsize->op, NumberCheck::Op::kRangeInclusive);
  EXPECT_EQ(Error(Tcp("dsize:abc;")), "1:37: invalid number check 'abc' (expected N, !N, <N, >N, <=N, >=N, N<>M or N-M)");
  EXPECT_EQ(Error(Tcp("dsize:5<>2;")), "1:37: invalid range '5<>2': the first number must be below the second");
  EXPECT_EQ(Error(Tcp("ttl:300;")), "1:35: 'ttl' value out of range (maximum 255)");
  EXPECT_EQ(Error(Tcp("seq:>5;")), "1:35: 'seq' takes a plain number");
  EXPECT_EQ(Error(Tcp("ttl:1; ttl:2;")), "1:38: duplicate 'ttl' option");
}

TEST(NumberCheck, Matches) {
  using Op = NumberCheck::Op;
  EXPECT_TRUE((NumberCheck{Op::kEq, 5, 0}).Matches(5));
  EXPECT_FALSE((NumberCheck{Op::kEq, 5, 0}).Matches(6));
  EXPECT_TRUE((NumberCheck{Op::kNe, 5, 0}).Matches(6));
  EXPECT_TRUE((NumberCheck{Op::kLt, 5, 0}).Matches(4));
  EXPECT_FALSE((NumberCheck{Op::kLt, 5, 0}).Matches(5));
  EXPECT_TRUE((NumberCheck{Op::kLe, 5, 0}).Matches(5));
  EXPECT_TRUE((NumberCheck{Op::kGt, 5, 0}).Matches(6));
  EXPECT_TRUE((NumberCheck{Op::kGe, 5, 0}).Matches(5));
  EXPECT_FALSE((NumberCheck{Op::kRangeExclusive, 1, 3}).Matches(3));
  EXPECT_TRUE((NumberCheck{Op::kRangeExclusive, 1, 3}).Matches(2));
  EXPECT_TRUE((NumberCheck{Op::kRangeInclusive, 1, 3}).Matches(3));
  EXPECT_FALSE((NumberCheck{Op::kRangeInclusive, 1, 3}).Matches(0));
}

TEST(Options, IpProto) {
  EXPECT_EQ(One(Tcp("ip_proto:6;")).header.ip_proto->a, 6u);
  EXPECT_EQ(One(Tcp("ip_proto:udp;")).header.ip_proto->a, 17u);
  Rule r = One(Tcp("ip_proto:!icmp;"));
  EXPECT_EQ(r.header.ip_proto->op, NumberCheck::Op::kNe);
  EXPECT_EQ(r.header.ip_proto->a, 1u);
  EXPECT_EQ(One(Tcp("ip_proto:>50;")).header.ip_proto->op, NumberCheck::Op::kGt);
  EXPECT_EQ(Error(Tcp("ip_proto:bogus;")), "1:40: invalid ip_proto 'bogus' (expected 0-255 or a protocol name)");
}

TEST(Options, TcpFlags) {
  Rule r = One(Tcp("flags:S,12;"));
  EXPECT_EQ(r.header.flags->mode, TcpFlagsCheck::Mode::kExact);
  EXPECT_EQ(r.header.flags->flags, 0x02);
  EXPECT_EQ(r.header.flags->ignore, 0xC0);
  r = One(Tcp("flags:+AP;"));
  EXPECT_EQ(r.header.flags->mode, TcpFlagsCheck::Mode::kPlus);
  EXPECT_EQ(r.header.flags->flags, 0x18);
  r = One(Tcp("flags:SF*;"));
  EXPECT_EQ(r.header.flags->mode, TcpFlagsCheck::Mode::kAny);
  EXPECT_EQ(r.header.flags->flags, 0x03);
  r = One(Tcp("flags:!R;"));
  EXPECT_EQ(r.header.flags->mode, TcpFlagsCheck::Mode::kNot);
  r = One(Tcp("flags:0;"));
  EXPECT_EQ(r.header.flags->flags, 0);
  r = One(Tcp("flags:UCE,CE;"));
  EXPECT_EQ(r.header.flags->flags, 0x20 | 0x80 | 0x40);
  EXPECT_EQ(Error(Tcp("flags:SX;")), "1:38: flags: unknown TCP flag 'X' (expected FSRPAUCE12 or 0)");
  EXPECT_EQ(Error(Tcp("flags:+*S;")), "1:38: flags: only one of the modifiers ! + * may be given");
}

TEST(Options, FragbitsIpopts) {
  Rule r = One(Tcp("fragbits:M+;"));
  EXPECT_EQ(r.header.fragbits->mode, FragBitsCheck::Mode::kPlus);
  EXPECT_EQ(r.header.fragbits->bits, 1);
  EXPECT_EQ(One(Tcp("fragbits:!DR;")).header.fragbits->bits, 6);
  EXPECT_EQ(One(Tcp("ipopts:lsrr;")).header.ipopts, 1 << 6);
  EXPECT_EQ(One(Tcp("ipopts:any;")).header.ipopts, 1 << 15);
  EXPECT_EQ(Error(Tcp("ipopts:foo;")), "1:38: ipopts: unknown option 'foo' (expected rr, eol, nop, ts, sec, esec, lsrr, ssrr, satid or any)");
  EXPECT_EQ(Error(Tcp("fragbits:Q;")), "1:40: fragbits: unknown bit 'Q' (expected M, D, R)");
}

TEST(Options, Flow) {
  Rule r = One(Tcp("flow:established,to_server;"));
  ASSERT_TRUE(r.flow);
  EXPECT_TRUE(r.flow->established);
  EXPECT_TRUE(r.flow->to_server);
  r = One(Tcp("flow: from_server , not_established, no_stream, only_frag;"));
  EXPECT_TRUE(r.flow->to_client);
  EXPECT_TRUE(r.flow->not_established);
  EXPECT_TRUE(r.flow->no_stream);
  EXPECT_TRUE(r.flow->only_frag);
  r = One(Tcp("flow:stateless,from_client,only_stream,no_frag;"));
  EXPECT_TRUE(r.flow->stateless);
  EXPECT_TRUE(r.flow->to_server);
  EXPECT_TRUE(r.flow->only_stream);
  EXPECT_TRUE(r.flow->no_frag);
  EXPECT_EQ(Error(Tcp("flow:to_server,to_client;")), "1:46: flow: to_server and to_client exclude each other");
  EXPECT_EQ(Error(Tcp("flow:established,not_established;")), "1:48: flow: established, not_established and stateless exclude each other");
  EXPECT_EQ(Error(Tcp("flow:only_stream,no_stream;")), "1:48: flow: only_stream and no_stream exclude each other");
  EXPECT_EQ(Error(Tcp("flow:sideways;")), "1:36: flow: unknown option 'sideways'");
}

TEST(Options, Flowbits) {
  Rule r = One(Tcp("flowbits:set,ET.foo; flowbits:isset,a|b; flowbits:isnotset,c&d; flowbits:noalert; "
                   "flowbits:toggle,x; flowbits:unset,y; noalert;"));
  ASSERT_EQ(r.flowbits.size(), 7u);
  EXPECT_EQ(r.flowbits[0].command, FlowbitsOption::Command::kSet);
  EXPECT_EQ(r.flowbits[0].names, std::vector<std::string>{"ET.foo"});
  EXPECT_EQ(r.flowbits[1].command, FlowbitsOption::Command::kIsSet);
  EXPECT_TRUE(r.flowbits[1].any_of);
  EXPECT_EQ(r.flowbits[1].names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.flowbits[2].command, FlowbitsOption::Command::kIsNotSet);
  EXPECT_FALSE(r.flowbits[2].any_of);
  EXPECT_EQ(r.flowbits[2].names, (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(r.flowbits[3].command, FlowbitsOption::Command::kNoAlert);
  EXPECT_EQ(r.flowbits[4].command, FlowbitsOption::Command::kToggle);
  EXPECT_EQ(r.flowbits[5].command, FlowbitsOption::Command::kUnset);
  EXPECT_EQ(r.flowbits[6].command, FlowbitsOption::Command::kNoAlert);
  EXPECT_EQ(Error(Tcp("flowbits:frob,x;")), "1:40: flowbits: unknown command 'frob' (expected set, unset, toggle, isset, isnotset or noalert)");
  EXPECT_EQ(Error(Tcp("flowbits:isset;")), "1:40: flowbits: 'isset' needs a name");
  EXPECT_EQ(Error(Tcp("flowbits:isset,a|b&c;")), "1:46: flowbits: names cannot mix '|' and '&'");
}

TEST(Options, ThresholdAndDetectionFilter) {
  Rule r = One(Tcp("threshold: type limit, track by_src, count 1, seconds 60;"));
  ASSERT_TRUE(r.threshold);
  EXPECT_EQ(r.threshold->type, ThresholdOption::Type::kLimit);
  EXPECT_EQ(r.threshold->track, ThresholdOption::Track::kBySrc);
  EXPECT_EQ(r.threshold->count, 1u);
  EXPECT_EQ(r.threshold->seconds, 60u);
  r = One(Tcp("threshold:type both,track by_dst,count 5,seconds 10;"));
  EXPECT_EQ(r.threshold->type, ThresholdOption::Type::kBoth);
  EXPECT_EQ(r.threshold->track, ThresholdOption::Track::kByDst);
  r = One(Tcp("threshold:type threshold,track by_rule,count 5,seconds 10;"));
  EXPECT_EQ(r.threshold->type, ThresholdOption::Type::kThreshold);
  EXPECT_EQ(r.threshold->track, ThresholdOption::Track::kByRule);
  r = One(Tcp("detection_filter:track by_both, count 10, seconds 5;"));
  ASSERT_TRUE(r.detection_filter);
  EXPECT_EQ(r.detection_filter->type, ThresholdOption::Type::kDetectionFilter);
  EXPECT_EQ(r.detection_filter->track, ThresholdOption::Track::kByBoth);
  EXPECT_EQ(r.detection_filter->count, 10u);
  r = One(Tcp("threshold:type limit, track by_flow, count 1, seconds 60;"));
  ASSERT_TRUE(r.threshold);
  EXPECT_EQ(r.threshold->track, ThresholdOption::Track::kByFlow);
  EXPECT_EQ(Error(Tcp("threshold:type limit, track by_src, count 1;")), "1:41: threshold needs type, track, count and seconds");
  EXPECT_EQ(Error(Tcp("threshold:type often, track by_src, count 1, seconds 2;")),
            "1:41: threshold: unknown type 'often' (expected limit, threshold, both or backoff)");
  EXPECT_EQ(Error(Tcp("detection_filter:type limit, track by_src, count 1, seconds 2;")),
            "1:48: detection_filter: unknown setting 'type limit'");
}

}  // namespace
}  // namespace kagami::rules
