// The streaming prefilter (a Hyperscan stream per direction, only new bytes
// scanned, recent hits offered again while inside the chunk) must give
// exactly the alerts of the block scan of each whole chunk.
#include "engine/detect/stream_prefilter.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

// One direction's chunks as engine/stream delivers them: the last
// `lookback` bytes before the new ones, none after a gap.
class Direction {
 public:
  explicit Direction(uint32_t lookback) : lookback_(lookback) {}
  struct Chunk {
    std::string data;
    uint32_t new_from = 0;
    uint64_t stream_offset = 0;
    bool after_gap = false;
  };
  Chunk Deliver(const std::string& bytes, uint64_t gap_before = 0) {
    if (gap_before) {
      next_ += gap_before;
      tail_.clear();
      after_gap_ = true;
    }
    Chunk c;
    c.data = tail_ + bytes;
    c.new_from = static_cast<uint32_t>(tail_.size());
    c.stream_offset = next_ - tail_.size();
    c.after_gap = after_gap_;
    after_gap_ = false;
    next_ += bytes.size();
    tail_ = c.data.substr(c.data.size() - std::min<size_t>(c.data.size(), lookback_));
    return c;
  }

 private:
  uint32_t lookback_;
  std::string tail_;
  uint64_t next_ = 0;
  bool after_gap_ = false;
};

// Inspects a chunk as the Scanner does: a packet carrying the new bytes,
// the chunk as stream data; scanned in streaming mode when `state` is set.
std::vector<uint32_t> Inspect(Harness& h, const Direction::Chunk& c, StreamScanState* state) {
  auto p = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, c.data.substr(c.new_from));
  StreamData sd{reinterpret_cast<const uint8_t*>(c.data.data()), static_cast<uint32_t>(c.data.size()), c.new_from,
                true};
  sd.scan = state;
  sd.stream_offset = c.stream_offset;
  sd.after_gap = c.after_gap;
  return h.SidsInFlow(*p, &sd);
}

// Block and streaming side by side on the same chunks.
struct Pair {
  explicit Pair(std::shared_ptr<const DetectEngine> engine) : block(engine), streaming(engine) {}
  // Sids of the chunk; fails the test when the two modes differ.
  std::vector<uint32_t> Feed(const Direction::Chunk& c) {
    const std::vector<uint32_t> b = Inspect(block, c, nullptr);
    const std::vector<uint32_t> s = Inspect(streaming, c, &state);
    EXPECT_EQ(b, s) << "chunk at " << c.stream_offset << " new_from " << c.new_from << ": '" << c.data << "'";
    return s;
  }
  Harness block, streaming;
  StreamScanMemory memory;
  StreamScanState state{&memory};
};

std::vector<std::string> Split(const std::string& s, std::vector<size_t> cuts) {
  std::vector<std::string> out;
  size_t at = 0;
  cuts.push_back(s.size());
  for (size_t c : cuts) {
    out.push_back(s.substr(at, c - at));
    at = c;
  }
  return out;
}

constexpr char kRules[] = R"(alert tcp any any -> any any (msg:"one"; content:"BEACON"; sid:1;)
alert tcp any any -> any any (msg:"two"; content:"HELLO"; fast_pattern; content:"WORLD"; distance:0; sid:2;))";

TEST(StreamPrefilter, PatternSplitAtEveryBoundaryOfTwoAndThreeSegmentsAlertsOnce) {
  auto engine = CompileText(kRules);
  ASSERT_TRUE(engine);
  const std::string all = "xx BEACON yy";
  for (size_t i = 1; i < all.size(); ++i) {
    Pair pair(engine);
    Direction d(512);
    int alerts = 0;
    for (const std::string& seg : Split(all, {i})) alerts += static_cast<int>(pair.Feed(d.Deliver(seg)).size());
    EXPECT_EQ(alerts, 1) << "split at " << i;
  }
  for (size_t i = 1; i < all.size(); ++i) {
    for (size_t j = i + 1; j < all.size(); ++j) {
      Pair pair(engine);
      Direction d(512);
      int alerts = 0;
      for (const std::string& seg : Split(all, {i, j})) alerts += static_cast<int>(pair.Feed(d.Deliver(seg)).size());
      EXPECT_EQ(alerts, 1) << "split at " << i << ", " << j;
    }
  }
}

