#include "engine/defrag/fragment_policy.h"

namespace kagami::defrag {
namespace {

struct Named {
  std::string_view name;
  Policy policy;
};
constexpr Named kPolicies[] = {
    {"first", Policy::kFirst},     {"last", Policy::kLast},
    {"bsd", Policy::kBsd},         {"linux", Policy::kLinux},
    {"windows", Policy::kWindows}, {"solaris", Policy::kSolaris},
};

}  // namespace

std::optional<Policy> ParsePolicy(std::string_view name) {
  for (const Named& p : kPolicies) {
    if (p.name == name) return p.policy;
  }
  return std::nullopt;
}

std::string_view PolicyName(Policy policy) {
  for (const Named& p : kPolicies) {
    if (p.policy == policy) return p.name;
  }
  return "unknown";
}

bool NewDataWins(Policy policy, uint32_t new_begin, uint32_t new_end, uint32_t old_begin,
                 uint32_t old_end) {
  switch (policy) {
    case Policy::kFirst:
      return false;
    case Policy::kLast:
      return true;
    case Policy::kBsd:
      return new_begin < old_begin;
    case Policy::kLinux:
      return new_begin <= old_begin;
    case Policy::kWindows:
      return new_begin < old_begin && new_end > old_end;
    case Policy::kSolaris:
      return new_begin < old_begin && new_end >= old_end;
  }
  return false;
}

}  // namespace kagami::defrag
