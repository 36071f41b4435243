// FindContent against a byte-at-a-time reference, at each search width the
// CPU has: random start offsets and buffer ends around the blocks, patterns
// of one to forty bytes, case folding only for letters (so '@' never stands
// for '`').

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/detect/content_matcher.h"

namespace kagami::detect {
namespace {

uint8_t Fold(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int64_t Reference(const std::vector<uint8_t>& buf, int64_t from, int64_t end, const std::string& pat, bool nocase) {
  const int64_t n = static_cast<int64_t>(pat.size());
  for (int64_t i = std::max<int64_t>(from, 0); i + n <= end; ++i) {
    bool ok = true;
    for (int64_t k = 0; k < n && ok; ++k) {
      const uint8_t c = nocase ? Fold(buf[i + k]) : buf[i + k];
      ok = c == static_cast<uint8_t>(pat[k]);
    }
    if (ok) return i;
  }
  return -1;
}

std::vector<SearchWidth> Widths() {
  std::vector<SearchWidth> w = {SearchWidth::k1};
  if (BestSearchWidth() != SearchWidth::k1) w.push_back(SearchWidth::k16);
  if (BestSearchWidth() == SearchWidth::k32) w.push_back(SearchWidth::k32);
  return w;
}

TEST(FindContent, AgreesWithTheReferenceOnRandomBuffers) {
  std::mt19937 rng(7);
  // A small alphabet makes partial matches (first and last byte agreeing,
  // the middle not) common; '@' and '`' differ only in the case bit.
  const std::string alphabet = "abAB@`xX|";
  for (int round = 0; round < 3000; ++round) {
    const size_t len = rng() % 120;
    std::vector<uint8_t> buf(len);
    for (auto& c : buf) c = static_cast<uint8_t>(alphabet[rng() % alphabet.size()]);
    const size_t plen = 1 + rng() % 6 + (round % 10 == 0 ? 30 : 0);
    std::string pat;
    for (size_t k = 0; k < plen; ++k) pat += alphabet[rng() % alphabet.size()];
    const bool nocase = rng() % 2;
    if (nocase) {
      for (auto& c : pat) c = static_cast<char>(Fold(static_cast<uint8_t>(c)));
    }
    const int64_t from = static_cast<int64_t>(rng() % (len + 1)) - 2;
    const int64_t end = static_cast<int64_t>(len) - static_cast<int64_t>(rng() % 3 == 0 ? rng() % (len + 1) : 0);
    const int64_t want = Reference(buf, from, end, pat, nocase);
    for (SearchWidth w : Widths()) {
      ASSERT_EQ(FindContent(buf.data(), from, end, pat, nocase, w), want)
          << "width " << static_cast<int>(w) << " round " << round << " pattern " << pat << " nocase " << nocase
          << " from " << from << " end " << end;
    }
  }
}

TEST(FindContent, MatchEndingExactlyAtTheBufferEnd) {
  for (size_t pad = 0; pad < 40; ++pad) {
    std::string text(pad, 'z');
    text += "Needle";
    const auto* b = reinterpret_cast<const uint8_t*>(text.data());
    const auto end = static_cast<int64_t>(text.size());
    for (SearchWidth w : Widths()) {
      EXPECT_EQ(FindContent(b, 0, end, "needle", true, w), static_cast<int64_t>(pad));
      EXPECT_EQ(FindContent(b, 0, end, "Needle", false, w), static_cast<int64_t>(pad));
      EXPECT_EQ(FindContent(b, 0, end, "needle", false, w), -1);
      // One byte short of the end: no room for the pattern.
      EXPECT_EQ(FindContent(b, 0, end - 1, "needle", true, w), -1);
    }
  }
}

TEST(FindContent, CaseFoldingIsForLettersOnly) {
  const std::string text = "x`y@z[";
  const auto* b = reinterpret_cast<const uint8_t*>(text.data());
  const auto end = static_cast<int64_t>(text.size());
  EXPECT_EQ(FindContent(b, 0, end, "@z", true), 3);
  EXPECT_EQ(FindContent(b, 0, end, "`y", true), 1);
  EXPECT_EQ(FindContent(b, 0, end, "{", true), -1);  // '[' | 0x20 is '{', not its case
  EXPECT_EQ(FindContent(b, 0, end, "z", true), 4);
  EXPECT_EQ(FindContent(b, 0, end, "", true), 0);
}

}  // namespace
}  // namespace kagami::detect
