#pragma once
// Diagnostic: one message about an input file, with its position, printed as
// "file:line:col: error: message" (the compiler convention editors jump to).

#include <string>

namespace kagami::rules {

struct SourceLocation {
  std::string file;  // as given on the command line, or "<string>"
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
};

struct Diagnostic {
  enum class Severity { kError, kWarning, kNote };
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string message;

  std::string ToString() const;
};

}  // namespace kagami::rules
