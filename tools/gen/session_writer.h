#pragma once
// SessionWriter turns Sessions into Ethernet frames. TCP sessions get a
// three-way handshake with random initial sequence numbers, data cut at the
// MSS (and, when asked, at random points inside messages, so reassembly has
// work to do), delayed ACKs from the receiver and a FIN exchange; UDP sessions
// one datagram per message. IPv4 and IPv6, with real checksums.
//
// Several sessions are on the wire at once: a small pool of active sessions,
// each with the time its next packet is due (per-session RTT, think time
// between messages, serialization between segments); the packet due first
// goes out next, so the capture is in time order, each flow's packets are in
// their own order, and the interleaving follows from the seed alone.
//
// Frames are built in one reused buffer; beyond the sessions themselves
// nothing is allocated per packet.

#include <cstdint>
#include <memory>
#include <vector>

#include "tools/gen/capture_writer.h"
#include "tools/gen/rng.h"
#include "tools/gen/session.h"

namespace kagami::gen {

struct SessionWriterOptions {
  uint32_t mss = 1460;          // largest TCP payload per segment
  bool random_splits = false;   // also cut messages at random points
  size_t concurrency = 16;      // sessions on the wire at once
  int64_t start_ns = 0;         // time of the first packet
};

class SessionWriter {
 public:
  SessionWriter(const SessionWriterOptions& options, uint64_t seed, PacketSink* sink);
  ~SessionWriter();

  // Queues `session`; when every slot of the pool is busy, writes packets
  // until one frees. Endpoint addresses must be IPv4 or IPv6 literals (both
  // of one family).
  void Add(Session session);
  // Writes every packet still due.
  void Finish();

  // Packet time of the last packet written (start_ns before the first).
  int64_t now_ns() const { return clock_ns_; }
  // Rough size on disk of what the pool still holds (frames and record
  // headers), so a caller aiming at a file size knows when to stop adding.
  uint64_t pending_bytes_estimate() const { return pending_estimate_; }
  uint64_t sessions_written() const { return sessions_done_; }

  struct Active;  // one session on the wire (session_writer.cc)

 private:
  // Writes the packet due first; returns false when the pool is empty.
  bool EmitOne();
  void EmitTcp(Active& a);
  void EmitUdp(Active& a);
  // Builds one frame in frame_ and hands it to the sink.
  void Frame(Active& a, bool from_client, uint8_t tcp_flags, const char* payload, size_t len, bool syn_options);

  SessionWriterOptions options_;
  Rng rng_;
  PacketSink* sink_;
  // Allocated once; a slot's Active is reused for the sessions it carries.
  std::vector<std::unique_ptr<Active>> slots_;
  size_t active_ = 0;
  int64_t clock_ns_ = 0;
  uint64_t pending_estimate_ = 0;
  uint64_t sessions_done_ = 0;
  std::vector<uint8_t> frame_;
};

}  // namespace kagami::gen
