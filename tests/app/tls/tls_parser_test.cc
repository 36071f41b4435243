#include "engine/app/tls/tls_parser.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/app/tls/tls_test_util.h"

namespace kagami::app::tls {
namespace {

using namespace std::string_literals;

using namespace testing;  // NOLINT

constexpr int64_t kNotBefore = 1700000000;  // 2023-11-14T22:13:20Z
constexpr int64_t kNotAfter = 1800000000;

struct Conversation {
  std::vector<std::pair<Direction, Bytes>> steps;
};

Bytes BasicClientHello(const std::string& sni = "www.example.com") {
  return ClientHelloBody(0x0303, {0xc02f, 0xc030, 0x009c},
                         {SniExt(sni), GroupsExt({0x001d, 0x0017}), PointFormatsExt({0}),
                          SigAlgsExt({0x0403, 0x0804}), AlpnExt({"h2", "http/1.1"})});
}

// A TLS 1.2 handshake with a two-certificate chain: ClientHello; ServerHello,
// Certificate, ServerHelloDone in one record; client CCS; server CCS.
Conversation Tls12Handshake(Bytes* leaf_out = nullptr) {
  Bytes leaf = MakeCertificate({.subject = {{"C", "US"},
                                            {"ST", "WA"},
                                            {"L", "Redmond"},
                                            {"O", "Kagami Corp\0oration"s},
                                            {"CN", "www.example.com"}},
                                .issuer = {{"C", "US"}, {"O", "Kagami"}, {"CN", "Kagami CA 01"}},
                                .serial = {0xE0, 0x0E, 0x01, 0x02},
                                .not_before = kNotBefore,
                                .not_after = kNotAfter,
                                .dns = {"www.example.com", "example.com"}});
  Bytes ca = MakeCertificate({.subject = {{"C", "US"}, {"O", "Kagami"}, {"CN", "Kagami CA 01"}},
                              .serial = {0x01},
                              .not_before = kNotBefore,
                              .not_after = kNotAfter});
  if (leaf_out) *leaf_out = leaf;
  Bytes flight;
  Append(flight, Handshake(2, ServerHelloBody(0x0303, 0xc02f, {{0xff01, {0x00}}, {0x0000, {}}})));
  Append(flight, Handshake(11, CertificateBody({leaf, ca})));
  Append(flight, Handshake(14, {}));
  Conversation c;
  c.steps.push_back({Direction::kToServer, Record(22, Handshake(1, BasicClientHello()), 0x0301)});
  c.steps.push_back({Direction::kToClient, Records(22, flight, 700)});
  Bytes client_fin = Record(22, Handshake(16, Bytes(66, 7)));
  Append(client_fin, Record(20, {1}));
  Append(client_fin, Record(22, Bytes(40, 0x55)));  // encrypted Finished
  c.steps.push_back({Direction::kToServer, client_fin});
  Bytes server_fin = Record(20, {1});
  Append(server_fin, Record(22, Bytes(40, 0x66)));
  Append(server_fin, Record(23, Bytes(100, 0x77)));
  c.steps.push_back({Direction::kToClient, server_fin});
  return c;
}

Session RunWhole(const Conversation& c, const TlsOptions& opt = {}) {
  TlsParser p(opt);
  for (const auto& [dir, bytes] : c.steps) p.Feed(dir, bytes.data(), bytes.size());
  return p.session();
}

Session RunSplit(const Conversation& c, std::mt19937& rng, size_t max_piece,
                 const TlsOptions& opt = {}) {
  TlsParser p(opt);
  for (const auto& [dir, bytes] : c.steps) {
    size_t i = 0;
    while (i < bytes.size()) {
      size_t n = std::min(bytes.size() - i, 1 + rng() % max_piece);
      p.Feed(dir, bytes.data() + i, n);
      i += n;
    }
  }
  return p.session();
}

TEST(TlsParser, ChainCertificatesKeepOnlyTheirDerByDefault) {
  Bytes leaf;
  Session s = RunWhole(Tls12Handshake(&leaf));
  ASSERT_EQ(s.certificates.size(), 2u);
  EXPECT_TRUE(s.certificates[0].decoded);
  EXPECT_FALSE(s.certificates[0].subject.empty());
  EXPECT_FALSE(s.certificates[1].decoded);
  EXPECT_TRUE(s.certificates[1].subject.empty());
  EXPECT_FALSE(s.certificates[1].der.empty());
}

TEST(TlsParser, Tls12HandshakeWithChain) {
  Bytes leaf;
  TlsOptions chain;
  chain.decode_chain = true;
  Session s = RunWhole(Tls12Handshake(&leaf), chain);
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->sni, "www.example.com");
  EXPECT_EQ(s.client_hello->cipher_suites, (std::vector<uint16_t>{0xc02f, 0xc030, 0x009c}));
  EXPECT_EQ(s.client_hello->supported_groups, (std::vector<uint16_t>{0x001d, 0x0017}));
  EXPECT_EQ(s.client_hello->signature_algorithms, (std::vector<uint16_t>{0x0403, 0x0804}));
  EXPECT_EQ(s.client_hello->ec_point_formats, (std::vector<uint8_t>{0}));
  EXPECT_EQ(s.client_hello->ja3_string, "771,49199-49200-156,0-10-11-13-16,29-23,0");
  ASSERT_TRUE(s.server_hello);
  EXPECT_EQ(s.server_hello->cipher_suite, 0xc02f);
  EXPECT_EQ(s.server_hello->selected_version, 0x0303);
  EXPECT_EQ(s.server_hello->ja3s_string, "771,49199,65281-0");
  EXPECT_EQ(s.version, 0x0303);
  EXPECT_EQ(VersionName(s.version), "TLS 1.2");

