// threshold.config in the engine: suppress (whole rule, by_src, by_dst,
// by_either), event_filter/threshold overriding or adding a rule's threshold,
// and what still happens for suppressed matches (hits, pass).

#include "absl/strings/str_cat.h"
#include "rules/threshold_config.h"
#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

// Compiles `rules_text` with `config_text` applied; fails the test on any
// error or warning.
std::shared_ptr<const DetectEngine> CompileWithConfig(std::string_view rules_text, std::string_view config_text,
                                                      const std::map<std::string, std::string>& vars = {}) {
  rules::LoadOptions load;
  load.variables = vars;
  rules::RuleSet set = rules::ParseRules(rules_text, "<test>", load);
  for (const auto& d : set.diagnostics) ADD_FAILURE() << "parse: " << d.ToString();
  rules::ThresholdConfig config = rules::ParseThresholdConfig(config_text, "threshold.config", vars);
  for (const auto& d : config.diagnostics) ADD_FAILURE() << "threshold.config: " << d.ToString();
  std::vector<rules::Diagnostic> diags;
  rules::ApplyThresholdConfig(set, config, &diags);
  for (const auto& d : diags) ADD_FAILURE() << "apply: " << d.ToString();
  auto engine = DetectEngine::Compile(set, DetectOptions{}, &diags);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *engine : nullptr;
}

constexpr char kTwoRules[] =
    "alert tcp any any -> any any (msg:\"a\"; content:\"x\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"b\"; content:\"x\"; sid:2;)\n";

TEST(ThresholdConfigEngine, SuppressWholeRule) {
  Harness h(CompileWithConfig(kTwoRules, "suppress gen_id 1, sig_id 1\n"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "x")), std::vector<uint32_t>{2});
  EXPECT_EQ(h.Sids(*MakeTcp("10.0.0.1", 1, "2.2.2.2", 2, "x")), std::vector<uint32_t>{2});
  // The rule still matched: its hits are counted (and flowbits would be set).
  EXPECT_EQ(h.ctx().rule_hits()[0], 2u);
  EXPECT_EQ(h.ctx().rule_hits()[1], 2u);
}

TEST(ThresholdConfigEngine, SuppressEverything) {
  Harness h(CompileWithConfig(kTwoRules, "suppress gen_id 0, sig_id 0, track by_src, ip 10.0.0.0/8\n"));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h.Sids(*MakeTcp("10.1.2.3", 1, "2.2.2.2", 2, "x")).empty());
  EXPECT_EQ(h.Sids(*MakeTcp("11.1.2.3", 1, "2.2.2.2", 2, "x")), (std::vector<uint32_t>{1, 2}));
}

