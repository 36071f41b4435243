#pragma once
// Certificate details from DER, in the text formats Suricata logs and
// matches (tls.cert_subject, tls.cert_issuer, tls.cert_serial,
// tls.cert_fingerprint).

#include <cstddef>
#include <cstdint>

#include "engine/app/tls/tls_parser.h"

namespace kagami::app::tls {

// kDirect decodes the names, times and subjectAltName from their DER where
// the encoding is plain (x509_fields.h) and through libcrypto otherwise;
// kLibcrypto sends every one through libcrypto. The two give the same
// Certificate: tests and a fuzz target compare them.
enum class CertificateDecoding { kDirect, kLibcrypto };

// Fills `out` from the DER bytes. The bytes and their fingerprints are kept
// even when the certificate does not decode (then only those); returns
// out.decoded.
bool DecodeCertificate(const uint8_t* der, size_t n, Certificate& out,
                       CertificateDecoding how = CertificateDecoding::kDirect);

}  // namespace kagami::app::tls
