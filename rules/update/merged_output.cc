#include "rules/update/merged_output.h"

#include <algorithm>

#include "rules/text_util.h"

namespace kagami::rules::update {

std::string FormatMergedRules(const std::vector<std::string>& sources, const std::vector<ManagedRule>& rules) {
  const size_t enabled = static_cast<size_t>(
      std::count_if(rules.begin(), rules.end(), [](const ManagedRule& r) { return r.enabled; }));
  size_t bytes = 512;
  for (const ManagedRule& r : rules) bytes += r.text.size() + 3;
  std::string out;
  out.reserve(bytes);
  out += Cat("# Merged by kagami rules update: ", rules.size(), " rules, ", enabled, " enabled, ",
             rules.size() - enabled, " disabled (commented out with \"# \").\n");
  out += "# Sources:";
  if (sources.empty()) out += " (not named)";
  out += "\n";
  for (const std::string& s : sources) out += Cat("#   ", s, "\n");
  out += "# Rules by file name, then in file order. Edit enable.conf, disable.conf, drop.conf and\n";
  out += "# modify.conf rather than this file: the next update rewrites it.\n";
  const std::string* file = nullptr;
  for (const ManagedRule& r : rules) {
    if (file == nullptr || *file != r.file) {
      file = &r.file;
      out += Cat("\n# file: ", r.file, "\n");
    }
    if (!r.enabled) out += "# ";
    out += r.text;
    out += '\n';
  }
  return out;
}

}  // namespace kagami::rules::update
