#pragma once
// suricata-update's rule management files, same syntax:
//
//   enable.conf, disable.conf, drop.conf: one matcher per line
//     (rule_matcher.h: sid, gid:sid[:rev], lists, re:, group:, filename:,
//     metadata:, *).
//   modify.conf: <matcher> "<from regex>" "<to replacement>", words split
//     like a shell (shell_words.h); the replacement is Python's template
//     syntax (\1, \g<1>, \g<name>) and Oinkmaster's ${1} is read as \1.
//     Oinkmaster's form `modifysid <matcher> "<from>" | "<to>"` is read
//     too. `\$` anywhere in the line is a plain `$` (suricata-update
//     removes that backslash before splitting).
//
// Blank lines and lines whose first non-blank character is '#' are
// skipped; " #" (a space and '#') starts a trailing comment, outside
// quotes on modify.conf lines (suricata-update cuts at the first " #"
// even inside quotes, which breaks the line; here it does not).
//
// Unlike suricata-update, which logs a line it cannot read and goes on,
// every bad line is an error diagnostic (file:line:col, the line quoted)
// and left out; a caller should not apply a file with errors (a missing
// disable would turn rules on that were meant to stay off).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/update/regex.h"
#include "rules/update/rule_matcher.h"

namespace kagami::rules::update {

enum class ManagementKind : uint8_t { kDisable, kEnable, kDrop, kModify };

// "disable", "enable", "drop", "modify".
std::string_view ManagementKindName(ManagementKind kind);

struct ManagementEntry {
  ManagementKind kind = ManagementKind::kDisable;
  SourceLocation location;  // the line, column of its first word
  std::string line;         // as written, trimmed
  RuleMatcher matcher;
  Regex from;        // kModify: case-sensitive, as suricata-update compiles it
  Replacement to;    // kModify
};

struct Management {
  std::vector<ManagementEntry> disable, enable, drop, modify;
  std::vector<rules::Diagnostic> diagnostics;
  size_t error_count() const;
  bool empty() const { return disable.empty() && enable.empty() && drop.empty() && modify.empty(); }
};

// Parses one file's text (`file_name` labels diagnostics) and adds its
// entries to `into`, after those already there: several files of one
// kind apply in the order they were added.
void ParseManagementFile(ManagementKind kind, std::string_view text, std::string_view file_name, Management* into);

}  // namespace kagami::rules::update
