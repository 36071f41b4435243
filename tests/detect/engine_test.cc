// Engine-level behaviour: the header-only address index, alert ordering and
// pass suppression, thresholds, statistics and contexts.

#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/detect/address_index.h"
#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

AddrKey K(const char* a) { return KeyOf(*IpAddress::Parse(a)); }

TEST(AddressIndex, OverlappingRanges) {
  AddressIndex idx;
  idx.Build({{K("10.0.0.0"), K("10.0.0.255"), 1},
             {K("10.0.0.5"), K("10.0.0.5"), 2},
             {K("10.0.0.5"), K("10.0.0.9"), 1},  // same rule twice: listed once
             {K("::"), ~AddrKey{0}, 3}});
  auto ids = [&](const char* a) {
    auto s = idx.Lookup(K(a));
    return std::set<uint32_t>(s.begin(), s.end());
  };
  EXPECT_EQ(ids("10.0.0.5"), (std::set<uint32_t>{1, 2, 3}));
  EXPECT_EQ(idx.Lookup(K("10.0.0.5")).size(), 3u);
  EXPECT_EQ(ids("10.0.0.6"), (std::set<uint32_t>{1, 3}));
  EXPECT_EQ(ids("10.0.1.0"), (std::set<uint32_t>{3}));
  EXPECT_EQ(ids("ffff::1"), (std::set<uint32_t>{3}));
}

TEST(AddressIndex, EmptyLookups) {
  AddressIndex idx;
  idx.Build({{K("10.0.0.1"), K("10.0.0.1"), 1}});
  EXPECT_TRUE(idx.Lookup(K("10.0.0.0")).empty());
  EXPECT_TRUE(idx.Lookup(K("10.0.0.2")).empty());
  EXPECT_EQ(idx.Lookup(K("10.0.0.1")).size(), 1u);
}

// 2,000 IP-reputation rules like ET's: each lists 20 addresses (some /24s)
// on the source side, destination $HOME_NET-like.
TEST(HeaderIndex, TwoThousandIpListRules) {
  std::mt19937 rng(42);
  std::string text;
  std::vector<std::vector<uint32_t>> rule_addrs;  // host-order v4 single addresses per rule
  for (int r = 0; r < 2000; ++r) {
    std::vector<std::string> items;
    std::vector<uint32_t> addrs;
    for (int i = 0; i < 20; ++i) {
      const uint32_t a = (static_cast<uint32_t>(rng()) & 0x7fffffffu) | 0x01000000u;
      addrs.push_back(a);
      items.push_back(absl::StrCat((a >> 24) & 255, ".", (a >> 16) & 255, ".", (a >> 8) & 255, ".", a & 255));
    }
    items.push_back(absl::StrCat("200.", r % 256, ".", r / 256, ".0/24"));
    rule_addrs.push_back(addrs);
    text += absl::StrCat("alert ip [", absl::StrJoin(items, ","), "] any -> 192.168.0.0/16 any (msg:\"rep ", r,
                         "\"; sid:", 1000 + r, ";)\n");
  }
  Harness h(text);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().address_indexed_rules, 2000u);
  EXPECT_EQ(h.engine().stats().always_checked_rules, 0u);
  EXPECT_EQ(h.engine().stats().header_only_rules, 2000u);

  auto v4 = [](uint32_t a) {
    return absl::StrCat((a >> 24) & 255, ".", (a >> 16) & 255, ".", (a >> 8) & 255, ".", a & 255);
  };
  for (int r : {0, 7, 999, 1999}) {
    auto t = MakeTcp(v4(rule_addrs[r][3]), 1234, "192.168.5.5", 80, "");
    auto sids = h.Sids(*t);
    EXPECT_NE(std::find(sids.begin(), sids.end(), 1000u + r), sids.end()) << r;
    // Wrong destination: nothing.
    EXPECT_TRUE(h.Sids(*MakeTcp(v4(rule_addrs[r][3]), 1234, "10.0.0.1", 80, "")).empty());
  }
  // The /24 of rule 513: 200.1.2.0/24.
  EXPECT_EQ(h.Sids(*MakeUdp("200.1.2.77", 1, "192.168.0.1", 2, "")), std::vector<uint32_t>{1513});
  // Addresses in no list.
  EXPECT_TRUE(h.Sids(*MakeUdp("0.0.0.1", 1, "192.168.0.1", 2, "")).empty());
  EXPECT_TRUE(h.Sids(*MakeUdp("200.255.255.1", 1, "192.168.0.1", 2, "")).empty());
  // Reverse direction does not match a unidirectional rule.
  EXPECT_TRUE(h.Sids(*MakeUdp("192.168.0.1", 1, "200.1.2.77", 2, "")).empty());
}

