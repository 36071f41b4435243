#pragma once
// Streaming prefilter for reassembled TCP data.
//
// A stream chunk is lookback (bytes inspected with an earlier packet) plus
// new bytes, and the block-mode prefilter offers every fast pattern lying
// wholly inside the chunk: a rule's fast pattern may sit in the lookback
// while the rest of its match arrives now. Scanning the lookback again on
// every chunk is most of the prefilter's cost on streams, so instead each
// direction keeps a Hyperscan stream (the TCP class's streaming database)
// that sees every byte once, and a list of its recent hits. Per chunk, only
// the new bytes are scanned, and every listed hit whose pattern lies wholly
// inside the chunk is offered: the same pattern ids the block scan of the
// chunk reports, so the candidates, and hence the alerts, are the same.
//
// The stream restarts (and then scans the whole chunk, which is the block
// scan in streaming form) when it is first used, after a gap (nothing may
// match across one), when the chunk does not continue where the last one
// ended, and when the rules were reloaded (the stream belongs to the old
// engine's database).

#include <hs/hs.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/detect/detect_engine.h"
#include "engine/detect/prefilter.h"

namespace kagami::detect {

// Bytes held by a set of StreamScanStates (the owner reports the total as
// flow memory).
struct StreamScanMemory {
  size_t bytes = 0;
};

// One flow direction's streaming prefilter state. Not thread-safe; used by
// the DetectContext of the thread that owns the flow.
class StreamScanState {
 public:
  explicit StreamScanState(StreamScanMemory* memory = nullptr);
  ~StreamScanState();
  StreamScanState(const StreamScanState&) = delete;
  StreamScanState& operator=(const StreamScanState&) = delete;

  // Bytes held now: this object, the Hyperscan stream and the hit list. The
  // list holds at most one hit per pattern id, only those inside the last
  // chunk's window, so it is bounded by the database's pattern count (and
  // in practice by the window's size).
  size_t memory() const;
  bool open() const { return stream_ != nullptr; }
  size_t recent_hits() const { return hits_.size(); }

  // Frees the stream and the list (the next chunk restarts).
  void Close();

 private:
  friend class StreamPrefilter;
  struct Hit {
    uint32_t id = 0;
    uint64_t end = 0;  // stream offset just past the match
  };
  void Account();

  StreamScanMemory* memory_ = nullptr;
  size_t accounted_ = 0;
  hs_stream_t* stream_ = nullptr;
  size_t stream_size_ = 0;
  uint64_t engine_generation_ = 0;  // the engine whose database stream_ belongs to
  uint64_t base_ = 0;               // stream offset of the Hyperscan stream's offset 0
  uint64_t scanned_to_ = 0;         // stream offset just past the last byte scanned
  std::vector<Hit> hits_;
};

// Per-DetectContext scanning machinery (scratch-like: sized for one
// database's pattern ids, reused for every chunk).
class StreamPrefilter {
 public:
  using OfferFn = void (*)(unsigned id, void* ctx);

  // Offers, through `offer`, every pattern id of `db` that a block scan of
  // the chunk `sd` would report, each once. False when the chunk could not
  // be scanned in streaming mode (no streaming database, a Hyperscan error):
  // the caller scans the chunk in block mode instead; ids offered before the
  // failure stay offered, the state restarts on the next chunk.
  bool Scan(const PrefilterDatabase& db, uint64_t engine_generation, const StreamData& sd, hs_scratch_t* scratch,
            OfferFn offer, void* ctx);

 private:
  static int OnMatch(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void* ctx);
  void NextGeneration();

  // Per pattern id: stamp_ == generation_ means listed in this chunk, at
  // slot_; offered_ == generation_ means offered in this chunk.
  std::vector<uint32_t> stamp_, slot_, offered_;
  uint32_t generation_ = 0;
  // The chunk being scanned.
  const PrefilterDatabase* db_ = nullptr;
  StreamScanState* state_ = nullptr;
  uint64_t window_start_ = 0;
  OfferFn offer_ = nullptr;
  void* offer_ctx_ = nullptr;
};

}  // namespace kagami::detect
