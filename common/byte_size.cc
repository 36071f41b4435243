#include "common/byte_size.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace kagami {

bool ParseByteSize(std::string_view text, uint64_t* out) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
  uint64_t unit = 1;
  auto strip = [&t](std::string_view suffix) {
    if (t.size() > suffix.size() && t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0) {
      t.resize(t.size() - suffix.size());
      return true;
    }
    return false;
  };
  if (strip("kb") || strip("k")) unit = uint64_t{1} << 10;
  else if (strip("mb") || strip("m")) unit = uint64_t{1} << 20;
  else if (strip("gb") || strip("g")) unit = uint64_t{1} << 30;
  else strip("b");
  uint64_t n;
  if (t.empty() || !absl::SimpleAtoi(t, &n) || n > (UINT64_MAX / unit)) return false;
  *out = n * unit;
  return true;
}

}  // namespace kagami
