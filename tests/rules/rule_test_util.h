#pragma once
// Helpers for rules/ tests: parse a snippet and get the one rule or the one
// error it produced.

#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "rules/rule_loader.h"

namespace kagami::rules::testing {

inline RuleSet Parse(std::string_view text, const LoadOptions& options = {}) {
  return ParseRules(text, "t.rules", options);
}

// Parses one rule that must load cleanly.
inline Rule One(std::string_view text, const LoadOptions& options = {}) {
  RuleSet set = Parse(text, options);
  for (const Diagnostic& d : set.diagnostics) ADD_FAILURE() << d.ToString() << "\n  in: " << text;
  if (set.rules.size() != 1) {
    ADD_FAILURE() << "expected one rule, got " << set.rules.size();
    return Rule{};
  }
  return set.rules[0];
}

// Parses text that must produce exactly one error; returns it as
// "line:col: message" (the file name left out).
inline std::string Error(std::string_view text, const LoadOptions& options = {}) {
  RuleSet set = Parse(text, options);
  if (set.diagnostics.size() != 1) {
    ADD_FAILURE() << "expected one diagnostic, got " << set.diagnostics.size() << " for: " << text;
    for (const Diagnostic& d : set.diagnostics) ADD_FAILURE() << d.ToString();
    return "";
  }
  const Diagnostic& d = set.diagnostics[0];
  return std::to_string(d.location.line) + ":" + std::to_string(d.location.column) + ": " + d.message;
}

// A rule with the given options and a plain tcp header.
inline std::string Tcp(std::string_view options) {
  return "alert tcp any any -> any any (" + std::string(options) + " sid:1;)";
}

}  // namespace kagami::rules::testing
