#pragma once
// Regular expressions of the rule management files, compiled with PCRE2:
// `re:` matchers (searched anywhere in a rule) and modify.conf's patterns.
// suricata-update runs these through Python's `re`, so replacements use
// Python's template syntax (\1, \g<1>, \g<name>), which PCRE2's own
// substitute ($1) does not read; ReplaceAll implements it, with Python's
// handling of empty matches.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::rules::update {

// A parsed replacement template: literal text and group references.
struct Replacement {
  struct Piece {
    std::string literal;  // used when group < 0
    int group = -1;       // a capture group's number
  };
  std::vector<Piece> pieces;
};

class Regex {
 public:
  Regex() = default;

  // Compiles `pattern` (byte semantics, no UTF mode: rule files are not
  // always valid UTF-8). On failure returns false with PCRE2's message and
  // the offset in `pattern` it points at.
  bool Compile(std::string_view pattern, bool caseless, std::string* error, size_t* error_offset);
  bool compiled() const { return impl_ != nullptr; }

  // True when the pattern matches somewhere in `subject`. A match that
  // runs into PCRE2's match limit counts as no match and sets *limit_hit.
  bool Search(std::string_view subject, bool* limit_hit) const;

  // Replaces every non-overlapping match (Python's re.sub): unmatched
  // groups insert nothing; an empty match next to the previous match is
  // replaced too. Returns how many matches were replaced; -1 when the
  // match limit stopped it (out is then unusable).
  long ReplaceAll(std::string_view subject, const Replacement& with, std::string* out) const;

  // Parses a Python re.sub template against this pattern's groups:
  // \1..\99, \g<N>, \g<name>, octal \0 / \NNN, the escapes \a \b \f \n \r
  // \t \v \\ ; any other backslash before a non-letter stays as written, a
  // backslash before another ASCII letter is an error (as in Python). On
  // error returns false with the offset in `text` and why.
  bool ParseReplacement(std::string_view text, Replacement* out, size_t* error_at, std::string* error) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kagami::rules::update
