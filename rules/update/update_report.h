#pragma once
// What an update did: the merged set's size, duplicates, what changed
// against the previous merged file, and what each management file did,
// with the rules by gid:sid. Printable as text lines and as JSON.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/update/apply_management.h"
#include "rules/update/managed_rule.h"
#include "rules/update/source_set.h"

namespace kagami::rules::update {

// A rule in both sets whose written line differs (as suricata-update's
// "modified"): its rev, its text, or whether it is enabled.
struct RuleChange {
  RuleId id;
  uint32_t old_rev = 0, new_rev = 0;
  bool was_enabled = false, is_enabled = false;
  bool rev_changed() const { return old_rev != new_rev; }
  bool enabled_changed() const { return was_enabled != is_enabled; }
};

struct UpdateReport {
  std::vector<std::string> sources;
  std::vector<std::string> files;
  size_t total = 0, enabled = 0;  // the merged set
  std::vector<DuplicateRule> duplicates;

  bool has_previous = false;
  size_t previous_total = 0, previous_enabled = 0;
  std::vector<RuleId> added, removed;  // sorted
  std::vector<RuleChange> changed;     // sorted by id

  // What applying the management files did; its diagnostics (unmatched
  // lines, refused modifications) are also in UpdateResult::diagnostics.
  ManagementResult management;

  // One line per fact; long id lists are cut after `max_ids` (the JSON
  // has them all).
  std::vector<std::string> TextLines(size_t max_ids = 20) const;
  std::string Json() const;
};

// Fills added/removed/changed from the previous merged file's text (read
// the way sources are read); `previous` empty: no previous file.
void CompareWithPrevious(const std::vector<ManagedRule>& rules, std::optional<std::string_view> previous,
                         UpdateReport* report);

std::string FormatRuleId(const RuleId& id);  // "1:2019401"

}  // namespace kagami::rules::update
