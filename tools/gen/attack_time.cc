// time-backwards: ordinary benign sessions whose capture clock jumps back
// by minutes at random packets (a capture host whose clock was stepped, or
// captures concatenated out of order), with packets written twice now and
// then (a SPAN port that sees both directions of a trunk). The sessions
// themselves are valid; only time and repetition are wrong.
#include "tools/gen/attack_kinds.h"
#include "tools/gen/benign_traffic.h"
#include "tools/gen/session_writer.h"

namespace kagami::gen {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
// About one packet in this many moves the clock back.
constexpr uint64_t kPacketsPerJump = 1000;
constexpr double kDuplicateChance = 0.1;
// Bodies stay under this so that the default count makes a capture of a
// few hundred megabytes, not gigabytes.
constexpr uint64_t kSessionBudget = 64 << 10;

// SessionWriter's sink: shifts each packet's time by the jumps so far and
// sometimes writes it twice. The writer's own time still orders the
// packets among the legitimate ones.
class TimeWarp final : public PacketSink {
 public:
  TimeWarp(Rng& rng, AttackOutput& out) : rng_(rng), out_(out) {}
  void WritePacket(int64_t ts_ns, std::span<const uint8_t> frame) override {
    if (rng_.Below(kPacketsPerJump) == 0) {
      shift_ns_ -= static_cast<int64_t>(rng_.Between(60, 600)) * kSecond;
    }
    out_.Write(ts_ns, ts_ns + shift_ns_, frame);
    if (rng_.Chance(kDuplicateChance)) out_.Write(ts_ns, ts_ns + shift_ns_, frame);
  }
  int64_t shift_ns() const { return shift_ns_; }

 private:
  Rng& rng_;
  AttackOutput& out_;
  int64_t shift_ns_ = 0;
};

}  // namespace

void WriteTimeBackwards(AttackRun& run) {
  Rng content(run.rng.Next()), timing(run.rng.Next());
  TimeWarp warp(timing, run.out);
  SessionWriterOptions wo;
  wo.start_ns = run.now_ns;
  SessionWriter writer(wo, run.rng.Next(), &warp);
  BenignTraffic benign(TrafficMix{}, 0);
  for (uint64_t i = 0; i < run.count; ++i) {
    // A legitimate session starts on the clock as it reads now, jumps
    // included, and keeps that clock (it is not itself the attack).
    run.out.At(static_cast<double>(i) / static_cast<double>(run.count), writer.now_ns(), warp.shift_ns());
    Session s = benign.Next(content, writer.now_ns(), kSessionBudget);
    s.label = "attack/time-backwards";
    writer.Add(std::move(s));
  }
  writer.Finish();
  run.now_ns = writer.now_ns();
  run.out.Finish(run.now_ns, warp.shift_ns());
}

}  // namespace kagami::gen
