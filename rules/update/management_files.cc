#include "rules/update/management_files.h"

#include <algorithm>

#include "rules/rule_lexer.h"
#include "rules/text_util.h"
#include "rules/update/line_diagnostic.h"
#include "rules/update/shell_words.h"

namespace kagami::rules::update {

namespace {

using Severity = rules::Diagnostic::Severity;

// Oinkmaster's ${N} back-references, which suricata-update turns into \N.
std::string OinkmasterBackReferences(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '$' && i + 2 < s.size() && s[i + 1] == '{' && s[i + 2] >= '0' && s[i + 2] <= '9') {
      size_t j = i + 2;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
      if (j < s.size() && s[j] == '}') {
        out += '\\';
        out.append(s.substr(i + 2, j - i - 2));
        i = j + 1;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// Where a word's text starts in the line: past its opening quote, if any
// (escapes inside make later offsets approximate).
size_t WordStart(std::string_view line, const ShellWord& w) {
  return w.offset + (w.offset < line.size() && (line[w.offset] == '"' || line[w.offset] == '\'') ? 1 : 0);
}

class FileParser {
 public:
  FileParser(ManagementKind kind, std::string_view file, Management* into) : kind_(kind), file_(file), into_(into) {}

  void Parse(std::string_view text) {
    size_t pos = 0;
    int line_no = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      size_t lead = 0;
      std::string_view t = Trim(line, &lead);
      if (t.empty() || t.front() == '#') continue;
      line_ = line_no;
      lead_ = lead;
      text_ = t;
      if (kind_ == ManagementKind::kModify) {
        ParseModify();
      } else {
        ParseMatcherLine();
      }
    }
  }

 private:
  void Error(size_t offset_in_trimmed, std::string_view why) {
    into_->diagnostics.push_back(LineDiagnostic(Severity::kError, file_, line_,
                                                static_cast<int>(lead_ + offset_in_trimmed) + 1, why, text_));
  }

  ManagementEntry NewEntry() {
    ManagementEntry e;
    e.kind = kind_;
    e.location = {std::string(file_), line_, static_cast<int>(lead_) + 1};
    e.line = std::string(text_);
    return e;
  }

  std::vector<ManagementEntry>& Target() {
    switch (kind_) {
      case ManagementKind::kDisable: return into_->disable;
      case ManagementKind::kEnable: return into_->enable;
      case ManagementKind::kDrop: return into_->drop;
      case ManagementKind::kModify: return into_->modify;
    }
    return into_->disable;
  }

  void ParseMatcherLine() {
    // suricata-update cuts the line at its first " #".
    std::string_view m = text_;
    if (const size_t c = m.find(" #"); c != std::string_view::npos) m = m.substr(0, c);
    ManagementEntry e = NewEntry();
    size_t at = 0;
    std::string why;
    if (!RuleMatcher::Parse(m, &e.matcher, &at, &why)) {
      Error(at, why);
      return;
    }
    Target().push_back(std::move(e));
  }

  void ParseModify() {
    std::string_view body = text_;
    if (const size_t c = FindTrailingComment(body); c != std::string_view::npos) body = body.substr(0, c);
    // "\$" is "$" (suricata-update's own pre-pass); `origin` maps each
    // byte of the result back to the line for error columns.
    std::string line;
    std::vector<size_t> origin;
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '$') {
        origin.push_back(i);
        line += '$';
        ++i;
        continue;
      }
      origin.push_back(i);
      line += body[i];
    }
    origin.push_back(body.size());
    auto back = [&](size_t offset) { return origin[std::min(offset, origin.size() - 1)]; };

    std::vector<ShellWord> words;
    size_t at = 0;
    std::string why;
    if (!SplitShellWords(line, &words, &at, &why)) {
      Error(back(at), why);
      return;
    }
    const ShellWord *matcher = nullptr, *from = nullptr, *to = nullptr;
    if (words.size() == 3) {
      matcher = &words[0];
      from = &words[1];
      to = &words[2];
    } else if (!words.empty() && words[0].text == "modifysid") {
      if (words.size() != 5 || words[3].text != "|") {
        Error(0, "expected modifysid <matcher> \"<from>\" | \"<to>\"");
        return;
      }
      matcher = &words[1];
      from = &words[2];
      to = &words[4];
    } else if (!words.empty() && words[0].text == "metadata-add") {
      Error(0, "metadata-add is not supported");
      return;
    } else {
      Error(words.size() > 3 ? back(words[3].offset) : line.size() > 0 ? back(line.size()) : 0,
            Cat("expected <matcher> \"<from regex>\" \"<to>\" (3 words), found ", words.size(),
                words.size() == 1 ? " word" : " words"));
      return;
    }
    ManagementEntry e = NewEntry();
    if (!RuleMatcher::Parse(matcher->text, &e.matcher, &at, &why)) {
      Error(back(WordStart(line, *matcher) + std::min(at, matcher->text.size())), why);
      return;
    }
    const size_t from_start = WordStart(line, *from);
    const size_t to_start = WordStart(line, *to);
    if (from->text.empty()) {
      Error(back(from->offset), "the pattern to replace is empty");
      return;
    }
    if (!e.from.Compile(from->text, /*caseless=*/false, &why, &at)) {
      Error(back(from_start + at), Cat("bad regular expression: ", why));
      return;
    }
    if (!e.from.ParseReplacement(OinkmasterBackReferences(to->text), &e.to, &at, &why)) {
      Error(back(to_start + at), Cat("bad replacement: ", why));
      return;
    }
    Target().push_back(std::move(e));
  }

  ManagementKind kind_;
  std::string_view file_;
  Management* into_;
  int line_ = 0;
  size_t lead_ = 0;
  std::string_view text_;
};

}  // namespace

std::string_view ManagementKindName(ManagementKind kind) {
  switch (kind) {
    case ManagementKind::kDisable: return "disable";
    case ManagementKind::kEnable: return "enable";
    case ManagementKind::kDrop: return "drop";
    case ManagementKind::kModify: return "modify";
  }
  return "?";
}

size_t Management::error_count() const {
  return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                           [](const rules::Diagnostic& d) { return d.severity == Severity::kError; }));
}

void ParseManagementFile(ManagementKind kind, std::string_view text, std::string_view file_name, Management* into) {
  FileParser(kind, file_name, into).Parse(text);
}

}  // namespace kagami::rules::update
