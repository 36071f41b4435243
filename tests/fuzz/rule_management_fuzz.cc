// libFuzzer target: the rule management file parser (enable, disable,
// drop, modify.conf) on arbitrary text, then the parsed lines applied to a
// small rule set. Must never crash, hang or leak; every bad line is a
// diagnostic. The first byte picks the file kind, so one corpus covers
// all four.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "rules/update/apply_management.h"
#include "rules/update/management_files.h"
#include "rules/update/source_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kagami::rules::update;
  if (size == 0) return 0;
  static const std::vector<ManagedRule>* const sample = [] {
    SourceSet s = ReadSources({
        {"emerging-icmp.rules",
         "alert icmp any any -> any any (msg:\"ping\"; metadata: deployment Perimeter; sid:1; rev:2;)\n"
         "# alert tcp any any -> any any (msg:\"off\"; flowbits:set,x; sid:2;)\n"},
        {"local.rules",
         "alert tcp any any -> any any (msg:\"Heartbleed\"; flowbits:isset,x; content:\"a\"; sid:3;)\n"
         "drop udp any any -> any any (msg:\"noalert\"; flowbits:noalert; gid:3; sid:4;)\n"},
    });
    return new std::vector<ManagedRule>(std::move(s.rules));
  }();
  const auto kind = static_cast<ManagementKind>(data[0] % 4);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  Management m;
  ParseManagementFile(kind, text, "fuzz.conf", &m);
  for (const auto& d : m.diagnostics) (void)d.ToString();
  std::vector<ManagedRule> rules = *sample;
  ManagementResult r = ApplyManagement(m, &rules);
  for (const auto& d : r.diagnostics) (void)d.ToString();
  for (const ManagedRule& rule : rules) (void)rule.Format();
  return 0;
}