  ASSERT_EQ(s.certificates.size(), 2u);
  const Certificate& c = s.certificates[0];
  EXPECT_TRUE(c.decoded);
  EXPECT_EQ(c.subject, "C=US, ST=WA, L=Redmond, O=Kagami Corp\0oration, CN=www.example.com"s);
  EXPECT_EQ(c.issuer, "C=US, O=Kagami, CN=Kagami CA 01");
  EXPECT_EQ(c.serial, "00:E0:0E:01:02");  // sign byte kept, as Suricata prints it
  EXPECT_EQ(c.not_before, kNotBefore);
  EXPECT_EQ(c.not_after, kNotAfter);
  EXPECT_EQ(c.subject_alt_names, (std::vector<std::string>{"www.example.com", "example.com"}));
  EXPECT_EQ(c.der, std::string(leaf.begin(), leaf.end()));
  EXPECT_EQ(c.fingerprint_sha1.size(), 20u * 3 - 1);
  EXPECT_EQ(c.fingerprint_sha256.size(), 32u * 3 - 1);
  EXPECT_EQ(c.fingerprint_sha1.find_first_of("ABCDEF"), std::string::npos);
  EXPECT_EQ(s.certificates[1].subject, "C=US, O=Kagami, CN=Kagami CA 01");
  EXPECT_EQ(s.certificates[1].serial, "01");

  EXPECT_TRUE(s.client_hello_done && s.server_hello_done && s.certificates_done);
  EXPECT_TRUE(s.encrypted);
  EXPECT_TRUE(s.updated);
  EXPECT_TRUE(s.anomalies.empty()) << Dump(s);
}

TEST(TlsParser, AnySplitGivesTheSameSession) {
  Conversation c = Tls12Handshake();
  std::string whole = Dump(RunWhole(c));
  std::mt19937 rng(1234);
  EXPECT_EQ(Dump(RunSplit(c, rng, 1)), whole);  // byte by byte
  for (size_t max : {2, 3, 7, 64, 500, 3000}) {
    for (int round = 0; round < 5; ++round) {
      EXPECT_EQ(Dump(RunSplit(c, rng, max)), whole) << "max piece " << max;
    }
  }
}

TEST(TlsParser, HelloSpanningRecordsAndSeveralMessagesPerRecord) {
  // The ClientHello cut into 10-byte records; the server flight in a single record.
  Conversation c;
  c.steps.push_back({Direction::kToServer, Records(22, Handshake(1, BasicClientHello()), 10)});
  Bytes flight = Handshake(2, ServerHelloBody(0x0303, 0x009c, {}));
  Append(flight, Handshake(14, {}));
  c.steps.push_back({Direction::kToClient, Record(22, flight)});
  Session s = RunWhole(c);
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->sni, "www.example.com");
  ASSERT_TRUE(s.server_hello);
  EXPECT_EQ(s.server_hello->cipher_suite, 0x009c);
  EXPECT_TRUE(s.anomalies.empty()) << Dump(s);
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Dump(RunSplit(c, rng, 13)), Dump(s));
}

