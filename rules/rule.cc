#include "rules/rule.h"

#include <algorithm>


namespace kagami::rules {

std::string Diagnostic::ToString() const {
  const char* sev = severity == Severity::kError     ? "error"
                    : severity == Severity::kWarning ? "warning"
                                                     : "note";
  std::string out = location.file.empty() ? std::string("<unknown>") : location.file;
  if (location.line > 0) {
    out += ":" + std::to_string(location.line);
    if (location.column > 0) out += ":" + std::to_string(location.column);
  }
  out += std::string(": ") + sev + ": " + message;
  return out;
}

size_t RuleSet::error_count() const {
  return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  }));
}

bool NumberCheck::Matches(uint64_t v) const {
  switch (op) {
    case Op::kEq: return v == a;
    case Op::kNe: return v != a;
    case Op::kLt: return v < a;
    case Op::kGt: return v > a;
    case Op::kLe: return v <= a;
    case Op::kGe: return v >= a;
    case Op::kRangeExclusive: return v > a && v < b;
    case Op::kRangeInclusive: return v >= a && v <= b;
  }
  return false;
}

bool HeaderChecks::empty() const {
  return !dsize && !ttl && !ip_proto && !itype && !icode && !icmp_id && !icmp_seq && !tcp_seq &&
         !tcp_ack && !window && !flags && !fragbits && !ipopts;
}

}  // namespace kagami::rules
