// libFuzzer target: FastLine (the `fast:` output's EVE alert to fast.log
// line) on any bytes must never crash, hang or leak; a refused record leaves
// the output as it was, and an accepted one adds exactly one line.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/output/sinks/fast_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view record(reinterpret_cast<const char*>(data), size);
  std::string out = "x\n";
  if (!kagami::output::FastLine(record, out)) {
    if (out != "x\n") std::abort();
    return 0;
  }
  const std::string_view line = std::string_view(out).substr(2);
  if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) std::abort();
  if (line.find("  [**] [") == std::string_view::npos && line.find("  [wDrop] [**] [") == std::string_view::npos) {
    std::abort();
  }
  return 0;
}
