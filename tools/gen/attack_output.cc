#include "tools/gen/attack_output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tools/gen/attacks.h"
#include "tools/gen/benign_traffic.h"
#include "tools/gen/session_writer.h"

namespace kagami::gen {

class AttackOutput::Collector final : public PacketSink {
 public:
  Collector(AttackOutput& owner, int64_t shift_ns) : owner_(owner), shift_ns_(shift_ns) {}
  void WritePacket(int64_t ts_ns, std::span<const uint8_t> frame) override {
    owner_.pending_.push_back({ts_ns, ts_ns + shift_ns_, owner_.arena_.size(), frame.size()});
    owner_.arena_.append(reinterpret_cast<const char*>(frame.data()), frame.size());
  }

 private:
  AttackOutput& owner_;
  int64_t shift_ns_;
};

AttackOutput::AttackOutput(CaptureWriter& out, uint64_t legit, uint64_t legit_seed, Endpoint legit_server)
    : out_(out), rng_(legit_seed), server_(std::move(legit_server)) {
  // Evenly from the first packet to the last: with four, at the start, a
  // third, two thirds and the end; one alone goes in the middle.
  for (uint64_t i = 0; i < legit; ++i) {
    places_.push_back(legit == 1 ? 0.5 : static_cast<double>(i) / static_cast<double>(legit - 1));
  }
}

Session LegitSession(Rng& rng, const Endpoint& server) {
  Session s;
  s.transport = Transport::kTcp;
  s.label = "legit/http";
  s.client = {absl::StrCat("10.99.", rng.Below(256), ".", rng.Between(1, 254)), EphemeralPort(rng)};
  s.server = server;
  s.messages.push_back({true, absl::StrCat("GET ", kLegitUri,
                                           " HTTP/1.1\r\n"
                                           "Host: intranet.kagami.test\r\n"
                                           "User-Agent: ",
                                           kLegitUserAgent,
                                           "\r\n"
                                           "Accept: */*\r\n"
                                           "Connection: close\r\n\r\n")});
  s.messages.push_back({false,
                        "HTTP/1.1 200 OK\r\n"
                        "Content-Type: text/plain\r\n"
                        "Content-Length: 3\r\n"
                        "Connection: close\r\n\r\n"
                        "ok\n"});
  return s;
}

void AttackOutput::StartDue(double done, int64_t now_ns, int64_t shift_ns) {
  for (; next_ < places_.size() && places_[next_] <= done; ++next_) {
    // Each session from a writer of its own, starting now: one writer for
    // all would start each where the previous one ended.
    SessionWriterOptions wo;
    wo.concurrency = 1;
    wo.start_ns = now_ns;
    Collector collector(*this, shift_ns);
    SessionWriter writer(wo, rng_.Next(), &collector);
    writer.Add(LegitSession(rng_, server_));
    writer.Finish();
    ++started_;
  }
  // Sessions may overlap one another; the queue stays in time order (stable,
  // so one session's frames keep their order on equal times).
  std::stable_sort(pending_.begin() + static_cast<std::ptrdiff_t>(head_), pending_.end(),
                   [](const Pending& a, const Pending& b) { return a.order_ns < b.order_ns; });
}

void AttackOutput::FlushUntil(int64_t order_ns) {
  while (head_ < pending_.size() && pending_[head_].order_ns <= order_ns) {
    const Pending& p = pending_[head_++];
    Put(p.ts_ns, std::span(reinterpret_cast<const uint8_t*>(arena_.data()) + p.at, p.len));
  }
  if (head_ == pending_.size()) {
    pending_.clear();
    arena_.clear();
    head_ = 0;
  }
}

void AttackOutput::Finish(int64_t now_ns, int64_t shift_ns) {
  StartDue(1.0, now_ns, shift_ns);
  FlushUntil(INT64_MAX);
}

}  // namespace kagami::gen
