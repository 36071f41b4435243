#pragma once
// Per-context alert rate control for the threshold and detection_filter
// keywords, keyed by (rule, kind, tracked address(es)) with packet time, and
// the threshold.config suppress check. (threshold.config thresholds arrive
// already written into Rule::threshold by rules::ApplyThresholdConfig; those
// for indicator alerts in a rules::IndicatorTuning, see DecideIndicatorAlert.)
//
// Allocation: the table is reserved up front; a new key may still allocate
// when the table grows. When it reaches kMaxEntries, expired entries are
// purged, and if that is not enough the table is cleared (rate state is
// best-effort, like Suricata's bounded threshold hash). State is per worker:
// with several workers a source spread over them is counted per worker.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/decode/packet.h"
#include "engine/detect/address_matcher.h"
#include "engine/detect/detect_engine.h"
#include "rules/rule.h"
#include "rules/threshold_config.h"

namespace kagami::detect {

// threshold.config suppressions of one rule against a packet, checked before
// its thresholds as Suricata does.
enum class Suppressed : uint8_t {
  kNo,
  kByAddress,  // a track/ip entry covers the packet: not logged, thresholds not consulted
  kWholeRule,  // a suppress entry without track: the rule never alerts
};
Suppressed CheckSuppressions(const std::vector<rules::Suppression>& suppressions, const decode::Packet& p);

// A rule's threshold or detection_filter counts matches across flows (any
// track but by_flow): with several workers the count needs every worker's
// matches, so such rules are decided where the workers' alerts meet.
bool CountsAcrossFlows(const rules::Rule& rule);

// What rate state is kept under: the rule's gid:sid, not its place in an
// engine, so the counts carry over a rule reload for every rule that is
// still there (as Suricata keys thresholds by gid and sid).
inline uint64_t RateKeyOf(const rules::Rule& rule) { return uint64_t{rule.gid} << 32 | rule.sid; }

class ThresholdTracker;
// The rate part of a rule's alert decision: detection_filter, then
// threshold (suppressions are checked before, by the caller).
bool PassesRateLimits(ThresholdTracker& tracker, const rules::Rule& rule, const decode::Packet& p, int64_t ts_ns);

class ThresholdTracker {
 public:
  static constexpr size_t kMaxEntries = 1 << 16;
  ThresholdTracker();

  // detection_filter: true when this match may alert (the rate was exceeded).
  bool DetectionFilter(uint64_t rule, const rules::ThresholdOption& opt, const decode::Packet& p,
                       int64_t ts_ns) {
    return Check(rule, 1, opt, p, ts_ns);
  }
  // threshold: true when this match may alert.
  bool Threshold(uint64_t rule, const rules::ThresholdOption& opt, const decode::Packet& p,
                 int64_t ts_ns) {
    return Check(rule, 0, opt, p, ts_ns);
  }
  size_t size() const { return table_.size(); }

 private:
  struct Key {
    AddrKey a = 0, b = 0;
    uint64_t ports = 0;  // by_flow: ports, protocol and VLAN of the 5-tuple
    uint64_t rule = 0;   // RateKeyOf
    uint32_t kind = 0;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), static_cast<uint64_t>(k.a), static_cast<uint64_t>(k.a >> 64),
                        static_cast<uint64_t>(k.b), static_cast<uint64_t>(k.b >> 64), k.ports, k.rule, k.kind);
    }
  };
  struct State {
    int64_t window_start = 0;
    int64_t window_ns = 0;
    uint32_t count = 0;
    bool alerted = false;
    uint64_t next_alert = 0;        // backoff: the match number that alerts next
    std::vector<uint16_t> distinct; // unique_on: ports seen in the window
  };

  bool Check(uint64_t rule, uint32_t kind, const rules::ThresholdOption& opt, const decode::Packet& p,
             int64_t ts_ns);
  void Purge(int64_t now);

  absl::flat_hash_map<Key, State> table_;
};

// ---- Indicator alerts (gen_id 9000) ----

// Rate state of an indicator's alerts: gid:sid, like a rule's (RateKeyOf).
inline uint64_t IndicatorRateKey(uint32_t sid) { return uint64_t{rules::kIndicatorGid} << 32 | sid; }

enum class IndicatorVerdict : uint8_t {
  kLog,
  kDrop,   // suppressed, or its threshold said no
  kDefer,  // its threshold counts across flows: decided where every worker's alerts meet
};
// threshold.config for one indicator alert, where its worker handles it, in
// the order rules get: suppressions (of the sid and of sig_id 0), then the
// threshold. With `defer_cross_flow` (several workers) a threshold that
// tracks anything but the flow is not applied here: kDefer, and
// *deferred_threshold is what the writer applies (ThresholdTracker::
// Threshold under IndicatorRateKey). No allocation but a new tracker key.
IndicatorVerdict DecideIndicatorAlert(ThresholdTracker& tracker, const rules::IndicatorTuning& tuning, uint32_t sid,
                                      const decode::Packet& p, int64_t ts_ns, bool defer_cross_flow,
                                      const rules::ThresholdOption** deferred_threshold);



}  // namespace kagami::detect
