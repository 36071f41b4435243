// JA3 / JA3S / JA4 against published values.
//
// JA3: the pyja3 README (salesforce/ja3) shows the string
//   769,255-49162-...-65279-10,0-10-11-35,23-24-25,0
// with digest 2aef69b4ba1938c3a400de4188743185; we build a ClientHello with
// exactly those fields and expect both.
// JA4: FoxIO's technical_details/JA4.md works one example through:
//   ciphers 1301,...,0035 -> 8daaf6152771; extensions 001b,0000,...,0015 with
//   signature algorithms 0403,...,0601 -> e5627efa2ab1; the fingerprint is
//   t13d1516h2_8daaf6152771_e5627efa2ab1, and without signature algorithms
//   part c is 6d807ffa2a79.

#include "engine/app/tls/fingerprint.h"

#include <gtest/gtest.h>

#include "engine/app/tls/tls_parser.h"
#include "tests/app/tls/tls_test_util.h"

namespace kagami::app::tls {
namespace {

using namespace testing;  // NOLINT

Session ParseClient(const Bytes& body) {
  TlsParser p;
  Bytes wire = Record(22, Handshake(1, body), 0x0301);
  p.Feed(Direction::kToServer, wire.data(), wire.size());
  return p.session();
}

TEST(Ja3, PublishedPyja3Example) {
  std::vector<uint16_t> ciphers = {255, 49162, 49172, 136,   135,   57,    56,    49167, 49157,
                                   132, 53,    49159, 49161, 49169, 49171, 69,    68,    51,
                                   50,  49164, 49166, 49154, 49156, 150,   65,    4,     5,
                                   47,  49160, 49170, 22,    19,    49165, 49155, 65279, 10};
  Session s = ParseClient(ClientHelloBody(
      0x0301, ciphers,
      {SniExt("example.com"), GroupsExt({23, 24, 25}), PointFormatsExt({0}), {35, {}}}));
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->ja3_string,
            "769,255-49162-49172-136-135-57-56-49167-49157-132-53-49159-49161-49169-49171-69-68-"
            "51-50-49164-49166-49154-49156-150-65-4-5-47-49160-49170-22-19-49165-49155-65279-10,"
            "0-10-11-35,23-24-25,0");
  EXPECT_EQ(s.client_hello->ja3_hash, "2aef69b4ba1938c3a400de4188743185");
  EXPECT_TRUE(s.anomalies.empty());
}

TEST(Ja3, NoExtensionsLeavesEmptyFields) {
  // The JA3 README: "769,4-5-10-9-100-98-3-6-19-18-99,,," when there are none.
  Session s =
      ParseClient(ClientHelloBody(0x0301, {4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99}, {}, false));
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->ja3_string, "769,4-5-10-9-100-98-3-6-19-18-99,,,");
  EXPECT_TRUE(s.anomalies.empty());
}

