// libFuzzer target for the Zeek Intel reader.
//
// The input is read twice: as a whole file (from an exactly sized copy, so
// ASan sees any read past the end), and after a standard header so that the
// data-line paths are reached even when the input has no #fields line. The
// first byte picks the header's meta columns. Indicators and reports are
// checked for consistency and reading is deterministic.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "rules/feeds/feed_reader.h"
#include "rules/feeds/zeek_intel_reader.h"

namespace {

using namespace kagami::feeds;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

class CheckingSink : public IndicatorSink {
 public:
  explicit CheckingSink(int max_line) : max_line_(max_line) {}
  void Add(const Indicator& indicator) override {
    Check(indicator.clauses.size() == 1 && indicator.clauses[0].terms.size() == 1);
    const Term& t = indicator.clauses[0].terms[0];
    Check(static_cast<int>(t.type) < kIndicatorTypeCount && t.type != IndicatorType::kPort &&
          t.type != IndicatorType::kJa3s && t.type != IndicatorType::kJa4);
    if (t.type == IndicatorType::kIp) {
      Check(t.value.empty() && !(t.range.hi < t.range.lo));
    } else {
      Check(!t.value.empty());
    }
    Check(indicator.intrusion_sets.empty() && indicator.campaigns.size() <= 1 &&
          indicator.malware.size() <= 1);
    Check(indicator.confidence >= -1 && indicator.confidence <= 100);
    Check(indicator.where.line >= 1 && indicator.where.line <= max_line_);
    for (char c : t.value) digest = digest * 131 + static_cast<unsigned char>(c);
    digest = digest * 131 + static_cast<uint64_t>(indicator.where.line);
  }
  void Attribute(std::string_view, AttributionKind, std::string_view) override { Check(false); }

  uint64_t digest = 0;

 private:
  int max_line_;
};

void Read(std::string_view text) {
  int lines = 1;
  for (char c : text) lines += c == '\n';
  CheckingSink a(lines), b(lines);
  FeedReport ra, rb;
  const bool ok = ReadZeekIntelString(text, "fuzz.dat", FeedOptions(), &a, &ra);
  Check(ok == ReadZeekIntelString(text, "fuzz.dat", FeedOptions(), &b, &rb));
  Check(a.digest == b.digest && ra.indicators == rb.indicators && ra.skipped == rb.skipped &&
        ra.diagnostics.size() == rb.diagnostics.size());
  size_t terms = 0;
  for (size_t c : ra.counts) terms += c;
  Check(terms == ra.indicators && ra.format == "zeek");
  Check(ra.indicators + ra.skipped <= static_cast<size_t>(lines));
  Check(ra.diagnostics.size() <= kMaxLineWarnings + 16);
  bool error = false;
  for (const auto& d : ra.diagnostics) {
    error |= d.severity == kagami::rules::Diagnostic::Severity::kError;
  }
  Check(ok != error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  Read(std::string_view(copy.get(), size));

  static const char* const kHeaders[] = {
      "#fields\tindicator\tindicator_type\n",
      "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n",
      ("#separator \\x09\n#empty_field\t(empty)\n#unset_field\t-\n"
       "#fields\tmeta.cif_confidence\tindicator_type\tmeta.campaign\tindicator\tmeta.malware\n"),
      "#separator \\x2c\n#fields,indicator,indicator_type,meta.confidence\n",
  };
  std::string with_header = kHeaders[size ? data[0] % 4 : 0];
  with_header.append(copy.get() + (size ? 1 : 0), size ? size - 1 : 0);
  Read(with_header);
  return 0;
}
