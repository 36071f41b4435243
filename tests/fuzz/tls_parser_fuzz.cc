// libFuzzer target for the TLS handshake parser. The input is a sequence of
// segments, each a control byte and a 2-byte big-endian length followed by
// that many bytes. Control bit 0 picks the direction (1: to client), bit 1
// puts a gap in that direction before the segment, bits 2-7 give the piece
// size (n + 1) the segment is fed in. A second parser gets every segment in
// one Feed call; both must end with the same session (split invariance).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/app/tls/tls_parser.h"

namespace {

using kagami::app::tls::Direction;
using kagami::app::tls::Session;
using kagami::app::tls::TlsOptions;
using kagami::app::tls::TlsParser;

std::string Summary(const Session& s) {
  std::string out;
  if (s.client_hello) {
    out += s.client_hello->ja3_string + "|" + s.client_hello->ja4 + "|" + s.client_hello->sni + "|";
    for (const auto& a : s.client_hello->alpn) out += a + ",";
  }
  out += "#";
  if (s.server_hello)
    out += s.server_hello->ja3s_string + "|" + std::to_string(s.server_hello->selected_version);
  out += "#";
  for (const auto& c : s.certificates)
    out += c.subject + "/" + c.issuer + "/" + c.serial + "/" + c.fingerprint_sha1 + ";";
  out += "#" + std::to_string(s.version) + std::to_string(s.encrypted) +
         std::to_string(s.encrypted_to_server) + std::to_string(s.encrypted_to_client);
  for (const auto& [a, off] : s.anomalies) {
    out += "#" + std::to_string(static_cast<int>(a)) + "@" + std::to_string(off);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TlsOptions opt;
  opt.max_certificates = 4;  // exercise the caps
  opt.max_handshake_message = 8192;
  TlsParser chunked(opt), whole(opt);
  size_t i = 0;
  while (i + 3 <= size) {
    uint8_t ctl = data[i];
    size_t len = (size_t{data[i + 1]} << 8) | data[i + 2];
    i += 3;
    if (len > size - i) len = size - i;
    Direction dir = (ctl & 1) ? Direction::kToClient : Direction::kToServer;
    if (ctl & 2) {
      chunked.Gap(dir);
      whole.Gap(dir);
    }
    size_t piece = (ctl >> 2) + 1;
    for (size_t j = 0; j < len; j += piece) {
      size_t n = len - j < piece ? len - j : piece;
      chunked.Feed(dir, data + i + j, n);
    }
    whole.Feed(dir, data + i, len);
    i += len;
  }
  if (Summary(chunked.session()) != Summary(whole.session())) std::abort();
  return 0;
}
