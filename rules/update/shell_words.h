#pragma once
// Splits a modify.conf line into words as suricata-update does (Python's
// shlex.split, POSIX mode, no comments): blanks separate words; outside
// quotes a backslash takes the next character literally; inside "..."
// only \" and \\ are escapes (any other backslash is kept, so "\d+" stays
// \d+); '...' is literal; quoted and unquoted parts of one word join.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::rules::update {

struct ShellWord {
  std::string text;
  size_t offset = 0;  // where the word starts in the line
};

// False with why and the offset of the problem (an unclosed quote, a
// backslash at the end).
bool SplitShellWords(std::string_view line, std::vector<ShellWord>* out, size_t* error_at, std::string* error);

// Where an unquoted " #" starts a trailing comment, else npos.
size_t FindTrailingComment(std::string_view line);

}  // namespace kagami::rules::update
