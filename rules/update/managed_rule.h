#pragma once
// A rule as the update step sees it: its text, whether it is enabled or
// commented out, and the few fields the management files match on. Only
// the rule lexer runs (rules/rule_lexer.h), not the full parser: a set of
// 60,000 rules is read in a fraction of what loading it costs, and the
// acceptance check (acceptance.h) runs the real loader on the result.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"

namespace kagami::rules::update {

struct RuleId {
  uint32_t gid = 1, sid = 0;
  friend bool operator==(const RuleId&, const RuleId&) = default;
  friend auto operator<=>(const RuleId&, const RuleId&) = default;
};

struct ManagedRule {
  std::string file;  // the source file's base name (what group: matches)
  int line = 0;      // its first physical line in that file
  bool enabled = true;
  // The rule without its comment marker, continuation lines joined (as
  // the loader joins them), trailing space dropped.
  std::string text;
  std::string action;  // first word, as written
  uint32_t gid = 1, sid = 0, rev = 0;
  std::string msg;                    // unquoted
  std::vector<std::string> metadata;  // "key value" entries, trimmed, as written
  std::vector<std::string> flowbits;  // each flowbits option's value, as written
  bool noalert = false;               // `noalert;` or `flowbits:noalert;`

  RuleId id() const { return {gid, sid}; }
  // The line written to a rule file: disabled rules commented out with
  // "# ", as suricata-update writes them.
  std::string Format() const { return enabled ? text : "# " + text; }
};

// What one logical line (continuations joined) turned out to be.
struct LineParse {
  enum class Kind { kRule, kComment, kError };
  Kind kind = Kind::kComment;
  ManagedRule rule;       // kRule (file and line left for the caller)
  size_t error_offset = 0;  // kError: offset in the logical line
  std::string error;
};

// A line starting with '#' is a disabled rule when, after the '#'s and
// blanks, it starts with a rule action (alert, drop, pass, reject, log,
// sdrop, activate, dynamic: suricata-update's list) and lexes as a rule
// with a sid; otherwise it is a comment. Any other non-blank line must be
// a rule with a sid, or it is an error.
LineParse ParseRuleLine(std::string_view logical);

struct RuleText {
  std::vector<ManagedRule> rules;  // in file order, duplicates kept
  std::vector<rules::Diagnostic> diagnostics;
};

// Reads one rule file's text: blank and comment lines skipped, lines
// ending in '\' joined with the next (also for a commented-out rule, whose
// continuation lines may repeat the '#'), errors as file:line:col with
// the offending line quoted. `name` is the file's base name.
RuleText ReadRuleText(std::string_view text, std::string_view name);

}  // namespace kagami::rules::update
