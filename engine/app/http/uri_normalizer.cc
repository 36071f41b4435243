#include "engine/app/http/uri_normalizer.h"

#include <cstdint>
#include <vector>

#include "common/find_first_of.h"

namespace kagami::app::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a path into `out`.
void DecodePath(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 5 < in.size() && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
      int v = 0;
      bool ok = true;
      for (size_t k = 2; k < 6 && ok; ++k) {
        const int h = HexValue(in[i + k]);
        ok = h >= 0;
        v = v * 16 + h;
      }
      if (ok) {
        // Beyond Latin-1 there is no single byte; '?' is libhtp's
        // replacement byte.
        out.push_back(v < 0x100 ? static_cast<char>(v) : '?');
        i += 5;
        continue;
      }
    }
    if (i + 2 < in.size()) {
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(c);
  }
}

// RFC 3986 remove_dot_segments, plus collapsing of empty segments ("//").
void NormalizePath(std::string_view path, std::string& out) {
  const bool absolute = !path.empty() && path.front() == '/';
  std::vector<std::string_view> segs;
  bool trailing_dir = false;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view seg = path.substr(i, j - i);
    trailing_dir = seg.empty() || seg == "." || seg == "..";
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segs.push_back(seg);
    }
    if (j >= path.size()) break;
    i = j + 1;
  }
  if (absolute) out.push_back('/');
  for (size_t k = 0; k < segs.size(); ++k) {
    if (k) out.push_back('/');
    out.append(segs[k]);
  }
  if (trailing_dir && !segs.empty()) out.push_back('/');
}

}  // namespace

bool SplitAbsoluteUri(std::string_view raw, std::string_view* scheme, std::string_view* authority,
                      std::string_view* rest) {
  const size_t colon = raw.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = raw[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
                                                                                    c == '-' || c == '.'));
    if (!ok) return false;
  }
  *scheme = raw.substr(0, colon);
  const size_t auth_start = colon + 3;
  size_t auth_end = FindFirstOf(raw, "/?#", auth_start);
  if (auth_end == std::string_view::npos) auth_end = raw.size();
  *authority = raw.substr(auth_start, auth_end - auth_start);
  *rest = raw.substr(auth_end);
  return true;
}

std::string NormalizeHost(std::string_view host) {
  // Userinfo is not part of the host.
  const size_t at = host.rfind('@');
  if (at != std::string_view::npos) host.remove_prefix(at + 1);
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t')) host.remove_prefix(1);
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t')) host.remove_suffix(1);
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else {
    const size_t colon = host.find(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
  }
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void NormalizeUri(std::string_view raw, std::string& out) {
  out.clear();
  std::string_view scheme, authority, rest = raw;
  if (SplitAbsoluteUri(raw, &scheme, &authority, &rest)) {
    out.append(scheme);
    out.append("://");
    out.append(authority);
  }
  size_t q = FindFirstOf(rest, "?#");
  std::string_view path = rest.substr(0, q == std::string_view::npos ? rest.size() : q);
  std::string_view tail = q == std::string_view::npos ? std::string_view() : rest.substr(q);
  std::string decoded;
  DecodePath(path, decoded);
  // "*" (OPTIONS) and other non-path forms are kept as decoded.
  if (!decoded.empty() && (decoded.front() == '/' || !out.empty())) {
    NormalizePath(decoded, out);
  } else {
    out.append(decoded);
  }
  out.append(tail);
}

}  // namespace kagami::app::http
