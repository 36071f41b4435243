// libFuzzer target for the CSV feed reader.
//
// The input is read as a whole feed (from an exactly sized copy, so ASan
// sees any read past the end) and every indicator and the report are checked
// for consistency; a second read must give the same result, since the reader
// keeps no state between calls. Then the input is embedded as one quoted
// field (with "" escapes) between two good rows: RFC 4180 quoting must hand
// it back byte for byte, whatever it holds, and both rows must load.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "rules/feeds/csv_reader.h"
#include "rules/feeds/feed_reader.h"

namespace {

using namespace kagami::feeds;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Keeps a digest of what it was given instead of copies.
class CheckingSink : public IndicatorSink {
 public:
  explicit CheckingSink(int max_line) : max_line_(max_line) {}
  void Add(const Indicator& indicator) override {
    Check(indicator.clauses.size() == 1 && indicator.clauses[0].terms.size() == 1);
    const Term& t = indicator.clauses[0].terms[0];
    Check(static_cast<int>(t.type) < kIndicatorTypeCount && t.type != IndicatorType::kPort);
    if (t.type == IndicatorType::kIp) {
      Check(t.value.empty() && !(t.range.hi < t.range.lo));
    } else {
      Check(!t.value.empty());
    }
    Check(indicator.id.empty() && indicator.labels.empty());
    Check(indicator.campaigns.size() <= 1 && indicator.malware.size() <= 1 &&
          indicator.intrusion_sets.size() <= 1);
    Check(indicator.confidence >= -1 && indicator.confidence <= 100);
    Check(indicator.where.line >= 1 && indicator.where.line <= max_line_);
    for (char c : t.value) digest = digest * 131 + static_cast<unsigned char>(c);
    digest = digest * 131 + static_cast<uint64_t>(indicator.where.line);
    descriptions.push_back(indicator.description);
  }
  void Attribute(std::string_view, AttributionKind, std::string_view) override { Check(false); }

  uint64_t digest = 0;
  std::vector<std::string> descriptions;

 private:
  int max_line_;
};

void CheckReport(const FeedReport& r, bool ok) {
  size_t terms = 0;
  for (size_t c : r.counts) terms += c;
  Check(terms == r.indicators && r.format == "csv" && r.expired == 0);
  Check(r.diagnostics.size() <= kMaxLineWarnings + 64);
  bool error = false;
  for (const auto& d : r.diagnostics) {
    error |= d.severity == kagami::rules::Diagnostic::Severity::kError;
    Check(!d.message.empty() && d.location.file == "fuzz.csv");
  }
  Check(ok != error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  const std::string_view text(copy.get(), size);
  int lines = 1;
  for (char c : text) lines += c == '\n';

  CheckingSink a(lines), b(lines);
  FeedReport ra, rb;
  const bool ok_a = ReadCsvString(text, "fuzz.csv", FeedOptions(), &a, &ra);
  const bool ok_b = ReadCsvString(text, "fuzz.csv", FeedOptions(), &b, &rb);
  CheckReport(ra, ok_a);
  Check(ok_a == ok_b && a.digest == b.digest && ra.indicators == rb.indicators &&
        ra.skipped == rb.skipped && ra.diagnostics.size() == rb.diagnostics.size());
  if (!ok_a) Check(ra.indicators == 0);

  std::string quoted = "type,value,notes\r\ndomain,a.example,\"";
  for (char c : text) {
    quoted.push_back(c);
    if (c == '"') quoted.push_back('"');
  }
  quoted += "\"\nip,192.0.2.1,x\n";
  CheckingSink q(static_cast<int>(quoted.size()));
  FeedReport rq;
  Check(ReadCsvString(quoted, "fuzz.csv", FeedOptions(), &q, &rq));
  Check(rq.indicators == 2 && rq.skipped == 0 && q.descriptions.size() == 2);
  Check(q.descriptions[0] == TrimBlanks(text) && q.descriptions[1] == "x");
  return 0;
}