TEST(HeaderIndex, WideRulesGoToAlwaysList) {
  Harness h(R"(alert tcp any any -> any 4444 (msg:"port"; sid:1;)
alert ip !10.0.0.0/8 any -> !192.168.0.0/16 any (msg:"wide"; sid:2;)
alert ip any any -> any any (msg:"pcre only"; pcre:"/zz/"; sid:3;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().always_checked_rules, 3u);
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "10.1.1.1", 4444, "zz")), (std::vector<uint32_t>{1, 2, 3}));
}

TEST(Ordering, ActionThenPriorityThenSid) {
  Harness h(R"(alert tcp any any -> any any (msg:"a3"; content:"x"; priority:3; sid:10;)
alert tcp any any -> any any (msg:"a1"; content:"x"; priority:1; sid:11;)
drop tcp any any -> any any (msg:"d"; content:"x"; priority:4; sid:12;)
reject tcp any any -> any any (msg:"r"; content:"x"; priority:4; sid:13;)
alert tcp any any -> any any (msg:"a1b"; content:"x"; priority:1; sid:9;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "x")), (std::vector<uint32_t>{12, 13, 9, 11, 10}));
  // drop/reject are reported like alerts, with the rule (and its action).
  EXPECT_EQ(h.alerts()[0].rule->action, rules::Action::kDrop);
}

TEST(Pass, MatchingPassSuppressesEverything) {
  Harness h(R"(pass tcp 10.0.0.1 any -> any any (msg:"trusted"; sid:1;)
alert tcp any any -> any any (msg:"bad"; content:"bad"; sid:2;)
drop tcp any any -> any any (msg:"worse"; content:"bad"; sid:3;))");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h.Sids(*MakeTcp("10.0.0.1", 1, "2.2.2.2", 2, "bad")).empty());
  EXPECT_EQ(h.Sids(*MakeTcp("10.0.0.9", 1, "2.2.2.2", 2, "bad")), (std::vector<uint32_t>{3, 2}));
  // The pass rule's hits are counted even though it is never logged.
  EXPECT_EQ(h.ctx().rule_hits()[0], 1u);
}

TEST(Pass, NonMatchingPassChangesNothing) {
  Harness h(R"(pass tcp any any -> any any (msg:"p"; content:"ok"; sid:1;)
alert tcp any any -> any any (msg:"a"; content:"bad"; sid:2;))");
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "bad")), std::vector<uint32_t>{2});
  EXPECT_TRUE(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "bad ok")).empty());
}

TEST(RuleHits, CountPerRule) {
  Harness h(R"(alert tcp any any -> any any (msg:"a"; content:"a"; sid:1;)
alert tcp any any -> any any (msg:"b"; content:"b"; sid:2;))");
  h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "a"));
  h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "ab"));
  EXPECT_EQ(h.ctx().rule_hits(), (std::vector<uint64_t>{2, 1}));
}

std::vector<int> FireSeconds(const char* threshold, const std::vector<int>& seconds,
                             const char* src = "1.1.1.1") {
  Harness h(absl::StrCat("alert tcp any any -> any any (msg:\"t\"; content:\"x\"; ", threshold, " sid:1;)"));
  std::vector<int> fired;
  for (size_t i = 0; i < seconds.size(); ++i) {
    auto t = MakeTcp(src, 1, "2.2.2.2", 2, "x");
    t->At(seconds[i]);
    if (h.Fires(*t)) fired.push_back(static_cast<int>(i));
  }
  return fired;
}

TEST(Threshold, Limit) {
  EXPECT_EQ(FireSeconds("threshold:type limit, track by_src, count 2, seconds 60;", {0, 1, 2, 3, 61, 62, 63}),
            (std::vector<int>{0, 1, 4, 5}));
}

TEST(Threshold, Threshold) {
  EXPECT_EQ(FireSeconds("threshold:type threshold, track by_src, count 3, seconds 60;", {0, 1, 2, 3, 4, 5, 6}),
            (std::vector<int>{2, 5}));
  // Matches spread wider than the window never reach the count.
  EXPECT_EQ(FireSeconds("threshold:type threshold, track by_src, count 2, seconds 10;", {0, 20, 40}),
            (std::vector<int>{}));
}

