#pragma once
// An IndicatorSink that hands what it receives to another sink on a thread of
// its own, so reading a feed (parsing JSON, normalising values) and storing it
// (IntelStoreBuilder) run on two cores at once. Order is kept: the target sees
// exactly the Add and Attribute calls made here, in the same order.
//
// Indicators travel through a ring of slots that are assigned over, not
// rebuilt, so once the ring has been round once a feed streams through it
// without allocating. Finish() (or the destructor) waits until the target has
// seen everything.

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "rules/feeds/handoff_ring.h"
#include "rules/feeds/indicator.h"

namespace kagami::feeds {

class PipelinedSink final : public IndicatorSink {
 public:
  // `slots`: calls that may be in flight (at least 2 x 512, the batch size:
  // the consumer is woken once per batch).
  explicit PipelinedSink(IndicatorSink* target, size_t slots = 4096);
  ~PipelinedSink() override;
  PipelinedSink(const PipelinedSink&) = delete;
  PipelinedSink& operator=(const PipelinedSink&) = delete;

  void Add(const Indicator& indicator) override;
  // Swaps the indicator with the slot's previous one: no copy of its
  // strings, clauses and labels.
  void Take(Indicator* indicator) override;
  void Attribute(std::string_view indicator_id, AttributionKind kind, std::string_view name) override;
  // Returns once the target has applied it (id_of is the caller's).
  void AttributePlaced(const PlacedAttribution& attribution,
                       const std::function<std::string(uint32_t)>& id_of) override;
  // Returns once the target has received every call; no calls after this.
  void Finish();

 private:
  enum class Kind : uint8_t { kAdd, kAttribute, kAttributePlaced };
  struct Slot {
    Kind kind = Kind::kAdd;
    Indicator indicator;
    std::string id, name;
    AttributionKind attribution = AttributionKind::kMalware;
    // kAttributePlaced: the caller's, alive until the call is consumed.
    const PlacedAttribution* placed = nullptr;
    const std::function<std::string(uint32_t)>* id_of = nullptr;
  };

  void Consume();

  IndicatorSink* target_;
  HandoffRing<Slot> ring_;
  std::thread consumer_;
  bool finished_ = false;
};

}  // namespace kagami::feeds
