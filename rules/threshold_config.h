#pragma once
// threshold.config: Suricata's sensor-side alert tuning file.
//
//   threshold    gen_id G, sig_id S, type limit|threshold|both, track T, count N, seconds N
//   event_filter (same as threshold)
//   suppress     gen_id G, sig_id S
//   suppress     gen_id G, sig_id S, track by_src|by_dst|by_either, ip ADDRESS
//   rate_filter  gen_id G, sig_id S, track T, count N, seconds N, new_action A, timeout N
//
// T is by_src, by_dst, by_rule, by_both or by_flow. ADDRESS is a rule-header
// address expression: IPv4/IPv6, CIDR, [lists], !negation, $VARIABLES.
// '#' comments, blank lines and trailing-backslash continuation lines as in
// rule files. sig_id 0 means every rule of gen_id G; gen_id 0 with sig_id 0
// means every rule. Parsing builds a model; ApplyThresholdConfig attaches it
// to a RuleSet before the engine is compiled. rate_filter is parsed and
// checked but not applied (a warning says so).
//
// Indicator alerts (engine/intel) are gen_id 9000 with a stable sid per
// indicator: entries for gen_id 9000 (and gen_id 0, sig_id 0) apply to them
// too, collected in an IndicatorTuning that the pipeline consults per alert.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/rule.h"

namespace kagami::rules {

struct ThresholdEntry {
  enum class Kind : uint8_t { kThreshold, kEventFilter, kSuppress, kRateFilter };
  Kind kind = Kind::kThreshold;
  uint32_t gid = 0, sid = 0;  // sid 0: every rule of gid (gid 0 too: every rule)
  // kThreshold / kEventFilter: type, track, count, seconds.
  // kRateFilter: track, count, seconds (type unused).
  ThresholdOption threshold;
  Suppression suppression;  // kSuppress; its location is the entry's
  std::string new_action;   // kRateFilter: alert, drop, pass, log, sdrop or reject
  uint32_t timeout = 0;     // kRateFilter
  SourceLocation location;  // start of the entry
};

struct ThresholdConfig {
  std::vector<ThresholdEntry> entries;  // in file order; bad lines are left out
  std::vector<Diagnostic> diagnostics;
  size_t error_count() const;
};

// Parses threshold.config text; `file_name` labels diagnostics. `variables`
// (names without '$') override Suricata's defaults (DefaultVariables()) for
// suppress ip expressions, as LoadOptions::variables does for rules.
ThresholdConfig ParseThresholdConfig(std::string_view text, std::string_view file_name,
                                     const std::map<std::string, std::string>& variables = {});

// Reads and parses a file; an unreadable file is one error diagnostic.
ThresholdConfig LoadThresholdConfig(const std::string& path,
                                    const std::map<std::string, std::string>& variables = {});

// gen_id and sid range of indicator alerts: intel::kIntelGid and
// intel::kIntelSidFirst/Last (rules/ does not depend on engine/intel; the
// pipeline checks they agree).
inline constexpr uint32_t kIndicatorGid = 9000;
inline constexpr uint32_t kIndicatorSidFirst = 1'000'000'000;
inline constexpr uint32_t kIndicatorSidLast = 1'999'999'999;

// The entries that apply to indicator alerts, with the semantics rules get:
// suppressions of the sid, of gen_id 9000 sig_id 0 and of gen_id 0 sig_id 0
// all apply (checked before thresholds); the threshold is the sid's own
// entry (the last one), else the first sig_id 0 entry of gen_id 9000 or 0
// (an indicator has no threshold of its own to keep).
struct IndicatorTuning {
  struct Named {  // an entry naming one sid, for CheckIndicatorSids
    ThresholdEntry::Kind kind = ThresholdEntry::Kind::kSuppress;
    SourceLocation location;
  };
  struct Sid {
    uint32_t sid = 0;
    std::vector<Suppression> suppressions;
    std::optional<ThresholdOption> threshold;
    // Entries for this sid that named no rule either (a rule may have gen_id
    // 9000 too): each is a warning if no loaded indicator has the sid.
    std::vector<Named> named;
  };
  std::vector<Sid> sids;                      // sorted by sid, one each
  std::vector<Suppression> all_suppressions;  // sig_id 0 of gen_id 9000 or 0
  std::optional<ThresholdOption> all_threshold;

  bool empty() const { return sids.empty() && all_suppressions.empty() && !all_threshold; }
  // The entries of one sid; null when none names it. A binary search: no
  // allocation, called per alert.
  const Sid* Find(uint32_t sid) const;
  // The threshold an indicator with this sid gets (`s` from Find); null: none.
  const ThresholdOption* ThresholdFor(const Sid* s) const {
    if (s && s->threshold) return &*s->threshold;
    return all_threshold ? &*all_threshold : nullptr;
  }
};

// Attaches the entries to the rules they name, with Suricata's semantics:
//  - suppress without track: the rule never alerts; with track/ip: alerts
//    whose tracked address is in the set are not logged.
//  - threshold/event_filter naming one rule replaces that rule's threshold
//    (or, when it has none, its detection_filter); a later entry for the same
//    rule replaces an earlier one.
//  - threshold/event_filter with sig_id 0 applies to the rules of the gid (or
//    all rules) that have neither a threshold nor a detection_filter of their
//    own and no single-rule entry; the first such entry in the file wins.
//  - rate_filter is not supported: a warning, nothing applied.
// Entries naming no loaded rule give a warning, except those that may name
// indicators (gen_id 9000, gen_id 0 sig_id 0): they go to `indicators` (when
// given), and a gen_id 9000 sid no indicator can have (outside
// kIndicatorSidFirst..Last) is a warning at once. Whether a loaded indicator
// has the sid is known only once the feeds are loaded: CheckIndicatorSids.
void ApplyThresholdConfig(RuleSet& set, const ThresholdConfig& config, std::vector<Diagnostic>* diagnostics,
                          IndicatorTuning* indicators = nullptr);

// A warning for each gen_id 9000 entry of `tuning` whose sid no loaded
// indicator has (`loaded(sid)` false), like the rule case.
void CheckIndicatorSids(const IndicatorTuning& tuning, const std::function<bool(uint32_t)>& loaded,
                        std::vector<Diagnostic>* diagnostics);

}  // namespace kagami::rules