TEST(StreamPrefilter, FastPatternInTheLookbackAndTheRestInNewBytesAlertsOnce) {
  auto engine = CompileText(kRules);
  ASSERT_TRUE(engine);
  Pair pair(engine);
  Direction d(512);
  EXPECT_TRUE(pair.Feed(d.Deliver("HEL")).empty());
  EXPECT_TRUE(pair.Feed(d.Deliver("LO ")).empty());
  EXPECT_TRUE(pair.Feed(d.Deliver("and ")).empty());
  // HELLO was scanned two chunks ago; it is still in the window.
  EXPECT_EQ(pair.Feed(d.Deliver("WORLD")), std::vector<uint32_t>{2});
  EXPECT_EQ(pair.Feed(d.Deliver("WORLD")), std::vector<uint32_t>{2});  // a second WORLD is a new match
  EXPECT_TRUE(pair.Feed(d.Deliver(" bye")).empty());
  EXPECT_GE(pair.state.recent_hits(), 1u);
}

TEST(StreamPrefilter, AHitThatLeftTheWindowIsNotOffered) {
  auto engine = CompileText(kRules);
  ASSERT_TRUE(engine);
  Pair pair(engine);
  Direction d(8);
  EXPECT_TRUE(pair.Feed(d.Deliver("HELLO ")).empty());
  EXPECT_TRUE(pair.Feed(d.Deliver("--------")).empty());
  // HELLO is no longer in the 8-byte lookback: neither mode sees it.
  EXPECT_TRUE(pair.Feed(d.Deliver("WORLD")).empty());
  EXPECT_EQ(pair.state.recent_hits(), 0u);
}

TEST(StreamPrefilter, NothingMatchesAcrossAGap) {
  auto engine = CompileText(kRules);
  ASSERT_TRUE(engine);
  Pair pair(engine);
  Direction d(512);
  EXPECT_TRUE(pair.Feed(d.Deliver("xxBEA")).empty());
  EXPECT_TRUE(pair.Feed(d.Deliver("CONyy", /*gap_before=*/100)).empty());
  EXPECT_TRUE(pair.Feed(d.Deliver("HELLO")).empty());
  EXPECT_TRUE(pair.Feed(d.Deliver(" WORLD", 1)).empty());
  // The stream works again after the gap.
  EXPECT_EQ(pair.Feed(d.Deliver("BEACON")), std::vector<uint32_t>{1});
}

TEST(StreamPrefilter, ChunkNotContinuingTheLastOneRestartsTheStream) {
  auto engine = CompileText(kRules);
  ASSERT_TRUE(engine);
  Harness h(engine);
  StreamScanState state;
  // Offsets jump without a gap flag: the stream must not join the bytes.
  Direction::Chunk a{"xxBEA", 0, 0, false};
  Direction::Chunk b{"CONyy", 0, 50, false};
  EXPECT_TRUE(Inspect(h, a, &state).empty());
  EXPECT_TRUE(Inspect(h, b, &state).empty());
  // A chunk that brings its own lookback after a restart is scanned whole.
  Direction::Chunk c{"BEACON", 3, 200, false};
  EXPECT_EQ(Inspect(h, c, &state), std::vector<uint32_t>{1});
}

