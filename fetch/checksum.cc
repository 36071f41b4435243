#include "fetch/checksum.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "fetch/text.h"

namespace kagami::fetch {
namespace {

std::string Hex(const unsigned char* bytes, unsigned int len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 15]);
  }
  return out;
}

std::string DigestHex(const EVP_MD* md, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Only an unavailable algorithm fails (MD5 in a FIPS-only OpenSSL); an
  // empty digest then matches no published one.
  if (!md || EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) return "";
  return Hex(digest, len);
}

// The start of a body for a message, printable and short.
std::string Excerpt(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 40)) out.push_back(c >= 0x20 && c < 0x7f ? c : '.');
  if (s.size() > 40) out += "...";
  return out;
}

}  // namespace

std::string Md5Hex(std::string_view data) { return DigestHex(EVP_md5(), data); }
std::string Sha256Hex(std::string_view data) { return DigestHex(EVP_sha256(), data); }

absl::StatusOr<std::string> ParseMd5File(std::string_view body) {
  std::string_view s = body;
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);  // a byte order mark from a Windows editor
  s = TrimLeft(s);
  if (s.starts_with("MD5 (")) {
    const size_t eq = s.find(") = ");
    if (eq != std::string_view::npos) s = TrimLeft(s.substr(eq + 4));
  }
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (LowerAscii(c) >= 'a' && LowerAscii(c) <= 'f'); };
  size_t n = 0;
  while (n < s.size() && hex(s[n])) ++n;
  // Exactly 32: a longer run is another digest (SHA-256), not an MD5.
  const bool ends = n == s.size() || IsSpace(s[n]);
  if (n != 32 || !ends) {
    return absl::InvalidArgumentError(
        absl::StrCat("md5 file: expected 32 hex digits at the start, found \"", Excerpt(s), "\""));
  }
  return Lower(s.substr(0, 32));
}

}  // namespace kagami::fetch
