// libFuzzer target: ParseConfig on arbitrary text must never crash, hang or
// leak (yaml-cpp throws on bad YAML; the reader catches everything); every
// problem is an error with a position inside the text, and what it accepts
// has the shape its option asks for.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "config/config_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kagami::config::OptionShape;
  static const std::vector<kagami::config::OptionSpec> options = {
      {"workers", OptionShape::kScalar}, {"rules", OptionShape::kList}, {"var", OptionShape::kList},
      {"quiet", OptionShape::kFlag},     {"eve", OptionShape::kScalar}, {"bpf", OptionShape::kScalar},
  };
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const kagami::config::ConfigFile c = kagami::config::ParseConfig(text, "fuzz.yaml", options);
  for (const auto& e : c.errors) {
    if (e.text.rfind("fuzz.yaml:", 0) != 0 || e.at.line < 0 || e.at.column < 0) std::abort();
  }
  for (const auto& v : c.options) {
    if (v.values.empty()) std::abort();
    if (v.name == "quiet" && v.values[0] != "true" && v.values[0] != "false") std::abort();
    if ((v.name == "workers" || v.name == "eve" || v.name == "bpf") && v.values.size() != 1) std::abort();
  }
  for (const auto& i : c.interfaces) {
    if (i.name.empty()) std::abort();
  }
  return 0;
}
