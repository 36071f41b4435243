#pragma once
// What one pull did besides merging, for its summary: requests made, and
// what was left out and why.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace kagami::feeds::pull {

// The most detailed warnings one pull keeps; the rest are only counted.
inline constexpr size_t kMaxPullWarnings = 20;

struct PullStats {
  size_t requests = 0;
  size_t received = 0;  // objects or attributes the server sent
  size_t ignored = 0;   // entries that were no object (no id, type, value...)
  // MISP attributes Kagami cannot match, by "type (reason)".
  std::map<std::string, size_t> skipped;
  std::vector<std::string> warnings;  // the first kMaxPullWarnings
  size_t more_warnings = 0;

  void Warn(std::string message) {
    if (warnings.size() < kMaxPullWarnings) {
      warnings.push_back(std::move(message));
    } else {
      ++more_warnings;
    }
  }
};

}  // namespace kagami::feeds::pull
