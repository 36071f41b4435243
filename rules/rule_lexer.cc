#include "rules/rule_lexer.h"

#include <algorithm>
#include <cctype>

namespace kagami::rules {

SourceLocation SourceMap::At(size_t offset) const {
  SourceLocation loc;
  loc.file = file;
  if (pieces.empty()) return loc;
  auto it = std::upper_bound(pieces.begin(), pieces.end(), offset,
                             [](size_t o, const Piece& p) { return o < p.offset; });
  if (it != pieces.begin()) --it;
  loc.line = it->line;
  loc.column = it->column + static_cast<int>(offset - it->offset);
  return loc;
}

std::string_view Trim(std::string_view s, size_t* leading) {
  size_t b = 0;
  while (b < s.size() && IsSpace(s[b])) ++b;
  size_t e = s.size();
  while (e > b && IsSpace(s[e - 1])) --e;
  if (leading) *leading = b;
  return s.substr(b, e - b);
}

std::string_view Trim(std::string_view s) { return Trim(s, nullptr); }

namespace {

bool IsKeywordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// Splits the header (text before the options' '(') on whitespace outside
// brackets, so "[1.2.3.4, 5.6.7.8]" stays one token.
bool LexHeader(std::string_view text, size_t end, RawRule* out, LexError* error) {
  size_t i = 0;
  while (i < end) {
    while (i < end && IsSpace(text[i])) ++i;
    if (i >= end) break;
    size_t start = i;
    int depth = 0;
    while (i < end && (depth > 0 || !IsSpace(text[i]))) {
      if (text[i] == '[') ++depth;
      if (text[i] == ']') {
        if (depth == 0) {
          *error = {i, "unbalanced ']' in rule header"};
          return false;
        }
        --depth;
      }
      ++i;
    }
    if (depth > 0) {
      *error = {start, "unterminated '[' in rule header"};
      return false;
    }
    out->header.push_back({text.substr(start, i - start), start});
  }
  return true;
}

}  // namespace

bool LexRule(std::string_view text, RawRule* out, LexError* error) {
  out->header.clear();
  out->options.clear();
  // The options start at the first '(' outside brackets.
  size_t open = std::string_view::npos;
  int depth = 0;
  size_t unclosed = std::string_view::npos;  // the outermost '[' still open
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '[' && depth++ == 0) unclosed = i;
    if (c == ']' && --depth == 0) unclosed = std::string_view::npos;
    if (c == '(' && depth <= 0) {
      open = i;
      break;
    }
  }
  if (open == std::string_view::npos) {
    if (unclosed != std::string_view::npos) {
      *error = {unclosed, "unterminated '[' in rule header"};
      return false;
    }
    *error = {text.size(), "expected '(' and rule options after the rule header"};
    return false;
  }
  if (!LexHeader(text, open, out, error)) return false;

  size_t close = text.size();
  while (close > open + 1 && IsSpace(text[close - 1])) --close;
  if (close == open + 1 || text[close - 1] != ')') {
    *error = {close, "unterminated rule options: expected ')' at the end of the rule"};
    return false;
  }
  --close;  // position of the final ')'

  size_t i = open + 1;
  while (true) {
    while (i < close && IsSpace(text[i])) ++i;
    if (i >= close) break;
    size_t kstart = i;
    while (i < close && IsKeywordChar(text[i])) ++i;
    if (i == kstart) {
      *error = {i, std::string("expected a rule option keyword, found '") + text[i] + "'"};
      return false;
    }
    RawOption opt;
    opt.keyword = {text.substr(kstart, i - kstart), kstart};
    while (i < close && IsSpace(text[i])) ++i;
    if (i >= close) {
      *error = {i, "missing ';' after option '" + std::string(opt.keyword.text) + "'"};
      return false;
    }
    if (text[i] == ';') {
      ++i;
      out->options.push_back(opt);
      continue;
    }
    if (text[i] != ':') {
      *error = {i, "expected ':' or ';' after option '" + std::string(opt.keyword.text) + "'"};
      return false;
    }
    ++i;
    size_t vstart = i;
    // A value ends at the first unescaped ';'. A quoted value ends at the
    // first unescaped ';' that follows its closing quote, so quotes and ';'
    // inside the string (pcre:"/["']x;/") need no escaping.
    size_t first = vstart;
    while (first < close && IsSpace(text[first])) ++first;
    if (first < close && text[first] == '!') {
      ++first;
      while (first < close && IsSpace(text[first])) ++first;
    }
    bool quoted = first < close && text[first] == '"';
    bool found = false;
    for (; i < close; ++i) {
      char c = text[i];
      if (c == '\\') {
        ++i;
        continue;
      }
      if (c != ';') continue;
      if (!quoted) {
        found = true;
        break;
      }
      size_t q = i;
      while (q > first + 1 && IsSpace(text[q - 1])) --q;
      size_t slashes = 0;
      while (q >= 2 + slashes && q - 2 - slashes > first && text[q - 2 - slashes] == '\\') ++slashes;
      if (q > first + 1 && text[q - 1] == '"' && slashes % 2 == 0) {
        found = true;
        break;
      }
    }
    if (!found) {
      if (quoted) {
        // Where the value probably ended: its closing quote, followed by
        // the next option instead of ';'.
        for (size_t q = first + 1; q < close; ++q) {
          if (text[q] == '\\') {
            ++q;
            continue;
          }
          if (text[q] != '"') continue;
          if (std::string why = MissingSemicolonAfterQuote(text.substr(q + 1, close - q - 1)); !why.empty()) {
            *error = {q, "option '" + std::string(opt.keyword.text) + "': " + why};
            return false;
          }
          break;
        }
        *error = {first, "unterminated quoted string in option '" + std::string(opt.keyword.text) + "'"};
      } else {
        *error = {std::min(i, close), "missing ';' after option '" + std::string(opt.keyword.text) + "'"};
      }
      return false;
    }
    size_t lead = 0;
    std::string_view v = Trim(text.substr(vstart, i - vstart), &lead);
    opt.has_value = true;
    opt.value = {v, vstart + lead};
    out->options.push_back(opt);
    ++i;  // past ';'
  }
  return true;
}

