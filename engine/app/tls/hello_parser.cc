#include "engine/app/tls/hello_parser.h"

#include <cstring>
#include <string>
#include <vector>

#include "engine/app/tls/byte_reader.h"

namespace kagami::app::tls {
namespace {

// Extension types we decode.
constexpr uint16_t kExtServerName = 0;
constexpr uint16_t kExtSupportedGroups = 10;
constexpr uint16_t kExtEcPointFormats = 11;
constexpr uint16_t kExtSignatureAlgorithms = 13;
constexpr uint16_t kExtAlpn = 16;
constexpr uint16_t kExtSupportedVersions = 43;

// RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
constexpr uint8_t kHrrRandom[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

// A list of 16-bit values; an odd length is malformed. A repeated extension
// appends to the same list: reserving exactly size + this list's length each
// time reallocated and copied the whole list per extension (quadratic in
// the 8,191 one-value extensions a hello can hold), so the exact reserve is
// only for the first list; later ones grow it geometrically.
bool ReadU16List(ByteReader r, std::vector<uint16_t>& out) {
  if (r.left() % 2 != 0) return false;
  if (out.empty()) out.reserve(r.left() / 2);
  uint16_t v = 0;
  while (r.U16(v)) out.push_back(v);
  return true;
}

bool ParseServerName(ByteReader body, std::string& sni) {
  ByteReader list;
  if (!body.Sub16(list) || !body.empty()) return false;
  bool have = !sni.empty();
  while (!list.empty()) {
    uint8_t type = 0;
    ByteReader name;
    if (!list.U8(type) || !list.Sub16(name)) return false;
    if (type == 0 && !have) {
      sni.assign(reinterpret_cast<const char*>(name.cur()), name.left());
      have = true;
    }
  }
  return true;
}

bool ParseAlpn(ByteReader body, std::vector<std::string>& alpn) {
  ByteReader list;
  if (!body.Sub16(list) || !body.empty()) return false;
  while (!list.empty()) {
    ByteReader name;
    if (!list.Sub8(name)) return false;
    alpn.emplace_back(reinterpret_cast<const char*>(name.cur()), name.left());
  }
  return true;
}

bool ParseClientExtension(uint16_t type, ByteReader body, ClientHello& out) {
  ByteReader list;
  switch (type) {
    case kExtServerName:
      // An empty body is what a server echoes; tolerate it from a client too.
      return body.empty() || ParseServerName(body, out.sni);
    case kExtSupportedGroups:
      return body.Sub16(list) && body.empty() && ReadU16List(list, out.supported_groups);
    case kExtEcPointFormats:
      if (!body.Sub8(list) || !body.empty()) return false;
      out.ec_point_formats.insert(out.ec_point_formats.end(), list.cur(), list.cur() + list.left());
      return true;
    case kExtSignatureAlgorithms:
      return body.Sub16(list) && body.empty() && ReadU16List(list, out.signature_algorithms);
    case kExtAlpn:
      return ParseAlpn(body, out.alpn);
    case kExtSupportedVersions:
      return body.Sub8(list) && body.empty() && ReadU16List(list, out.supported_versions);
    default:
      return true;
  }
}

}  // namespace

std::optional<Anomaly> ParseClientHello(const uint8_t* p, size_t n, ClientHello& out) {
  ByteReader r(p, n);
  ByteReader session_id, suites, compression, exts;
  if (!r.U16(out.legacy_version) || !r.Skip(32) || !r.Sub8(session_id) || session_id.left() > 32 ||
      !r.Sub16(suites))
    return Anomaly::kInvalidClientHello;
  if (!ReadU16List(suites, out.cipher_suites)) return Anomaly::kInvalidClientHello;
  if (!r.Sub8(compression) || compression.empty()) return Anomaly::kInvalidClientHello;
  if (r.empty()) return std::nullopt;  // SSLv3 / early TLS: no extensions at all
  if (!r.Sub16(exts)) return Anomaly::kInvalidClientHello;
  std::optional<Anomaly> fault;
  while (!exts.empty()) {
    uint16_t type = 0;
    ByteReader body;
    if (!exts.U16(type) || !exts.Sub16(body)) return Anomaly::kInvalidClientHello;
    out.extensions.push_back(type);
    // One bad extension does not hide the others: the outer framing holds.
    if (!ParseClientExtension(type, body, out) && !fault) fault = Anomaly::kInvalidExtension;
  }
  if (!r.empty() && !fault) fault = Anomaly::kInvalidClientHello;
  return fault;
}

std::optional<Anomaly> ParseServerHello(const uint8_t* p, size_t n, ServerHello& out) {
  ByteReader r(p, n);
  ByteReader session_id, exts;
  uint8_t compression = 0;
  if (!r.U16(out.legacy_version) || r.left() < 32) return Anomaly::kInvalidServerHello;
  out.selected_version = out.legacy_version;
  out.hello_retry_request = std::memcmp(r.cur(), kHrrRandom, 32) == 0;
  r.Skip(32);
  if (!r.Sub8(session_id) || session_id.left() > 32 || !r.U16(out.cipher_suite) ||
      !r.U8(compression))
    return Anomaly::kInvalidServerHello;
  if (r.empty()) return std::nullopt;
  if (!r.Sub16(exts)) return Anomaly::kInvalidServerHello;
  std::optional<Anomaly> fault;
  while (!exts.empty()) {
    uint16_t type = 0;
    ByteReader body;
    if (!exts.U16(type) || !exts.Sub16(body)) return Anomaly::kInvalidServerHello;
    out.extensions.push_back(type);
    if (type == kExtSupportedVersions) {
      uint16_t v = 0;
      if (body.U16(v) && body.empty()) {
        out.selected_version = v;
      } else if (!fault) {
        fault = Anomaly::kInvalidExtension;
      }
    }
  }
  if (!r.empty() && !fault) fault = Anomaly::kInvalidServerHello;
  return fault;
}

std::optional<Anomaly> ParseSslv2ClientHello(const uint8_t* p, size_t n, ClientHello& out) {
  ByteReader r(p, n);
  uint8_t type = 0;
  uint16_t spec_len = 0, sid_len = 0, challenge_len = 0;
  out.sslv2 = true;
  if (!r.U8(type) || type != 1 || !r.U16(out.legacy_version) || !r.U16(spec_len) ||
      !r.U16(sid_len) || !r.U16(challenge_len))
    return Anomaly::kInvalidSslv2Record;
  ByteReader specs;
  if (spec_len % 3 != 0 || !r.Sub(spec_len, specs)) return Anomaly::kInvalidSslv2Record;
  while (!specs.empty()) {
    uint8_t hi = 0;
    uint16_t lo = 0;
    specs.U8(hi);
    specs.U16(lo);
    if (hi == 0) out.cipher_suites.push_back(lo);
  }
  if (!r.Skip(sid_len) || !r.Skip(challenge_len)) return Anomaly::kInvalidSslv2Record;
  return std::nullopt;
}

}  // namespace kagami::app::tls
