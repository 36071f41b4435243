// threshold type backoff and detection_filter unique_on.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

// Match numbers (1-based) that alerted over `n` matches of one flow.
std::vector<int> BackoffAlerts(const char* threshold, int n) {
  Harness h(absl::StrCat("alert tcp any any -> any any (msg:\"t\"; content:\"x\"; ", threshold, " sid:1;)"));
  std::vector<int> fired;
  for (int i = 1; i <= n; ++i) {
    auto t = MakeTcp("1.1.1.1", 1000, "2.2.2.2", 80, "x");
    t->At(i);
    if (h.Fires(*t)) fired.push_back(i);
  }
  return fired;
}

TEST(ThresholdBackoff, AlertsAtCountTimesPowersOfTheMultiplier) {
  EXPECT_EQ(BackoffAlerts("threshold:type backoff, track by_flow, count 1, multiplier 2;", 40),
            (std::vector<int>{1, 2, 4, 8, 16, 32}));
  EXPECT_EQ(BackoffAlerts("threshold:type backoff, track by_flow, count 3, multiplier 2;", 50),
            (std::vector<int>{3, 6, 12, 24, 48}));
  EXPECT_EQ(BackoffAlerts("threshold:type backoff, track by_flow, count 5, multiplier 5;", 200),
            (std::vector<int>{5, 25, 125}));
}

TEST(ThresholdBackoff, EachFlowHasItsOwnCounter) {
  Harness h("alert tcp any any -> any any (msg:\"t\"; content:\"x\"; threshold:type backoff, track by_flow, count 1, multiplier 10; sid:1;)");
  int fired = 0;
  for (int port = 1; port <= 5; ++port) {
    for (int i = 0; i < 3; ++i) {
      auto t = MakeTcp("1.1.1.1", static_cast<uint16_t>(port), "2.2.2.2", 80, "x");
      fired += h.Fires(*t);
    }
  }
  EXPECT_EQ(fired, 5);  // the first match of each flow
}

TEST(ThresholdBackoff, BadSettingsAreRejected) {
  for (const char* bad : {"threshold:type backoff, track by_flow, count 1;",
                          "threshold:type backoff, track by_flow, count 1, multiplier 1;",
                          "threshold:type backoff, track by_flow, count 1, multiplier 2, seconds 5;",
                          "threshold:type limit, track by_src, count 1, seconds 5, multiplier 2;",
                          "threshold:type backoff, track by_flow, count 0, multiplier 2;"}) {
    rules::RuleSet set = rules::ParseRules(
        absl::StrCat("alert tcp any any -> any any (msg:\"m\"; ", bad, " sid:1;)"), "<t>", rules::LoadOptions{});
    EXPECT_EQ(set.error_count(), 1u) << bad;
  }
}

TEST(DetectionFilterUniqueOn, CountsDistinctPorts) {
  Harness h(R"(alert tcp any any -> any any (msg:"dst"; content:"x"; detection_filter:track by_src, count 2, seconds 60, unique_on dst_port; sid:1;))");
  std::vector<int> fired;
  const uint16_t ports[] = {80, 80, 81, 81, 82, 83, 80};
  for (int i = 0; i < 7; ++i) {
    auto t = MakeTcp("1.1.1.1", 1000, "2.2.2.2", ports[i], "x");
    t->At(i);
    if (h.Fires(*t)) fired.push_back(i);
  }
  // The third distinct port (82) exceeds count 2; after that every match alerts.
  EXPECT_EQ(fired, (std::vector<int>{4, 5, 6}));
}

TEST(DetectionFilterUniqueOn, RepeatsOfOnePortNeverAlert) {
  Harness h(R"(alert tcp any any -> any any (msg:"src"; content:"x"; detection_filter:track by_dst, count 1, seconds 60, unique_on src_port; sid:1;))");
  for (int i = 0; i < 10; ++i) {
    auto t = MakeTcp("1.1.1.1", 5555, "2.2.2.2", 80, "x");
    t->At(i);
    EXPECT_FALSE(h.Fires(*t));
  }
  auto other = MakeTcp("1.1.1.1", 5556, "2.2.2.2", 80, "x");
  other->At(11);
  EXPECT_TRUE(h.Fires(*other));
}

TEST(DetectionFilterUniqueOn, OnlyForDetectionFilter) {
  rules::RuleSet set = rules::ParseRules(
      "alert tcp any any -> any any (msg:\"m\"; threshold:type limit, track by_src, count 1, seconds 5, unique_on src_port; sid:1;)",
      "<t>", rules::LoadOptions{});
  EXPECT_EQ(set.error_count(), 1u);
}

}  // namespace
}  // namespace kagami::detect::testing
