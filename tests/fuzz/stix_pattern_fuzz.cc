// libFuzzer target for the STIX pattern parser.
//
// The input is parsed as one pattern from an exactly sized copy, so ASan sees
// any read past the end. A success must give 1..kMaxPatternClauses clauses,
// each with something to match besides ports, and every term in canonical
// form; a failure must leave no clauses and point inside the pattern with a
// message. Parsing again into a vector that already holds clauses must give
// the same answer, and so must the general parser alone (ParseStixPattern
// reads single comparisons through a shortcut).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "rules/feeds/normalize.h"
#include "rules/feeds/stix_pattern.h"

namespace {

using namespace kagami::feeds;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool IsLowerHex(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void CheckTerm(const Term& t) {
  switch (t.type) {
    case IndicatorType::kIp: Check(t.range.lo <= t.range.hi); break;
    case IndicatorType::kPort: Check(t.port_lo <= t.port_hi && t.side != Side::kEither); break;
    case IndicatorType::kDomain: Check(NormalizeDomain(t.value) == t.value); break;
    case IndicatorType::kUrl:
    case IndicatorType::kUserAgent: Check(!t.value.empty()); break;
    case IndicatorType::kFileMd5: Check(t.value.size() == 32 && IsLowerHex(t.value)); break;
    case IndicatorType::kCertSha1:
    case IndicatorType::kFileSha1: Check(t.value.size() == 40 && IsLowerHex(t.value)); break;
    case IndicatorType::kCertSha256:
    case IndicatorType::kFileSha256: Check(t.value.size() == 64 && IsLowerHex(t.value)); break;
    default: Check(false);  // JA3/JA4 have no STIX path
  }
  if (t.type != IndicatorType::kIp && t.type != IndicatorType::kPort) Check(t.side == Side::kEither);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  const std::string_view pattern(copy.get(), size);

  std::vector<Clause> clauses;
  PatternError error;
  const bool ok = ParseStixPattern(pattern, &clauses, &error);
  if (ok) {
    Check(!clauses.empty() && clauses.size() <= kMaxPatternClauses);
    for (const Clause& c : clauses) {
      bool matchable = false;
      for (const Term& t : c.terms) {
        CheckTerm(t);
        matchable = matchable || t.type != IndicatorType::kPort;
      }
      Check(matchable);
    }
  } else {
    Check(clauses.empty() && error.offset <= size && !error.message.empty());
  }

  std::vector<Clause> general;
  PatternError general_error;
  Check(ParseStixPatternGeneral(pattern, &general, &general_error) == ok);
  if (ok) {
    Check(general == clauses);
  } else {
    Check(general_error.offset == error.offset && general_error.message == error.message);
  }

  static std::vector<Clause> reused(3);  // holds the previous input's result
  PatternError again;
  Check(ParseStixPattern(pattern, &reused, &again) == ok);
  if (ok) {
    Check(reused == clauses);
  } else {
    Check(reused.empty() && again.offset == error.offset && again.message == error.message);
    reused.resize(2);
  }
  return 0;
}
