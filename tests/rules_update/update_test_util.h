#pragma once
// Helpers for rules/update tests: small rule lines, a source set from
// named texts, management files applied to it, and id lists to compare.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "rules/update/apply_management.h"
#include "rules/update/management_files.h"
#include "rules/update/source_set.h"

namespace kagami::rules::update::testing {

// A rule that Kagami's loader accepts; `extra` goes before sid.
inline std::string RuleLine(uint32_t sid, std::string_view extra = "", uint32_t rev = 1,
                            std::string_view action = "alert") {
  return std::string(action) + " tcp any any -> any any (msg:\"rule " + std::to_string(sid) + "\"; " +
         std::string(extra) + (extra.empty() ? "" : " ") + "sid:" + std::to_string(sid) +
         "; rev:" + std::to_string(rev) + ";)";
}

inline std::vector<RuleId> Ids(std::initializer_list<uint32_t> sids) {
  std::vector<RuleId> out;
  for (uint32_t s : sids) out.push_back({1, s});
  return out;
}

inline std::vector<RuleId> EnabledIds(const std::vector<ManagedRule>& rules) {
  std::vector<RuleId> out;
  for (const ManagedRule& r : rules) {
    if (r.enabled) out.push_back(r.id());
  }
  return out;
}

inline const ManagedRule* Find(const std::vector<ManagedRule>& rules, uint32_t sid, uint32_t gid = 1) {
  for (const ManagedRule& r : rules) {
    if (r.sid == sid && r.gid == gid) return &r;
  }
  return nullptr;
}

// Parses one management file that must have no error.
inline Management Parse(ManagementKind kind, std::string_view text, std::string_view name = "") {
  Management m;
  const std::string file = name.empty() ? std::string(ManagementKindName(kind)) + ".conf" : std::string(name);
  ParseManagementFile(kind, text, file, &m);
  for (const rules::Diagnostic& d : m.diagnostics) ADD_FAILURE() << d.ToString();
  return m;
}

// The one diagnostic a management file gives, as ToString() prints it.
inline std::string ParseError(ManagementKind kind, std::string_view text) {
  Management m;
  ParseManagementFile(kind, text, std::string(ManagementKindName(kind)) + ".conf", &m);
  if (m.diagnostics.size() != 1) {
    ADD_FAILURE() << "expected one diagnostic, got " << m.diagnostics.size() << " for: " << text;
    for (const rules::Diagnostic& d : m.diagnostics) ADD_FAILURE() << d.ToString();
    return "";
  }
  return m.diagnostics[0].ToString();
}

}  // namespace kagami::rules::update::testing