TEST(TlsParser, Tls13HelloRetryAndCompatChangeCipherSpec) {
  std::vector<Extension> ch_exts = {SniExt("ftp.example.org"), VersionsExt({0x0304, 0x0303}),
                                    GroupsExt({0x001d})};
  Bytes ch = ClientHelloBody(0x0303, {0x1301, 0x1302}, ch_exts);
  Conversation c;
  c.steps.push_back({Direction::kToServer, Record(22, Handshake(1, ch), 0x0301)});
  Bytes hrr = Record(
      22, Handshake(
              2, ServerHelloBody(0x0303, 0x1301, {{43, {0x03, 0x04}}, {51, {0x00, 0x17}}}, true)));
  Append(hrr, Record(20, {1}));  // middlebox compatibility
  c.steps.push_back({Direction::kToClient, hrr});
  Bytes ch2 = Record(20, {1});
  Append(ch2, Record(22, Handshake(1, ClientHelloBody(0x0303, {0x1301}, ch_exts))));
  c.steps.push_back({Direction::kToServer, ch2});
  Bytes sh = Record(22, Handshake(2, ServerHelloBody(0x0303, 0x1301, {{43, {0x03, 0x04}}})));
  Append(sh, Record(23, Bytes(300, 0x42)));  // encrypted extensions, certificate, ...
  c.steps.push_back({Direction::kToClient, sh});
  Bytes fin = Record(23, Bytes(60, 0x43));
  c.steps.push_back({Direction::kToServer, fin});

  Session s = RunWhole(c);
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->sni, "ftp.example.org");
  EXPECT_EQ(s.client_hello->cipher_suites.size(), 2u);  // the first ClientHello is kept
  ASSERT_TRUE(s.server_hello);
  EXPECT_FALSE(s.server_hello->hello_retry_request);
  EXPECT_EQ(s.server_hello->selected_version, 0x0304);
  EXPECT_EQ(s.version, 0x0304);
  EXPECT_EQ(VersionName(s.version), "TLS 1.3");
  EXPECT_TRUE(s.certificates.empty());
  EXPECT_TRUE(s.encrypted);
  EXPECT_TRUE(s.anomalies.empty()) << Dump(s);
}

TEST(TlsParser, Sslv2CompatibleClientHello) {
  Bytes body;
  Put8(body, 1);        // CLIENT-HELLO
  Put16(body, 0x0301);  // highest version offered
  Put16(body, 9);       // cipher specs
  Put16(body, 0);       // session id
  Put16(body, 16);      // challenge
  for (uint32_t spec : {0x010080u, 0x00002fu, 0x000035u}) Put24(body, spec);
  Append(body, Bytes(16, 0xab));
  Bytes wire;
  Put16(wire, 0x8000 | static_cast<uint32_t>(body.size()));
  Append(wire, body);
  EXPECT_EQ(ProbeClient(wire.data(), wire.size()), Probe::kYes);
  // The server answers with TLS.
  Conversation c;
  c.steps.push_back({Direction::kToServer, wire});
  c.steps.push_back(
      {Direction::kToClient, Record(22, Handshake(2, ServerHelloBody(0x0301, 0x2f, {})), 0x0301)});
  Session s = RunWhole(c);
  ASSERT_TRUE(s.client_hello);
  EXPECT_TRUE(s.client_hello->sslv2);
  EXPECT_EQ(s.client_hello->legacy_version, 0x0301);
  EXPECT_EQ(s.client_hello->cipher_suites, (std::vector<uint16_t>{0x2f, 0x35}));
  EXPECT_EQ(s.client_hello->ja3_string, "769,47-53,,,");
  ASSERT_TRUE(s.server_hello);
  EXPECT_EQ(s.version, 0x0301);
  EXPECT_TRUE(s.anomalies.empty()) << Dump(s);
  std::mt19937 rng(3);
  EXPECT_EQ(Dump(RunSplit(c, rng, 1)), Dump(s));
}

