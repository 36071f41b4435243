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

#include <cstdint>
#include <map>
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
// Entries naming no loaded rule give a warning.
void ApplyThresholdConfig(RuleSet& set, const ThresholdConfig& config, std::vector<Diagnostic>* diagnostics);

}  // namespace kagami::rules