TEST(ThresholdConfigEngine, SuppressBySrcCidr) {
  Harness h(CompileWithConfig(kTwoRules, "suppress gen_id 1, sig_id 1, track by_src, ip 192.0.2.0/24\n"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("192.0.2.77", 1, "2.2.2.2", 2, "x")), std::vector<uint32_t>{2});
  // Only the source counts.
  EXPECT_EQ(h.Sids(*MakeTcp("2.2.2.2", 1, "192.0.2.77", 2, "x")), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(h.Sids(*MakeTcp("192.0.3.1", 1, "2.2.2.2", 2, "x")), (std::vector<uint32_t>{1, 2}));
}

TEST(ThresholdConfigEngine, SuppressByDstCidrIpv6) {
  Harness h(CompileWithConfig(kTwoRules, "suppress gen_id 1, sig_id 2, track by_dst, ip [2001:db8::/32,10.9.0.0/16]\n"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("2001:db9::1", 1, "2001:db8:5::1", 2, "x")), std::vector<uint32_t>{1});
  EXPECT_EQ(h.Sids(*MakeTcp("2001:db8::1", 1, "2001:db9::1", 2, "x")), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(h.Sids(*MakeTcp("1.1.1.1", 1, "10.9.200.1", 2, "x")), std::vector<uint32_t>{1});
}

TEST(ThresholdConfigEngine, SuppressByEitherWithVariableAndNegation) {
  Harness h(CompileWithConfig(kTwoRules, "suppress gen_id 1, sig_id 1, track by_either, ip [$SCANNERS,!10.0.0.5]\n",
                              {{"SCANNERS", "10.0.0.0/24"}}));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Sids(*MakeTcp("10.0.0.9", 1, "2.2.2.2", 2, "x")), std::vector<uint32_t>{2});
  EXPECT_EQ(h.Sids(*MakeTcp("2.2.2.2", 1, "10.0.0.9", 2, "x")), std::vector<uint32_t>{2});
  // The negated address is not suppressed, on either side.
  EXPECT_EQ(h.Sids(*MakeTcp("10.0.0.5", 1, "2.2.2.2", 2, "x")), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(h.Sids(*MakeTcp("3.3.3.3", 1, "4.4.4.4", 2, "x")), (std::vector<uint32_t>{1, 2}));
}

TEST(ThresholdConfigEngine, SuppressedPassRuleStillPasses) {
  // Suricata applies a suppressed rule's action; for pass, that is passing.
  Harness h(CompileWithConfig("pass tcp any any -> any any (msg:\"p\"; content:\"ok\"; sid:1;)\n"
                              "alert tcp any any -> any any (msg:\"a\"; content:\"x\"; sid:2;)\n",
                              "suppress gen_id 1, sig_id 1\n"
                              "suppress gen_id 1, sig_id 1, track by_src, ip 10.0.0.1\n"));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h.Sids(*MakeTcp("10.0.0.1", 1, "2.2.2.2", 2, "x ok")).empty());
  EXPECT_TRUE(h.Sids(*MakeTcp("10.0.0.2", 1, "2.2.2.2", 2, "x ok")).empty());
  EXPECT_EQ(h.Sids(*MakeTcp("10.0.0.2", 1, "2.2.2.2", 2, "x")), std::vector<uint32_t>{2});
}

// Which of the matches at `seconds` alert, for rule sid 1 carrying `keyword`
// under threshold.config `config`.
std::vector<int> FireSeconds(const std::string& keyword, const std::string& config, const std::vector<int>& seconds,
                             const std::vector<const char*>& sources = {"1.1.1.1"}) {
  Harness h(CompileWithConfig(
      absl::StrCat("alert tcp any any -> any any (msg:\"t\"; content:\"x\"; ", keyword, " sid:1;)\n"), config));
  std::vector<int> fired;
  if (!h.ok()) return fired;
  for (size_t i = 0; i < seconds.size(); ++i) {
    auto t = MakeTcp(sources[i % sources.size()], 1, "2.2.2.2", 2, "x");
    t->At(seconds[i]);
    if (h.Fires(*t)) fired.push_back(static_cast<int>(i));
  }
  return fired;
}

constexpr char kRuleLimit5[] = "threshold:type limit, track by_src, count 5, seconds 60;";

TEST(ThresholdConfigEngine, EventFilterLimitOverridesRuleThreshold) {
  const std::vector<int> t = {0, 1, 2, 3, 61, 62};
  EXPECT_EQ(FireSeconds(kRuleLimit5, "", t), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(FireSeconds(kRuleLimit5, "event_filter gen_id 1, sig_id 1, type limit, track by_src, count 1, seconds 60",
                        t),
            (std::vector<int>{0, 4}));
}

TEST(ThresholdConfigEngine, ThresholdTypeThresholdOverridesRuleThreshold) {
  EXPECT_EQ(FireSeconds(kRuleLimit5, "threshold gen_id 1, sig_id 1, type threshold, track by_src, count 3, seconds 60",
                        {0, 1, 2, 3, 4, 5, 6}),
            (std::vector<int>{2, 5}));
}

TEST(ThresholdConfigEngine, BothOverridesRuleThreshold) {
  EXPECT_EQ(FireSeconds(kRuleLimit5, "threshold gen_id 1, sig_id 1, type both, track by_src, count 2, seconds 60",
                        {0, 1, 2, 3, 70, 71, 72}),
            (std::vector<int>{1, 5}));
}

TEST(ThresholdConfigEngine, TrackFromTheConfigEntry) {
  // by_rule: two sources share one counter; the rule's own by_src would not.
  EXPECT_EQ(FireSeconds(kRuleLimit5, "threshold gen_id 1, sig_id 1, type limit, track by_rule, count 2, seconds 60",
                        {0, 1, 2, 3}, {"1.1.1.1", "1.1.1.2"}),
            (std::vector<int>{0, 1}));
}

TEST(ThresholdConfigEngine, AppliesToARuleWithoutItsOwnThreshold) {
  EXPECT_EQ(FireSeconds("", "event_filter gen_id 1, sig_id 1, type limit, track by_src, count 2, seconds 10",
                        {0, 1, 2, 3, 11, 12, 13}),
            (std::vector<int>{0, 1, 4, 5}));
  // The same through a gen_id 0, sig_id 0 entry.
  EXPECT_EQ(FireSeconds("", "threshold gen_id 0, sig_id 0, type limit, track by_src, count 2, seconds 10",
                        {0, 1, 2, 3, 11, 12, 13}),
            (std::vector<int>{0, 1, 4, 5}));
}

TEST(ThresholdConfigEngine, ReplacesADetectionFilter) {
  const std::string df = "detection_filter:track by_src, count 2, seconds 60;";
  EXPECT_EQ(FireSeconds(df, "", {0, 1, 2, 3}), (std::vector<int>{2, 3}));
  EXPECT_EQ(FireSeconds(df, "threshold gen_id 1, sig_id 1, type limit, track by_src, count 1, seconds 60",
                        {0, 1, 2, 3}),
            (std::vector<int>{0}));
}

TEST(ThresholdConfigEngine, SuppressedMatchesDoNotCountTowardsThresholds) {
  // Suppressions are checked first: the suppressed source's matches leave
  // the by_rule limit untouched.
  EXPECT_EQ(FireSeconds("threshold:type limit, track by_rule, count 2, seconds 60;",
                        "suppress gen_id 1, sig_id 1, track by_src, ip 9.9.9.9\n", {0, 1, 2, 3, 4},
                        {"9.9.9.9", "9.9.9.9", "1.1.1.1", "1.1.1.1", "1.1.1.1"}),
            (std::vector<int>{2, 3}));
}

TEST(ThresholdConfigEngine, SuppressAndThresholdTogether) {
  const std::string config =
      "suppress gen_id 1, sig_id 1, track by_dst, ip 2.2.2.2\n"
      "event_filter gen_id 1, sig_id 1, type limit, track by_src, count 1, seconds 60\n";
  Harness h(CompileWithConfig("alert tcp any any -> any any (msg:\"t\"; content:\"x\"; sid:1;)\n", config));
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "x")));  // suppressed
  EXPECT_TRUE(h.Fires(*MakeTcp("1.1.1.1", 1, "3.3.3.3", 2, "x")));   // first for this source
  EXPECT_FALSE(h.Fires(*MakeTcp("1.1.1.1", 1, "3.3.3.3", 2, "x")));  // limited
}

}  // namespace
}  // namespace kagami::detect::testing
