#include "rules/feeds/normalize.h"

#include <cstring>

#include "common/find_first_of.h"

namespace kagami::feeds {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

// Percent-escape normalisation of a path/query (RFC 3986 6.2.2.1 and 6.2.2.2).
// Runs without '%' are copied whole: most request targets have none, and
// this runs on every HTTP request when a feed has URL indicators.
void AppendNormalizedPath(std::string_view path, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t i = 0;
  while (i < path.size()) {
    const void* found = std::memchr(path.data() + i, '%', path.size() - i);
    const size_t pct = found ? static_cast<size_t>(static_cast<const char*>(found) - path.data()) : path.size();
    out->append(path.data() + i, pct - i);
    if (pct == path.size()) return;
    i = pct;
    if (i + 2 < path.size()) {
      const int hi = HexValue(path[i + 1]), lo = HexValue(path[i + 2]);
      if (hi >= 0 && lo >= 0) {
        const auto decoded = static_cast<unsigned char>(hi * 16 + lo);
        if (Unreserved(decoded)) {
          out->push_back(static_cast<char>(decoded));
        } else {
          const char escape[3] = {'%', kHex[hi], kHex[lo]};
          out->append(escape, 3);
        }
        i += 3;
        continue;
      }
    }
    out->push_back('%');
    ++i;
  }
}

// host[:port] -> lower-cased host, trailing dot dropped, default port dropped.
bool AppendAuthority(std::string_view authority, int default_port, std::string* out) {
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return false;
  const size_t at = out->size();
  out->resize(at + host.size());
  char* dst = out->data() + at;
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '?' || c == '#') return false;
    *dst++ = Lower(c);
  }
  if (!port.empty()) {
    int value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
      if (value > 65535) return false;
    }
    if (value != default_port) {
      out->push_back(':');
      out->append(std::to_string(value));
    }
  }
  return true;
}

// A URL without the blanks and line ends after it.
std::string_view TrimUrlEnd(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// A Host value that normalising host + "/" + target reads as the whole
// authority: nothing trimmed off its front, no delimiter or userinfo inside,
// and no ':' at its end (":" + "//" would read as a scheme).
bool PlainHost(std::string_view host) {
  if (host.empty() || host.back() == ':') return false;
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '?' || c == '#' || c == '@') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> NormalizeDomain(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '.')) {
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 253) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == '/' || c == ':' || c == '?' || c == '#' || c == '@' ||
        c == '\\' || c == ',' || c == '"' || c == '\'') {
      return std::nullopt;
    }
    out.push_back(Lower(c));
  }
  if (out.front() == '.' || out.find("..") != std::string::npos) return std::nullopt;
  return out;
}

size_t FoldDomain(std::string_view in, char* out) {
  while (!in.empty() && in.back() == '.') in.remove_suffix(1);
  for (size_t i = 0; i < in.size(); ++i) out[i] = Lower(in[i]);
  return in.size();
}

bool NormalizeUrlInto(std::string_view text, std::string* out_string) {
  std::string& out = *out_string;
  out.clear();
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  text = TrimUrlEnd(text);
  int default_port = 80;
  if (StartsWithNoCase(text, "http://")) {
    text.remove_prefix(7);
  } else if (StartsWithNoCase(text, "https://")) {
    text.remove_prefix(8);
    default_port = 443;
  } else if (size_t scheme = text.find("://"); scheme != std::string_view::npos &&
                                               text.find('/') > scheme) {
    text.remove_prefix(scheme + 3);  // another scheme: keep host and path
    default_port = -1;
  }
  if (size_t hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
  size_t slash = FindFirstOf(text, "/?");
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : text.substr(slash);
  if (!AppendAuthority(authority, default_port, &out)) return false;
  if (path.empty() || path.front() == '?') out.push_back('/');
  AppendNormalizedPath(path, &out);
  return true;
}

std::optional<std::string> NormalizeUrl(std::string_view text) {
  std::string out;
  if (!NormalizeUrlInto(text, &out)) return std::nullopt;
  return out;
}

bool UrlKeyForRequestInto(std::string_view host, std::string_view target, std::string* joined,
                          std::string* out) {
  if (StartsWithNoCase(target, "http://") || StartsWithNoCase(target, "https://")) {
    return NormalizeUrlInto(target, out);  // absolute form (proxy requests) names its own host
  }
  if (host.empty()) return false;
  if (PlainHost(host)) {
    // What normalising host + "/" + target gives, step for step, without
    // joining them first: every HTTP request comes here when a feed has URL
    // indicators.
    out->clear();
    target = TrimUrlEnd(target);
    if (size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
    if (!AppendAuthority(host, 80, out)) return false;
    if (target.empty() || target.front() != '/') out->push_back('/');
    AppendNormalizedPath(target, out);
    return true;
  }
  joined->clear();
  joined->append(host);
  if (target.empty() || target.front() != '/') joined->push_back('/');
  joined->append(target);
  return NormalizeUrlInto(*joined, out);
}

std::optional<std::string> UrlKeyForRequest(std::string_view host, std::string_view target) {
  std::string joined, out;
  if (!UrlKeyForRequestInto(host, target, &joined, &out)) return std::nullopt;
  return out;
}

std::string_view UrlKeyWithoutQuery(std::string_view key) {
  size_t q = key.find('?');
  return q == std::string_view::npos ? key : key.substr(0, q);
}

std::optional<std::string> NormalizeHexDigest(std::string_view text, size_t hex_len) {
  std::string out;
  out.reserve(hex_len);
  for (char c : text) {
    if (c == ':' || c == '-' || c == ' ' || c == '\t') continue;
    if (HexValue(c) < 0 || out.size() == hex_len) return std::nullopt;
    out.push_back(Lower(c));
  }
  if (out.size() != hex_len) return std::nullopt;
  return out;
}

}  // namespace kagami::feeds
