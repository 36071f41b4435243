// libFuzzer target: ParseRules on arbitrary text must never crash, hang or
// leak, whatever the input; every problem is a diagnostic.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/rule_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kagami::rules::LoadOptions options;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  kagami::rules::RuleSet set = kagami::rules::ParseRules(text, "fuzz.rules", options);
  for (const auto& d : set.diagnostics) (void)d.ToString();
  return 0;
}
