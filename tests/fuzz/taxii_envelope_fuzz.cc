// libFuzzer target for the TAXII 2.1 response parsers (envelope, discovery /
// API root, collections) and the pull state they feed.
//
// Whatever the input, parsing must not crash; an envelope that parses gives
// objects with an id and a type whose stored JSON parses again to the same
// description; merging them into a state and writing that state gives text
// that reads back into the same objects and versions.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/feeds/pull/eager_json.h"
#include "rules/feeds/pull/pull_state.h"
#include "rules/feeds/pull/taxii_envelope.h"

namespace {

using namespace kagami::feeds::pull;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exactly sized copy, so reading past the end is caught.
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  const std::string_view body(copy.get(), size);

  std::string error;
  TaxiiEnvelope envelope;
  if (ParseTaxiiEnvelope(body, &envelope, &error)) {
    PullState state;
    MergeCounts counts;
    for (const StoredObject& o : envelope.objects) {
      Check(!o.key.empty() && !o.type.empty() && !o.json.empty());
      JsonDocument again;
      again.Parse(o.json.data(), o.json.size());
      Check(!again.HasParseError() && again.IsObject());
      StoredObject described;
      Check(DescribeStixObject(again, &described));
      // Not the JSON text: a double need not come back to the last bit.
      Check(described.key == o.key && described.version == o.version && described.removed == o.removed &&
            described.type == o.type && described.valid_until_unix == o.valid_until_unix);
      state.Merge(o, &counts);
    }
    Check(counts.added + counts.updated + counts.removed + counts.unchanged <= envelope.objects.size());
    const std::string text = SerializePullState(state);
    PullState back;
    Check(ParsePullState(text, "state", &back, &error));
    Check(back.objects.size() == state.objects.size());
    for (auto a = state.objects.begin(), b = back.objects.begin(); a != state.objects.end(); ++a, ++b) {
      Check(a->first == b->first && a->second.version == b->second.version && a->second.type == b->second.type &&
            a->second.modified_unix == b->second.modified_unix);
    }
  } else {
    Check(!error.empty());
  }

  TaxiiServerInfo info;
  if (ParseTaxiiServerInfo(body, &info, &error)) {
    for (const std::string& root : info.api_roots) Check(!root.empty());
  }
  std::vector<TaxiiCollection> collections;
  if (ParseTaxiiCollections(body, &collections, &error)) {
    for (const TaxiiCollection& c : collections) Check(c.id.size() <= size);
  }
  return 0;
}
