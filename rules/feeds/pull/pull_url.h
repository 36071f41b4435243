#pragma once
// URL pieces the pull clients build: query parameters, and API roots that a
// TAXII discovery resource may give relative to itself.

#include <string>
#include <string_view>

namespace kagami::feeds::pull {

// RFC 3986 percent-encoding of a query parameter value: everything but
// ALPHA DIGIT - . _ ~ as %XX (a '+' in a time zone offset must not turn
// into a space).
std::string QueryEscape(std::string_view value);

// `reference` resolved against `base`: an absolute http(s) URL as is, "/x"
// on base's scheme and authority, anything else after base's last '/'.
std::string ResolveUrl(std::string_view base, std::string_view reference);

// `url` with exactly one '/' at its end.
std::string WithTrailingSlash(std::string_view url);

}  // namespace kagami::feeds::pull
