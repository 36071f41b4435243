// flowbits: conditions, actions, ordering between rules on one packet, and
// their absence without a flow.
#include "gtest/gtest.h"
#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

TEST(Flowbits, NeedAFlow) {
  Harness h(R"(alert tcp any any -> any any (msg:"isset"; flowbits:isset,x; content:"a"; sid:1;)
alert tcp any any -> any any (msg:"setter"; content:"a"; flowbits:set,x; sid:2;)
alert tcp any any -> any any (msg:"plain"; content:"a"; sid:3;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().flowbit_names, 1u);
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "a")), std::vector<uint32_t>{3});
}

TEST(Flowbits, SetterRunsBeforeReaderOnTheSamePacket) {
  // The reader has the lower sid and the same priority; flowbits ordering
  // still runs the setter first.
  Harness h(R"(alert tcp any any -> any any (msg:"isset"; flowbits:isset,x; content:"a"; sid:1;)
alert tcp any any -> any any (msg:"setter"; content:"a"; flowbits:set,x; flowbits:noalert; sid:2;)
alert tcp any any -> any any (msg:"plain"; content:"a"; sid:3;))");
  ASSERT_TRUE(h.ok());
  auto t = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "a");
  EXPECT_EQ(h.SidsInFlow(*t), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(h.ctx().rule_hits()[1], 1u);  // noalert still counts as a hit
}

TEST(Flowbits, StatePersistsAcrossPacketsOfTheFlow) {
  Harness h(R"(alert tcp any any -> any any (msg:"login"; content:"USER"; flowbits:set,logged_in; flowbits:noalert; sid:1;)
alert tcp any any -> any any (msg:"cmd after login"; content:"RETR"; flowbits:isset,logged_in; sid:2;)
alert tcp any any -> any any (msg:"cmd without login"; content:"RETR"; flowbits:isnotset,logged_in; sid:3;)
alert tcp any any -> any any (msg:"logout"; content:"QUIT"; flowbits:unset,logged_in; flowbits:noalert; sid:4;))");
  ASSERT_TRUE(h.ok());
  auto retr = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "RETR x");
  EXPECT_EQ(h.SidsInFlow(*retr), std::vector<uint32_t>{3});
  EXPECT_TRUE(h.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "USER bob")).empty());
  EXPECT_EQ(h.SidsInFlow(*retr), std::vector<uint32_t>{2});
  EXPECT_TRUE(h.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "QUIT")).empty());
  EXPECT_EQ(h.SidsInFlow(*retr), std::vector<uint32_t>{3});
}

TEST(Flowbits, ToggleFlipsTheBit) {
  Harness h(R"(alert tcp any any -> any any (msg:"flip"; content:"T"; flowbits:toggle,b; flowbits:noalert; sid:1;)
alert tcp any any -> any any (msg:"on"; content:"?"; flowbits:isset,b; sid:2;))");
  auto flip = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "T");
  auto ask = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "?");
  EXPECT_TRUE(h.SidsInFlow(*ask).empty());
  h.SidsInFlow(*flip);
  EXPECT_EQ(h.SidsInFlow(*ask), std::vector<uint32_t>{2});
  h.SidsInFlow(*flip);
  EXPECT_TRUE(h.SidsInFlow(*ask).empty());
}

TEST(Flowbits, OrAndListsInConditions) {
  Harness h(R"(alert tcp any any -> any any (msg:"set a"; content:"A"; flowbits:set,a; flowbits:noalert; sid:1;)
alert tcp any any -> any any (msg:"set b"; content:"B"; flowbits:set,b; flowbits:noalert; sid:2;)
alert tcp any any -> any any (msg:"a or b"; content:"?"; flowbits:isset,a|b; sid:10;)
alert tcp any any -> any any (msg:"a and b"; content:"?"; flowbits:isset,a&b; sid:11;)
alert tcp any any -> any any (msg:"a or b unset"; content:"?"; flowbits:isnotset,a|b; sid:12;)
alert tcp any any -> any any (msg:"neither"; content:"?"; flowbits:isnotset,a&b; sid:13;))");
  ASSERT_TRUE(h.ok());
  auto ask = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "?");
  EXPECT_EQ(h.SidsInFlow(*ask), (std::vector<uint32_t>{12, 13}));
  h.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "A"));
  EXPECT_EQ(h.SidsInFlow(*ask), (std::vector<uint32_t>{10, 12}));
  h.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "B"));
  EXPECT_EQ(h.SidsInFlow(*ask), (std::vector<uint32_t>{10, 11}));
}

