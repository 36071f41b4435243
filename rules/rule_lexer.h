#pragma once
// Internal to rules/: splits one logical rule (continuation lines already
// joined) into header tokens and raw "keyword[:value];" options, remembering
// the offset of every piece so diagnostics can point at it.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"

namespace kagami::rules {

// Maps offsets in a logical rule back to physical file positions: a rule
// joined from "a \<newline>b" has one piece per physical line.
struct SourceMap {
  struct Piece {
    size_t offset;  // first logical offset of this piece
    int line;
    int column;  // physical column of that offset
  };
  std::string file;
  std::vector<Piece> pieces;
  SourceLocation At(size_t offset) const;
};

struct Token {
  std::string_view text;
  size_t offset = 0;
};

struct RawOption {
  Token keyword;
  bool has_value = false;
  Token value;  // trimmed; raw (quotes and escapes kept)
};

struct RawRule {
  std::vector<Token> header;
  std::vector<RawOption> options;
};

struct LexError {
  size_t offset = 0;
  std::string message;
};

// Returns false and fills *error on malformed structure.
bool LexRule(std::string_view text, RawRule* out, LexError* error);

// Removes surrounding double quotes (when present) and resolves \" \; \\ and
// \: escapes. *error_at receives the offset within `raw` of a problem.
bool Unquote(std::string_view raw, std::string* out, size_t* error_at, std::string* error);

// A quote followed by what reads as the next option ("x" content:...): the
// message for a quote that should have ended the value, with its ';'
// missing; empty when `after_quote` does not look like that.
std::string MissingSemicolonAfterQuote(std::string_view after_quote);

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
std::string_view Trim(std::string_view s);
// Trim, reporting how many leading characters were dropped.
std::string_view Trim(std::string_view s, size_t* leading);

}  // namespace kagami::rules
