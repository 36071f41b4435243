#include "engine/stream/tcp_reassembler.h"

#include <algorithm>
#include <cstring>

#include "engine/stream/segment_queue.h"

namespace kagami::stream {

using decode::Packet;

namespace {
// How far past the next expected byte a RST may be and still count: the
// largest window TCP can advertise without scaling. The session does not
// track the receiver's real window.
constexpr int64_t kRstWindow = 65535;
}  // namespace

// Per-direction state that resets by assignment; the queue, which owns
// pool memory, is kept beside it.
struct DirectionState {
  bool base_known = false;
  uint32_t base_seq = 0;   // sequence number of stream offset 0
  uint64_t next = 0;       // end of contiguous (delivered or skipped) data
  uint64_t acked = 0;      // highest offset the other side acknowledged
  bool fin_seen = false;
  uint64_t fin_offset = 0;
  bool depth_done = false;
  bool after_gap = false;   // a gap since the last delivered data
  uint8_t* tail = nullptr;  // lookback block; tail[0, tail_len) ends at `next`
  uint32_t tail_len = 0;
  size_t queued = 0;        // data bytes in the queue

  uint32_t SeqOf(uint64_t offset) const { return base_seq + static_cast<uint32_t>(offset); }
  // Stream offset of a sequence number, taken as the nearest one to `next`
  // (so wrap-around is invisible); negative before the stream start.
  int64_t OffsetOf(uint32_t seq) const {
    return static_cast<int64_t>(next) + static_cast<int32_t>(seq - SeqOf(next));
  }
};

struct TcpReassembler::Direction : DirectionState {
  explicit Direction(std::pmr::memory_resource* pool) : queue(pool) {}
  SegmentQueue queue;  // out of order, sorted, non-overlapping
};

struct TcpReassembler::Session {
  enum class State : uint8_t { kNone, kSynSent, kSynRecv, kEstablished, kClosed };
  explicit Session(std::pmr::memory_resource* pool) : dir{Direction(pool), Direction(pool)} {}
  State state = State::kNone;
  bool started = false;
  bool tracked = false;
  std::array<Direction, 2> dir;  // 0: client to server, 1: server to client
};

TcpReassembler::TcpReassembler(const StreamOptions& options, flow::FlowTable* flows)
    : options_(options), flows_(flows) {
  scratch_.reserve(options_.lookback + 65536);
}

TcpReassembler::~TcpReassembler() = default;

size_t TcpReassembler::session_bytes() { return sizeof(Session) + sizeof(std::unique_ptr<Session>); }

size_t TcpReassembler::memory_in_use() const {
  return sessions_.size() * sizeof(std::unique_ptr<Session>) +
         static_cast<size_t>(std::count_if(sessions_.begin(), sessions_.end(), [](const auto& s) { return s != nullptr; })) *
             sizeof(Session) +
         blocks_.size() * options_.lookback + queued_bytes_ + scratch_.capacity();
}

size_t TcpReassembler::reassembly_memory() const { return blocks_.size() * options_.lookback + queued_bytes_; }

TcpReassembler::Session& TcpReassembler::SessionOf(const flow::Flow& flow) {
  if (flow.slot >= sessions_.size()) sessions_.resize(flow.slot + 1);
  auto& s = sessions_[flow.slot];
  if (!s) s = std::make_unique<Session>(&pool_);
  return *s;
}

uint8_t* TcpReassembler::TakeTailBlock() {
  if (options_.lookback == 0) return nullptr;
  if (!free_blocks_.empty()) {
    uint8_t* b = free_blocks_.back();
    free_blocks_.pop_back();
    return b;
  }
  if (blocks_.size() * options_.lookback + queued_bytes_ + options_.lookback > options_.memcap) {
    ++counters_.memcap_drops;
    return nullptr;
  }
  blocks_.push_back(std::make_unique<uint8_t[]>(options_.lookback));
  return blocks_.back().get();
}

void TcpReassembler::Release(Session& s) {
  for (Direction& d : s.dir) {
    if (d.tail) free_blocks_.push_back(d.tail);
    ClearQueue(d);
    static_cast<DirectionState&>(d) = DirectionState{};
  }
  s.state = Session::State::kNone;
  s.started = s.tracked = false;
}

void TcpReassembler::PopFront(Direction& d) {
  auto it = d.queue.begin();
  queued_bytes_ -= it->second.len + SegmentQueue::kOverheadBytes;
  d.queued -= it->second.len;
  d.queue.Erase(it);
}

void TcpReassembler::ClearQueue(Direction& d) {
  queued_bytes_ -= d.queue.charged();
  d.queue.Clear();
  d.queued = 0;
}

void TcpReassembler::Handshake(flow::Flow& flow, Session& s, const Packet& p, bool to_server) {
  const uint8_t flags = p.tcp_flags;
  const bool syn = flags & decode::kTcpSyn, ack = flags & decode::kTcpAck;
  const bool rst = flags & decode::kTcpRst;
  Direction& d = s.dir[to_server ? 0 : 1];
  Direction& o = s.dir[to_server ? 1 : 0];
  auto establish = [&] {
    s.state = Session::State::kEstablished;
    flow.established = true;
    flows_->SetState(flow, flow::FlowState::kEstablished);
  };

  if (!s.started) {
    s.started = true;
    if (syn && !ack) {
      s.tracked = true;
      s.state = Session::State::kSynSent;
      d.base_known = true;
      d.base_seq = p.tcp_seq + 1;
    } else if (options_.midstream && syn && ack) {
      // The SYN was missed; the SYN/ACK names both initial sequences.
      s.tracked = true;
      s.state = Session::State::kSynRecv;
      d.base_known = o.base_known = true;
      d.base_seq = p.tcp_seq + 1;
      o.base_seq = p.tcp_ack;
      ++counters_.midstream_pickups;
    } else if (options_.midstream && !syn && !rst) {
      s.tracked = true;
      d.base_known = true;
      d.base_seq = p.tcp_seq;
      if (ack) {
        o.base_known = true;
        o.base_seq = p.tcp_ack;
      }
      ++counters_.midstream_pickups;
      establish();
    }
    if (s.tracked) ++counters_.sessions;
    return;
  }
  if (!s.tracked) return;

  if (rst) {
    // A receiver drops a RST whose sequence number is outside its window
    // (RFC 5961), so such a RST must not end the session here either, or
    // an attacker could blind the sensor to the rest of it.
    if (d.base_known) {
      const int64_t off = d.OffsetOf(p.tcp_seq) - static_cast<int64_t>(d.next);
      if (off < -1 || off > kRstWindow) {
        ++counters_.rst_out_of_window;
        return;
      }
    }
    if (s.state != Session::State::kClosed) {
      s.state = Session::State::kClosed;
      flows_->SetState(flow, flow::FlowState::kClosed);
    }
    return;
  }
  switch (s.state) {
    case Session::State::kSynSent:
      if (syn && ack && !to_server) {
        d.base_known = true;
        d.base_seq = p.tcp_seq + 1;
        s.state = Session::State::kSynRecv;
      } else if (syn && !ack && to_server && d.next == 0 && d.queue.empty()) {
        d.base_seq = p.tcp_seq + 1;  // a new SYN before any data restarts the count
      }
      break;
    case Session::State::kSynRecv:
      if (ack && !syn && to_server) establish();
      break;
    default:
      break;
  }
  if (!o.base_known && ack && s.state != Session::State::kSynSent) {
    o.base_known = true;
    o.base_seq = p.tcp_ack;
  }
}

void TcpReassembler::BeginChunk(Direction& d, bool to_server, StreamChunk& out) {
  scratch_.clear();
  if (d.tail_len) scratch_.insert(scratch_.end(), d.tail, d.tail + d.tail_len);
  out.to_server = to_server;
  out.new_from = d.tail_len;
  out.stream_offset = d.next - d.tail_len;
  out.after_gap = d.after_gap;
}

void TcpReassembler::EndChunk(Direction& d, StreamChunk& out) {
  out.data = scratch_.data();
  out.len = static_cast<uint32_t>(scratch_.size());
  if (!out.has_new()) return;
  d.after_gap = false;
  if (options_.lookback == 0) return;
  if (!d.tail) d.tail = TakeTailBlock();
  if (!d.tail) return;
  const uint32_t keep = static_cast<uint32_t>(std::min<size_t>(scratch_.size(), options_.lookback));
  std::memcpy(d.tail, scratch_.data() + scratch_.size() - keep, keep);
  d.tail_len = keep;
}

void TcpReassembler::Deliver(Direction& d, uint64_t start, const uint8_t* data, uint32_t len) {
  // Only the part at and after `next` is new; what lies before was
  // delivered already and stays as it was.
  if (start + len <= d.next || d.depth_done) return;
  const uint64_t skip = d.next - start;
  uint64_t n = len - skip;
  if (options_.depth && d.next + n >= options_.depth) {
    n = options_.depth - d.next;
    d.depth_done = true;
    ++counters_.depth_reached;
  }
  scratch_.insert(scratch_.end(), data + skip, data + skip + n);
  d.next += n;
  counters_.bytes += n;
  if (d.depth_done) ClearQueue(d);
}

void TcpReassembler::DrainQueue(Direction& d) {
  while (!d.queue.empty() && !d.depth_done && d.queue.front_start() <= d.next) {
    const auto it = d.queue.begin();
    Deliver(d, it->first, it->second.bytes, it->second.len);
    if (d.depth_done) break;  // Deliver emptied the queue
    PopFront(d);
  }
}

void TcpReassembler::Queue(Direction& d, uint64_t start, const uint8_t* data, uint32_t len) {
  const uint64_t end = start + len;
  // One pass over the queued segments the new one overlaps, in order: the
  // overlapped bytes are kept or replaced by policy, the bytes no segment
  // covers become new segments. Finding the first costs O(log n); each
  // further step consumes queued or new bytes.
  auto it = d.queue.FirstEndingAfter(start);
  uint64_t pos = start;
  while (pos < end) {
    if (it != d.queue.end() && it->first <= pos) {
      ++counters_.overlaps;
      const uint64_t seg_start = it->first, seg_end = SegmentQueue::End(it);
      const uint64_t hi = std::min(seg_end, end);
      uint8_t* old_bytes = it->second.bytes + (pos - seg_start);
      const uint8_t* new_bytes = data + (pos - start);
      if (std::memcmp(old_bytes, new_bytes, hi - pos) != 0) {
        ++counters_.overlaps_different;
        if (NewSegmentWins(options_.policy, seg_start, seg_end, start, end)) std::memcpy(old_bytes, new_bytes, hi - pos);
      }
      pos = hi;
      ++it;
      continue;
    }
    const uint64_t piece_end = it == d.queue.end() ? end : std::min(end, it->first);
    const size_t n = piece_end - pos;
    if (queued_bytes_ + n + SegmentQueue::kOverheadBytes > options_.memcap) {
      ++counters_.memcap_drops;
      return;
    }
    it = d.queue.Add(it, pos, data + (pos - start), static_cast<uint32_t>(n));
    queued_bytes_ += n + SegmentQueue::kOverheadBytes;
    d.queued += n;
    pos = piece_end;
  }
}

void TcpReassembler::SkipGap(Direction& d, uint64_t to) {
  if (to <= d.next) return;
  ++counters_.gaps;
  d.next = to;
  d.tail_len = 0;  // nothing matches across a gap
  d.after_gap = true;
  if (options_.depth && d.next >= options_.depth && !d.depth_done) {
    d.depth_done = true;
    ++counters_.depth_reached;
  }
}

void TcpReassembler::AddData(Direction& d, uint64_t start, const uint8_t* data, uint32_t len, StreamChunk& out) {
  const uint64_t end = start + len;
  if (end <= d.next) {
    ++counters_.retransmissions;
    return;
  }
  if (start < d.next) {  // the delivered part stays as it was
    data += d.next - start;
    len -= static_cast<uint32_t>(d.next - start);
    start = d.next;
  }
  if (start == d.next && d.queue.empty()) {
    // The common case: in order, nothing waiting. No copy into the queue.
    ++counters_.in_order;
    BeginChunk(d, out.to_server, out);
    Deliver(d, start, data, len);
    EndChunk(d, out);
    return;
  }
  // Out of order, or overlapping segments that wait: the queue applies the
  // overlap policy between them.
  ++(start > d.next ? counters_.out_of_order : counters_.in_order);
  Queue(d, start, data, len);
  if (d.queue.empty()) return;
  // The receiver acknowledged the hole, or too much waits behind it: the
  // sensor missed that data, so carry on after it.
  const bool too_many_segments = options_.max_queued_segs && d.queue.segments() > options_.max_queued_segs;
  const bool too_much = d.queued > options_.max_queued || too_many_segments;
  if (d.queue.front_start() > d.next && (d.acked > d.next || too_much)) {
    SkipGap(d, std::min(d.queue.front_start(), std::max(d.acked, d.next)));
    if (d.queue.front_start() > d.next && too_much) {
      if (too_many_segments) ++counters_.segment_limit;
      SkipGap(d, d.queue.front_start());
    }
  }
  if (d.queue.front_start() > d.next) return;
  BeginChunk(d, out.to_server, out);
  DrainQueue(d);
  EndChunk(d, out);
}

bool TcpReassembler::IsNewSession(const flow::Flow& flow, const Packet& p) const {
  if (flow.slot >= sessions_.size() || !sessions_[flow.slot]) return false;
  const Session& s = *sessions_[flow.slot];
  return s.tracked && s.state == Session::State::kClosed &&
         (p.tcp_flags & (decode::kTcpSyn | decode::kTcpAck | decode::kTcpRst)) == decode::kTcpSyn;
}

const StreamUpdate& TcpReassembler::Process(flow::Flow& flow, const Packet& p, bool to_server) {
  update_ = StreamUpdate{};
  update_.own.to_server = to_server;
  update_.other.to_server = !to_server;
  Session& s = SessionOf(flow);
  const bool was_started = s.started, was_established = flow.established;
  Handshake(flow, s, p, to_server);
  update_.packet_established = was_established || (!was_started && flow.established);
  if (!s.tracked) {
    ++counters_.untracked_packets;
    return update_;
  }
  if (!options_.reassemble) return update_;
  Direction& d = s.dir[to_server ? 0 : 1];
  Direction& o = s.dir[to_server ? 1 : 0];

  // This packet's acknowledgement of the other direction's data.
  if ((p.tcp_flags & decode::kTcpAck) && o.base_known && !(p.tcp_flags & decode::kTcpRst)) {
    const int64_t a = o.OffsetOf(p.tcp_ack);
    if (a > static_cast<int64_t>(o.acked)) o.acked = static_cast<uint64_t>(a);
    // A FIN takes one sequence number: its acknowledgement is not a hole.
    const uint64_t data_acked = o.fin_seen ? std::min(o.acked, o.fin_offset) : o.acked;
    if (data_acked > o.next && !o.depth_done) {
      const uint64_t to = o.queue.empty() ? data_acked : std::min(data_acked, o.queue.front_start());
      SkipGap(o, to);
      if (!o.queue.empty() && o.queue.front_start() <= o.next) {
        BeginChunk(o, !to_server, update_.other);
        DrainQueue(o);
        EndChunk(o, update_.other);
      }
    }
  }

  if (p.payload_len > 0 && d.base_known && !d.depth_done && s.state != Session::State::kClosed) {
    ++counters_.segments;
    // Data in a SYN (TCP Fast Open) starts after the SYN's sequence number.
    const uint32_t seq = p.tcp_seq + ((p.tcp_flags & decode::kTcpSyn) ? 1 : 0);
    int64_t start = d.OffsetOf(seq);
    const uint8_t* data = p.payload;
    uint32_t len = p.payload_len;
    if (start < 0) {  // bytes from before the stream start
      const uint64_t cut = static_cast<uint64_t>(-start);
      if (cut >= len) return update_;
      data += cut;
      len -= static_cast<uint32_t>(cut);
      start = 0;
    }
    if (static_cast<uint64_t>(start) < d.next) {
      ++counters_.overlaps;
      // Compare what the tail still holds of the bytes delivered before.
      const uint64_t tail_start = d.next - d.tail_len;
      const uint64_t lo = std::max<uint64_t>(static_cast<uint64_t>(start), tail_start);
      const uint64_t hi = std::min<uint64_t>(static_cast<uint64_t>(start) + len, d.next);
      if (lo < hi && std::memcmp(d.tail + (lo - tail_start), data + (lo - static_cast<uint64_t>(start)), hi - lo) != 0) {
        ++counters_.overlaps_different;
      }
    }
    const bool in_order = static_cast<uint64_t>(start) == d.next && d.queue.empty() && data == p.payload;
    AddData(d, static_cast<uint64_t>(start), data, len, update_.own);
    update_.own.packet_payload_is_new = in_order && update_.own.len - update_.own.new_from == p.payload_len;
  }
  if ((p.tcp_flags & decode::kTcpFin) && d.base_known && !d.fin_seen) {
    d.fin_seen = true;
    const uint32_t seq = p.tcp_seq + ((p.tcp_flags & decode::kTcpSyn) ? 1 : 0);
    d.fin_offset = static_cast<uint64_t>(std::max<int64_t>(0, d.OffsetOf(seq))) + p.payload_len;
    if (o.fin_seen && s.state != Session::State::kClosed) {
      s.state = Session::State::kClosed;
      flows_->SetState(flow, flow::FlowState::kClosed);
    }
  }
  return update_;
}

const std::vector<StreamChunk>& TcpReassembler::Finish(flow::Flow& flow) {
  finish_.clear();
  if (flow.slot >= sessions_.size() || !sessions_[flow.slot]) return finish_;
  Session& s = *sessions_[flow.slot];
  if (s.tracked) {
    // Everything still queued is delivered, each run after its gap. The
    // chunks share scratch_, so it is sized for all of them first.
    size_t total = 0;
    for (const Direction& d : s.dir) total += d.queued;
    scratch_.clear();
    scratch_.reserve(total);
    for (int i = 0; i < 2; ++i) {
      Direction& d = s.dir[i];
      while (!d.queue.empty() && !d.depth_done) {
        SkipGap(d, d.queue.front_start());
        StreamChunk c;
        c.to_server = i == 0;
        c.after_gap = true;
        c.stream_offset = d.next;
        const size_t begin = scratch_.size();
        DrainQueue(d);
        c.data = scratch_.data() + begin;
        c.len = static_cast<uint32_t>(scratch_.size() - begin);
        if (c.len) finish_.push_back(c);
      }
    }
  }
  Release(s);
  return finish_;
}

}  // namespace kagami::stream
