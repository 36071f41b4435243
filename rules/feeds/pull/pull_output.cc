#include "rules/feeds/pull/pull_output.h"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/feeds/pull/json_text.h"
#include "rules/feeds/pull/misp_attribute.h"
#include "rules/feeds/pull/misp_mapping.h"
#include "rules/feeds/stix_reader.h"

namespace kagami::feeds::pull {
namespace {

// A name-based UUID (version 5 layout over SHA-1), so the same source
// gives the same bundle id from one pull to the next.
std::string NameUuid(const std::string& name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(name.data(), name.size(), digest, &length, EVP_sha1(), nullptr);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// Counts what the reader delivers; keeps nothing.
class CountingSink : public IndicatorSink {
 public:
  void Add(const Indicator&) override {}
  void Attribute(std::string_view, AttributionKind, std::string_view) override {}
  void AttributePlaced(const PlacedAttribution&, const std::function<std::string(uint32_t)>&) override {}
};

}  // namespace

std::string TaxiiBundle(const PullState& state, const std::string& source) {
  std::vector<const StoredObject*> order;
  order.reserve(state.objects.size());
  for (const auto& [key, o] : state.objects) order.push_back(&o);
  std::stable_partition(order.begin(), order.end(), [](const StoredObject* o) { return o->type == "identity"; });
  std::string out = absl::StrCat("{\"type\":\"bundle\",\"id\":\"bundle--", NameUuid(source), "\",\"objects\":[");
  for (size_t i = 0; i < order.size(); ++i) {
    absl::StrAppend(&out, i ? ",\n" : "\n", order[i]->json);
  }
  out += order.empty() ? "]}\n" : "\n]}\n";
  return out;
}

bool MispBundle(const PullState& state, int64_t now_unix, std::string* bundle, PullStats* stats,
                std::string* error) {
  std::vector<Indicator> indicators;
  indicators.reserve(state.objects.size());
  int64_t latest = 0;
  for (const auto& [key, o] : state.objects) {
    MispAttribute a;
    Indicator i;
    std::string why;
    if (!ParseMispAttributeJson(o.json, &a) || !MapMispAttribute(a, &i, &why)) continue;
    latest = std::max(latest, o.modified_unix);
    indicators.push_back(std::move(i));
  }
  StixWriterOptions options;
  options.identity_name = "MISP";
  // The writer stamps every object with one time, which is also each
  // indicator's valid_from: the newest attribute's, so an unchanged state
  // writes the same bytes, but never later than now, or a scan would take
  // the indicators for not yet valid.
  options.created = FormatRfc3339(latest > 0 && latest < now_unix ? latest : now_unix);
  StixWriteReport report;
  if (!WriteStixBundle(indicators, options, bundle, &report, error)) return false;
  if (report.skipped_fingerprints > 0) {
    stats->skipped["ja3-fingerprint-md5 (no STIX pattern for TLS fingerprints)"] += report.skipped_fingerprints;
  }
  if (report.skipped_other > 0) {
    stats->skipped["other (not expressible in STIX)"] += report.skipped_other;
    for (const rules::Diagnostic& d : report.diagnostics) {
      if (d.severity == rules::Diagnostic::Severity::kWarning) stats->Warn(d.ToString());
    }
  }
  return true;
}

bool CheckBundle(const std::string& bundle, const std::string& name, int64_t now_unix, FeedReport* report) {
  CountingSink sink;
  FeedOptions options;
  options.now_unix = now_unix;
  return ReadStixString(bundle, name, options, &sink, report);
}

}  // namespace kagami::feeds::pull
