// libFuzzer target for the STIX bundle reader.
//
// The input is read as a STIX document from an exactly sized copy with a sink
// that checks what it is given: every indicator complete and located inside
// the input, attribution only for indicators already delivered and named. The
// report must agree with the sink, and a false return must come with exactly
// one error placed inside the input.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "rules/feeds/collecting_sink.h"
#include "rules/feeds/stix_pattern.h"
#include "rules/feeds/stix_reader.h"

namespace {

using namespace kagami::feeds;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

class CheckingSink : public CollectingSink {
 public:
  explicit CheckingSink(int max_line) : max_line_(max_line) {}

  void Add(const Indicator& i) override {
    Check(!i.id.empty() && !i.clauses.empty() && i.clauses.size() <= kMaxPatternClauses);
    Check(i.where.file == "fuzz.json" && i.where.line >= 1 && i.where.line <= max_line_ && i.where.column >= 1);
    Check(i.confidence >= -1 && i.confidence <= 100);
    Check(i.campaigns.empty() && i.intrusion_sets.empty() && i.malware.empty());
    ids_.insert(i.id);
    CollectingSink::Add(i);
  }
  void Attribute(std::string_view id, AttributionKind kind, std::string_view name) override {
    Check(ids_.count(std::string(id)) == 1 && !name.empty());
    Check(seen_.insert(std::string(id) + '\n' + std::to_string(static_cast<int>(kind)) + '\n' + std::string(name)).second);
    CollectingSink::Attribute(id, kind, name);
  }
  // The reader names each delivery of an id by its place among the Adds,
  // with a set of distinct, non-empty names.
  void AttributePlaced(const PlacedAttribution& a, const std::function<std::string(uint32_t)>& id_of) override {
    Check(a.set_of.size() == indicators.size());
    for (size_t p = 0; p < a.set_of.size(); ++p) {
      if (a.set_of[p] == PlacedAttribution::kNoSet) continue;
      Check(a.set_of[p] < a.sets.size() && !a.sets[a.set_of[p]].empty());
      Check(id_of(static_cast<uint32_t>(p)) == indicators[p].id);
      std::set<std::string> names;
      for (const PlacedAttribution::Name& n : a.sets[a.set_of[p]]) {
        Check(!n.name.empty() && names.insert(std::to_string(static_cast<int>(n.kind)) + '\n' + n.name).second);
      }
    }
    CollectingSink::AttributePlaced(a, id_of);  // by place: no Attribute calls
  }

 private:
  int max_line_;
  std::set<std::string> ids_;
  std::set<std::string> seen_;  // each (indicator, kind, name) once
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  const std::string_view json(copy.get(), size);
  int lines = 1;
  for (char c : json) lines += c == '\n';

  CheckingSink sink(lines);
  FeedReport report;
  FeedOptions options;
  options.now_unix = 1704067200;  // 2024-01-01, so validity is reproducible
  const bool ok = ReadStixString(json, "fuzz.json", options, &sink, &report);

  Check(report.indicators == sink.indicators.size() && report.format == "stix" && report.path == "fuzz.json");
  size_t errors = 0, warnings = 0;
  for (const auto& d : report.diagnostics) {
    if (d.severity == kagami::rules::Diagnostic::Severity::kError) {
      ++errors;
      Check(d.location.line >= 1 && d.location.line <= lines && d.location.column >= 1);
    } else if (d.severity == kagami::rules::Diagnostic::Severity::kWarning) {
      ++warnings;
    }
    Check(!d.message.empty());
  }
  Check(errors == (ok ? 0u : 1u) && warnings <= kMaxStixWarnings && warnings <= report.skipped);
  return 0;
}
