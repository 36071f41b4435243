#pragma once
// The rule files of every source, read and merged into one rule per
// gid:sid. A source is a list of named files: the members of a tarball
// under their base names (emerging-dns.rules), or the one file of a plain
// .rules URL.

#include <string>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/update/managed_rule.h"

namespace kagami::rules::update {

struct RuleFile {
  std::string name;  // base name: what group: and filename: match
  std::string text;
};

// The same gid:sid in two places: the rule kept and the one dropped.
struct DuplicateRule {
  RuleId id;
  uint32_t kept_rev = 0, dropped_rev = 0;
  SourceLocation kept, dropped;  // file and line
};

struct SourceSet {
  std::vector<std::string> files;  // names, in the order read
  // One rule per gid:sid, ordered by file (as read) then line.
  std::vector<ManagedRule> rules;
  std::vector<DuplicateRule> duplicates;
  std::vector<rules::Diagnostic> diagnostics;  // bad lines (errors), duplicates (warnings)
};

// Reads the files in name order (a stable sort: files with the same name
// keep the order given), as suricata-update does, so the result does not
// depend on the order downloads finished. Of rules with the same gid:sid
// the highest rev is kept; of equal revs, the first read.
SourceSet ReadSources(std::vector<RuleFile> files);

}  // namespace kagami::rules::update
