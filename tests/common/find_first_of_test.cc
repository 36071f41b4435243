// FindFirstOf answers as std::string_view::find_first_of does.

#include "common/find_first_of.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace kagami {
namespace {

TEST(FindFirstOf, AgreesWithTheStandardLibrary) {
  std::mt19937 rng(5);
  const std::string alphabet = "ab/?#'\\";
  for (int i = 0; i < 5000; ++i) {
    std::string text(rng() % 12, ' '), set(rng() % 4, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    for (char& c : set) c = alphabet[rng() % alphabet.size()];
    const size_t pos = rng() % 14;
    EXPECT_EQ(FindFirstOf(text, set, pos), std::string_view(text).find_first_of(set, pos))
        << "'" << text << "' '" << set << "' " << pos;
  }
  EXPECT_EQ(FindFirstOf("", "/"), std::string_view::npos);
  EXPECT_EQ(FindFirstOf("host/a?b", "/?"), 4u);
  EXPECT_EQ(FindFirstOf("host/a?b", "?#", 5), 6u);
}

}  // namespace
}  // namespace kagami
