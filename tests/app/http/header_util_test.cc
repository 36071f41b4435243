// header_util: the loose comparisons libhtp makes of header names and values.
#include "engine/app/http/header_util.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace kagami::app::http {
namespace {

// The definition, written the plain way: NULs in `a` dropped, then a
// case-insensitive comparison.
bool Reference(std::string_view a, std::string_view b) {
  std::string kept;
  for (char c : a) {
    if (c != '\0') kept += c;
  }
  if (kept.size() != b.size()) return false;
  for (size_t i = 0; i < b.size(); ++i) {
    if (LowerAscii(kept[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

TEST(EqualsLoose, CaseAndNulBytes) {
  using namespace std::string_view_literals;
  EXPECT_TRUE(EqualsLoose("Content-Length", "content-length"));
  EXPECT_TRUE(EqualsLoose("Ho\0st"sv, "host"));
  EXPECT_TRUE(EqualsLoose("\0\0"sv, ""));
  EXPECT_FALSE(EqualsLoose("Hos", "Host"));
  EXPECT_FALSE(EqualsLoose("Hostx", "Host"));
  EXPECT_FALSE(EqualsLoose("Ho\0t"sv, "Ho\0t"sv));  // a NUL in `b` is not skipped
  EXPECT_FALSE(EqualsLoose("Ho\0t"sv, "Host"));
}

TEST(EqualsLoose, AgreesWithTheDefinition) {
  std::mt19937 rng(7);
  const char alphabet[] = {'a', 'A', 'b', 'B', '\0', '-'};
  auto draw = [&](size_t max) {
    std::string s(rng() % (max + 1), ' ');
    for (char& c : s) c = alphabet[rng() % sizeof(alphabet)];
    return s;
  };
  for (int i = 0; i < 200000; ++i) {
    const std::string a = draw(6), b = draw(4);
    ASSERT_EQ(EqualsLoose(a, b), Reference(a, b)) << testing::PrintToString(a) << " " << testing::PrintToString(b);
  }
}

}  // namespace
}  // namespace kagami::app::http
