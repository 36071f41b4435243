#pragma once
// Internal to rules/: small string helpers over std::string_view (Debian's
// Abseil has its own string_view type, so absl::StrCat and friends do not
// accept std::string_view).

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace kagami::rules {

namespace text_internal {
inline void Append(std::string* out, std::string_view s) { out->append(s); }
inline void Append(std::string* out, const char* s) { out->append(s); }
inline void Append(std::string* out, const std::string& s) { out->append(s); }
inline void Append(std::string* out, char c) { out->push_back(c); }
template <typename T, typename = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, char>>>
void Append(std::string* out, T v) {
  out->append(std::to_string(v));
}
}  // namespace text_internal

template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (text_internal::Append(&out, args), ...);
  return out;
}

inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace kagami::rules
