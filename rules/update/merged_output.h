#pragma once
// The merged rule file: one text holding every rule of every source, the
// disabled ones commented out with "# " (as suricata-update writes them),
// so Kagami's loader skips them and the next update still sees them.
//
// Order: files by name (as ReadSources reads them), then the rules of each
// file in file order, each file's block headed by "# file: NAME". The
// header names the sources and counts the rules; it holds no time stamp,
// so the same inputs give the same bytes and an unchanged update can be
// recognised by comparing files.

#include <string>
#include <vector>

#include "rules/update/managed_rule.h"

namespace kagami::rules::update {

// `sources`: what the caller calls its sources (a name or URL each); the
// file names come from the rules.
std::string FormatMergedRules(const std::vector<std::string>& sources, const std::vector<ManagedRule>& rules);

}  // namespace kagami::rules::update
