#pragma once
// Canonical forms shared by the feed readers (indicator values) and
// engine/intel (values seen in traffic), so both sides compare equal bytes.

#include <optional>
#include <string>
#include <string_view>

namespace kagami::feeds {

// Lower-cased ASCII, trailing dots removed. nullopt when empty or when it
// holds characters no host name carries (space, '/', ':', control bytes...).
std::optional<std::string> NormalizeDomain(std::string_view text);
// Lower-cases and drops trailing dots in place, without validation: the fast
// path for names seen in traffic. Returns the length written (<= in.size()).
size_t FoldDomain(std::string_view in, char* out);

// The URL match key: "host[:port]/path[?query]". The scheme is not part of
// the key (only plaintext HTTP is observable, and feeds write http:// and
// https:// loosely) but the scheme's default port (80 for http, 443 for
// https, 80 when no scheme is given) is dropped; the host is lower-cased, a
// trailing dot dropped; userinfo and fragment removed; an empty path becomes
// "/"; percent-escapes of unreserved characters (ALPHA DIGIT - . _ ~) are
// decoded and every other escape has its hex upper-cased (RFC 3986 6.2.2).
// nullopt when there is no host.
std::optional<std::string> NormalizeUrl(std::string_view text);
// The key for an HTTP request: host as in the Host header (may carry a port),
// request target as sent (origin form "/a?b" or absolute form "http://h/a").
std::optional<std::string> UrlKeyForRequest(std::string_view host, std::string_view target);
// The same two into a caller-owned string (cleared first, capacity kept), so
// a per-request check allocates nothing once the buffers have grown.
bool NormalizeUrlInto(std::string_view text, std::string* out);
bool UrlKeyForRequestInto(std::string_view host, std::string_view target, std::string* joined,
                          std::string* out);
// The key without its query ("host/path"), so an indicator naming a script
// matches requests to it with any parameters. Returns the input when there
// is no '?'.
std::string_view UrlKeyWithoutQuery(std::string_view key);

// Hex digests: separators ':' '-' ' ' removed, lower-cased; nullopt unless
// the result is hex of exactly `hex_len` digits.
std::optional<std::string> NormalizeHexDigest(std::string_view text, size_t hex_len);

}  // namespace kagami::feeds
