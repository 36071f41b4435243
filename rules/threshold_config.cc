// threshold.config: parsing (entries, settings, address expressions) and
// attaching the entries to a RuleSet and to indicator alerts.

#include "rules/threshold_config.h"

#include "common/read_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>
#include <utility>

#include "rules/rule_lexer.h"
#include "rules/rule_loader.h"
#include "rules/rule_parser.h"
#include "rules/text_util.h"

namespace kagami::rules {

size_t ThresholdConfig::error_count() const {
  return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  }));
}

namespace {

using Kind = ThresholdEntry::Kind;

Diagnostic MakeDiag(Diagnostic::Severity severity, SourceLocation loc, std::string message) {
  Diagnostic d;
  d.severity = severity;
  d.location = std::move(loc);
  d.message = std::move(message);
  return d;
}

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kThreshold: return "threshold";
    case Kind::kEventFilter: return "event_filter";
    case Kind::kSuppress: return "suppress";
    case Kind::kRateFilter: return "rate_filter";
  }
  return "?";
}

std::string LocationText(const SourceLocation& l) { return Cat(l.file, ":", l.line); }

// A piece of the logical entry with its offset in it.
struct Piece {
  std::string_view text;
  size_t offset = 0;
};

// One "name value" setting between commas.
struct Setting {
  Piece name, value;
};

