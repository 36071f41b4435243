#include "rules/feeds/pipelined_sink.h"

#include <utility>

namespace kagami::feeds {

PipelinedSink::PipelinedSink(IndicatorSink* target, size_t slots) : target_(target), ring_(slots, 512) {
  consumer_ = std::thread([this] { Consume(); });
}

PipelinedSink::~PipelinedSink() { Finish(); }

void PipelinedSink::Add(const Indicator& indicator) {
  Slot& slot = ring_.Claim();
  slot.kind = Kind::kAdd;
  slot.indicator = indicator;  // assigned over: reuses the slot's capacity
  ring_.Push();
}

void PipelinedSink::Take(Indicator* indicator) {
  Slot& slot = ring_.Claim();
  slot.kind = Kind::kAdd;
  swap(slot.indicator, *indicator);
  ring_.Push();
}

void PipelinedSink::Attribute(std::string_view indicator_id, AttributionKind kind, std::string_view name) {
  Slot& slot = ring_.Claim();
  slot.kind = Kind::kAttribute;
  slot.id.assign(indicator_id);
  slot.name.assign(name);
  slot.attribution = kind;
  ring_.Push();
}

void PipelinedSink::AttributePlaced(const PlacedAttribution& attribution,
                                    const std::function<std::string(uint32_t)>& id_of) {
  Slot& slot = ring_.Claim();
  slot.kind = Kind::kAttributePlaced;
  slot.placed = &attribution;
  slot.id_of = &id_of;
  ring_.Push();
  ring_.Flush();
  // The arguments are the caller's: wait until the consumer is past them.
  ring_.WaitTaken(ring_.pushed());
}

void PipelinedSink::Finish() {
  if (finished_) return;
  finished_ = true;
  ring_.Close();
  consumer_.join();
}

void PipelinedSink::Consume() {
  ring_.Consume([this](const Slot& slot) {
    switch (slot.kind) {
      case Kind::kAdd:
        target_->Add(slot.indicator);
        break;
      case Kind::kAttribute:
        target_->Attribute(slot.id, slot.attribution, slot.name);
        break;
      case Kind::kAttributePlaced:
        target_->AttributePlaced(*slot.placed, *slot.id_of);
        break;
    }
  });
}

}  // namespace kagami::feeds
