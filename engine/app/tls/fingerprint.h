#pragma once
// JA3 / JA3S (Salesforce) and JA4 (FoxIO, TLS over TCP) fingerprints.
//
// JA3:  "version,ciphers,extensions,groups,point_formats", decimal values
//       joined by '-', GREASE values left out; MD5, lower-case hex.
// JA3S: "version,cipher,extensions" from the ServerHello, the same way.
// JA4:  t<ver><d|i><nn ciphers><nn extensions><alpn>_<sha256(sorted
//       ciphers)[:12]>_<sha256(sorted extensions without SNI/ALPN
//       "_" signature algorithms in order)[:12]>.

#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "engine/app/tls/tls_parser.h"

namespace kagami::app::tls {

// RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ..., 0xfafa.
inline bool IsGrease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

// Fill ja3_string/ja3_hash/ja4 (resp. ja3s_string/ja3s_hash) from the
// parsed fields.
void ComputeClientFingerprints(ClientHello& hello);
void ComputeServerFingerprints(ServerHello& hello);

// Digest implementations fetched once: in OpenSSL 3 an EVP_md5()-style
// handle is looked up again in the provider on every EVP_Digest call.
const EVP_MD* Md5();
const EVP_MD* Sha1();
const EVP_MD* Sha256();

// Lower-case hex digests of `data`.
std::string Md5Hex(const std::string& data);
std::string Sha256Hex(const std::string& data);

}  // namespace kagami::app::tls
