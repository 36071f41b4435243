// libFuzzer target for the MISP response parsers (restSearch attributes, a
// static feed's manifest and event files) and the attribute mapping.
//
// Whatever the input, parsing must not crash; every attribute parsed has a
// uuid, type and value; one that maps to an indicator has clauses with
// terms, and the record kept in the state reads back as the same attribute
// and maps to the same indicator.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/feeds/pull/misp_attribute.h"
#include "rules/feeds/pull/misp_mapping.h"

namespace {

using namespace kagami::feeds;
using namespace kagami::feeds::pull;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckAttributes(const std::vector<MispAttribute>& attributes) {
  for (const MispAttribute& a : attributes) {
    Check(!a.uuid.empty() && !a.type.empty() && !a.value.empty());
    Check(a.threat_level >= 0 && a.threat_level <= 4);
    Indicator indicator;
    std::string why;
    const bool mapped = MapMispAttribute(a, &indicator, &why);
    if (!mapped) {
      Check(!why.empty() && indicator.clauses.empty());
      continue;
    }
    Check(!indicator.clauses.empty());
    for (const Clause& c : indicator.clauses) Check(!c.terms.empty());
    for (const std::string& name : indicator.intrusion_sets) Check(!name.empty());
    for (const std::string& name : indicator.malware) Check(!name.empty());
    // The state keeps a record; what it maps to must not change.
    MispAttribute kept = a;
    kept.to_ids = true;
    MispAttribute back;
    Check(ParseMispAttributeJson(MispAttributeJson(kept), &back));
    Check(back.uuid == a.uuid && back.type == a.type && back.value == a.value && back.tags == a.tags);
    Indicator again;
    Check(MapMispAttribute(back, &again, &why));
    Check(again.clauses == indicator.clauses && again.labels == indicator.labels &&
          again.malware == indicator.malware && again.intrusion_sets == indicator.intrusion_sets);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<char[]> copy(new char[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  const std::string_view body(copy.get(), size);

  std::string error;
  std::vector<MispAttribute> attributes;
  size_t ignored = 0;
  if (ParseMispRestSearch(body, &attributes, &error, &ignored)) {
    CheckAttributes(attributes);
  } else {
    Check(!error.empty() && attributes.empty());
  }
  if (ParseMispEvent(body, &attributes, &error, &ignored)) CheckAttributes(attributes);
  std::map<std::string, MispEventSummary> events;
  if (ParseMispManifest(body, &events, &error, &ignored)) {
    for (const auto& [uuid, e] : events) Check(IsUuid(uuid));
  }
  return 0;
}
