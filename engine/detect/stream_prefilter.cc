#include "engine/detect/stream_prefilter.h"

#include <algorithm>

namespace kagami::detect {

StreamScanState::StreamScanState(StreamScanMemory* memory) : memory_(memory) { Account(); }

StreamScanState::~StreamScanState() {
  // Without a callback hs_close_stream only frees the stream; it does not
  // need the database, which may be gone after a rule reload.
  if (stream_) hs_close_stream(stream_, nullptr, nullptr, nullptr);
  if (memory_) memory_->bytes -= accounted_;
}

size_t StreamScanState::memory() const {
  return sizeof(*this) + (stream_ ? stream_size_ : 0) + hits_.capacity() * sizeof(Hit);
}

void StreamScanState::Account() {
  const size_t now = memory();
  if (memory_) memory_->bytes = memory_->bytes - accounted_ + now;
  accounted_ = now;
}

void StreamScanState::Close() {
  if (stream_) hs_close_stream(stream_, nullptr, nullptr, nullptr);
  stream_ = nullptr;
  stream_size_ = 0;
  engine_generation_ = 0;
  hits_ = std::vector<Hit>();
  Account();
}

void StreamPrefilter::NextGeneration() {
  if (++generation_ == 0) {  // wrapped: stale stamps could alias
    std::fill(stamp_.begin(), stamp_.end(), 0);
    std::fill(offered_.begin(), offered_.end(), 0);
    generation_ = 1;
  }
}

int StreamPrefilter::OnMatch(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto* self = static_cast<StreamPrefilter*>(ctx);
  StreamScanState& st = *self->state_;
  const uint64_t end = st.base_ + to;
  // One listed hit per pattern: the latest end stays in the window longest.
  if (self->stamp_[id] == self->generation_) {
    StreamScanState::Hit& h = st.hits_[self->slot_[id]];
    h.end = std::max(h.end, end);
  } else {
    self->stamp_[id] = self->generation_;
    self->slot_[id] = static_cast<uint32_t>(st.hits_.size());
    // Room for a few at once: growing one by one cost four allocations per
    // stream direction on the packets that found its first matches.
    if (st.hits_.capacity() == 0) st.hits_.reserve(8);
    st.hits_.push_back(StreamScanState::Hit{id, end});
  }
  // A pattern longer than the window seen so far is not in the chunk: the
  // block scan would not report it either.
  if (self->offered_[id] != self->generation_ && end - self->db_->PatternLength(id) >= self->window_start_) {
    self->offered_[id] = self->generation_;
    self->offer_(id, self->offer_ctx_);
  }
  return 0;
}

bool StreamPrefilter::Scan(const PrefilterDatabase& db, uint64_t engine_generation, const StreamData& sd,
                           hs_scratch_t* scratch, OfferFn offer, void* ctx) {
  StreamScanState& st = *sd.scan;
  const hs_database_t* sdb = db.stream_db();
  if (!sdb || !scratch) {
    if (st.stream_) st.Close();
    return false;
  }
  if (stamp_.size() < db.pattern_count()) {
    stamp_.resize(db.pattern_count(), 0);
    slot_.resize(db.pattern_count(), 0);
    offered_.resize(db.pattern_count(), 0);
  }
  NextGeneration();
  db_ = &db;
  state_ = &st;
  window_start_ = sd.stream_offset;
  offer_ = offer;
  offer_ctx_ = ctx;

  const uint64_t new_start = sd.stream_offset + sd.new_from;
  uint32_t scan_from = sd.new_from;
  if (!st.stream_ || st.engine_generation_ != engine_generation || sd.after_gap || new_start != st.scanned_to_) {
    // Restart: the stream starts at the chunk's first byte and sees all of
    // it, so its hits are exactly the block scan's.
    hs_error_t rc = HS_SUCCESS;
    if (st.stream_ && st.engine_generation_ == engine_generation) {
      rc = hs_reset_stream(st.stream_, 0, nullptr, nullptr, nullptr);
    } else {
      if (st.stream_) hs_close_stream(st.stream_, nullptr, nullptr, nullptr);
      st.stream_ = nullptr;
      rc = hs_open_stream(sdb, 0, &st.stream_);
      st.stream_size_ = db.stream_state_size();
      st.engine_generation_ = engine_generation;
    }
    st.hits_.clear();
    if (rc != HS_SUCCESS) {
      st.Close();
      return false;
    }
    st.base_ = sd.stream_offset;
    scan_from = 0;
  } else {
    // Hits whose pattern starts before the chunk have left the window.
    std::erase_if(st.hits_, [&](const StreamScanState::Hit& h) {
      return h.end - db.PatternLength(h.id) < sd.stream_offset;
    });
    // What stayed in the window was seen in an earlier chunk; the block
    // scan of this chunk reports it again.
    for (uint32_t i = 0; i < st.hits_.size(); ++i) {
      const uint32_t id = st.hits_[i].id;
      stamp_[id] = offered_[id] = generation_;
      slot_[id] = i;
      offer(id, ctx);
    }
  }
  st.scanned_to_ = sd.stream_offset + sd.len;
  bool ok = true;
  if (sd.len > scan_from) {
    const hs_error_t rc = hs_scan_stream(st.stream_, reinterpret_cast<const char*>(sd.data + scan_from),
                                         sd.len - scan_from, 0, scratch, &StreamPrefilter::OnMatch, this);
    if (rc != HS_SUCCESS) {
      st.Close();
      ok = false;
    }
  }
  st.Account();
  return ok;
}

}  // namespace kagami::detect
