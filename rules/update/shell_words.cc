#include "rules/update/shell_words.h"

namespace kagami::rules::update {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool SplitShellWords(std::string_view line, std::vector<ShellWord>* out, size_t* error_at, std::string* error) {
  out->clear();
  size_t i = 0;
  while (true) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i >= line.size()) return true;
    ShellWord word;
    word.offset = i;
    while (i < line.size() && !IsBlank(line[i])) {
      const char c = line[i];
      if (c == '\\') {
        if (i + 1 >= line.size()) {
          *error_at = i;
          *error = "backslash at the end of the line";
          return false;
        }
        word.text.push_back(line[i + 1]);
        i += 2;
        continue;
      }
      if (c == '\'' || c == '"') {
        const size_t open = i++;
        while (true) {
          if (i >= line.size()) {
            *error_at = open;
            *error = std::string("no closing ") + c + " quote";
            return false;
          }
          if (line[i] == c) {
            ++i;
            break;
          }
          if (c == '"' && line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
            word.text.push_back(line[i + 1]);
            i += 2;
            continue;
          }
          word.text.push_back(line[i++]);
        }
        continue;
      }
      word.text.push_back(c);
      ++i;
    }
    out->push_back(std::move(word));
  }
}

size_t FindTrailingComment(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (quote == '"' && c == '\\' && i + 1 < line.size()) {
        ++i;
      }
      continue;
    }
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      continue;
    }
    if (c == '#' && i > 0 && line[i - 1] == ' ') return i - 1;
  }
  return std::string_view::npos;
}

}  // namespace kagami::rules::update
