#include "engine/pipeline/spsc_ring.h"

#include <gtest/gtest.h>

#include <thread>

namespace kagami::pipeline {
namespace {

TEST(SpscRingTest, FifoAndBounded) {
  SpscRing<int> ring(3);  // rounded up to 4
  EXPECT_EQ(ring.capacity(), 4u);
  EXPECT_FALSE(ring.TryPop().has_value());
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.TryPush(i));
  EXPECT_FALSE(ring.TryPush(99));  // full
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ring.TryPop(), i);
  EXPECT_FALSE(ring.TryPop().has_value());
  // Indexes wrap around the slots.
  for (int round = 0; round < 10; ++round) {
    EXPECT_TRUE(ring.TryPush(round));
    EXPECT_TRUE(ring.TryPush(round + 100));
    EXPECT_EQ(ring.Pop(), round);
    EXPECT_EQ(ring.Pop(), round + 100);
  }
}

// Two threads, a tiny ring: every value arrives once, in order, although
// both sides keep finding it full or empty and go to sleep.
TEST(SpscRingTest, TwoThreadsLoseNothing) {
  SpscRing<uint64_t> ring(2);
  constexpr uint64_t kCount = 200'000;
  uint64_t waits = 0;
  std::thread producer([&] {
    for (uint64_t i = 1; i <= kCount; ++i) waits += ring.Push(i);
  });
  uint64_t expected = 1, sum = 0;
  bool in_order = true;
  for (uint64_t i = 0; i < kCount; ++i) {
    const uint64_t v = ring.Pop();
    in_order = in_order && v == expected;
    ++expected;
    sum += v;
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(sum, kCount * (kCount + 1) / 2);
  EXPECT_FALSE(ring.TryPop().has_value());
}

// A consumer asleep on an empty ring wakes for the next push.
TEST(SpscRingTest, SleepingConsumerWakes) {
  SpscRing<int> ring(8);
  std::thread consumer([&] {
    for (int i = 0; i < 5; ++i) EXPECT_EQ(ring.Pop(), i);
  });
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ring.Push(i);
  }
  consumer.join();
}

}  // namespace
}  // namespace kagami::pipeline
