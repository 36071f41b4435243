#pragma once
// Shared by the feed reader tests: what a reader delivered (indicators and
// report) and short ways to look at it.

#include <string>
#include <vector>

#include "common/ip_address.h"
#include "rules/feeds/collecting_sink.h"
#include "rules/feeds/indicator.h"

namespace kagami::feeds::testing {

struct Loaded {
  bool ok = false;
  CollectingSink sink;
  FeedReport report;
  const std::vector<Indicator>& indicators() const { return sink.indicators; }
  const Term& term(size_t i) const { return sink.indicators.at(i).clauses.at(0).terms.at(0); }
};

// Every diagnostic as "file:line:col: severity: message".
inline std::vector<std::string> Messages(const FeedReport& report) {
  std::vector<std::string> out;
  for (const rules::Diagnostic& d : report.diagnostics) out.push_back(d.ToString());
  return out;
}

inline rules::IpRange Range(const char* lo, const char* hi) {
  return {*IpAddress::Parse(lo), *IpAddress::Parse(hi)};
}

inline size_t Count(const FeedReport& r, IndicatorType t) { return r.counts[static_cast<int>(t)]; }

}  // namespace kagami::feeds::testing
