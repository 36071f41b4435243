#pragma once
// Builders for TLS test input: records, handshake messages, hellos, and
// certificates made with libcrypto, plus a text dump of a Session so two
// sessions compare in one assertion.

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/app/tls/tls_parser.h"

namespace kagami::app::tls::testing {

using Bytes = std::vector<uint8_t>;

inline void Put8(Bytes& b, uint32_t v) { b.push_back(static_cast<uint8_t>(v)); }
inline void Put16(Bytes& b, uint32_t v) {
  Put8(b, v >> 8);
  Put8(b, v);
}
inline void Put24(Bytes& b, uint32_t v) {
  Put8(b, v >> 16);
  Put16(b, v & 0xffff);
}
inline void Append(Bytes& b, const Bytes& x) { b.insert(b.end(), x.begin(), x.end()); }
inline void Append(Bytes& b, const std::string& x) { b.insert(b.end(), x.begin(), x.end()); }

inline Bytes Record(uint8_t type, const Bytes& payload, uint16_t version = 0x0303) {
  Bytes b;
  Put8(b, type);
  Put16(b, version);
  Put16(b, static_cast<uint32_t>(payload.size()));
  Append(b, payload);
  return b;
}

// `payload` cut into records of at most `max` bytes.
inline Bytes Records(uint8_t type, const Bytes& payload, size_t max, uint16_t version = 0x0303) {
  Bytes out;
  for (size_t i = 0; i < payload.size(); i += max) {
    size_t n = std::min(max, payload.size() - i);
    Append(out, Record(type, Bytes(payload.begin() + i, payload.begin() + i + n), version));
  }
  return out;
}

inline Bytes Handshake(uint8_t type, const Bytes& body) {
  Bytes b;
  Put8(b, type);
  Put24(b, static_cast<uint32_t>(body.size()));
  Append(b, body);
  return b;
}

struct Extension {
  uint16_t type = 0;
  Bytes body{};
};

inline Bytes U16ListBody(const std::vector<uint16_t>& v, bool one_byte_len = false) {
  Bytes b;
  if (one_byte_len) {
    Put8(b, static_cast<uint32_t>(v.size() * 2));
  } else {
    Put16(b, static_cast<uint32_t>(v.size() * 2));
  }
  for (uint16_t x : v) Put16(b, x);
  return b;
}

inline Extension SniExt(const std::string& name) {
  Bytes entry;
  Put8(entry, 0);
  Put16(entry, static_cast<uint32_t>(name.size()));
  Append(entry, name);
  Bytes body;
  Put16(body, static_cast<uint32_t>(entry.size()));
  Append(body, entry);
  return {0, body};
}

inline Extension AlpnExt(const std::vector<std::string>& protos) {
  Bytes list;
  for (const auto& p : protos) {
    Put8(list, static_cast<uint32_t>(p.size()));
    Append(list, p);
  }
  Bytes body;
  Put16(body, static_cast<uint32_t>(list.size()));
  Append(body, list);
  return {16, body};
}

inline Extension GroupsExt(const std::vector<uint16_t>& g) { return {10, U16ListBody(g)}; }
inline Extension SigAlgsExt(const std::vector<uint16_t>& s) { return {13, U16ListBody(s)}; }
inline Extension VersionsExt(const std::vector<uint16_t>& v) { return {43, U16ListBody(v, true)}; }
inline Extension PointFormatsExt(const Bytes& f) {
  Bytes body;
  Put8(body, static_cast<uint32_t>(f.size()));
  Append(body, f);
  return {11, body};
}

inline Bytes ClientHelloBody(uint16_t version, const std::vector<uint16_t>& ciphers,
                             const std::vector<Extension>& exts, bool with_ext_block = true) {
  Bytes b;
  Put16(b, version);
  for (int i = 0; i < 32; ++i) Put8(b, 0x11 * (i % 7));  // random
  Put8(b, 32);
  for (int i = 0; i < 32; ++i) Put8(b, i);  // session id
  Put16(b, static_cast<uint32_t>(ciphers.size() * 2));
  for (uint16_t c : ciphers) Put16(b, c);
  Put8(b, 1);
  Put8(b, 0);  // null compression
  if (!with_ext_block) return b;
  Bytes eb;
  for (const auto& e : exts) {
    Put16(eb, e.type);
    Put16(eb, static_cast<uint32_t>(e.body.size()));
    Append(eb, e.body);
  }
  Put16(b, static_cast<uint32_t>(eb.size()));
  Append(b, eb);
  return b;
}

inline Bytes ServerHelloBody(uint16_t version, uint16_t cipher, const std::vector<Extension>& exts,
                             bool hrr = false) {
  static const uint8_t kHrr[32] = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                                   0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                                   0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
  Bytes b;
  Put16(b, version);
  for (int i = 0; i < 32; ++i) Put8(b, hrr ? kHrr[i] : 0x20 + i);
  Put8(b, 0);  // empty session id
  Put16(b, cipher);
  Put8(b, 0);
  Bytes eb;
  for (const auto& e : exts) {
    Put16(eb, e.type);
    Put16(eb, static_cast<uint32_t>(e.body.size()));
    Append(eb, e.body);
  }
  if (!exts.empty()) {
    Put16(b, static_cast<uint32_t>(eb.size()));
    Append(b, eb);
  }
  return b;
}

inline Bytes CertificateBody(const std::vector<Bytes>& ders) {
  Bytes list;
  for (const auto& d : ders) {
    Put24(list, static_cast<uint32_t>(d.size()));
    Append(list, d);
  }
  Bytes b;
  Put24(b, static_cast<uint32_t>(list.size()));
  Append(b, list);
  return b;
}

// A name entry: short name and raw value bytes (may hold NULs).
using NameParts = std::vector<std::pair<std::string, std::string>>;

struct CertSpec {
  NameParts subject{};
  NameParts issuer{};  // empty: self-signed
  Bytes serial{};      // big-endian magnitude
  int64_t not_before = 0, not_after = 0;
  std::vector<std::string> dns{};
};

inline void SetName(X509_NAME* name, const NameParts& parts) {
  for (const auto& [sn, value] : parts) {
    X509_NAME_add_entry_by_txt(name, sn.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.data()),
                               static_cast<int>(value.size()), -1, 0);
  }
}

