#pragma once
// Certificate details from DER, through OpenSSL's libcrypto, in the text
// formats Suricata logs and matches (tls.cert_subject, tls.cert_issuer,
// tls.cert_serial, tls.cert_fingerprint).

#include <cstddef>
#include <cstdint>

#include "engine/app/tls/tls_parser.h"

namespace kagami::app::tls {

// Fills `out` from the DER bytes. The bytes and their fingerprints are kept
// even when the certificate does not decode (then only those); returns
// out.decoded.
bool DecodeCertificate(const uint8_t* der, size_t n, Certificate& out);

}  // namespace kagami::app::tls
