#pragma once
// The certificate fields Kagami reads (a Name as text, a validity time, the
// subjectAltName DNS names), decoded straight from their DER. libcrypto's
// d2i_* path allocates an object per element and converts every string
// twice; on the bench captures it was about a tenth of a pass without rules.
//
// Each function handles the plain encodings certificates use in practice and
// returns false for anything else (a string type or attribute outside its
// tables, BER forms, a malformed element): the caller then asks libcrypto,
// which decides. Where a function returns true its result is the one the
// libcrypto path gives; the x509_fields fuzz target checks exactly that.
// When one returns false, what it left in `out` is to be discarded.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kagami::app::tls::x509 {

// A Name (the whole SEQUENCE element) in Suricata's text form:
// "C=US, O=Example, CN=www.example.com", " + " inside a multi-valued RDN,
// value bytes raw.
bool NameText(const uint8_t* der, size_t n, std::string& out);

// A UTCTime or GeneralizedTime element as Unix seconds.
bool TimeSeconds(const uint8_t* der, size_t n, int64_t& out);

// The dNSName entries of the first subjectAltName extension in an
// Extensions SEQUENCE element, appended to `out` (nothing when there is no
// such extension).
bool DnsNames(const uint8_t* der, size_t n, std::vector<std::string>& out);

}  // namespace kagami::app::tls::x509