TEST(StreamPrefilter, RuleReloadMidFlowStaysExact) {
  auto old_engine = CompileText(kRules);
  ASSERT_TRUE(old_engine);
  StreamScanMemory memory;
  StreamScanState state(&memory);
  Direction d(512), twin(512);
  auto old_block = std::make_unique<Harness>(old_engine);
  auto old_streaming = std::make_unique<Harness>(old_engine);
  for (const char* seg : {"HEL", "LO "}) {
    const Direction::Chunk c = d.Deliver(seg);
    twin.Deliver(seg);
    EXPECT_TRUE(Inspect(*old_block, c, nullptr).empty());
    EXPECT_TRUE(Inspect(*old_streaming, c, &state).empty());
  }
  EXPECT_TRUE(state.open());
  // Reload: a new engine (other sids, other pattern ids), new contexts; the
  // old engine is gone, the flow's state stays.
  old_block.reset();
  old_streaming.reset();
  old_engine.reset();
  auto engine = CompileText(R"(alert tcp any any -> any any (msg:"x"; content:"QQQQ"; sid:7;)
alert tcp any any -> any any (msg:"two"; content:"HELLO"; fast_pattern; content:"WORLD"; distance:0; sid:12;)
alert tcp any any -> any any (msg:"three"; content:"LO WO"; sid:13;))");
  ASSERT_TRUE(engine);
  Harness block(engine), streaming(engine);
  const Direction::Chunk c = d.Deliver("WORLD");
  EXPECT_EQ(Inspect(block, c, nullptr), (std::vector<uint32_t>{12, 13}));
  EXPECT_EQ(Inspect(streaming, c, &state), (std::vector<uint32_t>{12, 13}));
  const Direction::Chunk next = d.Deliver("QQ");
  EXPECT_TRUE(Inspect(streaming, next, &state).empty());
  EXPECT_EQ(Inspect(streaming, d.Deliver("QQ"), &state), std::vector<uint32_t>{7});
}

TEST(StreamPrefilter, MemoryIsReportedAndReleased) {
  auto engine = CompileText(kRules);
  ASSERT_TRUE(engine);
  StreamScanMemory memory;
  {
    Pair pair(engine);  // its own counter
    StreamScanState state(&memory);
    EXPECT_EQ(memory.bytes, state.memory());
    const size_t idle = state.memory();
    Harness h(engine);
    Direction d(512);
    Inspect(h, d.Deliver("HELLO BEACON"), &state);
    EXPECT_TRUE(state.open());
    EXPECT_GT(state.memory(), idle);  // the Hyperscan stream and the hits
    EXPECT_EQ(memory.bytes, state.memory());
    state.Close();
    EXPECT_EQ(memory.bytes, idle);
    Inspect(h, d.Deliver("x"), &state);
    EXPECT_TRUE(state.open());
  }
  EXPECT_EQ(memory.bytes, 0u);
}

// Random streams over a small alphabet, random segments and gaps, several
// lookbacks (some shorter than a pattern): every chunk's alerts agree.
TEST(StreamPrefilter, RandomStreamsAgreeWithBlockScans) {
  auto engine = CompileText(R"(alert tcp any any -> any any (msg:"1"; content:"abc"; sid:1;)
alert tcp any any -> any any (msg:"2"; content:"cab"; fast_pattern; content:"bb"; distance:0; sid:2;)
alert tcp any any -> any any (msg:"3"; content:"aaaa"; sid:3;)
alert tcp any any -> any any (msg:"4"; content:"abcabca"; sid:4;)
alert tcp any any -> any any (msg:"5"; content:"ba"; fast_pattern; content:"cc"; distance:0; sid:5;)
alert tcp any any -> any any (msg:"6"; content:"C"; nocase; content:"ab"; distance:1; within:3; sid:6;)
alert tcp any any -> any any (msg:"7"; content:"bcb"; content:"acca"; sid:7;))");
  ASSERT_TRUE(engine);
  std::mt19937 rng(1234);
  uint64_t alerts = 0;
  for (uint32_t lookback : {0u, 2u, 4u, 8u, 512u}) {
    for (int round = 0; round < 40; ++round) {
      Pair pair(engine);
      Direction d(lookback);
      for (int seg = 0; seg < 30; ++seg) {
        std::string bytes(1 + rng() % 6, 'a');
        for (char& ch : bytes) ch = static_cast<char>("abcC"[rng() % 4]);
        const uint64_t gap = rng() % 20 == 0 ? 1 + rng() % 5 : 0;
        alerts += pair.Feed(d.Deliver(bytes, gap)).size();
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(alerts, 100u);  // the rules do fire
}

}  // namespace
}  // namespace kagami::detect::testing
