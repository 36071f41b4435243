// Loads the public ET Open and Snort 3 community rule sets (when present) and
// prints how many rules load and the most common rejection reasons. This is a
// coverage report, not a pass/fail gate on the numbers.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rules/rule_loader.h"

namespace kagami::rules {
namespace {

// Collapses a message into a reason: quoted specifics become '...', except
// the keyword of "unknown keyword" messages, which is the interesting part.
std::string Reason(const std::string& message) {
  if (message.rfind("unknown keyword", 0) == 0) return message;
  std::string out;
  bool in_quote = false;
  for (char c : message) {
    if (c == '\'') {
      if (!in_quote) out += "'…'";
      in_quote = !in_quote;
    } else if (!in_quote) {
      out.push_back(c);
    }
  }
  return out;
}

// `name` is a file of ../shared/bench/rules beside the source tree.
void Report(const std::string& name) {
  const std::string full = std::string(KAGAMI_SOURCE_DIR) + "/../shared/bench/rules/" + name;
  const char* path = full.c_str();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  auto start = std::chrono::steady_clock::now();
  RuleSet set = LoadRules({path}, LoadOptions{});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::map<std::string, int> reasons;
  for (const Diagnostic& d : set.diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) ++reasons[Reason(d.message)];
  }
  std::vector<std::pair<int, std::string>> top;
  for (auto& [r, n] : reasons) top.emplace_back(n, r);
  std::sort(top.rbegin(), top.rend());
  std::printf("%s: %zu rules loaded, %zu rejected, %.2f s\n", path, set.rules.size(), set.error_count(), secs);
  for (size_t i = 0; i < top.size() && i < 40; ++i) std::printf("  %6d  %s\n", top[i].first, top[i].second.c_str());
  EXPECT_GT(set.rules.size(), 0u);
}

TEST(RulesetCorpus, EtOpen) { Report("et-open.rules"); }
TEST(RulesetCorpus, EtCommon) { Report("et-common.rules"); }
TEST(RulesetCorpus, Snort3Community) { Report("snort3-community.rules"); }

}  // namespace
}  // namespace kagami::rules