// --- Malformed input ---------------------------------------------------------

bool HasAnomaly(const Session& s, Anomaly a) {
  for (const auto& [x, off] : s.anomalies) {
    if (x == a) return true;
  }
  return false;
}

TEST(TlsParser, BadExtensionKeepsTheRest) {
  std::vector<Extension> exts = {SniExt("good.example"),
                                 {10, {0x00, 0x05, 0x00}},  // odd list
                                 AlpnExt({"h2"})};
  Session s = RunWhole(
      {{{Direction::kToServer, Record(22, Handshake(1, ClientHelloBody(0x0303, {0x2f}, exts)))}}});
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->sni, "good.example");
  EXPECT_EQ(s.client_hello->alpn, std::vector<std::string>{"h2"});
  EXPECT_EQ(s.client_hello->extensions, (std::vector<uint16_t>{0, 10, 16}));
  ASSERT_EQ(s.anomalies.size(), 1u);
  EXPECT_EQ(s.anomalies[0], std::make_pair(Anomaly::kInvalidExtension, uint64_t{5}));
}

TEST(TlsParser, TruncatedClientHelloBody) {
  Bytes body = BasicClientHello();
  body.resize(45);  // inside the cipher suites
  Session s = RunWhole({{{Direction::kToServer, Record(22, Handshake(1, body))}}});
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->legacy_version, 0x0303);
  EXPECT_TRUE(HasAnomaly(s, Anomaly::kInvalidClientHello));
}

TEST(TlsParser, InvalidRecordTypeGivesUpButKeepsHello) {
  Bytes wire = Record(22, Handshake(1, BasicClientHello()));
  size_t bad_at = wire.size();
  Append(wire, Bytes{0x47, 0x45, 0x54, 0x20, 0x2f, 0x20});  // "GET / "
  Append(wire, Record(22, Handshake(1, BasicClientHello("other.example"))));
  Session s = RunWhole({{{Direction::kToServer, wire}}});
  ASSERT_TRUE(s.client_hello);
  EXPECT_EQ(s.client_hello->sni, "www.example.com");
  ASSERT_EQ(s.anomalies.size(), 1u);
  EXPECT_EQ(s.anomalies[0], std::make_pair(Anomaly::kInvalidRecordType, uint64_t{bad_at}));
}

TEST(TlsParser, RecordVersionAndLengthChecks) {
  Bytes bad_version = {22, 0x02, 0x00, 0x00, 0x04, 1, 0, 0, 0};
  Session a = RunWhole({{{Direction::kToServer, bad_version}}});
  EXPECT_TRUE(HasAnomaly(a, Anomaly::kInvalidRecordVersion));
  Bytes too_long = {22, 0x03, 0x03, 0xff, 0xff};
  Session b = RunWhole({{{Direction::kToClient, too_long}}});
  EXPECT_TRUE(HasAnomaly(b, Anomaly::kRecordTooLong));
  Bytes empty = {22, 0x03, 0x03, 0x00, 0x00};
  Append(empty, Record(22, Handshake(1, BasicClientHello())));
  Session c = RunWhole({{{Direction::kToServer, empty}}});
  EXPECT_TRUE(HasAnomaly(c, Anomaly::kEmptyHandshakeRecord));
  EXPECT_TRUE(c.client_hello);
}

