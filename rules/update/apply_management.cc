#include "rules/update/apply_management.h"

#include <algorithm>
#include <set>
#include <string>

#include "rules/rule_lexer.h"
#include "rules/text_util.h"

namespace kagami::rules::update {

namespace {

using Severity = rules::Diagnostic::Severity;

// Per management line: how often it matched and changed something.
struct EntryStats {
  size_t matched = 0;
  size_t changed = 0;
  size_t limit_hits = 0;
};

rules::Diagnostic EntryDiagnostic(Severity severity, const ManagementEntry& e, std::string message) {
  rules::Diagnostic d;
  d.severity = severity;
  d.location = e.location;
  d.message = std::move(message) + ": in '" + e.line + "'";
  return d;
}

bool Matches(const ManagementEntry& e, const ManagedRule& r, EntryStats& stats) {
  bool limit = false;
  const bool m = e.matcher.Matches(r, &limit);
  if (limit) ++stats.limit_hits;
  if (m) ++stats.matched;
  return m;
}

// The flowbit command and names of one flowbits value ("isset,a|b").
void SplitFlowbits(std::string_view value, std::string* command, std::vector<std::string>* names) {
  names->clear();
  const size_t comma = value.find(',');
  *command = Lower(Trim(value.substr(0, comma)));
  if (comma == std::string_view::npos) return;
  std::string_view rest = value.substr(comma + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t sep = rest.find_first_of("|&", pos);
    if (sep == std::string_view::npos) sep = rest.size();
    std::string_view name = Trim(rest.substr(pos, sep - pos));
    if (!name.empty()) names->emplace_back(name);
    pos = sep + 1;
  }
}

// "noalert; " in front of the sid option, as suricata-update inserts it.
bool AddNoalert(ManagedRule* r) {
  RawRule raw;
  LexError err;
  if (!LexRule(r->text, &raw, &err)) return false;
  for (const RawOption& o : raw.options) {
    if (Lower(o.keyword.text) != "sid") continue;
    std::string text = r->text;
    text.insert(o.keyword.offset, "noalert; ");
    LineParse p = ParseRuleLine(text);
    if (p.kind != LineParse::Kind::kRule) return false;
    p.rule.file = r->file;
    p.rule.line = r->line;
    p.rule.enabled = r->enabled;
    *r = std::move(p.rule);
    return true;
  }
  return false;
}

void ResolveFlowbits(std::vector<ManagedRule>& rules, ManagementResult& result) {
  std::string command;
  std::vector<std::string> names;
  std::set<std::string> required;
  bool changed = true;
  std::vector<bool> seen(rules.size(), false);
  while (changed) {
    changed = false;
    // Rules only become enabled here, so each pass adds the checks of the
    // rules enabled by the one before.
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!rules[i].enabled || seen[i]) continue;
      seen[i] = true;
      for (const std::string& v : rules[i].flowbits) {
        SplitFlowbits(v, &command, &names);
        if (command == "isset" || command == "isnotset") required.insert(names.begin(), names.end());
      }
    }
    for (ManagedRule& r : rules) {
      if (r.enabled) continue;
      bool sets = false;
      for (const std::string& v : r.flowbits) {
        SplitFlowbits(v, &command, &names);
        if (command != "set" && command != "setx" && command != "unset" && command != "toggle") continue;
        for (const std::string& n : names) sets = sets || required.count(n) > 0;
      }
      if (!sets) continue;
      r.enabled = true;
      if (!r.noalert) AddNoalert(&r);
      result.flowbits_enabled.push_back(r.id());
      changed = true;
    }
  }
}

}  // namespace

