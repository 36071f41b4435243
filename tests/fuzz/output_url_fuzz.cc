// libFuzzer target: an output URL (--output, or `output:` in the config
// file) taken apart and handed to its scheme's factory must never crash,
// hang or leak; every refusal names the URL, and a column inside it when
// it gives one. Nothing connects: factories only read the URL.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/output/sinks/output_spec.h"
#include "engine/output/sinks/transport_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string url(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<kagami::output::OutputSpec> spec = kagami::output::ParseOutputUrl(url);
  if (!spec.ok()) {
    const std::string_view m(spec.status().message().data(), spec.status().message().size());
    const std::string head = "output '" + url + "'";
    if (m.substr(0, head.size()) != head) std::abort();
    const std::string_view rest = m.substr(head.size());
    if (rest.substr(0, 9) == ": column ") {
      const size_t column = std::strtoul(std::string(rest.substr(9)).c_str(), nullptr, 10);
      if (column == 0 || column > url.size() + 1) std::abort();
    }
    return 0;
  }
  if (spec->url != url || spec->scheme.empty() || spec->name.empty()) std::abort();
  (void)kagami::output::MakeTransport(*spec);
  return 0;
}
