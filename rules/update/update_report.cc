#include "rules/update/update_report.h"

#include <algorithm>
#include <map>

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "rules/text_util.h"

namespace kagami::rules::update {

std::string FormatRuleId(const RuleId& id) { return Cat(id.gid, ":", id.sid); }

void CompareWithPrevious(const std::vector<ManagedRule>& rules, std::optional<std::string_view> previous,
                         UpdateReport* report) {
  report->total = rules.size();
  report->enabled = static_cast<size_t>(
      std::count_if(rules.begin(), rules.end(), [](const ManagedRule& r) { return r.enabled; }));
  report->added.clear();
  report->removed.clear();
  report->changed.clear();
  report->has_previous = previous.has_value();
  if (!previous) return;
  RuleText old = ReadRuleText(*previous, "previous");
  // A merged file has one rule per gid:sid; should an edited one hold
  // two, the first is the one compared.
  std::map<RuleId, const ManagedRule*> before;
  for (const ManagedRule& r : old.rules) before.try_emplace(r.id(), &r);
  report->previous_total = before.size();
  report->previous_enabled = 0;
  for (const auto& [id, r] : before) report->previous_enabled += r->enabled ? 1 : 0;

  std::map<RuleId, const ManagedRule*> after;
  for (const ManagedRule& r : rules) after.try_emplace(r.id(), &r);
  for (const auto& [id, r] : after) {
    auto it = before.find(id);
    if (it == before.end()) {
      report->added.push_back(id);
      continue;
    }
    const ManagedRule& o = *it->second;
    if (o.enabled == r->enabled && o.text == r->text) continue;
    report->changed.push_back({id, o.rev, r->rev, o.enabled, r->enabled});
  }
  for (const auto& [id, r] : before) {
    if (!after.contains(id)) report->removed.push_back(id);
  }
}

namespace {

std::string IdList(const std::vector<RuleId>& ids, size_t max_ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < max_ids; ++i) {
    out += i == 0 ? ": " : " ";
    out += FormatRuleId(ids[i]);
  }
  if (ids.size() > max_ids) out += Cat(" ... and ", ids.size() - max_ids, " more");
  return out;
}

std::string ChangeText(const RuleChange& c) {
  std::string out = FormatRuleId(c.id);
  std::vector<std::string> what;
  if (c.rev_changed()) what.push_back(Cat("rev ", c.old_rev, "->", c.new_rev));
  if (c.enabled_changed()) what.push_back(c.is_enabled ? "enabled" : "disabled");
  if (what.empty()) what.push_back("text");
  out += " (";
  for (size_t i = 0; i < what.size(); ++i) out += (i ? ", " : "") + what[i];
  out += ")";
  return out;
}

template <typename W>
void WriteString(W& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <typename W>
void WriteIds(W& w, const char* name, const std::vector<RuleId>& ids) {
  w.Key(name);
  w.StartArray();
  for (const RuleId& id : ids) WriteString(w, FormatRuleId(id));
  w.EndArray();
}

}  // namespace

std::vector<std::string> UpdateReport::TextLines(size_t max_ids) const {
  std::vector<std::string> lines;
  lines.push_back(Cat("rules: ", total, " (", enabled, " enabled, ", total - enabled, " disabled) from ", files.size(),
                      files.size() == 1 ? " file" : " files"));
  if (!duplicates.empty()) {
    std::vector<RuleId> ids;
    for (const DuplicateRule& d : duplicates) ids.push_back(d.id);
    lines.push_back(Cat("duplicates: ", duplicates.size(), " (highest rev kept)", IdList(ids, max_ids)));
  }
  if (has_previous) {
    lines.push_back(Cat("previous: ", previous_total, " rules (", previous_enabled, " enabled)"));
    lines.push_back(Cat("added: ", added.size(), IdList(added, max_ids)));
    lines.push_back(Cat("removed: ", removed.size(), IdList(removed, max_ids)));
    std::string changes = Cat("changed: ", changed.size());
    for (size_t i = 0; i < changed.size() && i < max_ids; ++i) changes += (i ? " " : ": ") + ChangeText(changed[i]);
    if (changed.size() > max_ids) changes += Cat(" ... and ", changed.size() - max_ids, " more");
    lines.push_back(changes);
  } else {
    lines.push_back("previous: none (every rule is new)");
  }
  lines.push_back(Cat("disabled by disable.conf: ", management.disabled.size(), IdList(management.disabled, max_ids)));
  lines.push_back(Cat("enabled by enable.conf: ", management.enabled.size(), IdList(management.enabled, max_ids)));
  lines.push_back(Cat("dropped by drop.conf: ", management.dropped.size(), IdList(management.dropped, max_ids)));
  lines.push_back(Cat("modified by modify.conf: ", management.modified.size(), IdList(management.modified, max_ids)));
  if (!management.flowbits_enabled.empty()) {
    lines.push_back(Cat("enabled for flowbits (noalert): ", management.flowbits_enabled.size(),
                        IdList(management.flowbits_enabled, max_ids)));
  }
  return lines;
}

std::string UpdateReport::Json() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("sources");
  w.StartArray();
  for (const std::string& s : sources) WriteString(w, s);
  w.EndArray();
  w.Key("files");
  w.StartArray();
  for (const std::string& f : files) WriteString(w, f);
  w.EndArray();
  w.Key("total");
  w.Uint64(total);
  w.Key("enabled");
  w.Uint64(enabled);
  w.Key("disabled");
  w.Uint64(total - enabled);
  w.Key("duplicates");
  w.StartArray();
  for (const DuplicateRule& d : duplicates) {
    w.StartObject();
    w.Key("id");
    WriteString(w, FormatRuleId(d.id));
    w.Key("kept_rev");
    w.Uint(d.kept_rev);
    w.Key("dropped_rev");
    w.Uint(d.dropped_rev);
    w.Key("kept");
    WriteString(w, Cat(d.kept.file, ":", d.kept.line));
    w.Key("dropped");
    WriteString(w, Cat(d.dropped.file, ":", d.dropped.line));
    w.EndObject();
  }
  w.EndArray();
  w.Key("previous");
  if (has_previous) {
    w.StartObject();
    w.Key("total");
    w.Uint64(previous_total);
    w.Key("enabled");
    w.Uint64(previous_enabled);
    w.EndObject();
  } else {
    w.Null();
  }
  WriteIds(w, "added", added);
  WriteIds(w, "removed", removed);
  w.Key("changed");
  w.StartArray();
  for (const RuleChange& c : changed) {
    w.StartObject();
    w.Key("id");
    WriteString(w, FormatRuleId(c.id));
    w.Key("old_rev");
    w.Uint(c.old_rev);
    w.Key("new_rev");
    w.Uint(c.new_rev);
    w.Key("was_enabled");
    w.Bool(c.was_enabled);
    w.Key("is_enabled");
    w.Bool(c.is_enabled);
    w.EndObject();
  }
  w.EndArray();
  w.Key("management");
  w.StartObject();
  WriteIds(w, "disabled", management.disabled);
  WriteIds(w, "enabled", management.enabled);
  WriteIds(w, "dropped", management.dropped);
  WriteIds(w, "modified", management.modified);
  WriteIds(w, "flowbits_enabled", management.flowbits_enabled);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace kagami::rules::update