std::string MissingSemicolonAfterQuote(std::string_view after) {
  size_t i = 0;
  while (i < after.size() && IsSpace(after[i])) ++i;
  if (i == 0) return "";
  const size_t word = i;
  while (i < after.size() && (std::isalnum(static_cast<unsigned char>(after[i])) || after[i] == '_' ||
                              after[i] == '.' || after[i] == '-')) {
    ++i;
  }
  if (i == word || i >= after.size() || (after[i] != ':' && after[i] != ';')) return "";
  return "missing ';' after this quoted value (the next option, '" + std::string(after.substr(word, i - word)) +
         "', follows it)";
}

bool Unquote(std::string_view raw, std::string* out, size_t* error_at, std::string* error) {
  out->clear();
  size_t b = 0, e = raw.size();
  if (!raw.empty() && raw.front() == '"') {
    if (raw.size() < 2 || raw.back() != '"') {
      *error_at = 0;
      *error = "unterminated quoted string";
      return false;
    }
    b = 1;
    e = raw.size() - 1;
  }
  out->reserve(e - b);
  for (size_t i = b; i < e; ++i) {
    char c = raw[i];
    if (c == '\\') {
      if (i + 1 >= e) {
        *error_at = i;
        *error = "trailing backslash";
        return false;
      }
      out->push_back(raw[++i]);
      continue;
    }
    if (c == '"') {
      *error_at = i;
      *error = MissingSemicolonAfterQuote(raw.substr(i + 1));
      if (error->empty()) *error = "unescaped '\"' inside a quoted string";
      return false;
    }
    out->push_back(c);
  }
  return true;
}

}  // namespace kagami::rules
