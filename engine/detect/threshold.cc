#include "engine/detect/threshold.h"

#include <algorithm>

namespace kagami::detect {

using Type = rules::ThresholdOption::Type;
using Track = rules::ThresholdOption::Track;

Suppressed CheckSuppressions(const std::vector<rules::Suppression>& suppressions, const decode::Packet& p) {
  using T = rules::Suppression::Track;
  bool whole_rule = false;
  for (const rules::Suppression& s : suppressions) {
    switch (s.track) {
      case T::kAll: whole_rule = true; break;
      case T::kBySrc:
        if (s.addresses.Contains(p.src)) return Suppressed::kByAddress;
        break;
      case T::kByDst:
        if (s.addresses.Contains(p.dst)) return Suppressed::kByAddress;
        break;
      case T::kByEither:
        if (s.addresses.Contains(p.src) || s.addresses.Contains(p.dst)) return Suppressed::kByAddress;
        break;
    }
  }
  return whole_rule ? Suppressed::kWholeRule : Suppressed::kNo;
}

bool CountsAcrossFlows(const rules::Rule& rule) {
  auto across = [](const std::optional<rules::ThresholdOption>& o) { return o && o->track != Track::kByFlow; };
  return across(rule.threshold) || across(rule.detection_filter);
}

bool PassesRateLimits(ThresholdTracker& tracker, const rules::Rule& rule, const decode::Packet& p, int64_t ts_ns) {
  const uint64_t key = RateKeyOf(rule);
  if (rule.detection_filter && !tracker.DetectionFilter(key, *rule.detection_filter, p, ts_ns)) return false;
  if (rule.threshold && !tracker.Threshold(key, *rule.threshold, p, ts_ns)) return false;
  return true;
}

IndicatorVerdict DecideIndicatorAlert(ThresholdTracker& tracker, const rules::IndicatorTuning& tuning, uint32_t sid,
                                      const decode::Packet& p, int64_t ts_ns, bool defer_cross_flow,
                                      const rules::ThresholdOption** deferred_threshold) {
  const rules::IndicatorTuning::Sid* own = tuning.Find(sid);
  const Suppressed all =
      tuning.all_suppressions.empty() ? Suppressed::kNo : CheckSuppressions(tuning.all_suppressions, p);
  const Suppressed mine = own && !own->suppressions.empty() ? CheckSuppressions(own->suppressions, p) : Suppressed::kNo;
  // A rule suppressed whole still counts toward its thresholds, for its
  // action's sake (a pass rule passes); an indicator alert has no action,
  // so a suppressed one is simply not logged.
  if (all != Suppressed::kNo || mine != Suppressed::kNo) return IndicatorVerdict::kDrop;
  const rules::ThresholdOption* threshold = tuning.ThresholdFor(own);
  if (!threshold) return IndicatorVerdict::kLog;
  if (defer_cross_flow && threshold->track != Track::kByFlow) {
    *deferred_threshold = threshold;
    return IndicatorVerdict::kDefer;
  }
  return tracker.Threshold(IndicatorRateKey(sid), *threshold, p, ts_ns) ? IndicatorVerdict::kLog
                                                                         : IndicatorVerdict::kDrop;
}

ThresholdTracker::ThresholdTracker() { table_.reserve(1024); }

void ThresholdTracker::Purge(int64_t now) {
  absl::erase_if(table_, [now](const auto& kv) {
    const State& s = kv.second;
    return s.window_ns > 0 && now - s.window_start >= s.window_ns;
  });
  if (table_.size() >= kMaxEntries) table_.clear();
}

bool ThresholdTracker::Check(uint64_t rule, uint32_t kind, const rules::ThresholdOption& opt,
                             const decode::Packet& p, int64_t ts_ns) {
  Key key;
  key.rule = rule;
  key.kind = kind;
  switch (opt.track) {
    case Track::kBySrc: key.a = KeyOf(p.src); break;
    case Track::kByDst: key.a = KeyOf(p.dst); break;
    case Track::kByRule: break;
    case Track::kByBoth: {
      // Both directions between the same pair count together.
      AddrKey s = KeyOf(p.src), d = KeyOf(p.dst);
      key.a = std::min(s, d);
      key.b = std::max(s, d);
      break;
    }
    case Track::kByFlow: {
      // Both directions of one 5-tuple (and VLAN) are one flow.
      AddrKey s = KeyOf(p.src), d = KeyOf(p.dst);
      bool src_low = s < d || (s == d && p.src_port <= p.dst_port);
      key.a = src_low ? s : d;
      key.b = src_low ? d : s;
      uint16_t low_port = src_low ? p.src_port : p.dst_port;
      uint16_t high_port = src_low ? p.dst_port : p.src_port;
      key.ports = (uint64_t{low_port} << 48) | (uint64_t{high_port} << 32) | (uint64_t{p.ip_proto} << 16) |
                  (p.vlan_count ? p.vlan_id[0] : 0);
      break;
    }
  }
  if (table_.size() >= kMaxEntries) Purge(ts_ns);
  const int64_t window = static_cast<int64_t>(opt.seconds) * 1'000'000'000;
  auto [it, inserted] = table_.try_emplace(key);
  State& s = it->second;
  const bool expired = window > 0 && ts_ns - s.window_start >= window;
  if (inserted || expired) {
    s.window_start = ts_ns;
    s.window_ns = window;
    s.count = 1;
    s.alerted = false;
    s.distinct.clear();
  } else {
    ++s.count;
  }
  const uint32_t n = std::max<uint32_t>(opt.count, 1);
  if (kind == 1) {
    if (opt.unique_on != rules::ThresholdOption::UniqueOn::kNone) {
      // Distinct ports in the window, not matches; only count+1 of them
      // need remembering to know the count was exceeded.
      const uint16_t port = opt.unique_on == rules::ThresholdOption::UniqueOn::kSrcPort ? p.src_port : p.dst_port;
      if (std::find(s.distinct.begin(), s.distinct.end(), port) == s.distinct.end() &&
          s.distinct.size() <= opt.count) {
        s.distinct.push_back(port);
      }
      return s.distinct.size() > opt.count;
    }
    return s.count > opt.count;  // detection_filter: rate exceeded
  }
  if (opt.type == Type::kBackoff) {
    // Alerts on match count, count*m, count*m^2, ...: a noisy flow keeps
    // reporting, ever less often.
    if (s.next_alert == 0) s.next_alert = n;
    if (s.count != s.next_alert) return false;
    s.next_alert = s.next_alert * std::max<uint32_t>(opt.multiplier, 2);
    return true;
  }
  switch (opt.type) {
    case Type::kLimit:
      return s.count <= n;
    case Type::kThreshold:
      if (s.count >= n) {
        s.count = 0;
        return true;
      }
      return false;
    case Type::kBoth:
      if (s.count >= n && !s.alerted) {
        s.alerted = true;
        return true;
      }
      return false;
    case Type::kDetectionFilter:
      return s.count > opt.count;
    case Type::kBackoff:
      break;  // handled above
  }
  return true;
}

}  // namespace kagami::detect
