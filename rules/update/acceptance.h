#pragma once
// Whether a merged rule set is fit to install: it is loaded with Kagami's
// own rule loader (rules::ParseRules, the parser `kagami rules check` and
// every scan use; Hyperscan compilation is not run here), and refused when
// too many of its rules fail or when it is much smaller than the set it
// replaces (a truncated download still parses).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/rule_loader.h"

namespace kagami::rules::update {

struct AcceptanceCheck {
  size_t loaded = 0;  // enabled rules the loader accepted
  size_t failed = 0;  // error diagnostics (one per rejected rule)
  std::vector<rules::Diagnostic> first_errors;  // the first few, in file order
  size_t total() const { return loaded + failed; }
};

// Loads `merged` (named `name` in diagnostics) with `options` (variables,
// classification file), keeping up to `max_errors` errors.
AcceptanceCheck CheckMergedRules(std::string_view merged, std::string_view name, const LoadOptions& options = {},
                                 size_t max_errors = 10);

struct RefusalPolicy {
  // Refuse when more than this share of the enabled rules fail to load.
  // 5 %: ET Open loads with well under 1 % failing, so more means the
  // download or the engine changed in a way someone should look at.
  double max_failed_share = 0.05;
  // Refuse when the new set has fewer enabled rules than this share of
  // the previous set's. One half: ET Open's size moves by a few percent
  // between days, a truncated file loses far more; a deliberate large cut
  // (a new disable.conf) needs the caller's override.
  double min_previous_share = 0.5;
};

struct RefusalDecision {
  bool refuse = false;
  std::string reason;  // why, when refused
};

// `new_enabled`: enabled rules in the new merged set; `previous_enabled`:
// in the one it replaces, if there is one. A set with no enabled rule at
// all is always refused.
RefusalDecision DecideRefusal(const AcceptanceCheck& check, size_t new_enabled, std::optional<size_t> previous_enabled,
                              const RefusalPolicy& policy = {});

}  // namespace kagami::rules::update
