#pragma once
// Decoding of the hello messages' bodies (after the 4-byte handshake header).
// On malformed input the fields read before the fault are kept and the
// first fault is returned; the fingerprints are not computed here.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "engine/app/tls/tls_parser.h"

namespace kagami::app::tls {

// nullopt: the message parsed cleanly.
std::optional<Anomaly> ParseClientHello(const uint8_t* p, size_t n, ClientHello& out);
std::optional<Anomaly> ParseServerHello(const uint8_t* p, size_t n, ServerHello& out);
// The body of an SSLv2-compatible CLIENT-HELLO record (from the message type
// byte on). Cipher specs that map onto TLS suites (first byte 0) are kept.
std::optional<Anomaly> ParseSslv2ClientHello(const uint8_t* p, size_t n, ClientHello& out);

}  // namespace kagami::app::tls