TEST(Threshold, Both) {
  EXPECT_EQ(FireSeconds("threshold:type both, track by_src, count 2, seconds 60;", {0, 1, 2, 3, 70, 71, 72}),
            (std::vector<int>{1, 5}));
}

TEST(Threshold, DetectionFilter) {
  EXPECT_EQ(FireSeconds("detection_filter:track by_src, count 2, seconds 60;", {0, 1, 2, 3, 100, 101, 102}),
            (std::vector<int>{2, 3, 6}));
}

TEST(Threshold, TrackedPerSource) {
  Harness h("alert tcp any any -> any any (msg:\"t\"; content:\"x\"; "
            "threshold:type limit, track by_src, count 1, seconds 60; sid:1;)");
  EXPECT_TRUE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "x")));
  EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "x")));
  EXPECT_TRUE(h.Fires(*MakeTcp("1.1.1.2", 1, "2.2.2.2", 2, "x")));
  EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.2", 1, "2.2.2.2", 2, "x")));
}

TEST(Threshold, TrackedPerFlowInBothDirections) {
  Harness h("alert tcp any any -> any any (msg:\"t\"; content:\"x\"; "
            "threshold:type limit, track by_flow, count 1, seconds 60; sid:1;)");
  EXPECT_TRUE(h.Fires(*MakeTcp("1.1.1.1", 1000, "2.2.2.2", 80, "x")));
  EXPECT_FALSE(h.Fires(*MakeTcp("2.2.2.2", 80, "1.1.1.1", 1000, "x")));  // reply: same flow
  EXPECT_TRUE(h.Fires(*MakeTcp("1.1.1.1", 1001, "2.2.2.2", 80, "x")));   // another flow
  EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.1", 1001, "2.2.2.2", 80, "x")));
}

TEST(Engine, StatsAndRejection) {
  rules::RuleSet set = rules::ParseRules(R"(alert tcp any any -> any any (msg:"a"; content:"abc"; sid:1;)
alert tcp any any -> any any (msg:"b"; sid:2;)
alert udp any any -> any any (msg:"c"; content:"abc"; nocase; sid:3;))",
                                         "<t>", {});
  // A rule whose regex PCRE2 refuses (built directly: the parser may refuse it first).
  rules::Rule bad = set.rules.at(0);
  bad.sid = 4;
  rules::PcreOption p;
  p.pattern = "(unclosed";
  bad.steps.push_back(rules::DetectStep{rules::kPayloadBuffer, p, {}});
  set.rules.push_back(bad);
  std::vector<rules::Diagnostic> diags;
  auto engine = DetectEngine::Compile(set, {}, &diags);
  ASSERT_TRUE(engine.ok());
  const CompileStats& s = (*engine)->stats();
  EXPECT_EQ(s.rules_loaded, 3u);
  EXPECT_EQ(s.rules_rejected, 1u);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_NE(diags[0].message.find("sid 4"), std::string::npos);
  EXPECT_EQ(s.header_only_rules, 1u);
  EXPECT_EQ(s.prefilter_rules, 2u);
  EXPECT_EQ(s.prefilter_patterns, 2u);  // "abc" in tcp db, "abc"/i in udp db
  EXPECT_EQ(s.hyperscan_databases, 2u);
}

TEST(Engine, ContextsAreIndependent) {
  auto engine = CompileText("alert tcp any any -> any any (msg:\"a\"; content:\"a\"; sid:1;)");
  Harness a(engine), b(engine);
  a.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "a"));
  EXPECT_EQ(a.ctx().rule_hits()[0], 1u);
  EXPECT_EQ(b.ctx().rule_hits()[0], 0u);
  EXPECT_TRUE(b.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "a")));
}

TEST(Engine, EmptyRuleSet) {
  rules::RuleSet set;
  auto engine = DetectEngine::Compile(set, {}, nullptr);
  ASSERT_TRUE(engine.ok());
  Harness h(*engine);
  EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "a")));
}

TEST(Engine, OutVectorIsCleared) {
  Harness h("alert tcp any any -> any any (msg:\"a\"; content:\"a\"; sid:1;)");
  EXPECT_TRUE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "a")));
  EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "b")));
}

}  // namespace
}  // namespace kagami::detect::testing
