#pragma once
// classification.config: "config classification: name,description,priority"
// lines giving each classtype its EVE category and default priority.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/rule.h"

namespace kagami::rules {

using ClassificationTable = std::map<std::string, Classification, std::less<>>;

// Parses classification.config text; bad lines become diagnostics.
ClassificationTable ParseClassifications(std::string_view text, std::string_view name,
                                         std::vector<Diagnostic>* diagnostics);

// Reads and parses a file; an unreadable file is one diagnostic.
ClassificationTable LoadClassificationFile(const std::string& path, std::vector<Diagnostic>* diagnostics);

// The table shipped in rules/classification.config (read once, then cached).
const ClassificationTable& DefaultClassifications(std::vector<Diagnostic>* diagnostics);

}  // namespace kagami::rules
