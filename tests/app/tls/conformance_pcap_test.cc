// The TLS cases of the conformance corpus (suricata-verify captures): each
// pcap holds one TCP connection; its payload is put in order per direction
// (by sequence number, retransmissions trimmed) and fed to the parser in
// packet order. The assertions are what the cases' rules and expected.json
// need: the SNI, the certificate subject / issuer text Suricata produces
// (NUL bytes included), and, for issue-4759 (DNS over TCP), no TLS at all.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "capture/packet_source.h"
#include "engine/app/tls/tls_parser.h"
#include "engine/decode/decoder.h"
#include "engine/decode/packet.h"
#include "tests/app/tls/tls_test_util.h"

namespace kagami::app::tls {
namespace {

using namespace std::string_literals;

constexpr uint8_t kSyn = 0x02, kAck = 0x10;

std::string CaseDir(const std::string& name) {
  return std::string(KAGAMI_SOURCE_DIR) + "/../shared/conformance/cases/" + name;
}

// In-order delivery of one direction: data beyond the next expected byte
// waits, data before it is trimmed.
struct DirectionStream {
  bool have_isn = false;
  uint32_t next = 0;
  std::map<uint32_t, std::string> pending;  // by offset from the ISN

  template <typename Sink>
  void Add(uint32_t seq, const uint8_t* p, uint32_t n, Sink&& sink) {
    if (!have_isn || n == 0) return;
    uint32_t off = seq - next;  // relative to what is expected, wraps for old data
    if (static_cast<int32_t>(off) > 0) {
      pending.emplace(seq, std::string(reinterpret_cast<const char*>(p), n));
      return;
    }
    uint32_t skip = next - seq;
    if (skip < n) {
      sink(p + skip, n - skip);
      next += n - skip;
    }
    while (!pending.empty()) {
      auto it = pending.begin();
      int32_t d = static_cast<int32_t>(it->first - next);
      if (d > 0) break;
      std::string data = std::move(it->second);
      uint32_t seg_seq = it->first;
      pending.erase(it);
      uint32_t s = next - seg_seq;
      if (s < data.size()) {
        sink(reinterpret_cast<const uint8_t*>(data.data()) + s, data.size() - s);
        next += static_cast<uint32_t>(data.size() - s);
      }
    }
  }
};

struct PcapResult {
  Session session;
  bool client_probe_yes = false;
  bool server_probe_yes = false;
  bool saw_payload = false;
};

PcapResult RunPcap(const std::string& path) {
  PcapResult r;
  auto source = capture::OpenCaptureFile(path);
  EXPECT_TRUE(source.ok()) << source.status();
  if (!source.ok()) return r;
  decode::Decoder decoder;
  TlsParser parser;
  uint16_t client_port = 0, server_port = 0;
  DirectionStream to_server, to_client;
  bool first_client = true, first_server = true;
  capture::PacketView view;
  while (true) {
    auto more = (*source)->Next(view);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    decode::Packet pkt;
    if (decoder.Decode(view, pkt) != decode::DecodeResult::kOk || !pkt.has_tcp()) continue;
    if ((pkt.tcp_flags & (kSyn | kAck)) == kSyn) {
      client_port = pkt.src_port;
      server_port = pkt.dst_port;
      to_server.have_isn = true;
      to_server.next = pkt.tcp_seq + 1;
      continue;
    }
    if ((pkt.tcp_flags & (kSyn | kAck)) == (kSyn | kAck)) {
      to_client.have_isn = true;
      to_client.next = pkt.tcp_seq + 1;
      continue;
    }
    bool c2s = pkt.src_port == client_port && pkt.dst_port == server_port;
    bool s2c = pkt.src_port == server_port && pkt.dst_port == client_port;
    if (!c2s && !s2c) continue;
    Direction dir = c2s ? Direction::kToServer : Direction::kToClient;
    auto sink = [&](const uint8_t* p, size_t n) {
      r.saw_payload = true;
      bool& first = c2s ? first_client : first_server;
      if (first) {
        Probe probe = c2s ? ProbeClient(p, n) : ProbeServer(p, n);
        (c2s ? r.client_probe_yes : r.server_probe_yes) = probe == Probe::kYes;
        first = false;
      }
      parser.Feed(dir, p, n);
    };
    (c2s ? to_server : to_client).Add(pkt.tcp_seq, pkt.payload, pkt.payload_len, sink);
  }
  r.session = parser.session();
  return r;
}

#define SKIP_IF_ABSENT(name)                                       \
  if (!std::filesystem::exists(CaseDir(name) + "/input.pcap")) {   \
    GTEST_SKIP() << "conformance case " << name << " not present"; \
  }

TEST(TlsConformance, SubjectWithNul) {
  SKIP_IF_ABSENT("tls-subject-zero");
  PcapResult r = RunPcap(CaseDir("tls-subject-zero") + "/input.pcap");
  const Session& s = r.session;
  EXPECT_TRUE(r.client_probe_yes);
  EXPECT_TRUE(r.server_probe_yes);
  ASSERT_FALSE(s.certificates.empty()) << testing::Dump(s);
  // The rule's content: "C=US, ST=WA, L=Redmond, O=Microsoft Corporat|00|on,
  // OU=Microsoft Corporation, CN=go.microsoft.com".
  const std::string want =
      "C=US, ST=WA, L=Redmond, O=Microsoft Corporat\0on, OU=Microsoft Corporation, "
      "CN=go.microsoft.com"s;
  EXPECT_NE(s.certificates[0].subject.find(want), std::string::npos) << testing::Dump(s);
}

TEST(TlsConformance, IssuerWithNul) {
  SKIP_IF_ABSENT("tls-issuer-zero");
  PcapResult r = RunPcap(CaseDir("tls-issuer-zero") + "/input.pcap");
  const Session& s = r.session;
  ASSERT_FALSE(s.certificates.empty()) << testing::Dump(s);
  const std::string want = "C=US, O=Microsoft Corporation, CN=Microsoft RSA TL\0 CA 01"s;
  EXPECT_NE(s.certificates[0].issuer.find(want), std::string::npos) << testing::Dump(s);
}

TEST(TlsConformance, CertificateWithoutIssuer) {
  SKIP_IF_ABSENT("tls-cert-noissuer");
  PcapResult r = RunPcap(CaseDir("tls-cert-noissuer") + "/input.pcap");
  const Session& s = r.session;
  ASSERT_FALSE(s.certificates.empty()) << testing::Dump(s);
  EXPECT_NE(s.certificates[0].subject.find("localhost"), std::string::npos) << testing::Dump(s);
}

TEST(TlsConformance, FragmentedClientHello) {
  SKIP_IF_ABSENT("tls-client-hello-frag-01");
  PcapResult r = RunPcap(CaseDir("tls-client-hello-frag-01") + "/input.pcap");
  const Session& s = r.session;
  ASSERT_TRUE(s.client_hello) << testing::Dump(s);
  EXPECT_EQ(s.client_hello->sni, "www.google.com");
  EXPECT_TRUE(s.anomalies.empty()) << testing::Dump(s);
}

TEST(TlsConformance, Bug5758Sni) {
  SKIP_IF_ABSENT("bug-5758");
  PcapResult r = RunPcap(CaseDir("bug-5758") + "/input.pcap");
  const Session& s = r.session;
  ASSERT_TRUE(s.client_hello) << testing::Dump(s);
  EXPECT_EQ(s.client_hello->sni, "ftp.nluug.nl");
  EXPECT_TRUE(s.anomalies.empty()) << testing::Dump(s);
}

TEST(TlsConformance, DnsOverTcpIsNotTls) {
  SKIP_IF_ABSENT("issue-4759");
  PcapResult r = RunPcap(CaseDir("issue-4759") + "/input.pcap");
  EXPECT_TRUE(r.saw_payload);
  EXPECT_FALSE(r.client_probe_yes);
  EXPECT_FALSE(r.server_probe_yes);
}

}  // namespace
}  // namespace kagami::app::tls
