#include "engine/stream/overlap_policy.h"

#include <array>
#include <utility>

namespace kagami::stream {
namespace {

constexpr std::array<std::pair<std::string_view, OverlapPolicy>, 6> kNames{{
    {"first", OverlapPolicy::kFirst},
    {"last", OverlapPolicy::kLast},
    {"bsd", OverlapPolicy::kBsd},
    {"linux", OverlapPolicy::kLinux},
    {"windows", OverlapPolicy::kWindows},
    {"solaris", OverlapPolicy::kSolaris},
}};

}  // namespace

std::optional<OverlapPolicy> ParseOverlapPolicy(std::string_view name) {
  for (const auto& [n, p] : kNames) {
    if (n == name) return p;
  }
  return std::nullopt;
}

std::string_view OverlapPolicyName(OverlapPolicy policy) {
  for (const auto& [n, p] : kNames) {
    if (p == policy) return n;
  }
  return "first";
}

bool NewSegmentWins(OverlapPolicy policy, uint64_t old_start, uint64_t old_end, uint64_t new_start,
                    uint64_t new_end) {
  switch (policy) {
    case OverlapPolicy::kFirst: return false;
    case OverlapPolicy::kLast: return true;
    case OverlapPolicy::kBsd: return new_start < old_start;
    case OverlapPolicy::kLinux:
      return new_start < old_start || (new_start == old_start && new_end > old_end);
    case OverlapPolicy::kWindows: return new_start < old_start && new_end > old_end;
    case OverlapPolicy::kSolaris: return !(new_start > old_start && new_end < old_end);
  }
  return false;
}

}  // namespace kagami::stream