ManagementResult ApplyManagement(const Management& m, std::vector<ManagedRule>* rules, const ApplyOptions& options) {
  ManagementResult result;
  std::vector<EntryStats> disable(m.disable.size()), enable(m.enable.size()), drop(m.drop.size()),
      modify(m.modify.size());
  std::string formatted, replaced;
  for (ManagedRule& r : *rules) {
    bool disabled = false, enabled = false, dropped = false, modified = false;
    // Every matcher is tried on every rule, whatever the rule's state, so
    // a line that names no rule at all can be reported.
    for (size_t i = 0; i < m.disable.size(); ++i) {
      if (Matches(m.disable[i], r, disable[i]) && r.enabled) {
        r.enabled = false;
        disabled = true;
        ++disable[i].changed;
      }
    }
    for (size_t i = 0; i < m.enable.size(); ++i) {
      if (Matches(m.enable[i], r, enable[i]) && !r.enabled) {
        r.enabled = true;
        enabled = true;
        ++enable[i].changed;
      }
    }
    for (size_t i = 0; i < m.drop.size(); ++i) {
      if (!Matches(m.drop[i], r, drop[i]) || r.noalert) continue;
      // A line without an action word (the loader rejects it anyway) has
      // no first word to replace, as suricata-update's ^\w+ finds none.
      if (r.action != "drop" && !r.action.empty()) {
        r.text = "drop" + r.text.substr(r.action.size());
        r.action = "drop";
        ++drop[i].changed;
      }
      dropped = true;
    }
    for (size_t i = 0; i < m.modify.size(); ++i) {
      const ManagementEntry& e = m.modify[i];
      if (!Matches(e, r, modify[i])) continue;
      formatted = r.Format();
      const long n = e.from.ReplaceAll(formatted, e.to, &replaced);
      if (n < 0) {
        ++modify[i].limit_hits;
        continue;
      }
      if (n == 0 || replaced == formatted) continue;
      const bool one_line = replaced.find_first_of("\r\n") == std::string::npos;
      LineParse p;
      if (one_line) p = ParseRuleLine(replaced);
      if (p.kind != LineParse::Kind::kRule || p.rule.id() != r.id()) {
        std::string why = !one_line                           ? std::string("it spans lines")
                          : p.kind == LineParse::Kind::kError ? p.error
                          : p.kind == LineParse::Kind::kRule  ? Cat("it changes the gid:sid to ", p.rule.gid, ":", p.rule.sid)
                                                              : std::string("it is not a rule");
        result.diagnostics.push_back(EntryDiagnostic(
            Severity::kError, e,
            Cat("modifying rule ", r.gid, ":", r.sid, " (", r.file, ":", r.line, ") gives '", replaced.substr(0, 200),
                "', which is refused (", why, "); the rule is kept as it was")));
        continue;
      }
      p.rule.file = r.file;
      p.rule.line = r.line;
      r = std::move(p.rule);
      ++modify[i].changed;
      modified = true;
    }
    if (disabled) result.disabled.push_back(r.id());
    if (enabled) result.enabled.push_back(r.id());
    if (dropped) result.dropped.push_back(r.id());
    if (modified) result.modified.push_back(r.id());
  }

  auto report = [&](const std::vector<ManagementEntry>& entries, const std::vector<EntryStats>& stats) {
    for (size_t i = 0; i < entries.size(); ++i) {
      const EntryStats& s = stats[i];
      if (s.matched == 0) {
        result.diagnostics.push_back(EntryDiagnostic(Severity::kWarning, entries[i], "matches no rule"));
      } else if (entries[i].kind == ManagementKind::kModify && s.changed == 0) {
        result.diagnostics.push_back(EntryDiagnostic(
            Severity::kWarning, entries[i],
            Cat("matches ", s.matched, s.matched == 1 ? " rule" : " rules", " but changes none of them")));
      }
      if (s.limit_hits > 0) {
        result.diagnostics.push_back(EntryDiagnostic(
            Severity::kWarning, entries[i],
            Cat("the regular expression hit its match limit on ", s.limit_hits,
                s.limit_hits == 1 ? " rule" : " rules", " (counted as no match)")));
      }
    }
  };
  report(m.disable, disable);
  report(m.enable, enable);
  report(m.drop, drop);
  report(m.modify, modify);

  if (options.resolve_flowbits) ResolveFlowbits(*rules, result);
  for (auto* list : {&result.disabled, &result.enabled, &result.dropped, &result.modified, &result.flowbits_enabled}) {
    std::sort(list->begin(), list->end());
  }
  return result;
}

}  // namespace kagami::rules::update
