#pragma once
// Diagnostics of the update step quote the line they are about, so a
// message read in a cron mail or a log says what was wrong without the
// file at hand: "disable.conf:4:1: error: WHY: in 'LINE'".

#include <string>
#include <string_view>

#include "rules/diagnostic.h"

namespace kagami::rules::update {

// Long rule lines are cut: the position already says where to look.
inline constexpr size_t kQuotedLineMax = 160;

inline std::string QuoteLine(std::string_view line) {
  std::string out = "'";
  if (line.size() > kQuotedLineMax) {
    out.append(line.substr(0, kQuotedLineMax));
    out += "...";
  } else {
    out.append(line);
  }
  out += "'";
  return out;
}

inline rules::Diagnostic LineDiagnostic(rules::Diagnostic::Severity severity, std::string_view file, int line,
                                        int column, std::string_view message, std::string_view line_text) {
  rules::Diagnostic d;
  d.severity = severity;
  d.location = {std::string(file), line, column};
  d.message = std::string(message) + ": in " + QuoteLine(line_text);
  return d;
}

}  // namespace kagami::rules::update
