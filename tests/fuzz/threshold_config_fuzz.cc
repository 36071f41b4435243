// libFuzzer target: ParseThresholdConfig and ApplyThresholdConfig on
// arbitrary text must never crash, hang or leak; every problem is a
// diagnostic.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "rules/rule_loader.h"
#include "rules/threshold_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kagami::rules::RuleSet* const rules = [] {
    auto* set = new kagami::rules::RuleSet(kagami::rules::ParseRules(
        "alert tcp any any -> any any (msg:\"a\"; sid:1;)\n"
        "alert tcp any any -> any any (msg:\"b\"; threshold:type limit, track by_src, count 1, seconds 1; sid:2;)\n"
        "alert udp any any -> any any (msg:\"c\"; detection_filter:track by_dst, count 2, seconds 9; gid:3; sid:1;)\n",
        "fuzz.rules", {}));
    return set;
  }();
  static const std::map<std::string, std::string> variables = {{"SCANNERS", "[192.0.2.0/24,2001:db8::/32]"}};
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kagami::rules::ThresholdConfig config = kagami::rules::ParseThresholdConfig(text, "fuzz.config", variables);
  for (const auto& d : config.diagnostics) (void)d.ToString();
  kagami::rules::RuleSet set = *rules;
  std::vector<kagami::rules::Diagnostic> diagnostics;
  kagami::rules::ApplyThresholdConfig(set, config, &diagnostics);
  for (const auto& d : diagnostics) (void)d.ToString();
  return 0;
}
