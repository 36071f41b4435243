#pragma once
// Which bytes win when two TCP segments not yet delivered overlap with
// different data — the "target-based" policies of Suricata's stream engine,
// named after the operating systems whose behaviour they copy.

#include <cstdint>
#include <optional>
#include <string_view>

namespace kagami::stream {

enum class OverlapPolicy : uint8_t {
  kFirst,    // the segment that arrived first keeps its bytes (default)
  kLast,     // the segment that arrived last overwrites
  kBsd,      // first, unless the new segment starts before the old one
  kLinux,    // as bsd, and also when it starts at the same place but is longer
  kWindows,  // first, unless the new segment starts before and ends after the old one
  kSolaris,  // last, unless the new segment starts after and ends before the old one
};

std::optional<OverlapPolicy> ParseOverlapPolicy(std::string_view name);
std::string_view OverlapPolicyName(OverlapPolicy policy);

// Whether a new segment [new_start, new_end) overwrites the overlapping
// bytes of an old one [old_start, old_end) under `policy`.
bool NewSegmentWins(OverlapPolicy policy, uint64_t old_start, uint64_t old_end, uint64_t new_start,
                    uint64_t new_end);

}  // namespace kagami::stream
