#pragma once
// HandoffRing: hands work from one thread to one other, in order, through a
// ring of slots that are filled in place and reused, so once the ring has
// been round once nothing is allocated (a slot's strings keep their
// capacity). PipelinedSink (sink calls) and the STIX reader (parsed objects)
// use it to split a feed load across cores.
//
// Both sides count slots from the start. The producer publishes a batch at a
// time and the consumer hands slots back a batch at a time: each publication
// may wake the other thread, and a wake-up per slot would cost more than the
// slot's work.

#include <atomic>
#include <cstdint>
#include <vector>

namespace kagami::feeds {

template <typename T>
class HandoffRing {
 public:
  HandoffRing(uint64_t slots, uint64_t batch) : slots_(slots < 2 * batch ? 2 * batch : slots), batch_(batch) {}
  HandoffRing(const HandoffRing&) = delete;
  HandoffRing& operator=(const HandoffRing&) = delete;

  // ---- producer ----

  // The slot to fill next (the same one until Push); waits while every slot
  // holds work not yet taken.
  T& Claim() {
    uint64_t consumed = consumed_.load(std::memory_order_acquire);
    if (next_ - consumed >= slots_.size()) {
      Flush();  // the consumer must see what is queued before we wait on it
      while (next_ - (consumed = consumed_.load(std::memory_order_acquire)) >= slots_.size()) {
        consumed_.wait(consumed, std::memory_order_acquire);
      }
    }
    return slots_[next_ % slots_.size()];
  }
  // The claimed slot is filled: it is the consumer's.
  void Push() {
    if (++next_ % batch_ == 0) Flush();
  }
  // Lets the consumer see every pushed slot now.
  void Flush() { Publish(next_); }
  // Slots pushed so far.
  uint64_t pushed() const { return next_; }
  // Waits until the consumer has taken `count` slots (flush first).
  void WaitTaken(uint64_t count) {
    for (uint64_t consumed; (consumed = consumed_.load(std::memory_order_acquire)) < count;) {
      consumed_.wait(consumed, std::memory_order_acquire);
    }
  }
  // No more pushes: Consume returns once it has taken every slot pushed.
  void Close() { Publish(next_ | kClosed); }

  // ---- consumer ----

  // Calls take(slot) for every slot pushed, in order, until Close.
  template <typename Take>
  void Consume(Take&& take) {
    uint64_t taken = 0;
    for (;;) {
      uint64_t produced = produced_.load(std::memory_order_acquire);
      while ((produced & ~kClosed) == taken && !(produced & kClosed)) {
        produced_.wait(produced, std::memory_order_acquire);
        produced = produced_.load(std::memory_order_acquire);
      }
      for (const uint64_t available = produced & ~kClosed; taken < available;) {
        take(slots_[taken % slots_.size()]);
        if (++taken % batch_ == 0) HandBack(taken);
      }
      HandBack(taken);  // a producer in WaitTaken waits for the last one
      if (produced & kClosed) return;
    }
  }

 private:
  static constexpr uint64_t kClosed = uint64_t{1} << 63;

  void Publish(uint64_t produced) {
    produced_.store(produced, std::memory_order_release);
    produced_.notify_one();
  }
  void HandBack(uint64_t taken) {
    consumed_.store(taken, std::memory_order_release);
    consumed_.notify_one();
  }

  std::vector<T> slots_;
  const uint64_t batch_;
  // Slots published (kClosed once closed) and taken; each on its own cache
  // line so the two threads do not share one.
  alignas(64) std::atomic<uint64_t> produced_{0};
  alignas(64) std::atomic<uint64_t> consumed_{0};
  alignas(64) uint64_t next_ = 0;  // the producer's count of slots pushed
};

}  // namespace kagami::feeds
