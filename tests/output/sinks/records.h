#pragma once
// Numbered EVE-shaped records for output tests, and reading the numbers
// back from what a peer received.

#include <string>
#include <string_view>
#include <vector>

namespace kagami::output::testing {

// {"timestamp":"...","event_type":TYPE,"alert":{"severity":SEV},"n":I}\n
inline std::string Record(int i, std::string_view type = "alert", int severity = 2) {
  std::string r = "{\"timestamp\":\"2026-12-07T10:00:00.000000+0000\",\"event_type\":\"";
  r += type;
  r += "\"";
  if (type == "alert") r += ",\"alert\":{\"severity\":" + std::to_string(severity) + "}";
  r += ",\"n\":" + std::to_string(i) + "}\n";
  return r;
}

// The "n" of every record in `text`, in order.
inline std::vector<int> Numbers(std::string_view text) {
  std::vector<int> out;
  size_t at = 0;
  while ((at = text.find("\"n\":", at)) != std::string_view::npos) {
    at += 4;
    int n = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') n = n * 10 + (text[at++] - '0');
    out.push_back(n);
  }
  return out;
}

inline std::vector<int> Range(int from, int to) {
  std::vector<int> out;
  for (int i = from; i < to; ++i) out.push_back(i);
  return out;
}

// What differs between `got` and the numbers from..to-1 in order, for a
// failure message: counts, the first missing and repeated numbers, and
// where the order first breaks.
inline std::string Difference(const std::vector<int>& got, int from, int to) {
  std::vector<int> seen(static_cast<size_t>(to - from), 0);
  std::string missing, repeated;
  for (int n : got) {
    if (n >= from && n < to && ++seen[static_cast<size_t>(n - from)] == 2 && repeated.size() < 80) {
      repeated += std::to_string(n) + " ";
    }
  }
  for (int n = from; n < to; ++n) {
    if (seen[static_cast<size_t>(n - from)] == 0 && missing.size() < 80) missing += std::to_string(n) + " ";
  }
  std::string order;
  for (size_t i = 1; i < got.size() && order.empty(); ++i) {
    if (got[i] <= got[i - 1]) order = std::to_string(got[i - 1]) + " then " + std::to_string(got[i]);
  }
  return std::to_string(got.size()) + " records; missing: " + missing + "; repeated: " + repeated +
         "; order breaks at: " + order;
}

}  // namespace kagami::output::testing
