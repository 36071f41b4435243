#pragma once
// gzip (RFC 1952) of a string, made with zlib: HTTP bodies with
// Content-Encoding: gzip for the tests.

#include <string>
#include <string_view>

namespace kagami::testing {

std::string Gzip(std::string_view in);

}  // namespace kagami::testing
