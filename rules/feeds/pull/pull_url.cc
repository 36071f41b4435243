#include "rules/feeds/pull/pull_url.h"

namespace kagami::feeds::pull {

std::string QueryEscape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ResolveUrl(std::string_view base, std::string_view reference) {
  if (reference.starts_with("http://") || reference.starts_with("https://")) return std::string(reference);
  const size_t scheme = base.find("://");
  const size_t authority_end =
      scheme == std::string_view::npos ? std::string_view::npos : base.find_first_of("/?#", scheme + 3);
  if (reference.starts_with("/")) {
    return std::string(base.substr(0, authority_end)) + std::string(reference);
  }
  std::string_view dir = base.substr(0, base.find_first_of("?#"));
  const size_t slash = dir.rfind('/');
  if (slash != std::string_view::npos && (authority_end == std::string_view::npos || slash >= authority_end)) {
    dir = dir.substr(0, slash + 1);
    return std::string(dir) + std::string(reference);
  }
  return std::string(dir) + "/" + std::string(reference);
}

std::string WithTrailingSlash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url) + "/";
}

}  // namespace kagami::feeds::pull
