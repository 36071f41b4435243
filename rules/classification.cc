#include "rules/classification.h"

#include "common/read_file.h"

#include <fstream>
#include <mutex>
#include <sstream>

#include "rules/rule_lexer.h"
#include "rules/rule_parser.h"
#include "rules/text_util.h"

namespace kagami::rules {

namespace {
constexpr std::string_view kPrefix = "config classification:";

Diagnostic Error(std::string_view file, int line, int col, std::string msg) {
  Diagnostic d;
  d.location = {std::string(file), line, col};
  d.message = std::move(msg);
  return d;
}
}  // namespace

ClassificationTable ParseClassifications(std::string_view text, std::string_view name,
                                         std::vector<Diagnostic>* diagnostics) {
  ClassificationTable table;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    size_t lead = 0;
    std::string_view t = Trim(line, &lead);
    if (t.empty() || t.front() == '#') continue;
    int col = static_cast<int>(lead) + 1;
    if (!t.starts_with(kPrefix)) {
      diagnostics->push_back(Error(name, line_no, col, "expected 'config classification: name,description,priority'"));
      continue;
    }
    std::string_view body = t.substr(kPrefix.size());
    std::vector<Token> parts = SplitArgs(body, 0);
    int body_col = col + static_cast<int>(kPrefix.size());
    if (parts.size() != 3) {
      diagnostics->push_back(Error(name, line_no, body_col, "expected three comma-separated fields: name,description,priority"));
      continue;
    }
    Classification c;
    c.name = std::string(parts[0].text);
    c.description = std::string(parts[1].text);
    uint64_t prio = 0;
    if (c.name.empty() || !ParseUint64(parts[2].text, &prio) || prio < 1 || prio > 255) {
      diagnostics->push_back(Error(name, line_no, body_col, "bad classification entry (name must be set, priority 1-255)"));
      continue;
    }
    c.priority = static_cast<int>(prio);
    c.name = Lower(c.name);
    table[c.name] = std::move(c);
  }
  return table;
}

ClassificationTable LoadClassificationFile(const std::string& path, std::vector<Diagnostic>* diagnostics) {
  std::string text, why;
  if (!ReadWholeFile(path, &text, &why)) {
    diagnostics->push_back(Error(path, 0, 0, "cannot read classification file"));
    return {};
  }
  return ParseClassifications(text, path, diagnostics);
}

// rules/classification.config as compiled in (default_classification.cc.in).
extern const std::string_view kDefaultClassificationText;

const ClassificationTable& DefaultClassifications(std::vector<Diagnostic>* diagnostics) {
  static std::once_flag once;
  static ClassificationTable* table = nullptr;
  static std::vector<Diagnostic>* load_diags = nullptr;
  std::call_once(once, [] {
    load_diags = new std::vector<Diagnostic>();
    table = new ClassificationTable(
        ParseClassifications(kDefaultClassificationText, "classification.config (built in)", load_diags));
  });
  diagnostics->insert(diagnostics->end(), load_diags->begin(), load_diags->end());
  return *table;
}

}  // namespace kagami::rules
