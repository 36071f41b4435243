#pragma once
// Applying the management files to a merged rule set, in suricata-update's
// order. For each rule, in turn:
//
//   1. disable.conf: every matcher; a matching enabled rule is disabled.
//   2. enable.conf:  every matcher; a matching disabled rule is enabled
//      (so enable.conf wins over disable.conf for a rule both name).
//   3. drop.conf:    a matching rule gets the action `drop` (the first
//      word of its text is replaced), enabled or not; rules with
//      `noalert` (or flowbits:noalert) are left alone, as suricata-update
//      leaves them.
//   4. modify.conf:  each matching line's regex replaces every match in
//      the rule as written to the file ("# " in front when disabled, so a
//      modification can enable a rule), and the result is read again; a
//      result that is not a rule, spans lines or changes the gid:sid is an
//      error and the rule keeps its text. Lines apply in file order, each
//      to the result of the ones before.
//
// (suricata-update: main.py, the loop over the rule map after
// build_rule_map; DropRuleFilter.match skips noalert rules.)
//
// Then flowbits (suricata-update's resolve_flowbits): while some enabled
// rule checks a flowbit (isset/isnotset) that only disabled rules set
// (set/setx/unset/toggle), those rules are enabled with `noalert;` added
// in front of their sid, so they feed the checks without alerting.

#include <vector>

#include "rules/diagnostic.h"
#include "rules/update/managed_rule.h"
#include "rules/update/management_files.h"

namespace kagami::rules::update {

struct ApplyOptions {
  bool resolve_flowbits = true;
};

// The rules each step changed, sorted by gid:sid. A rule disabled by
// disable.conf and enabled again by enable.conf is in both lists, as
// suricata-update counts it.
struct ManagementResult {
  std::vector<RuleId> disabled, enabled, dropped, modified, flowbits_enabled;
  // Warnings: a line that matched no rule, a modify line that matched but
  // changed nothing, a regex that hit its match limit. Errors: a
  // modification that made an invalid rule.
  std::vector<rules::Diagnostic> diagnostics;
};

ManagementResult ApplyManagement(const Management& management, std::vector<ManagedRule>* rules,
                                 const ApplyOptions& options = {});

}  // namespace kagami::rules::update