// The FoxIO example ClientHello, with GREASE values added where browsers put
// them (they must not change anything).
Bytes FoxioClientHello(bool with_sigalgs) {
  std::vector<uint16_t> ciphers = {0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                   0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  Bytes key_share = {0x00, 0x06, 0x00, 0x1d, 0x00, 0x02, 0xaa, 0xbb};
  std::vector<Extension> exts = {
      {0x2a2a, {}},
      {0x001b, {0x02, 0x00, 0x02}},
      SniExt("www.example.com"),
      {0x0033, key_share},
      AlpnExt({"h2", "http/1.1"}),
      {0x4469, {0x00, 0x03, 0x02, 'h', '2'}},
      {0x0017, {}},
      {0x002d, {0x01, 0x01}},
      SigAlgsExt(with_sigalgs ? std::vector<uint16_t>{0x0403, 0x0804, 0x0401, 0x0503, 0x0805,
                                                      0x0501, 0x0806, 0x0601}
                              : std::vector<uint16_t>{}),
      {0x0005, {0x01, 0x00, 0x00, 0x00, 0x00}},
      {0x0023, {}},
      {0x0012, {}},
      VersionsExt({0x3a3a, 0x0304, 0x0303}),
      {0xff01, {0x00}},
      PointFormatsExt({0}),
      GroupsExt({0x4a4a, 0x001d, 0x0017, 0x0018}),
      {0x0015, Bytes(20, 0)},
      {0x5a5a, {0x00}},
  };
  return ClientHelloBody(0x0303, ciphers, exts);
}

TEST(Ja4, PublishedFoxioExample) {
  Session s = ParseClient(FoxioClientHello(true));
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(s.client_hello->sni, "www.example.com");
  EXPECT_EQ(s.client_hello->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(s.client_hello->supported_versions, (std::vector<uint16_t>{0x3a3a, 0x0304, 0x0303}));
  // JA3 of the same hello, by hand: legacy version 0x0303 = 771, the
  // ciphers and extensions in wire order in decimal without GREASE, groups
  // x25519 (29), secp256r1 (23), secp384r1 (24), point format 0. The digest
  // was computed with Python's hashlib.
  EXPECT_EQ(s.client_hello->ja3_string,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
            "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0");
  EXPECT_EQ(s.client_hello->ja3_hash, "c000e2caf3a25423f9de6c8a4b12a975");
  EXPECT_TRUE(s.anomalies.empty());
}

TEST(Ja4, WithoutSignatureAlgorithmsNoUnderscore) {
  Session s = ParseClient(FoxioClientHello(false));
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

ClientHello Hello(std::vector<std::string> alpn) {
  ClientHello h;
  h.legacy_version = 0x0301;
  h.alpn = std::move(alpn);
  ComputeClientFingerprints(h);
  return h;
}

TEST(Ja4, AlpnRules) {
  // Part a only: "t10i0000" + ALPN; no ciphers/extensions give zero hashes.
  EXPECT_EQ(Hello({}).ja4, "t10i000000_000000000000_000000000000");
  EXPECT_EQ(Hello({""}).ja4.substr(0, 10), "t10i000000");
  EXPECT_EQ(Hello({"h"}).ja4.substr(8, 2), "hh");
  EXPECT_EQ(Hello({"http/1.1"}).ja4.substr(8, 2), "h1");
  // Non-alphanumeric first or last byte: first and last hex digit (JA4.md).
  EXPECT_EQ(Hello({"\xab"}).ja4.substr(8, 2), "ab");
  EXPECT_EQ(Hello({"\xab\xcd"}).ja4.substr(8, 2), "ad");
  EXPECT_EQ(Hello({"0\xab"}).ja4.substr(8, 2), "3b");
  EXPECT_EQ(Hello({"01\xab\xcd"}).ja4.substr(8, 2), "3d");
  EXPECT_EQ(Hello({"0\xab\xcd"
                   "1"})
                .ja4.substr(8, 2),
            "01");
}

TEST(Ja4, VersionFromLegacyWhenNoSupportedVersions) {
  ClientHello h;
  h.legacy_version = 0x0300;
  h.cipher_suites = {0x0a0a, 0x002f};
  ComputeClientFingerprints(h);
  EXPECT_EQ(h.ja4.substr(0, 8), "ts3i0100");
}

TEST(Ja3s, ServerHello) {
  ServerHello h;
  h.legacy_version = 0x0303;
  h.cipher_suite = 49199;
  h.extensions = {65281, 0, 11, 35, 16};
  ComputeServerFingerprints(h);
  EXPECT_EQ(h.ja3s_string, "771,49199,65281-0-11-35-16");
  EXPECT_EQ(h.ja3s_hash, "47decf033ac4c8fc9b952ff41e549679");  // hashlib
}

TEST(Grease, Values) {
  EXPECT_TRUE(IsGrease(0x0a0a));
  EXPECT_TRUE(IsGrease(0xfafa));
  EXPECT_TRUE(IsGrease(0x3a3a));
  EXPECT_FALSE(IsGrease(0x0a1a));
  EXPECT_FALSE(IsGrease(0x1301));
  EXPECT_FALSE(IsGrease(0x0000));
}

}  // namespace
}  // namespace kagami::app::tls
