// TlsParser: a browser-like ClientHello parsed with its JA3/JA4 fingerprints
// (hellos per second), and a whole TLS 1.2 handshake with a three-certificate
// chain decoded through libcrypto (handshakes and bytes per second).

#include <benchmark/benchmark.h>

#include "engine/app/tls/tls_parser.h"
#include "tests/app/tls/tls_test_util.h"

namespace {

using kagami::app::tls::Direction;
using kagami::app::tls::TlsParser;
using namespace kagami::app::tls::testing;  // NOLINT

Bytes ChromeLikeClientHello() {
  std::vector<uint16_t> ciphers = {0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                   0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  std::vector<Extension> exts = {
      {0x0a0a, {}},
      SniExt("www.example.com"),
      {0x0017, {}},
      {0xff01, {0x00}},
      GroupsExt({0x3a3a, 0x001d, 0x0017, 0x0018}),
      PointFormatsExt({0}),
      {0x0023, {}},
      AlpnExt({"h2", "http/1.1"}),
      {0x0005, {0x01, 0x00, 0x00, 0x00, 0x00}},
      SigAlgsExt({0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}),
      {0x0012, {}},
      {0x0033, Bytes(43, 0x11)},
      {0x002d, {0x01, 0x01}},
      VersionsExt({0x4a4a, 0x0304, 0x0303}),
      {0x001b, {0x02, 0x00, 0x02}},
      {0x0015, Bytes(200, 0)},
  };
  return Record(22, Handshake(1, ClientHelloBody(0x0303, ciphers, exts)), 0x0301);
}

void BM_ClientHelloJa3Ja4(benchmark::State& state) {
  Bytes wire = ChromeLikeClientHello();
  for (auto _ : state) {
    TlsParser parser;
    parser.Feed(Direction::kToServer, wire.data(), wire.size());
    benchmark::DoNotOptimize(parser.session().client_hello->ja4.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
}
BENCHMARK(BM_ClientHelloJa3Ja4);

void BM_Tls12HandshakeWithChain(benchmark::State& state) {
  Bytes client = ChromeLikeClientHello();
  Bytes leaf =
      MakeCertificate({.subject = {{"C", "US"}, {"O", "Example"}, {"CN", "www.example.com"}},
                       .issuer = {{"C", "US"}, {"O", "Example"}, {"CN", "Example CA"}},
                       .serial = {0x12, 0x34, 0x56, 0x78, 0x9a},
                       .not_before = 1700000000,
                       .not_after = 1800000000,
                       .dns = {"www.example.com", "example.com"}});
  Bytes ca = MakeCertificate({.subject = {{"C", "US"}, {"O", "Example"}, {"CN", "Example CA"}},
                              .issuer = {{"C", "US"}, {"O", "Example"}, {"CN", "Example Root"}},
                              .serial = {0x02},
                              .not_before = 1700000000,
                              .not_after = 1800000000});
  Bytes root = MakeCertificate({.subject = {{"C", "US"}, {"O", "Example"}, {"CN", "Example Root"}},
                                .serial = {0x01},
                                .not_before = 1700000000,
                                .not_after = 1800000000});
  Bytes flight;
  Append(flight, Handshake(2, ServerHelloBody(0x0303, 0xc02f, {{0xff01, {0x00}}})));
  Append(flight, Handshake(11, CertificateBody({leaf, ca, root})));
  Append(flight, Handshake(12, Bytes(300, 0x33)));
  Append(flight, Handshake(14, {}));
  Bytes server = Records(22, flight, 16384);
  Append(client, Record(22, Handshake(16, Bytes(66, 1))));
  Append(client, Record(20, {1}));
  Append(server, Record(20, {1}));
  // Delivered in 1448-byte TCP segments, as on the wire.
  constexpr size_t kMss = 1448;
  for (auto _ : state) {
    TlsParser parser;
    parser.Feed(Direction::kToServer, client.data(), client.size());
    for (size_t i = 0; i < server.size(); i += kMss) {
      parser.Feed(Direction::kToClient, server.data() + i, std::min(kMss, server.size() - i));
    }
    benchmark::DoNotOptimize(parser.session().certificates.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(client.size() + server.size()));
}
BENCHMARK(BM_Tls12HandshakeWithChain);

}  // namespace
