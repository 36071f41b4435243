#include "rules/feeds/pipelined_sink.h"

namespace kagami::feeds {

PipelinedSink::PipelinedSink(IndicatorSink* target, size_t slots)
    : target_(target), slots_(slots < 2 * kBatch ? 2 * kBatch : slots) {
  consumer_ = std::thread([this] { Consume(); });
}

PipelinedSink::~PipelinedSink() { Finish(); }

PipelinedSink::Slot& PipelinedSink::NextFree() {
  // The slot `next_` lands on is free once the consumer has taken the call
  // one ring's length before it.
  uint64_t consumed = consumed_.load(std::memory_order_acquire);
  if (next_ - consumed >= slots_.size()) {
    Flush();  // the consumer must see what is queued before we wait on it
    while (next_ - (consumed = consumed_.load(std::memory_order_acquire)) >= slots_.size()) {
      consumed_.wait(consumed, std::memory_order_acquire);
    }
  }
  return slots_[next_ % slots_.size()];
}

// Calls are published in batches: each publication may wake the consumer,
// and a wake-up per call would cost more than the call.
void PipelinedSink::Publish() {
  if (++next_ % kBatch == 0) Flush();
}

void PipelinedSink::Flush() {
  produced_.store(next_, std::memory_order_release);
  produced_.notify_one();
}

void PipelinedSink::Add(const Indicator& indicator) {
  Slot& slot = NextFree();
  slot.kind = Kind::kAdd;
  slot.indicator = indicator;  // assigned over: reuses the slot's capacity
  Publish();
}

void PipelinedSink::Attribute(std::string_view indicator_id, AttributionKind kind, std::string_view name) {
  Slot& slot = NextFree();
  slot.kind = Kind::kAttribute;
  slot.id.assign(indicator_id);
  slot.name.assign(name);
  slot.attribution = kind;
  Publish();
}

void PipelinedSink::AttributePlaced(const PlacedAttribution& attribution,
                                    const std::function<std::string(uint32_t)>& id_of) {
  Slot& slot = NextFree();
  slot.kind = Kind::kAttributePlaced;
  slot.placed = &attribution;
  slot.id_of = &id_of;
  const uint64_t call = next_;
  ++next_;
  Flush();
  // The arguments are the caller's: wait until the consumer is past them.
  for (uint64_t consumed; (consumed = consumed_.load(std::memory_order_acquire)) <= call;) {
    consumed_.wait(consumed, std::memory_order_acquire);
  }
}

void PipelinedSink::Finish() {
  if (finished_) return;
  finished_ = true;
  NextFree().kind = Kind::kEnd;
  ++next_;
  Flush();
  consumer_.join();
}

void PipelinedSink::Consume() {
  uint64_t taken = 0;
  for (;;) {
    uint64_t available = produced_.load(std::memory_order_acquire);
    while (available == taken) {
      produced_.wait(taken, std::memory_order_acquire);
      available = produced_.load(std::memory_order_acquire);
    }
    for (; taken < available; ++taken) {
      const Slot& slot = slots_[taken % slots_.size()];
      switch (slot.kind) {
        case Kind::kAdd:
          target_->Add(slot.indicator);
          break;
        case Kind::kAttribute:
          target_->Attribute(slot.id, slot.attribution, slot.name);
          break;
        case Kind::kAttributePlaced:
          target_->AttributePlaced(*slot.placed, *slot.id_of);
          consumed_.store(taken + 1, std::memory_order_release);  // the producer waits on it
          consumed_.notify_one();
          continue;
        case Kind::kEnd:
          return;
      }
      // Slots are handed back a batch at a time too.
      if ((taken + 1) % kBatch == 0) {
        consumed_.store(taken + 1, std::memory_order_release);
        consumed_.notify_one();
      }
    }
    consumed_.store(taken, std::memory_order_release);
    consumed_.notify_one();
  }
}

}  // namespace kagami::feeds
