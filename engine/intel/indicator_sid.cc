#include "engine/intel/indicator_sid.h"

#include "engine/intel/intel_hash.h"

namespace kagami::intel {

uint32_t IndicatorSid(std::string_view stix_id, feeds::IndicatorType type, std::string_view value) {
  uint64_t h;
  if (!stix_id.empty()) {
    h = Fnv1a64(stix_id);
  } else {
    h = Fnv1a64(value, Fnv1a64(":", Fnv1a64(feeds::IndicatorTypeName(type))));
  }
  constexpr uint64_t kSpan = uint64_t{kIntelSidLast} - kIntelSidFirst + 1;
  return kIntelSidFirst + static_cast<uint32_t>((h ^ (h >> 32)) % kSpan);
}

}  // namespace kagami::intel
