#pragma once
// Where an attack's frames go: the capture file, with the legitimate HTTP
// sessions merged in. The attacks write frames (or sessions through a
// SessionWriter) in their own time order and say how far along they are;
// when the run reaches a legitimate session's place (the start, the middle,
// the end, spread evenly), that session is written whole through its own
// SessionWriter into a small queue, and its frames go out among the
// attack's by time. So the legitimate sessions are ordinary traffic (the
// same handshake, segmentation and teardown as every generated session)
// and the attack never waits on them.

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tools/gen/capture_writer.h"
#include "tools/gen/rng.h"
#include "tools/gen/session.h"

namespace kagami::gen {

class AttackOutput final : public PacketSink {
 public:
  // `legit`: how many legitimate sessions, all to `legit_server`.
  AttackOutput(CaptureWriter& out, uint64_t legit, uint64_t legit_seed, Endpoint legit_server);

  // Starts the legitimate sessions whose place is at or before `done` (the
  // share of the attack written, 0..1), at `now_ns`. `shift_ns` is added to
  // their timestamps (time-backwards keeps them beside the attack's
  // shifted clock).
  void At(double done, int64_t now_ns, int64_t shift_ns = 0) {
    if (next_ < places_.size() && places_[next_] <= done) StartDue(done, now_ns, shift_ns);
  }
  // An attack frame: `order_ns` places it among the legitimate frames,
  // `ts_ns` is the time written (they differ only where the attack falsifies
  // its timestamps).
  void Write(int64_t order_ns, int64_t ts_ns, std::span<const uint8_t> frame) {
    if (head_ < pending_.size() && pending_[head_].order_ns <= order_ns) FlushUntil(order_ns);
    Put(ts_ns, frame);
    ++attack_packets_;
  }
  void Write(int64_t ts_ns, std::span<const uint8_t> frame) { Write(ts_ns, ts_ns, frame); }
  // PacketSink, for attacks made of sessions.
  void WritePacket(int64_t ts_ns, std::span<const uint8_t> frame) override { Write(ts_ns, ts_ns, frame); }

  // Starts the legitimate sessions still to come at `now_ns` and writes
  // every frame still queued.
  void Finish(int64_t now_ns, int64_t shift_ns = 0);

  uint64_t legit_sessions() const { return started_; }
  uint64_t attack_packets() const { return attack_packets_; }
  // The earliest and latest timestamps written (0 before any frame).
  int64_t first_ts_ns() const { return written_ ? first_ts_ns_ : 0; }
  int64_t last_ts_ns() const { return written_ ? last_ts_ns_ : 0; }

 private:
  void Put(int64_t ts_ns, std::span<const uint8_t> frame) {
    out_.WritePacket(ts_ns, frame);
    if (!written_ || ts_ns < first_ts_ns_) first_ts_ns_ = ts_ns;
    if (!written_ || ts_ns > last_ts_ns_) last_ts_ns_ = ts_ns;
    written_ = true;
  }
  void StartDue(double done, int64_t now_ns, int64_t shift_ns);
  void FlushUntil(int64_t order_ns);

  // A queued legitimate frame; its bytes are in arena_.
  struct Pending {
    int64_t order_ns, ts_ns;
    size_t at, len;
  };
  // SessionWriter's sink for one legitimate session.
  class Collector;

  CaptureWriter& out_;
  Rng rng_;
  Endpoint server_;
  std::vector<double> places_;  // share of the attack done at which each session starts
  size_t next_ = 0;
  uint64_t started_ = 0;
  std::vector<Pending> pending_;  // by order_ns
  size_t head_ = 0;
  std::string arena_;
  uint64_t attack_packets_ = 0;
  bool written_ = false;
  int64_t first_ts_ns_ = 0, last_ts_ns_ = 0;
};

// The legitimate session: a GET of kLegitUri with kLegitUserAgent and its
// small 200 response.
Session LegitSession(Rng& rng, const Endpoint& server);

}  // namespace kagami::gen
