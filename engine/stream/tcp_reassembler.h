#pragma once
// TcpReassembler: per-flow TCP session tracking and stream reassembly.
//
// Each direction of a session keeps the sequence number of its first byte,
// the end of its contiguous data, a queue of out-of-order segments and a
// short tail of already-inspected data (the lookback). When a packet makes
// new data contiguous, the reassembler hands detection one chunk: lookback +
// new bytes in one buffer, so a pattern split across segments is seen whole,
// while `new_from` tells detection which part is new (a match must reach into
// it, so nothing already inspected alerts twice).
//
// Data is handed on as soon as it is contiguous (inline style) and is then
// final: overlap policies decide between segments still queued out of order;
// a retransmission that disagrees with delivered data is counted as an
// anomaly. A hole the receiver acknowledged (the sensor missed the segment)
// or the end of the flow becomes a gap: delivery resumes after it and the
// lookback is dropped, so nothing matches across a gap.

#include <array>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <string_view>
#include <vector>

#include "engine/decode/packet.h"
#include "engine/flow/flow.h"
#include "engine/flow/flow_table.h"
#include "engine/stream/overlap_policy.h"
#include "engine/stream/segment_queue.h"

namespace kagami::stream {

struct StreamOptions {
  // Pick up sessions whose handshake was not seen (Suricata's
  // stream.midstream). Off: such sessions are not reassembled and their
  // flows are never established.
  bool midstream = false;
  // Off: sessions are still tracked (flow:established works) but no data is
  // reassembled, so rules see packets only. For measuring what reassembly
  // costs.
  bool reassemble = true;
  // Bytes reassembled per direction; 0 means unlimited.
  uint64_t depth = uint64_t{1} << 20;
  OverlapPolicy policy = OverlapPolicy::kFirst;
  // Bytes of already-inspected data kept in front of new data: how far back
  // a rule's earlier contents may lie when its match completes in a new
  // segment. Each chunk rescans it, so it costs throughput (see the notes).
  uint32_t lookback = 512;
  // Out-of-order bytes queued per direction before the oldest hole is
  // declared a gap.
  uint32_t max_queued = 1 << 20;
  // Out-of-order segments queued per direction before the oldest hole is
  // declared a gap (counted as segment_limit); 0: no limit. Like Snort 3's
  // max_queued_segs, but larger (Snort's default is 2621): the queue costs
  // the same per segment at any size, so the bound only caps memory (64k
  // segments of overhead are 4 MiB) and a request sent in a few thousand
  // tiny segments, in any order, is still reassembled whole.
  uint32_t max_queued_segs = 65536;
  // Bytes for lookback blocks and queued segments (each charged its bytes
  // plus SegmentQueue::kOverheadBytes) over all sessions; at the cap, new
  // out-of-order segments are dropped (counted) and new sessions keep no
  // lookback.
  size_t memcap = size_t{64} << 20;
};

struct StreamCounters {
  uint64_t sessions = 0;            // sessions tracked (handshake or midstream)
  uint64_t midstream_pickups = 0;
  uint64_t untracked_packets = 0;   // TCP packets of sessions not tracked
  uint64_t segments = 0;            // data segments seen on tracked sessions
  uint64_t in_order = 0;
  uint64_t out_of_order = 0;
  uint64_t retransmissions = 0;     // wholly old data
  uint64_t overlaps = 0;            // segments overlapping data seen before
  uint64_t overlaps_different = 0;  // ... with different bytes
  uint64_t gaps = 0;
  uint64_t depth_reached = 0;       // directions that reached the depth
  uint64_t memcap_drops = 0;
  uint64_t segment_limit = 0;       // gaps forced by max_queued_segs
  uint64_t rst_out_of_window = 0;   // RSTs ignored: outside the receiver's window
  uint64_t bytes = 0;               // bytes delivered in order
};

// Data one packet made available in one direction. Valid until the next
// call into the reassembler.
struct StreamChunk {
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  uint32_t new_from = 0;       // data[0, new_from) is lookback, inspected before
  uint64_t stream_offset = 0;  // stream offset of data[0] (0: the first byte)
  bool to_server = true;
  bool after_gap = false;      // the new data follows a gap
  // The new bytes are exactly the payload of the packet that brought them
  // (in order, nothing trimmed, nothing waiting): a scan of the chunk
  // covers that packet too.
  bool packet_payload_is_new = false;
  bool has_new() const { return len > new_from; }
};

// What one packet changed.
struct StreamUpdate {
  // flow:established for this packet. As in Suricata, the ACK that completes
  // the handshake is not yet established; the packet a midstream pick-up
  // starts from is.
  bool packet_established = false;
  StreamChunk own;    // the packet's own direction
  StreamChunk other;  // the other direction, when this packet's ACK exposed a gap there
};

class TcpReassembler {
 public:
  TcpReassembler(const StreamOptions& options, flow::FlowTable* flows);
  ~TcpReassembler();

  // Tracks `packet` (a TCP packet of `flow`, direction `to_server`): the
  // handshake and teardown (setting flow.established and the flow state),
  // and its data. Packets of untracked sessions return an empty update.
  const StreamUpdate& Process(flow::Flow& flow, const decode::Packet& packet, bool to_server);

  // A SYN on a session that was closed (FIN/FIN or RST): the client reuses
  // the 5-tuple for a new session, which needs a new flow.
  bool IsNewSession(const flow::Flow& flow, const decode::Packet& packet) const;

  // End of the flow: data still queued behind holes is delivered, one chunk
  // per run after each gap, then the session is released. Valid until the
  // next call.
  const std::vector<StreamChunk>& Finish(flow::Flow& flow);

  const StreamCounters& counters() const { return counters_; }
  size_t memory_in_use() const;
  // Bytes of queued out-of-order data, with per-segment overhead, and of
  // lookback blocks (Suricata's tcp.reassembly_memuse).
  size_t reassembly_memory() const;
  // Bytes of session state per flow slot (excluding data buffers).
  static size_t session_bytes();

 private:
  struct Session;
  struct Direction;
  Session& SessionOf(const flow::Flow& flow);
  void Handshake(flow::Flow& flow, Session& s, const decode::Packet& p, bool to_server);
  void AddData(Direction& d, uint64_t start, const uint8_t* data, uint32_t len, StreamChunk& out);
  void Deliver(Direction& d, uint64_t start, const uint8_t* data, uint32_t len);
  void DrainQueue(Direction& d);
  void Queue(Direction& d, uint64_t start, const uint8_t* data, uint32_t len);
  void SkipGap(Direction& d, uint64_t to);
  void BeginChunk(Direction& d, bool to_server, StreamChunk& out);
  void EndChunk(Direction& d, StreamChunk& out);
  void Release(Session& s);
  void PopFront(Direction& d);
  void ClearQueue(Direction& d);
  uint8_t* TakeTailBlock();

  StreamOptions options_;
  flow::FlowTable* flows_;
  // Tree nodes and bytes of out-of-order segments; declared before the
  // sessions, whose queues return memory to it when they are destroyed.
  SegmentPool pool_;
  std::vector<std::unique_ptr<Session>> sessions_;  // by flow slot
  std::vector<uint8_t> scratch_;                    // the chunk being built
  std::vector<std::unique_ptr<uint8_t[]>> blocks_;  // lookback blocks
  std::vector<uint8_t*> free_blocks_;
  size_t queued_bytes_ = 0;
  StreamUpdate update_;
  std::vector<StreamChunk> finish_;
  StreamCounters counters_;
};

}  // namespace kagami::stream