// Adds a subjectAltName extension from libcrypto's configuration syntax
// ("DNS:a.example,IP:10.0.0.1"); nothing when `config` is empty.
inline void AddSubjectAltName(X509* x, const std::string& config) {
  if (config.empty()) return;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, config.c_str());
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate signed by a fresh P-256 key (issuer name as given).
inline Bytes MakeCertificate(const CertSpec& spec) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  BIGNUM* bn = BN_bin2bn(spec.serial.data(), static_cast<int>(spec.serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  ASN1_TIME_set(X509_getm_notBefore(x), static_cast<time_t>(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(x), static_cast<time_t>(spec.not_after));
  SetName(X509_get_subject_name(x), spec.subject);
  SetName(X509_get_issuer_name(x), spec.issuer.empty() ? spec.subject : spec.issuer);
  X509_set_pubkey(x, key);
  std::string san;
  for (const auto& d : spec.dns) absl::StrAppend(&san, san.empty() ? "" : ",", "DNS:", d);
  AddSubjectAltName(x, san);
  X509_sign(x, key, EVP_sha256());
  int len = i2d_X509(x, nullptr);
  Bytes der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(x, &p);
  X509_free(x);
  EVP_PKEY_free(key);
  return der;
}

// Every field of a session as text, for whole-session comparisons.
inline std::string Dump(const Session& s) {
  std::string out;
  auto hex16 = [](const std::vector<uint16_t>& v) { return absl::StrJoin(v, "-"); };
  if (s.client_hello) {
    const ClientHello& c = *s.client_hello;
    absl::StrAppend(&out, "CH v=", c.legacy_version, " cs=", hex16(c.cipher_suites),
                    " ext=", hex16(c.extensions), " grp=", hex16(c.supported_groups),
                    " sig=", hex16(c.signature_algorithms), " ver=", hex16(c.supported_versions),
                    " pf=", absl::StrJoin(c.ec_point_formats, "-"), " sni=", c.sni,
                    " alpn=", absl::StrJoin(c.alpn, "|"), " ja3=", c.ja3_string, " ", c.ja3_hash,
                    " ja4=", c.ja4, "\n");
  }
  if (s.server_hello) {
    const ServerHello& h = *s.server_hello;
    absl::StrAppend(&out, "SH v=", h.legacy_version, " sel=", h.selected_version,
                    " cs=", h.cipher_suite, " ext=", hex16(h.extensions),
                    " hrr=", h.hello_retry_request, " ja3s=", h.ja3s_string, " ", h.ja3s_hash,
                    "\n");
  }
  for (const auto& c : s.certificates) {
    absl::StrAppend(&out, "CERT ", c.subject, " / ", c.issuer, " / ", c.serial, " / ",
                    c.fingerprint_sha1, " / ", c.not_before, "-", c.not_after, " / ",
                    absl::StrJoin(c.subject_alt_names, ","), " der=", c.der.size(), "\n");
  }
  absl::StrAppend(&out, "version=", s.version, " done=", s.client_hello_done, s.server_hello_done,
                  s.certificates_done, " enc=", s.encrypted, s.encrypted_to_server,
                  s.encrypted_to_client, "\n");
  for (const auto& [a, off] : s.anomalies)
    absl::StrAppend(&out, "ANOMALY ", AnomalyName(a), "@", off, "\n");
  return out;
}

}  // namespace kagami::app::tls::testing
