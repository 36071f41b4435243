#include "rules/update/acceptance.h"

#include <cstdio>

#include "rules/text_util.h"

namespace kagami::rules::update {

AcceptanceCheck CheckMergedRules(std::string_view merged, std::string_view name, const LoadOptions& options,
                                 size_t max_errors) {
  AcceptanceCheck check;
  RuleSet set = ParseRules(merged, name, options);
  check.loaded = set.rules.size();
  for (Diagnostic& d : set.diagnostics) {
    if (d.severity != Diagnostic::Severity::kError) continue;
    ++check.failed;
    if (check.first_errors.size() < max_errors) check.first_errors.push_back(std::move(d));
  }
  return check;
}

namespace {

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %%", share * 100.0);
  return buf;
}

}  // namespace

RefusalDecision DecideRefusal(const AcceptanceCheck& check, size_t new_enabled, std::optional<size_t> previous_enabled,
                              const RefusalPolicy& policy) {
  RefusalDecision d;
  if (check.total() == 0 || new_enabled == 0) {
    d.refuse = true;
    d.reason = "the new rule set has no enabled rule";
    return d;
  }
  const double failed_share = static_cast<double>(check.failed) / static_cast<double>(check.total());
  if (failed_share > policy.max_failed_share) {
    d.refuse = true;
    d.reason = Cat(check.failed, " of ", check.total(), " enabled rules fail to load (", Percent(failed_share),
                   ", more than ", Percent(policy.max_failed_share), ")");
    return d;
  }
  if (previous_enabled && *previous_enabled > 0) {
    const double kept = static_cast<double>(new_enabled) / static_cast<double>(*previous_enabled);
    if (kept < policy.min_previous_share) {
      d.refuse = true;
      d.reason = Cat("the new rule set has ", new_enabled, " enabled rules, ", Percent(kept), " of the previous ",
                     *previous_enabled, " (less than ", Percent(policy.min_previous_share),
                     "): a truncated download?");
      return d;
    }
  }
  return d;
}

}  // namespace kagami::rules::update
