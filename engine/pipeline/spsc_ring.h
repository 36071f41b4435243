#pragma once
// SpscRing: a bounded queue between exactly one producer thread and one
// consumer thread, with no lock and no allocation after construction. The
// pipeline moves batches (pointers), not packets, through it, so a push or
// pop per batch of packets is all the synchronisation a packet costs.
//
// Waiting: a full ring makes the producer wait and an empty one the
// consumer; both spin briefly, then sleep on the index they wait for
// (C++20 atomic wait, a futex on Linux), so an idle worker burns no CPU
// and a busy one never enters the kernel.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

namespace kagami::pipeline {

template <typename T>
class SpscRing {
 public:
  // `capacity` is rounded up to a power of two (at least 2).
  explicit SpscRing(size_t capacity) {
    size_t c = 2;
    while (c < capacity) c <<= 1;
    mask_ = c - 1;
    slots_ = std::make_unique<T[]>(c);
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Producer side.
  bool TryPush(T value) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;
    }
    slots_[tail & mask_] = std::move(value);
    // seq_cst store and load: with the consumer's seq_cst announce-then-check
    // in Pop this is Dekker's pattern, so one of the two sees the other.
    tail_.store(tail + 1, std::memory_order_seq_cst);
    if (consumer_sleeping_.load(std::memory_order_seq_cst)) tail_.notify_one();
    return true;
  }
  // Waits while the ring is full. Returns the number of times it had to
  // sleep (a producer's "waited for the consumer" count).
  uint64_t Push(T value) {
    uint64_t sleeps = 0;
    for (int spin = 0; !TryPush(value); ++spin) {
      if (spin < kSpins) {
        std::this_thread::yield();
        continue;
      }
      const uint64_t head = head_.load(std::memory_order_acquire);
      producer_sleeping_.store(true, std::memory_order_seq_cst);
      // Re-check after announcing the sleep: a pop in between has notified
      // nobody, so the wait must not start on a stale value.
      if (tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_seq_cst) > mask_) {
        head_.wait(head, std::memory_order_acquire);
        ++sleeps;
      }
      producer_sleeping_.store(false, std::memory_order_relaxed);
      spin = 0;
    }
    return sleeps;
  }

  // Consumer side.
  std::optional<T> TryPop() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return std::nullopt;
    }
    T value = std::move(slots_[head & mask_]);
    head_.store(head + 1, std::memory_order_seq_cst);
    if (producer_sleeping_.load(std::memory_order_seq_cst)) head_.notify_one();
    return value;
  }
  // Waits while the ring is empty.
  T Pop() {
    for (int spin = 0;; ++spin) {
      if (std::optional<T> v = TryPop()) return std::move(*v);
      if (spin < kSpins) {
        std::this_thread::yield();
        continue;
      }
      const uint64_t tail = tail_.load(std::memory_order_acquire);
      consumer_sleeping_.store(true, std::memory_order_seq_cst);
      if (head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_seq_cst)) {
        tail_.wait(tail, std::memory_order_acquire);
      }
      consumer_sleeping_.store(false, std::memory_order_relaxed);
      spin = 0;
    }
  }

 private:
  static constexpr int kSpins = 64;
  // Producer and consumer indexes on their own cache lines, each with the
  // side's cached copy of the other index, so the common case reads no
  // line the other thread writes.
  alignas(64) std::atomic<uint64_t> tail_{0};
  uint64_t head_cache_ = 0;
  std::atomic<bool> producer_sleeping_{false};
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;
  std::atomic<bool> consumer_sleeping_{false};
  alignas(64) size_t mask_ = 0;
  std::unique_ptr<T[]> slots_;
};

}  // namespace kagami::pipeline
