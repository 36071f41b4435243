#include "engine/app/tls/fingerprint.h"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kagami::app::tls {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string DigestHex(const EVP_MD* md, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) return {};
  std::string out(size_t{len} * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

// Appends the non-GREASE values in decimal, '-' separated.
template <typename T>
void AppendDecimalList(std::string& out, const std::vector<T>& values) {
  bool first = true;
  for (T v : values) {
    if constexpr (sizeof(T) == 2) {
      if (IsGrease(v)) continue;
    }
    if (!first) out += '-';
    absl::StrAppend(&out, static_cast<unsigned>(v));
    first = false;
  }
}

void AppendHex4(std::string& out, uint16_t v) {
  const char digits[4] = {kHex[v >> 12], kHex[(v >> 8) & 0xf], kHex[(v >> 4) & 0xf], kHex[v & 0xf]};
  out.append(digits, 4);
}

std::string Hex4List(const std::vector<uint16_t>& values) {
  std::string out;
  out.reserve(values.size() * 5);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    AppendHex4(out, values[i]);
  }
  return out;
}

std::vector<uint16_t> WithoutGrease(const std::vector<uint16_t>& values) {
  std::vector<uint16_t> out;
  out.reserve(values.size());
  for (uint16_t v : values) {
    if (!IsGrease(v)) out.push_back(v);
  }
  return out;
}

const char* Ja4Version(uint16_t v) {
  switch (v) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0002:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

void AppendCount(std::string& out, size_t n) {
  n = std::min<size_t>(n, 99);
  out += static_cast<char>('0' + n / 10);
  out += static_cast<char>('0' + n % 10);
}

bool IsAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// First and last character of the first ALPN value; when either is not
// alphanumeric, the first and last hex digit of the value instead.
void AppendJa4Alpn(std::string& out, const std::vector<std::string>& alpn) {
  if (alpn.empty() || alpn.front().empty()) {
    out += "00";
    return;
  }
  const std::string& v = alpn.front();
  unsigned char first = static_cast<unsigned char>(v.front());
  unsigned char last = static_cast<unsigned char>(v.back());
  if (IsAlnum(first) && IsAlnum(last)) {
    out += static_cast<char>(first);
    out += static_cast<char>(last);
  } else {
    out += kHex[first >> 4];
    out += kHex[last & 0xf];
  }
}

std::string Truncated12(const std::string& input) { return Sha256Hex(input).substr(0, 12); }

std::string Ja4(const ClientHello& h) {
  std::vector<uint16_t> ciphers = WithoutGrease(h.cipher_suites);
  std::vector<uint16_t> exts = WithoutGrease(h.extensions);
  std::vector<uint16_t> versions = WithoutGrease(h.supported_versions);
  bool has_versions_ext = std::find(exts.begin(), exts.end(), uint16_t{43}) != exts.end();
  uint16_t version = h.legacy_version;
  if (has_versions_ext && !versions.empty()) {
    version = *std::max_element(versions.begin(), versions.end());
  }
  bool has_sni = std::find(exts.begin(), exts.end(), uint16_t{0}) != exts.end();

  std::string out = "t";
  out += Ja4Version(version);
  out += has_sni ? 'd' : 'i';
  AppendCount(out, ciphers.size());
  AppendCount(out, exts.size());
  AppendJa4Alpn(out, h.alpn);
  out += '_';

  std::sort(ciphers.begin(), ciphers.end());
  out += ciphers.empty() ? std::string("000000000000") : Truncated12(Hex4List(ciphers));
  out += '_';

  // SNI and ALPN already show in part a; leaving them out keeps part c the
  // same for one client whatever it connects to.
  std::erase_if(exts, [](uint16_t e) { return e == 0x0000 || e == 0x0010; });
  std::sort(exts.begin(), exts.end());
  if (exts.empty()) {
    out += "000000000000";
  } else {
    std::string c = Hex4List(exts);
    std::vector<uint16_t> sigs = WithoutGrease(h.signature_algorithms);
    if (!sigs.empty()) {
      c += '_';
      c += Hex4List(sigs);
    }
    out += Truncated12(c);
  }
  return out;
}

}  // namespace

const EVP_MD* Md5() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md != nullptr ? md : EVP_md5();
}
const EVP_MD* Sha1() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md != nullptr ? md : EVP_sha1();
}
const EVP_MD* Sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

std::string Md5Hex(const std::string& data) { return DigestHex(Md5(), data); }
std::string Sha256Hex(const std::string& data) { return DigestHex(Sha256(), data); }

void ComputeClientFingerprints(ClientHello& h) {
  std::string& s = h.ja3_string;
  s.clear();
  absl::StrAppend(&s, h.legacy_version, ",");
  AppendDecimalList(s, h.cipher_suites);
  s += ',';
  AppendDecimalList(s, h.extensions);
  s += ',';
  AppendDecimalList(s, h.supported_groups);
  s += ',';
  AppendDecimalList(s, h.ec_point_formats);
  h.ja3_hash = Md5Hex(s);
  h.ja4 = Ja4(h);
}

void ComputeServerFingerprints(ServerHello& h) {
  std::string& s = h.ja3s_string;
  s.clear();
  absl::StrAppend(&s, h.legacy_version, ",", h.cipher_suite, ",");
  AppendDecimalList(s, h.extensions);
  h.ja3s_hash = Md5Hex(s);
}

}  // namespace kagami::app::tls
