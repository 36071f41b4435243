#include "rules/update/source_set.h"

#include <algorithm>
#include <map>

#include "rules/text_util.h"

namespace kagami::rules::update {

SourceSet ReadSources(std::vector<RuleFile> files) {
  std::stable_sort(files.begin(), files.end(), [](const RuleFile& a, const RuleFile& b) { return a.name < b.name; });
  SourceSet set;
  std::vector<ManagedRule> all;
  for (const RuleFile& f : files) {
    set.files.push_back(f.name);
    RuleText read = ReadRuleText(f.text, f.name);
    set.diagnostics.insert(set.diagnostics.end(), read.diagnostics.begin(), read.diagnostics.end());
    for (ManagedRule& r : read.rules) all.push_back(std::move(r));
  }
  // The winner of each gid:sid, by index into `all`; a later winner keeps
  // its own place in the output, so the order stays "file, then line".
  std::map<RuleId, size_t> winner;
  std::vector<bool> keep(all.size(), true);
  for (size_t i = 0; i < all.size(); ++i) {
    auto [it, inserted] = winner.try_emplace(all[i].id(), i);
    if (inserted) continue;
    const size_t old = it->second;
    const bool replace = all[i].rev > all[old].rev;
    const size_t kept = replace ? i : old, dropped = replace ? old : i;
    keep[dropped] = false;
    it->second = kept;
    DuplicateRule d;
    d.id = all[i].id();
    d.kept_rev = all[kept].rev;
    d.dropped_rev = all[dropped].rev;
    d.kept = {all[kept].file, all[kept].line, 0};
    d.dropped = {all[dropped].file, all[dropped].line, 0};
    rules::Diagnostic w;
    w.severity = rules::Diagnostic::Severity::kWarning;
    w.location = d.dropped;
    w.message = Cat("duplicate rule ", d.id.gid, ":", d.id.sid, " rev ", d.dropped_rev, " dropped; keeping rev ",
                    d.kept_rev, " from ", d.kept.file, ":", d.kept.line,
                    d.kept_rev == d.dropped_rev ? " (same rev: the first read wins)" : "");
    set.diagnostics.push_back(std::move(w));
    set.duplicates.push_back(std::move(d));
  }
  set.rules.reserve(winner.size());
  for (size_t i = 0; i < all.size(); ++i) {
    if (keep[i]) set.rules.push_back(std::move(all[i]));
  }
  return set;
}

}  // namespace kagami::rules::update