TEST(TlsParser, InterleavedRecordDropsPartialMessage) {
  Bytes msg = Handshake(1, BasicClientHello());
  Bytes wire = Record(22, Bytes(msg.begin(), msg.begin() + 20));
  Append(wire, Record(21, {1, 0}));  // an alert in between
  Append(wire, Record(22, Bytes(msg.begin() + 20, msg.end())));
  Session s = RunWhole({{{Direction::kToServer, wire}}});
  EXPECT_TRUE(HasAnomaly(s, Anomaly::kInterleavedRecord));
  // The rest of the message was read as a new (garbage) message: no hello.
  EXPECT_FALSE(s.client_hello && s.client_hello->sni == "www.example.com");
}

TEST(TlsParser, HandshakeMessageCap) {
  TlsOptions opt;
  opt.max_handshake_message = 64;
  Conversation c;
  c.steps.push_back({Direction::kToServer, Record(22, Handshake(1, BasicClientHello()))});
  Session s = RunWhole(c, opt);
  EXPECT_FALSE(s.client_hello);
  EXPECT_TRUE(HasAnomaly(s, Anomaly::kHandshakeTooLong));
}

TEST(TlsParser, CertificateProblems) {
  Bytes good = MakeCertificate({.subject = {{"CN", "ok.example"}},
                                .serial = {0x05},
                                .not_before = kNotBefore,
                                .not_after = kNotAfter});
  Bytes junk(50, 0x30);
  Bytes flight = Handshake(2, ServerHelloBody(0x0303, 0x2f, {}));
  Append(flight, Handshake(11, CertificateBody({good, junk, good, good})));
  TlsOptions opt;
  opt.max_certificates = 3;
  opt.decode_chain = true;
  Session s = RunWhole({{{Direction::kToClient, Record(22, flight)}}}, opt);
  ASSERT_EQ(s.certificates.size(), 3u);
  EXPECT_EQ(s.certificates[0].subject, "CN=ok.example");
  EXPECT_EQ(s.certificates[0].issuer, "CN=ok.example");
  EXPECT_FALSE(s.certificates[1].decoded);
  EXPECT_EQ(s.certificates[1].der.size(), 50u);
  EXPECT_FALSE(s.certificates[1].fingerprint_sha1.empty());
  EXPECT_TRUE(HasAnomaly(s, Anomaly::kInvalidCertificate));
  EXPECT_TRUE(HasAnomaly(s, Anomaly::kTooManyCertificates));

  // A certificate list whose inner length runs past the message.
  Bytes body = CertificateBody({good});
  body[5] = static_cast<uint8_t>(body[5] + 10);  // first certificate's length
  Session t = RunWhole({{{Direction::kToClient, Record(22, Handshake(11, body))}}});
  EXPECT_TRUE(t.certificates.empty());
  EXPECT_TRUE(HasAnomaly(t, Anomaly::kInvalidCertificateMessage));
}

TEST(TlsParser, GapGivesUpDirection) {
  TlsParser p;
  Bytes ch = Record(22, Handshake(1, BasicClientHello()));
  p.Feed(Direction::kToServer, ch.data(), 30);
  p.Gap(Direction::kToServer);
  p.Feed(Direction::kToServer, ch.data() + 40, ch.size() - 40);
  EXPECT_FALSE(p.session().client_hello);
  ASSERT_EQ(p.session().anomalies.size(), 1u);
  EXPECT_EQ(p.session().anomalies[0], std::make_pair(Anomaly::kGap, uint64_t{30}));
  // The other direction still works.
  Bytes sh = Record(22, Handshake(2, ServerHelloBody(0x0303, 0x2f, {})));
  p.Feed(Direction::kToClient, sh.data(), sh.size());
  EXPECT_TRUE(p.session().server_hello);
  // After encryption a gap is harmless.
  Bytes ccs = Record(20, {1});
  p.Feed(Direction::kToClient, ccs.data(), ccs.size());
  p.Gap(Direction::kToClient);
  EXPECT_EQ(p.session().anomalies.size(), 1u);
  EXPECT_TRUE(p.finished());
}

TEST(TlsParser, HelloInWrongDirection) {
  Session s = RunWhole({{{Direction::kToClient, Record(22, Handshake(1, BasicClientHello()))}}});
  EXPECT_FALSE(s.client_hello);
  EXPECT_TRUE(HasAnomaly(s, Anomaly::kUnexpectedHandshake));
}

