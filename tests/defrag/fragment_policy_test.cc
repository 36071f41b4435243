// The overlap rule of each policy, pair by pair, and the policy names.

#include "engine/defrag/fragment_policy.h"

#include <gtest/gtest.h>

#include <string>

namespace kagami::defrag {
namespace {

TEST(FragmentPolicy, ParseAndNameRoundTrip) {
  for (Policy p : {Policy::kFirst, Policy::kLast, Policy::kBsd, Policy::kLinux, Policy::kWindows,
                   Policy::kSolaris}) {
    EXPECT_EQ(ParsePolicy(PolicyName(p)), p);
  }
  EXPECT_EQ(ParsePolicy("first"), Policy::kFirst);
  EXPECT_EQ(ParsePolicy("solaris"), Policy::kSolaris);
  EXPECT_EQ(ParsePolicy(""), std::nullopt);
  EXPECT_EQ(ParsePolicy("BSD"), std::nullopt);
  EXPECT_EQ(ParsePolicy("bsd-right"), std::nullopt);
  EXPECT_EQ(ParsePolicy("linux "), std::nullopt);
}

// Old fragment [16, 32); each new fragment shape against it.
struct Shape {
  const char* name;
  uint32_t begin, end;
};
constexpr Shape kShapes[] = {
    {"same", 16, 32},          {"inside", 20, 28},        {"same_begin_shorter", 16, 24},
    {"same_begin_longer", 16, 40}, {"begins_inside_ends_after", 24, 40},
    {"begins_before_ends_inside", 8, 24}, {"begins_before_same_end", 8, 32},
    {"encloses", 8, 40},
};

// Expected verdict (new data wins?) per shape, in kShapes order.
struct Row {
  Policy policy;
  bool wins[8];
};
constexpr Row kRows[] = {
    {Policy::kFirst, {false, false, false, false, false, false, false, false}},
    {Policy::kLast, {true, true, true, true, true, true, true, true}},
    {Policy::kBsd, {false, false, false, false, false, true, true, true}},
    {Policy::kLinux, {true, false, true, true, false, true, true, true}},
    {Policy::kWindows, {false, false, false, false, false, false, false, true}},
    {Policy::kSolaris, {false, false, false, false, false, false, true, true}},
};

TEST(FragmentPolicy, NewDataWins) {
  for (const Row& row : kRows) {
    for (size_t i = 0; i < std::size(kShapes); ++i) {
      EXPECT_EQ(NewDataWins(row.policy, kShapes[i].begin, kShapes[i].end, 16, 32), row.wins[i])
          << PolicyName(row.policy) << " " << kShapes[i].name;
    }
  }
}

}  // namespace
}  // namespace kagami::defrag
