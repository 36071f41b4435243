#pragma once
// threshold.in -> the installed threshold file, byte for byte, once every
// line has passed Kagami's threshold.config parser (rules/threshold_config.h):
// a file the engine would refuse at start is not installed. suricata-update
// also expands `re:` patterns in threshold.in into one line per matching
// rule; that is not done here (such a line is an error).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"

namespace kagami::rules::update {

struct ThresholdCheck {
  std::vector<rules::Diagnostic> diagnostics;  // file:line:col, errors and warnings
  size_t errors = 0;
};

// Checks threshold.in text; `variables` (names without '$') as for the
// rules, for suppress ip expressions.
ThresholdCheck CheckThresholdText(std::string_view text, std::string_view name,
                                  const std::map<std::string, std::string>& variables = {});

// Reads `in_path`, checks it and, when it has no error, writes it
// unchanged to `out_path` (WriteFileAtomically). False when the file
// cannot be read or written (why in *error) or has errors (in *check).
bool CopyThresholdFile(const std::string& in_path, const std::string& out_path,
                       const std::map<std::string, std::string>& variables, ThresholdCheck* check, std::string* error);

}  // namespace kagami::rules::update
