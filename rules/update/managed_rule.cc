#include "rules/update/managed_rule.h"

#include <array>

#include "rules/rule_lexer.h"
#include "rules/text_util.h"
#include "rules/update/decimal.h"
#include "rules/update/line_diagnostic.h"

namespace kagami::rules::update {

namespace {

using Severity = rules::Diagnostic::Severity;

// suricata-update recognises a commented-out rule by these first words.
constexpr std::array<std::string_view, 8> kActions = {"alert", "log",    "pass",    "activate",
                                                      "dynamic", "drop", "reject", "sdrop"};

bool StartsWithAction(std::string_view s) {
  for (std::string_view a : kActions) {
    if (s.size() > a.size() && s.starts_with(a) && IsSpace(s[a.size()])) return true;
  }
  return false;
}

// Skips the '#'s and blanks in front of a commented-out rule.
size_t SkipCommentMarker(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == '#' || IsSpace(s[i]))) ++i;
  return i;
}

}  // namespace

LineParse ParseRuleLine(std::string_view logical) {
  LineParse out;
  size_t lead = 0;
  std::string_view t = Trim(logical, &lead);
  if (t.empty()) return out;
  const bool disabled = t.front() == '#';
  size_t start = lead;
  if (disabled) {
    start = lead + SkipCommentMarker(t);
    if (!StartsWithAction(logical.substr(start))) return out;
  }
  std::string_view body = logical.substr(start);
  while (!body.empty() && IsSpace(body.back())) body.remove_suffix(1);

  // A commented-out line that does not read as a rule is just a comment;
  // an enabled one is an error.
  auto fail = [&](size_t offset, std::string why) {
    if (disabled) return out;
    out.kind = LineParse::Kind::kError;
    out.error_offset = start + offset;
    out.error = std::move(why);
    return out;
  };

  RawRule raw;
  LexError lex;
  if (!LexRule(body, &raw, &lex)) return fail(lex.offset, lex.message);

  ManagedRule& r = out.rule;
  r.enabled = !disabled;
  r.text = std::string(body);
  if (!raw.header.empty()) r.action = std::string(raw.header.front().text);
  bool has_sid = false;
  for (const RawOption& o : raw.options) {
    const std::string keyword = Lower(o.keyword.text);
    const std::string_view value = o.value.text;
    if (keyword == "sid" || keyword == "gid" || keyword == "rev") {
      uint32_t v = 0;
      if (!o.has_value || !ParseDecimalU32(value, &v)) {
        return fail(o.has_value ? o.value.offset : o.keyword.offset,
                    Cat(keyword, " must be a number from 0 to 4294967295"));
      }
      if (keyword == "sid") {
        r.sid = v;
        has_sid = true;
      } else if (keyword == "gid") {
        r.gid = v;
      } else {
        r.rev = v;
      }
    } else if (keyword == "msg" && o.has_value) {
      std::string msg, why;
      size_t at = 0;
      r.msg = Unquote(value, &msg, &at, &why) ? msg : std::string(value);
    } else if (keyword == "metadata" && o.has_value) {
      // suricata-update splits the value on every ',' (values hold none).
      size_t pos = 0;
      while (pos <= value.size()) {
        size_t comma = value.find(',', pos);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view entry = Trim(value.substr(pos, comma - pos));
        if (!entry.empty()) r.metadata.emplace_back(entry);
        pos = comma + 1;
      }
    } else if (keyword == "flowbits" && o.has_value) {
      r.flowbits.emplace_back(Trim(value));
      if (Trim(value) == "noalert") r.noalert = true;
    } else if (keyword == "noalert") {
      r.noalert = true;
    }
  }
  if (!has_sid) return fail(0, "rule has no sid");
  out.kind = LineParse::Kind::kRule;
  return out;
}

RuleText ReadRuleText(std::string_view text, std::string_view name) {
  RuleText result;
  SourceMap map;
  map.file = std::string(name);
  std::string logical;
  bool open = false;           // the logical line continues on the next physical one
  bool open_disabled = false;  // ... and it is a commented-out rule
  int line_no = 0;

  auto finish = [&]() {
    LineParse p = ParseRuleLine(logical);
    if (p.kind == LineParse::Kind::kRule) {
      p.rule.file = std::string(name);
      p.rule.line = map.pieces.empty() ? 0 : map.pieces.front().line;
      result.rules.push_back(std::move(p.rule));
    } else if (p.kind == LineParse::Kind::kError) {
      const SourceLocation at = map.At(p.error_offset);
      result.diagnostics.push_back(
          LineDiagnostic(Severity::kError, name, at.line, at.column, p.error, Trim(logical)));
    }
  };

  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!open) {
      size_t lead = 0;
      std::string_view t = Trim(line, &lead);
      if (t.empty()) continue;
      const bool comment = t.front() == '#';
      // A comment only continues when it is a commented-out rule: a
      // backslash ending prose must not swallow the next rule.
      if (comment && !StartsWithAction(t.substr(SkipCommentMarker(t)))) continue;
      open_disabled = comment;
      logical.clear();
      map.pieces.clear();
      map.pieces.push_back({0, line_no, static_cast<int>(lead) + 1});
      logical.append(line.substr(lead));
    } else {
      size_t skip = 0;
      if (open_disabled) {
        size_t lead = 0;
        std::string_view t = Trim(line, &lead);
        if (!t.empty() && t.front() == '#') {
          skip = lead;
          while (skip < line.size() && line[skip] == '#') ++skip;
        }
      }
      map.pieces.push_back({logical.size(), line_no, static_cast<int>(skip) + 1});
      logical.append(line.substr(skip));
    }
    size_t end = logical.size();
    while (end > 0 && IsSpace(logical[end - 1])) --end;
    if (end > 0 && logical[end - 1] == '\\') {
      logical.resize(end - 1);
      open = true;
      continue;
    }
    open = false;
    finish();
  }
  if (open) finish();
  return result;
}

}  // namespace kagami::rules::update
