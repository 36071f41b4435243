#pragma once
// URI normalisation for Suricata's http.uri buffer (libhtp-like):
//  - an absolute URI ("scheme://authority/path") keeps its scheme and
//    authority as sent; only the path and what follows are normalised;
//  - the path is percent-decoded: %XX (hex, either case) becomes the byte,
//    %uXXXX becomes the byte when XXXX < 0x100 and '?' otherwise (IIS
//    style); an invalid escape is kept as it is; %2F decodes to '/' and then
//    counts as a separator, %00 stays a NUL byte;
//  - path segments: runs of '/' collapse to one, "." segments go away and
//    ".." removes the segment before it (never above the root);
//  - the query ('?' onwards) and fragment are kept raw.

#include <string>
#include <string_view>

namespace kagami::app::http {

// Appends the normalised form of `raw` to `out` (cleared first).
void NormalizeUri(std::string_view raw, std::string& out);

// Splits an absolute URI; false when `raw` is not "scheme://...". `authority`
// is what lies between "//" and the next '/', '?' or '#'.
bool SplitAbsoluteUri(std::string_view raw, std::string_view* scheme, std::string_view* authority,
                      std::string_view* rest);

// Lower-cases a host, strips a port and a trailing dot; an IPv6 literal
// keeps its brackets.
std::string NormalizeHost(std::string_view host);

}  // namespace kagami::app::http