TEST(Flowbits, BitsOfAnotherEngineAreIgnored) {
  Harness a(R"(alert tcp any any -> any any (msg:"set"; content:"s"; flowbits:set,x; flowbits:noalert; sid:1;))");
  Harness b(R"(alert tcp any any -> any any (msg:"isset"; content:"?"; flowbits:isset,x; sid:2;))");
  a.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "s"));
  b.flow_vars() = a.flow_vars();
  EXPECT_TRUE(b.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "?")).empty());
}

}  // namespace
}  // namespace kagami::detect::testing

namespace kagami::detect::testing {
namespace {

TEST(Flowint, CountsAndComparesWithinAFlow) {
  Harness h(R"(alert tcp any any -> any any (msg:"count"; content:"login failed"; flowint:fails,+,1; flowbits:noalert; sid:1;)
alert tcp any any -> any any (msg:"third failure"; content:"login failed"; flowint:fails,==,3; sid:2;)
alert tcp any any -> any any (msg:"more than 3"; content:"login failed"; flowint:fails,>,3; sid:3;)
alert tcp any any -> any any (msg:"reset"; content:"logout"; flowint:fails,=,0; flowbits:noalert; sid:4;)
alert tcp any any -> any any (msg:"never failed"; content:"login ok"; flowint:fails,notset; sid:5;))");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.engine().stats().flowint_names, 1u);
  auto fail = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "login failed");
  auto ok = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "login ok");
  EXPECT_EQ(h.SidsInFlow(*ok), std::vector<uint32_t>{5});
  EXPECT_TRUE(h.SidsInFlow(*fail).empty());
  EXPECT_TRUE(h.SidsInFlow(*fail).empty());
  EXPECT_EQ(h.SidsInFlow(*fail), std::vector<uint32_t>{2});  // the counter runs first
  EXPECT_EQ(h.SidsInFlow(*fail), std::vector<uint32_t>{3});
  h.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "logout"));
  EXPECT_TRUE(h.SidsInFlow(*ok).empty());  // reset to 0: set, not "notset"
  EXPECT_TRUE(h.SidsInFlow(*fail).empty());  // 1 again
}

TEST(Flowint, ComparesWithAnotherVariableAndNeedsBothSet) {
  Harness h(R"(alert tcp any any -> any any (msg:"req"; content:"REQ"; flowint:req,+,1; flowbits:noalert; sid:1;)
alert tcp any any -> any any (msg:"resp"; content:"RESP"; flowint:resp,+,1; flowbits:noalert; sid:2;)
alert tcp any any -> any any (msg:"more responses than requests"; content:"?"; flowint:resp,>,req; sid:3;)
alert tcp any any -> any any (msg:"req set"; content:"?"; flowint:req,isset; sid:4;))");
  ASSERT_TRUE(h.ok());
  auto ask = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "?");
  EXPECT_TRUE(h.SidsInFlow(*ask).empty());
  h.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "RESP"));
  EXPECT_TRUE(h.SidsInFlow(*ask).empty());  // req unset: no comparison
  h.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "REQ"));
  EXPECT_EQ(h.SidsInFlow(*ask), std::vector<uint32_t>{4});  // 1 > 1 is false
  h.SidsInFlow(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "RESP"));
  EXPECT_EQ(h.SidsInFlow(*ask), (std::vector<uint32_t>{3, 4}));
}

TEST(Flowint, ParseErrorsNameThePosition) {
  for (const char* bad : {"flowint:x;", "flowint:x,~,1;", "flowint:x,+;", "flowint:x,isset,1;",
                          "flowint:x,+,1 2;", "flowint:,+,1;"}) {
    rules::RuleSet set = rules::ParseRules(
        std::string("alert tcp any any -> any any (msg:\"m\"; ") + bad + " sid:1;)", "<t>", rules::LoadOptions{});
    EXPECT_EQ(set.error_count(), 1u) << bad;
    ASSERT_FALSE(set.diagnostics.empty());
    EXPECT_NE(set.diagnostics[0].message.find("flowint"), std::string::npos) << set.diagnostics[0].message;
  }
}

}  // namespace
}  // namespace kagami::detect::testing