TEST(TlsParser, AnomaliesAreCapped) {
  TlsOptions opt;
  opt.max_anomalies = 5;
  Bytes wire;
  for (int i = 0; i < 50; ++i) Append(wire, Bytes{22, 3, 3, 0, 0});
  Session s = RunWhole({{{Direction::kToServer, wire}}}, opt);
  EXPECT_EQ(s.anomalies.size(), 5u);
}

TEST(TlsParser, RandomCorruptionNeverCrashesAndIsSplitInvariant) {
  Conversation base = Tls12Handshake();
  std::mt19937 rng(99);
  for (int round = 0; round < 200; ++round) {
    Conversation c = base;
    for (auto& [dir, bytes] : c.steps) {
      int flips = rng() % 4;
      for (int f = 0; f < flips; ++f)
        bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    }
    std::string whole = Dump(RunWhole(c));
    EXPECT_EQ(Dump(RunSplit(c, rng, 17)), whole);
  }
}

// --- Probing and names --------------------------------------------------------

TEST(Probe, TlsRecords) {
  Bytes ch = Record(22, Handshake(1, BasicClientHello()), 0x0301);
  Bytes sh = Record(22, Handshake(2, ServerHelloBody(0x0303, 0x2f, {})));
  EXPECT_EQ(ProbeClient(ch.data(), ch.size()), Probe::kYes);
  EXPECT_EQ(ProbeServer(sh.data(), sh.size()), Probe::kYes);
  EXPECT_EQ(ProbeClient(sh.data(), sh.size()), Probe::kNo);
  EXPECT_EQ(ProbeServer(ch.data(), ch.size()), Probe::kNo);
  for (size_t n = 0; n < 6; ++n) EXPECT_EQ(ProbeClient(ch.data(), n), Probe::kNeedMore) << n;
  Bytes alert = Record(21, {2, 40});
  EXPECT_EQ(ProbeServer(alert.data(), alert.size()), Probe::kYes);
}

TEST(Probe, NotTls) {
  std::string http = "GET / HTTP/1.1\r\n";
  EXPECT_EQ(ProbeClient(reinterpret_cast<const uint8_t*>(http.data()), http.size()), Probe::kNo);
  // DNS over TCP (issue-4759): a 2-byte length, then the DNS header.
  Bytes dns = {0x00, 0x1c, 0x5e, 0x63, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00};
  EXPECT_EQ(ProbeClient(dns.data(), dns.size()), Probe::kNo);
  EXPECT_EQ(ProbeServer(dns.data(), dns.size()), Probe::kNo);
  Bytes ssh = {'S', 'S', 'H', '-', '2'};
  EXPECT_EQ(ProbeClient(ssh.data(), ssh.size()), Probe::kNo);
  Bytes bad_version = {22, 3, 9, 0, 40, 1};
  EXPECT_EQ(ProbeClient(bad_version.data(), bad_version.size()), Probe::kNo);
  Bytes huge = {22, 3, 1, 0xff, 0x00, 1};
  EXPECT_EQ(ProbeClient(huge.data(), huge.size()), Probe::kNo);
}

TEST(VersionName, SuricataNames) {
  EXPECT_EQ(VersionName(0x0300), "SSLv3");
  EXPECT_EQ(VersionName(0x0301), "TLS 1.0");
  EXPECT_EQ(VersionName(0x0302), "TLS 1.1");
  EXPECT_EQ(VersionName(0x0303), "TLS 1.2");
  EXPECT_EQ(VersionName(0x0304), "TLS 1.3");
  EXPECT_EQ(VersionName(0x0002), "SSLv2");
  EXPECT_EQ(VersionName(0x7f1c), "TLS 1.3 draft-28");
  EXPECT_EQ(VersionName(0), "UNDETERMINED");
  EXPECT_EQ(VersionName(0x1234), "UNDETERMINED");
}

}  // namespace
}  // namespace kagami::app::tls