bool ParseDecimal32(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

class EntryParser {
 public:
  EntryParser(ParseEnv* env, std::string_view text, const SourceMap* map, std::vector<Diagnostic>* diags)
      : env_(env), text_(text), map_(map), diags_(diags) {}

  // Parses one logical entry; on failure adds one error and returns false.
  bool Parse(ThresholdEntry* e) {
    entry_ = e;
    e->location = map_->At(0);
    size_t kw_end = 0;
    while (kw_end < text_.size() && !IsSpace(text_[kw_end]) && text_[kw_end] != ',') ++kw_end;
    const std::string_view keyword = text_.substr(0, kw_end);
    const std::string kw = Lower(keyword);
    if (kw == "threshold") {
      e->kind = Kind::kThreshold;
    } else if (kw == "event_filter") {
      e->kind = Kind::kEventFilter;
    } else if (kw == "suppress") {
      e->kind = Kind::kSuppress;
    } else if (kw == "rate_filter") {
      e->kind = Kind::kRateFilter;
    } else {
      return Fail(0, Cat("unknown entry '", keyword,
                         "' (expected threshold, event_filter, suppress or rate_filter)"));
    }
    std::vector<Setting> settings;
    if (!Split(kw_end, &settings)) return false;
    if (settings.empty()) return Fail(kw_end, Cat("expected 'gen_id N, sig_id N' after '", keyword, "'"));
    if (Lower(settings[0].name.text) != "gen_id") {
      return Fail(settings[0].name.offset, Cat("expected 'gen_id N' after '", keyword, "', found '",
                                               settings[0].name.text, "'"));
    }
    for (const Setting& s : settings) {
      if (s.value.text.empty() && Allowed(e->kind, Lower(s.name.text))) {
        return Fail(s.name.offset, Cat("'", s.name.text, "' needs a value"));
      }
    }
    if (!Number(settings[0], &e->gid)) return false;
    if (settings.size() < 2) return Fail(text_.size(), "expected ', sig_id N' after the gen_id");
    if (Lower(settings[1].name.text) != "sig_id") {
      return Fail(settings[1].name.offset, Cat("expected 'sig_id N' after the gen_id, found '",
                                               settings[1].name.text, "'"));
    }
    if (!Number(settings[1], &e->sid)) return false;
    if (e->gid == 0 && e->sid != 0) {
      return Fail(settings[0].value.offset,
                  Cat("gen_id 0 only goes with sig_id 0 (every rule); rules without a gid keyword have gen_id 1"));
    }

    // The remaining settings, by name; each at most once.
    std::map<std::string, Setting, std::less<>> named;
    for (size_t i = 2; i < settings.size(); ++i) {
      const Setting& s = settings[i];
      std::string name = Lower(s.name.text);
      if (name == "gen_id" || name == "sig_id") return Fail(s.name.offset, Cat("duplicate '", s.name.text, "'"));
      if (!Allowed(e->kind, name)) {
        if (i > 2 && Lower(settings[i - 1].name.text) == "ip") {
          return Fail(s.name.offset, "unexpected ',' after the ip value: write several addresses as a list, "
                                     "e.g. ip [10.0.0.1,10.0.0.2]");
        }
        return Fail(s.name.offset, Cat("unknown setting '", s.name.text, "' for ", KindName(e->kind),
                                       " (expected ", Expected(e->kind), ")"));
      }
      if (named.count(name)) return Fail(s.name.offset, Cat("duplicate '", s.name.text, "'"));
      named.emplace(std::move(name), s);
    }

    switch (e->kind) {
      case Kind::kThreshold:
      case Kind::kEventFilter:
        return Require(named, {"type", "track", "count", "seconds"}) && Type(named.at("type")) &&
               ThresholdTrack(named.at("track")) && Count(named.at("count")) &&
               Number(named.at("seconds"), &e->threshold.seconds);
      case Kind::kRateFilter:
        return Require(named, {"track", "count", "seconds", "new_action", "timeout"}) &&
               ThresholdTrack(named.at("track")) && Count(named.at("count")) &&
               Number(named.at("seconds"), &e->threshold.seconds) && NewAction(named.at("new_action")) &&
               Number(named.at("timeout"), &e->timeout);
      case Kind::kSuppress:
        e->suppression.location = e->location;
        if (named.empty()) {
          e->suppression.track = Suppression::Track::kAll;
          return true;
        }
        if (!named.count("track")) {
          return Fail(named.at("ip").name.offset, "suppress: 'ip' needs 'track by_src|by_dst|by_either' before it");
        }
        if (!named.count("ip")) {
          const Setting& t = named.at("track");
          return Fail(t.value.offset + t.value.text.size(), "suppress: 'track' needs ', ip ADDRESS' after it");
        }
        return SuppressTrack(named.at("track")) && Address(named.at("ip"));
    }
    return false;
  }

 private:
  bool Fail(size_t offset, std::string message) {
    diags_->push_back(MakeDiag(Diagnostic::Severity::kError, map_->At(offset), std::move(message)));
    return false;
  }

  static bool Allowed(Kind k, std::string_view name) {
    switch (k) {
      case Kind::kThreshold:
      case Kind::kEventFilter:
        return name == "gen_id" || name == "sig_id" || name == "type" || name == "track" || name == "count" || name == "seconds";
      case Kind::kSuppress:
        return name == "gen_id" || name == "sig_id" || name == "track" || name == "ip";
      case Kind::kRateFilter:
        return name == "gen_id" || name == "sig_id" || name == "track" || name == "count" || name == "seconds" || name == "new_action" ||
               name == "timeout";
    }
    return false;
  }

  static std::string_view Expected(Kind k) {
    switch (k) {
      case Kind::kThreshold:
      case Kind::kEventFilter: return "type, track, count, seconds";
      case Kind::kSuppress: return "nothing, or track and ip";
      case Kind::kRateFilter: return "track, count, seconds, new_action, timeout";
    }
    return "";
  }

  // Splits text_[from..] into settings at commas outside brackets.
  bool Split(size_t from, std::vector<Setting>* out) {
    size_t i = from;
    while (i < text_.size() && IsSpace(text_[i])) ++i;
    if (i >= text_.size()) return true;
    if (text_[i] == ',') return Fail(i, "unexpected ',' before the first setting");
    while (true) {
      size_t start = i;
      int depth = 0;
      while (i < text_.size() && (depth > 0 || text_[i] != ',')) {
        if (text_[i] == '[') ++depth;
        if (text_[i] == ']' && depth > 0) --depth;
        ++i;
      }
      size_t lead = 0;
      std::string_view piece = Trim(text_.substr(start, i - start), &lead);
      const size_t at = start + lead;
      if (piece.empty()) return Fail(at < text_.size() ? at : text_.size(), "empty setting (stray ',')");
      Setting s;
      size_t sp = 0;
      while (sp < piece.size() && !IsSpace(piece[sp])) ++sp;
      s.name = {piece.substr(0, sp), at};
      size_t vlead = 0;
      std::string_view value = Trim(piece.substr(sp), &vlead);
      s.value = {value, at + sp + vlead};
      out->push_back(s);
      if (i >= text_.size()) return true;
      ++i;  // the ','
    }
  }

  // A single-word value; more words mean a missing comma.
  bool OneWord(const Setting& s) {
    size_t sp = 0;
    while (sp < s.value.text.size() && !IsSpace(s.value.text[sp])) ++sp;
    if (sp == s.value.text.size()) return true;
    size_t next = sp;
    while (next < s.value.text.size() && IsSpace(s.value.text[next])) ++next;
    return Fail(s.value.offset + next, Cat("unexpected '", s.value.text.substr(next), "' after the ",
                                           s.name.text, " value (missing ','?)"));
  }

  bool Number(const Setting& s, uint32_t* out) {
    if (!OneWord(s)) return false;
    if (!ParseDecimal32(s.value.text, out)) {
      return Fail(s.value.offset, Cat("invalid ", s.name.text, " '", s.value.text,
                                      "' (expected a number from 0 to 4294967295)"));
    }
    return true;
  }

  bool Count(const Setting& s) {
    if (!Number(s, &entry_->threshold.count)) return false;
    if (entry_->threshold.count == 0) return Fail(s.value.offset, "count must be at least 1");
    return true;
  }

  bool Require(const std::map<std::string, Setting, std::less<>>& named,
               std::initializer_list<std::string_view> names) {
    std::string missing;
    for (std::string_view n : names) {
      if (!named.count(n)) missing += Cat(missing.empty() ? "" : ", ", n);
    }
    if (missing.empty()) return true;
    return Fail(text_.size(), Cat(KindName(entry_->kind), " needs ", Expected(entry_->kind), "; missing: ", missing));
  }

  bool Type(const Setting& s) {
    if (!OneWord(s)) return false;
    const std::string v = Lower(s.value.text);
    using T = ThresholdOption::Type;
    if (v == "limit") {
      entry_->threshold.type = T::kLimit;
    } else if (v == "threshold") {
      entry_->threshold.type = T::kThreshold;
    } else if (v == "both") {
      entry_->threshold.type = T::kBoth;
    } else {
      return Fail(s.value.offset, Cat("unknown type '", s.value.text, "' (expected limit, threshold or both)"));
    }
    return true;
  }

  bool ThresholdTrack(const Setting& s) {
    if (!OneWord(s)) return false;
    const std::string v = Lower(s.value.text);
    using T = ThresholdOption::Track;
    if (v == "by_src") {
      entry_->threshold.track = T::kBySrc;
    } else if (v == "by_dst") {
      entry_->threshold.track = T::kByDst;
    } else if (v == "by_rule") {
      entry_->threshold.track = T::kByRule;
    } else if (v == "by_both") {
      entry_->threshold.track = T::kByBoth;
    } else if (v == "by_flow") {
      entry_->threshold.track = T::kByFlow;
    } else {
      return Fail(s.value.offset, Cat("unknown track '", s.value.text,
                                      "' (expected by_src, by_dst, by_rule, by_both or by_flow)"));
    }
    return true;
  }

  bool SuppressTrack(const Setting& s) {
    if (!OneWord(s)) return false;
    const std::string v = Lower(s.value.text);
    using T = Suppression::Track;
    if (v == "by_src") {
      entry_->suppression.track = T::kBySrc;
    } else if (v == "by_dst") {
      entry_->suppression.track = T::kByDst;
    } else if (v == "by_either") {
      entry_->suppression.track = T::kByEither;
    } else {
      return Fail(s.value.offset, Cat("unknown suppress track '", s.value.text,
                                      "' (expected by_src, by_dst or by_either)"));
    }
    return true;
  }

  bool NewAction(const Setting& s) {
    if (!OneWord(s)) return false;
    const std::string v = Lower(s.value.text);
    for (std::string_view a : {"alert", "drop", "pass", "log", "sdrop", "reject"}) {
      if (v == a) {
        entry_->new_action = v;
        return true;
      }
    }
    return Fail(s.value.offset, Cat("unknown new_action '", s.value.text,
                                    "' (expected alert, drop, pass, log, sdrop or reject)"));
  }

  // The ip value: a rule-header address expression. It is evaluated by the
  // rule parser itself (same variables, lists, negation and messages) on a
  // one-line rule "alert ip EXPR any -> any any (sid:1;)".
  bool Address(const Setting& s) {
    std::string_view expr = s.value.text;
    // Reject what would change how that rule is split before it is parsed.
    int depth = 0;
    size_t open_at = 0;
    for (size_t i = 0; i < expr.size(); ++i) {
      const char c = expr[i];
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                      c == ':' || c == '/' || c == '_' || c == '-' || c == '$' || c == '!' || c == '[' ||
                      c == ']' || c == ',' || IsSpace(c);
      if (!ok) return Fail(s.value.offset + i, Cat("unexpected character '", expr.substr(i, 1), "' in ip address"));
      if (c == '[' && depth++ == 0) open_at = i;
      if (c == ']' && --depth < 0) return Fail(s.value.offset + i, "unbalanced ']' in ip address");
      if (IsSpace(c) && depth == 0) {
        return Fail(s.value.offset + i, "unexpected space in ip address: write several addresses as a list, "
                                        "e.g. [10.0.0.1,10.0.0.2]");
      }
    }
    if (depth > 0) return Fail(s.value.offset + open_at, "unterminated '[' in ip address");

    static constexpr std::string_view kPrefix = "alert ip ";
    const std::string rule_text = Cat(kPrefix, expr, " any -> any any (sid:1;)");
    SourceMap map;
    map.file = map_->file;
    map.pieces.push_back({0, 1, 1});
    Rule rule;
    RuleParser parser(env_, rule_text, &map);
    if (!parser.Parse(&rule)) {
      size_t off = parser.error().offset;
      off = off >= kPrefix.size() && off < kPrefix.size() + expr.size() ? off - kPrefix.size() : 0;
      return Fail(s.value.offset + off, parser.error().message);
    }
    entry_->suppression.addresses = std::move(rule.src_addr);
    return true;
  }

  ParseEnv* env_;
  std::string_view text_;
  const SourceMap* map_;
  std::vector<Diagnostic>* diags_;
  ThresholdEntry* entry_ = nullptr;
};

class ConfigParser {
 public:
  explicit ConfigParser(const std::map<std::string, std::string>& variables) {
    for (auto& [k, v] : DefaultVariables()) env_.variables[k] = v;
    for (const auto& [k, v] : variables) {
      std::string name = k;
      if (!name.empty() && name[0] == '$') name.erase(0, 1);
      env_.variables[name] = v;
    }
    env_.classifications = &no_classes_;
  }

  // Same line handling as rule files: '#' comments, blank lines, a trailing
  // backslash joins the next line.
  void ParseText(std::string_view text, std::string_view name) {
    SourceMap map;
    map.file = std::string(name);
    std::string entry;
    bool open = false;
    int line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      // '#' never occurs in an entry: it starts a comment anywhere.
      if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!open) {
        size_t lead = 0;
        std::string_view t = Trim(line, &lead);
        if (t.empty()) continue;
        entry.clear();
        map.pieces.clear();
        map.pieces.push_back({0, line_no, static_cast<int>(lead) + 1});
        entry.append(line.substr(lead));
      } else {
        map.pieces.push_back({entry.size(), line_no, 1});
        entry.append(line);
      }
      size_t end = entry.size();
      while (end > 0 && IsSpace(entry[end - 1])) --end;
      if (end > 0 && entry[end - 1] == '\\') {
        entry.resize(end - 1);
        open = true;
        continue;
      }
      open = false;
      ParseOne(entry, map);
    }
    if (open) ParseOne(entry, map);
  }

  ThresholdConfig Take() { return std::move(config_); }
  void AddError(SourceLocation loc, std::string message) {
    config_.diagnostics.push_back(MakeDiag(Diagnostic::Severity::kError, std::move(loc), std::move(message)));
  }

 private:
  void ParseOne(std::string_view text, const SourceMap& map) {
    size_t end = text.size();
    while (end > 0 && IsSpace(text[end - 1])) --end;
    text = text.substr(0, end);
    if (text.empty()) return;  // a lone continuation
    ThresholdEntry e;
    EntryParser parser(&env_, text, &map, &config_.diagnostics);
    if (parser.Parse(&e)) config_.entries.push_back(std::move(e));
  }

  ParseEnv env_;
  ClassificationTable no_classes_;
  ThresholdConfig config_;
};

}  // namespace

