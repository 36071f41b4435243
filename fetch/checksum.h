#pragma once
// Digests that check a download: MD5 (Emerging Threats publishes
// emerging.rules.tar.gz.md5 beside its tarball) and SHA-256, as lower-case
// hex, and the reading of a published .md5 file.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kagami::fetch {

std::string Md5Hex(std::string_view data);
std::string Sha256Hex(std::string_view data);

// The digest a .md5 file publishes, lower-cased: its first 32 hex digits,
// which may be followed by white space and a file name (md5sum's
// "HEX  NAME" and "HEX *NAME"); BSD's "MD5 (NAME) = HEX" is read too.
// Anything else is InvalidArgument: "md5 file: expected 32 hex digits at
// the start, found "<html>...".
absl::StatusOr<std::string> ParseMd5File(std::string_view body);

}  // namespace kagami::fetch
