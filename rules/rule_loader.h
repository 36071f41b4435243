#pragma once
// Loading rule files: variables, classification, include, multi-line rules,
// and one Diagnostic per problem. A rule with an error is dropped and the
// others load; LoadOptions::strict makes the caller treat any error as fatal.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.h"

namespace kagami::rules {

struct LoadOptions {
  // Address and port variables (without '$'). Suricata's default values are
  // filled in for names not given here (see DefaultVariables()).
  std::map<std::string, std::string> variables;
  // classification.config to use; empty = the one shipped in rules/.
  std::string classification_file;
  bool strict = false;
};

std::map<std::string, std::string> DefaultVariables();

// Loads every path: a file of rules, or a directory whose *.rules files load
// in name order. "include PATH" lines (relative to the including file) load
// further files. Never fails as a whole: problems become diagnostics.
RuleSet LoadRules(const std::vector<std::string>& paths, const LoadOptions& options);

// Checks one variable's value before any rule is read, with the rule
// parser itself: an address expression (any name but *_PORT/*_PORTS) or a
// port expression, other variables resolved as `variables` (names without
// '$') over Suricata's defaults. Empty when it is good, else why not, e.g.
// "expected an IP address, found 'foo'".
std::string CheckVariable(const std::string& name, const std::map<std::string, std::string>& variables);

// Parses rules from a string (tests, `rules test`); `name` labels diagnostics.
RuleSet ParseRules(std::string_view text, std::string_view name, const LoadOptions& options);

}  // namespace kagami::rules
