// The storage pieces under IntelStore: hashes, IdHashTable, PagedArray,
// TextArena, StringTable and ValueIndex.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/intel/id_hash_table.h"
#include "engine/intel/intel_hash.h"
#include "engine/intel/paged_array.h"
#include "engine/intel/string_table.h"
#include "engine/intel/text_arena.h"
#include "engine/intel/value_index.h"

namespace kagami::intel {
namespace {

using feeds::IndicatorType;

TEST(IntelHash, WordHashFoldsAsciiCapitalsOnly) {
  const std::string mixed = "E7D705A3286E19EA42F587B344EE6865-Tail@[`{~";
  std::string lower = mixed;
  for (char& c : lower) c = LowerAscii(c);
  EXPECT_EQ(WordHash(mixed, true), WordHash(lower, false));
  EXPECT_NE(WordHash(mixed, false), WordHash(lower, false));
  // Bytes whose low seven bits spell a capital but with the top bit set are
  // not letters and stay as they are.
  const std::string high = "\xc1\xc2\xda\xdb\xc0";
  EXPECT_EQ(WordHash(high, true), WordHash(high, false));
  EXPECT_TRUE(EqualsFolded(mixed, lower));
  EXPECT_FALSE(EqualsFolded(lower, mixed));
}

TEST(IntelHash, WordHashSeesLengthAndEveryByte) {
  EXPECT_NE(WordHash("abc", false), WordHash(std::string("abc\0", 4), false));
  EXPECT_NE(WordHash("abcdefgh1", false), WordHash("abcdefgh2", false));
  EXPECT_NE(WordHash("", false), WordHash(std::string(1, '\0'), false));
}

TEST(IntelHash, SuffixHashOfAParentComesOutOfTheWalk) {
  const std::string name = "a.b.example.com";
  uint64_t h = kFnvOffset;
  std::vector<uint64_t> parents;
  for (size_t i = name.size(); i-- > 0;) {
    if (name[i] == '.') parents.push_back(SuffixHashFinish(h));
    h = SuffixHashStep(h, name[i]);
  }
  EXPECT_EQ(SuffixHashFinish(h), SuffixHash(name, false));
  ASSERT_EQ(parents.size(), 3u);
  EXPECT_EQ(parents[0], SuffixHash("com", false));
  EXPECT_EQ(parents[1], SuffixHash("example.com", false));
  EXPECT_EQ(parents[2], SuffixHash("b.example.com", false));
  EXPECT_EQ(SuffixHash("A.B.Example.COM", true), SuffixHash(name, false));
}

TEST(IdHashTable, CollidingHashesAreToldApartByEquality) {
  std::vector<std::string> keys;
  IdHashTable t;
  auto hash_of = [](uint32_t) { return uint64_t{42}; };  // every key collides
  for (uint32_t i = 0; i < 100; ++i) {
    keys.push_back("key" + std::to_string(i));
    t.Insert(42, i, hash_of);
  }
  EXPECT_EQ(t.size(), 100u);
  for (uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(t.Find(42, [&](uint32_t id) { return keys[id] == keys[i]; }), i);
  }
  EXPECT_EQ(t.Find(42, [](uint32_t) { return false; }), IdHashTable::kNone);
  // Another hash (its high half is the slot tag) never reaches eq.
  EXPECT_EQ(t.Find((uint64_t{1} << 40) | 42, [](uint32_t) { return true; }), IdHashTable::kNone);
  int matches = 0;
  t.ForEachMatch(42, [](uint32_t id) { return id % 10 == 0; }, [&](uint32_t) { ++matches; });
  EXPECT_EQ(matches, 10);
}

TEST(IdHashTable, GrowsAndKeepsEveryId) {
  IdHashTable t;
  auto hash_of = [](uint32_t id) { return Mix64(id); };
  for (uint32_t i = 0; i < 100000; ++i) t.Insert(Mix64(i), i, hash_of);
  for (uint32_t i = 0; i < 100000; i += 7) {
    EXPECT_EQ(t.Find(Mix64(i), [&](uint32_t id) { return id == i; }), i);
  }
  EXPECT_GE(t.memory_bytes(), 100000u * 8 * 8 / 5);  // load stays under 5/8
}

TEST(PagedArray, GrowsWithoutMovingAndTruncates) {
  PagedArray<uint64_t, 4> a;  // 16 per page
  EXPECT_EQ(a.memory_bytes(), 0u);
  a.push_back(7);
  const uint64_t* first = &a[0];
  for (uint64_t i = 1; i < 1000; ++i) a.push_back(i * 3);
  EXPECT_EQ(a.size(), 1000u);
  EXPECT_EQ(a[0], 7u);
  EXPECT_EQ(a[999], 2997u);
  EXPECT_EQ(&a[0], first);  // the first page was full (16) before page two
  a.truncate(500);
  a.push_back(1);
  EXPECT_EQ(a.size(), 501u);
  EXPECT_EQ(a[500], 1u);
  EXPECT_EQ(a[499], 1497u);
}

TEST(PagedArray, FirstPageStartsSmall) {
  PagedArray<uint32_t> a;  // 65536 per page
  for (uint32_t i = 0; i < 10; ++i) a.push_back(i);
  EXPECT_LT(a.memory_bytes(), 256u);
  for (uint32_t i = 10; i < 70000; ++i) a.push_back(i);
  for (uint32_t i = 0; i < 70000; i += 999) EXPECT_EQ(a[i], i);
}

TEST(TextArena, StringsNeverSpanChunksAndBigOnesGetTheirOwn) {
  TextArena arena;
  const std::string chunk_filler(TextArena::kChunkSize - 10, 'x');
  uint32_t a, b, c, d;
  ASSERT_TRUE(arena.Append("first", &a));
  ASSERT_TRUE(arena.Append(chunk_filler, &b));  // does not fit after "first": next chunk
  ASSERT_TRUE(arena.Append("0123456789abcdef", &c));  // 16 bytes, 10 left: next chunk
  const std::string big(3 * TextArena::kChunkSize, 'y');
  ASSERT_TRUE(arena.Append(big, &d));
  EXPECT_EQ(arena.Get(a, 5), "first");
  EXPECT_EQ(arena.Get(b, static_cast<uint32_t>(chunk_filler.size())), chunk_filler);
  EXPECT_EQ(arena.Get(c, 16), "0123456789abcdef");
  EXPECT_EQ(arena.Get(d, static_cast<uint32_t>(big.size())), big);
  EXPECT_NE(b >> TextArena::kChunkBits, c >> TextArena::kChunkBits);
  EXPECT_EQ(arena.Get(0, 0), "");
}

TEST(TextArena, TruncateForgetsWhatCameAfterTheMark) {
  TextArena arena;
  uint32_t a, b, c;
  ASSERT_TRUE(arena.Append("keep", &a));
  const TextArena::Mark m = arena.mark();
  ASSERT_TRUE(arena.Append(std::string(TextArena::kChunkSize, 'z'), &b));
  arena.Truncate(m);
  ASSERT_TRUE(arena.Append("next", &c));
  EXPECT_EQ(c, a + 4);  // right after "keep" again
  EXPECT_EQ(arena.Get(a, 4), "keep");
  EXPECT_EQ(arena.Get(c, 4), "next");
  EXPECT_LT(arena.memory_bytes(), 4096u);
}

TEST(StringTable, InternSharesAddDoesNotAndLengthsRoundTrip) {
  StringTable t;
  EXPECT_EQ(t.Get(0), "");
  EXPECT_EQ(t.Intern(""), 0u);
  const uint32_t x = t.Intern("report link");
  EXPECT_EQ(t.Intern("report link"), x);
  EXPECT_NE(t.Add("report link"), x);
  for (size_t len : {1, 127, 128, 300, 16383, 16384, 70000}) {
    const std::string s(len, static_cast<char>('a' + len % 26));
    const uint32_t id = t.Intern(s);
    EXPECT_EQ(t.Get(id), s) << len;
  }
  EXPECT_EQ(t.Get(x), "report link");
  t.DropIndex();
  EXPECT_EQ(t.Get(x), "report link");
}

// Entries that share their hash but not their text.
TEST(ValueIndex, EqualTextsShareAHandleAndCollisionsStayApart) {
  TextArena arena;
  uint32_t apple, apple2, pear;
  ASSERT_TRUE(arena.Append("apple", &apple));
  ASSERT_TRUE(arena.Append("apple", &apple2));
  ASSERT_TRUE(arena.Append("pear", &pear));
  const auto type = IndicatorType::kUserAgent;
  std::vector<ValueIndex::Entry> entries = {
      ValueIndex::MakeEntry(type, arena, apple, 5, 3, /*direct=*/true),
      ValueIndex::MakeEntry(type, arena, apple2, 5, 1, /*direct=*/true),
      ValueIndex::MakeEntry(type, arena, apple, 5, 3, /*direct=*/true),
      ValueIndex::MakeEntry(type, arena, pear, 4, 9, /*direct=*/true),
  };
  const uint64_t shared = entries[0].hash;
  entries[3].hash = shared;  // force a collision: "pear" is stored under apple's hash
  ValueIndex index;
  index.Build(type, &entries, arena);
  EXPECT_EQ(index.text_count(), 2u);
  EXPECT_EQ(index.key_count(), 1u);  // "apple" has two values: a key; "pear" is direct
  auto find = [&](std::string_view text) {
    auto span = index.Find(
        text == "pear" ? shared : KeyHash(type, text, false),
        [&](uint32_t off, uint32_t len) { return arena.Get(off, len) == text; },
        [&](uint32_t value) { return value == 9 && text == "pear"; });
    return std::vector<uint32_t>(span.begin(), span.end());
  };
  EXPECT_EQ(find("apple"), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(find("pear"), (std::vector<uint32_t>{9}));
  EXPECT_TRUE(find("plum").empty());
}

TEST(ValueIndex, ASingleValueThatCannotBeRebuiltGetsAKey) {
  TextArena arena;
  uint32_t off;
  ASSERT_TRUE(arena.Append("c2.example/x", &off));
  std::vector<ValueIndex::Entry> entries = {
      ValueIndex::MakeEntry(IndicatorType::kUrl, arena, off, 12, 4, /*direct=*/false)};
  ValueIndex index;
  index.Build(IndicatorType::kUrl, &entries, arena);
  EXPECT_EQ(index.key_count(), 1u);
  auto span = index.Find(
      KeyHash(IndicatorType::kUrl, "c2.example/x", false),
      [&](uint32_t o, uint32_t len) { return arena.Get(o, len) == "c2.example/x"; },
      [](uint32_t) { return false; });
  ASSERT_EQ(span.size(), 1u);
  EXPECT_EQ(span[0], 4u);
}

// The filter in front of the table: every stored text passes it, whatever
// the index size (one text up to many thousands), and few others do.
TEST(ValueIndex, FilterPassesEveryStoredTextAndFewOthers) {
  for (uint32_t n : {1u, 3u, 1000u, 50000u}) {
    TextArena arena;
    std::vector<ValueIndex::Entry> entries;
    std::vector<std::string> texts;
    for (uint32_t i = 0; i < n; ++i) {
      texts.push_back("sha-" + std::to_string(i * 7919u));
      uint32_t off;
      ASSERT_TRUE(arena.Append(texts.back(), &off));
      entries.push_back(ValueIndex::MakeEntry(IndicatorType::kFileSha256, arena, off,
                                              static_cast<uint32_t>(texts.back().size()), i, true));
    }
    ValueIndex index;
    index.Build(IndicatorType::kFileSha256, &entries, arena);
    for (const std::string& t : texts) {
      ASSERT_TRUE(index.MayHold(KeyHash(IndicatorType::kFileSha256, t, false))) << n << " " << t;
    }
    size_t passed = 0;
    constexpr size_t kOthers = 200000;
    for (size_t i = 0; i < kOthers; ++i) {
      passed += index.MayHold(KeyHash(IndicatorType::kFileSha256, "other-" + std::to_string(i), false));
    }
    EXPECT_LT(passed, kOthers / 40) << "false positives above 2.5% with " << n << " texts";
  }
  ValueIndex empty;
  EXPECT_FALSE(empty.MayHold(12345));
}

}  // namespace
}  // namespace kagami::intel
