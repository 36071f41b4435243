#include "engine/app/http/header_util.h"

namespace kagami::app::http {

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsTrimSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsTrimSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsLoose(std::string_view a, std::string_view b) {
  size_t j = 0;
  for (char c : a) {
    if (c == '\0') continue;
    if (j >= b.size() || LowerAscii(c) != LowerAscii(b[j])) return false;
    ++j;
  }
  return j == b.size();
}

int CompareLoose(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  for (;;) {
    while (i < a.size() && a[i] == '\0') ++i;
    while (j < b.size() && b[j] == '\0') ++j;
    if (i == a.size() || j == b.size()) return (i == a.size() ? 0 : 1) - (j == b.size() ? 0 : 1);
    const auto x = static_cast<unsigned char>(LowerAscii(a[i])), y = static_cast<unsigned char>(LowerAscii(b[j]));
    if (x != y) return x < y ? -1 : 1;
    ++i;
    ++j;
  }
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsNoCase(s.substr(0, prefix.size()), prefix);
}

bool ContainsLoose(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  for (size_t start = 0; start < hay.size(); ++start) {
    if (hay[start] == '\0') continue;
    size_t j = 0;
    for (size_t i = start; i < hay.size() && j < needle.size(); ++i) {
      if (hay[i] == '\0') continue;
      if (LowerAscii(hay[i]) != LowerAscii(needle[j])) break;
      ++j;
    }
    if (j == needle.size()) return true;
  }
  return false;
}

bool HasToken(std::string_view value, std::string_view token) {
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ',' || IsTrimSpace(value[i]))) ++i;
    size_t j = i;
    while (j < value.size() && value[j] != ',' && !(IsTrimSpace(value[j]) && value[j] != '\0')) ++j;
    if (j > i && EqualsLoose(value.substr(i, j - i), token)) return true;
    i = j;
  }
  return false;
}

int64_t ParseContentLength(std::string_view value) {
  value = TrimSpace(value);
  if (value.empty() || value.size() > 18) return -1;
  int64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace kagami::app::http
