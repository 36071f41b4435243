#pragma once
// Signature ids of indicator alerts: a pure function of the indicator, so an
// indicator keeps its sid across reloads, restarts and feed re-orderings and
// analysts can suppress or tune it by sid.
//
//   text = the STIX id ("indicator--<uuid>") when the indicator has one,
//          else "<type>:<value>" of its first term (IndicatorTypeName, and
//          the value as the store prints it: "domain:example.com",
//          "ip:10.0.0.0/8", "ip:192.0.2.1")
//   h    = FNV-1a 64 of text
//   sid  = 1,000,000,000 + ((h xor (h >> 32)) mod 1,000,000,000)
//
// The range 1,000,000,000..1,999,999,999 is clear of the Snort/ET sid ranges.

#include <cstdint>
#include <string_view>

#include "rules/feeds/indicator.h"

namespace kagami::intel {

inline constexpr uint32_t kIntelSidFirst = 1'000'000'000;
inline constexpr uint32_t kIntelSidLast = 1'999'999'999;

uint32_t IndicatorSid(std::string_view stix_id, feeds::IndicatorType type, std::string_view value);

}  // namespace kagami::intel