ThresholdConfig ParseThresholdConfig(std::string_view text, std::string_view file_name,
                                     const std::map<std::string, std::string>& variables) {
  ConfigParser parser(variables);
  parser.ParseText(text, file_name.empty() ? "<string>" : file_name);
  return parser.Take();
}

ThresholdConfig LoadThresholdConfig(const std::string& path, const std::map<std::string, std::string>& variables) {
  ConfigParser parser(variables);
  std::string text, why;
  if (!ReadWholeFile(path, &text, &why)) {
    parser.AddError({path, 0, 0}, Cat("cannot read threshold file '", path, "': ", why));
    return parser.Take();
  }
  parser.ParseText(text, path);
  return parser.Take();
}

const IndicatorTuning::Sid* IndicatorTuning::Find(uint32_t sid) const {
  auto it = std::lower_bound(sids.begin(), sids.end(), sid, [](const Sid& s, uint32_t v) { return s.sid < v; });
  return it != sids.end() && it->sid == sid ? &*it : nullptr;
}

void ApplyThresholdConfig(RuleSet& set, const ThresholdConfig& config, std::vector<Diagnostic>* diagnostics,
                          IndicatorTuning* indicators) {
  auto warn = [&](const SourceLocation& loc, std::string msg) {
    if (diagnostics) diagnostics->push_back(MakeDiag(Diagnostic::Severity::kWarning, loc, std::move(msg)));
  };
  auto note = [&](const SourceLocation& loc, std::string msg) {
    if (diagnostics) diagnostics->push_back(MakeDiag(Diagnostic::Severity::kNote, loc, std::move(msg)));
  };
  std::map<std::pair<uint32_t, uint32_t>, size_t> by_id;
  for (size_t i = 0; i < set.rules.size(); ++i) by_id.emplace(std::make_pair(set.rules[i].gid, set.rules[i].sid), i);

  // The rules an entry names: one rule, every rule of a gid, or every rule.
  auto targets = [&](const ThresholdEntry& e) {
    std::vector<size_t> out;
    if (e.sid != 0) {
      if (auto it = by_id.find({e.gid, e.sid}); it != by_id.end()) out.push_back(it->second);
      return out;
    }
    for (size_t i = 0; i < set.rules.size(); ++i) {
      if (e.gid == 0 || set.rules[i].gid == e.gid) out.push_back(i);
    }
    return out;
  };
  auto what = [](const ThresholdEntry& e) {
    if (e.sid != 0) return Cat("gen_id ", e.gid, ", sig_id ", e.sid);
    if (e.gid != 0) return Cat("gen_id ", e.gid, " (sig_id 0)");
    return std::string("gen_id 0, sig_id 0");
  };

  // Indicator entries are collected whether or not the caller wants them,
  // so the diagnostics do not depend on it.
  IndicatorTuning unused;
  IndicatorTuning& intel = indicators ? *indicators : unused;
  intel = IndicatorTuning{};
  std::map<uint32_t, IndicatorTuning::Sid> intel_sids;             // sorted by sid
  std::map<uint32_t, const ThresholdEntry*> intel_threshold_set_by;  // for the "replaces" warning
  // Entries that reach indicators: gen_id 9000, and gen_id 0 sig_id 0 (every
  // signature, as in Suricata).
  auto names_indicators = [](const ThresholdEntry& e) {
    return e.gid == kIndicatorGid || (e.gid == 0 && e.sid == 0);
  };
  auto indicator_sid = [](uint32_t sid) { return sid >= kIndicatorSidFirst && sid <= kIndicatorSidLast; };

  // Rules that had a threshold or detection_filter of their own, and the
  // entry that overrode a rule's threshold, if any.
  std::vector<bool> own(set.rules.size());
  for (size_t i = 0; i < set.rules.size(); ++i) {
    own[i] = set.rules[i].threshold.has_value() || set.rules[i].detection_filter.has_value();
  }
  std::vector<const ThresholdEntry*> set_by(set.rules.size(), nullptr);

  // Suppressions, single-rule thresholds and rate_filters, in file order.
  for (const ThresholdEntry& e : config.entries) {
    if (e.kind == Kind::kRateFilter) {
      warn(e.location, "rate_filter is not supported by kagami; entry ignored");
      continue;
    }
    if (e.kind != Kind::kSuppress && e.sid == 0) continue;  // second pass
    const std::vector<size_t> rules = targets(e);
    bool to_indicators = false;
    if (names_indicators(e) && (e.sid == 0 || indicator_sid(e.sid))) {
      to_indicators = true;
      if (e.sid == 0) {
        intel.all_suppressions.push_back(e.suppression);  // only suppress entries get here with sid 0
      } else {
        IndicatorTuning::Sid& s = intel_sids[e.sid];
        s.sid = e.sid;
        if (rules.empty()) s.named.push_back({e.kind, e.location});
        if (e.kind == Kind::kSuppress) {
          s.suppressions.push_back(e.suppression);
        } else {
          // As for a rule: a later entry for the same sid replaces an earlier
          // one (the rule case says so when a rule has the sid too).
          const ThresholdEntry*& before = intel_threshold_set_by[e.sid];
          if (before && rules.empty()) {
            warn(e.location, Cat(KindName(e.kind), " for ", what(e), " replaces the entry at ",
                                 LocationText(before->location)));
          }
          before = &e;
          s.threshold = e.threshold;
        }
      }
    }
    if (e.kind == Kind::kSuppress && e.suppression.track == Suppression::Track::kAll && e.sid == 0 &&
        (!rules.empty() || to_indicators)) {
      std::string effect = "no indicator will alert";
      if (!rules.empty()) {
        effect = Cat(rules.size(), " rule", rules.size() == 1 ? "" : "s", " will never alert",
                     to_indicators ? ", nor will any indicator" : "");
      }
      warn(e.location, Cat("suppress ", what(e), " without track/ip: ", effect));
    }
    if (rules.empty()) {
      if (e.gid == kIndicatorGid && !to_indicators) {
        warn(e.location, Cat(KindName(e.kind), ": no loaded rule has ", what(e),
                             ", and no indicator can (indicator sids are ", kIndicatorSidFirst, " to ",
                             kIndicatorSidLast, "); entry ignored"));
      } else if (!to_indicators) {
        warn(e.location, Cat(KindName(e.kind), ": no loaded rule has ", what(e), "; entry ignored"));
      }
      continue;
    }
    if (e.kind == Kind::kSuppress) {
      for (size_t r : rules) set.rules[r].suppressions.push_back(e.suppression);
      continue;
    }
    const size_t r = rules[0];
    Rule& rule = set.rules[r];
    if (set_by[r]) {
      warn(e.location, Cat(KindName(e.kind), " for ", what(e), " replaces the entry at ",
                           LocationText(set_by[r]->location)));
    }
    // Suricata replaces the rule's own threshold, or its detection_filter
    // when it has no threshold.
    if (!rule.threshold && rule.detection_filter) rule.detection_filter.reset();
    rule.threshold = e.threshold;
    set_by[r] = &e;
  }

  // sid 0 thresholds: only for rules with nothing of their own; first wins.
  // Indicators have nothing of their own: the first entry reaching them is
  // theirs (a sid's own entry still comes first, IndicatorTuning::ThresholdFor).
  std::vector<bool> global_done(set.rules.size(), false);
  for (const ThresholdEntry& e : config.entries) {
    if ((e.kind != Kind::kThreshold && e.kind != Kind::kEventFilter) || e.sid != 0) continue;
    const std::vector<size_t> rules = targets(e);
    bool to_indicators = false;
    if (names_indicators(e) && !intel.all_threshold) {
      intel.all_threshold = e.threshold;
      to_indicators = true;
    }
    if (rules.empty()) {
      if (!names_indicators(e)) {
        warn(e.location, Cat(KindName(e.kind), ": no loaded rule has ", what(e), "; entry ignored"));
      } else if (!to_indicators) {
        warn(e.location, Cat(KindName(e.kind), " for ", what(e),
                             " applies to no indicator: an earlier sig_id 0 entry already covers them"));
      }
      continue;
    }
    size_t kept = 0, applied = 0;
    for (size_t r : rules) {
      if (own[r] || set_by[r]) {
        ++kept;
        continue;
      }
      if (global_done[r]) continue;
      set.rules[r].threshold = e.threshold;
      global_done[r] = true;
      ++applied;
    }
    if (kept > 0) {
      note(e.location, Cat(kept, " rule", kept == 1 ? "" : "s", " of ", what(e),
                           " keep their own threshold/detection_filter or a single-rule entry "
                           "(as in Suricata, sig_id 0 entries do not override them)"));
    }
    if (applied == 0 && kept < rules.size() && !to_indicators) {
      warn(e.location, Cat(KindName(e.kind), " for ", what(e),
                           " applies to no rule: an earlier sig_id 0 entry already covers them"));
    }
  }
  intel.sids.reserve(intel_sids.size());
  for (auto& [sid, s] : intel_sids) intel.sids.push_back(std::move(s));
}

void CheckIndicatorSids(const IndicatorTuning& tuning, const std::function<bool(uint32_t)>& loaded,
                        std::vector<Diagnostic>* diagnostics) {
  if (!diagnostics) return;
  const size_t first = diagnostics->size();
  for (const IndicatorTuning::Sid& s : tuning.sids) {
    if (s.named.empty() || loaded(s.sid)) continue;
    for (const IndicatorTuning::Named& n : s.named) {
      diagnostics->push_back(MakeDiag(Diagnostic::Severity::kWarning, n.location,
                                      Cat(KindName(n.kind), ": no loaded rule or indicator has gen_id ",
                                          kIndicatorGid, ", sig_id ", s.sid, "; entry ignored")));
    }
  }
  // In file order, as ApplyThresholdConfig reports (sids are sorted by number).
  std::stable_sort(diagnostics->begin() + static_cast<std::ptrdiff_t>(first), diagnostics->end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.location.file, a.location.line) < std::tie(b.location.file, b.location.line);
                   });
}

}  // namespace kagami::rules
