// RadixSort gives std::sort's order: on spread keys, on keys that share
// their top bytes (all in one bucket), with many duplicates, and on inputs
// too small for a byte pass.

#include "common/radix_sort.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace kagami {
namespace {

struct Item {
  uint64_t key;
  uint32_t tie;
  bool operator==(const Item&) const = default;
};

bool Less(const Item& a, const Item& b) { return std::tie(a.key, a.tie) < std::tie(b.key, b.tie); }

void ExpectSortsLikeStdSort(std::vector<Item> items) {
  std::vector<Item> expected = items;
  std::sort(expected.begin(), expected.end(), Less);
  RadixSort(items.data(), items.data() + items.size(), [](const Item& x) { return x.key; }, Less);
  EXPECT_EQ(items, expected);
}

TEST(RadixSort, SpreadKeys) {
  std::mt19937_64 rng(1);
  std::vector<Item> items(200000);
  for (Item& i : items) i = {rng(), static_cast<uint32_t>(rng() % 4)};
  ExpectSortsLikeStdSort(items);
}

TEST(RadixSort, KeysSharingTheirTopBytes) {
  std::mt19937_64 rng(2);
  std::vector<Item> items(50000);
  // Top 16 bits equal: both byte passes put everything in one bucket.
  for (Item& i : items) i = {(uint64_t{0xabcd} << 48) | (rng() >> 16), static_cast<uint32_t>(rng())};
  ExpectSortsLikeStdSort(items);
  // Small keys (odd ids, counters): everything under the top bytes' zero.
  for (Item& i : items) i = {rng() % 1000, static_cast<uint32_t>(rng() % 1000)};
  ExpectSortsLikeStdSort(items);
}

TEST(RadixSort, DuplicatesAndSmallInputs) {
  std::mt19937_64 rng(3);
  std::vector<Item> items(30000);
  for (Item& i : items) i = {(rng() % 50) << 56, static_cast<uint32_t>(rng() % 3)};
  ExpectSortsLikeStdSort(items);
  for (size_t n : {0u, 1u, 2u, 63u, 64u, 65u, 300u}) {
    std::vector<Item> few(n);
    for (Item& i : few) i = {rng(), 0};
    ExpectSortsLikeStdSort(few);
  }
}

}  // namespace
}  // namespace kagami
