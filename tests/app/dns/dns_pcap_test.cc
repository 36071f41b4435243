// Real traffic: the conformance captures that carry DNS, read with
// kagami_capture, decoded with kagami_decode, port-53 payloads parsed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "capture/packet_source.h"
#include "engine/app/dns/dns_parser.h"
#include "engine/app/dns/dns_probe.h"
#include "engine/app/dns/dns_tcp_framer.h"
#include "engine/decode/decoder.h"

namespace kagami::app::dns {
namespace {

using ::testing::Contains;
using ::testing::Each;

struct Parsed {
  std::vector<Message> messages;
  std::vector<Probe> probes;  // one per UDP payload / first TCP payload
};

std::string CasePcap(const std::string& name) {
  return std::string(KAGAMI_SOURCE_DIR) + "/../shared/conformance/cases/" + name + "/input.pcap";
}

// Parses every DNS message of the capture: UDP port-53 payloads directly,
// TCP port-53 payloads through one framer per direction (the captures are
// in order, without loss).
Parsed ParsePcap(const std::string& path) {
  Parsed out;
  auto source = capture::OpenCaptureFile(path);
  EXPECT_TRUE(source.ok()) << source.status();
  if (!source.ok()) return out;
  decode::Decoder decoder;
  std::map<std::tuple<std::string, uint16_t, uint16_t>, TcpFramer> framers;
  capture::PacketView view;
  decode::Packet pkt;
  for (;;) {
    auto more = (*source)->Next(view);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    pkt = decode::Packet{};
    decoder.Decode(view, pkt);
    if (pkt.payload == nullptr || pkt.payload_len == 0) continue;
    if (pkt.src_port != 53 && pkt.dst_port != 53) continue;
    const bool to_server = pkt.dst_port == 53;
    if (pkt.has_udp()) {
      out.probes.push_back(ProbeUdp(pkt.payload, pkt.payload_len, to_server));
      Message& m = out.messages.emplace_back();
      EXPECT_TRUE(ParseMessage(pkt.payload, pkt.payload_len, {}, m));
    } else if (pkt.has_tcp()) {
      auto key = std::make_tuple(pkt.src.ToString(), pkt.src_port, pkt.dst_port);
      auto [it, fresh] = framers.try_emplace(key);
      if (fresh) out.probes.push_back(ProbeTcp(pkt.payload, pkt.payload_len, to_server));
      it->second.Feed(pkt.payload, pkt.payload_len, [&](const uint8_t* d, size_t n) {
        Message& m = out.messages.emplace_back();
        EXPECT_TRUE(ParseMessage(d, n, {}, m));
      });
    }
  }
  return out;
}

std::vector<std::string> QueryNames(const Parsed& p) {
  std::vector<std::string> names;
  for (const Message& m : p.messages)
    for (const Question& q : m.questions) names.push_back(q.name);
  return names;
}

class DnsPcapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(CasePcap("test-bsize-values-2")))
      GTEST_SKIP() << "conformance corpus not found";
  }
};

TEST_F(DnsPcapTest, TxtQuery) {
  const Parsed p = ParsePcap(CasePcap("dns-detect-query-04"));
  ASSERT_EQ(p.messages.size(), 1u);
  const Message& m = p.messages[0];
  EXPECT_FALSE(m.response);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, "google.com");
  EXPECT_EQ(TypeName(m.questions[0].type), "TXT");
  EXPECT_EQ(m.id, 4146);
  EXPECT_THAT(p.probes, Each(Probe::kYes));
}

TEST_F(DnsPcapTest, QueryAndAnswer) {
  const Parsed p = ParsePcap(CasePcap("test-bsize-values-2"));
  ASSERT_EQ(p.messages.size(), 2u);
  EXPECT_THAT(QueryNames(p), Each(std::string("google.com")));
  const Message& r = p.messages[1];
  EXPECT_TRUE(r.response);
  EXPECT_EQ(FlagsHex(r.flags), "8180");
  EXPECT_EQ(RcodeName(r.rcode), "NOERROR");
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(r.answers[0].name, "google.com");
  EXPECT_EQ(r.answers[0].rdata, "172.217.0.174");
  EXPECT_TRUE(r.anomalies.empty());
  EXPECT_THAT(p.probes, Each(Probe::kYes));
}

TEST_F(DnsPcapTest, DdnsQuery) {
  const Parsed p = ParsePcap(CasePcap("bug-2736-01"));
  EXPECT_THAT(QueryNames(p), Contains(std::string("donghakacademy.ddns.net")));
  EXPECT_THAT(p.probes, Each(Probe::kYes));
}

TEST_F(DnsPcapTest, DnsOverTcp) {
  const Parsed p = ParsePcap(CasePcap("issue-4759"));
  ASSERT_GE(p.messages.size(), 4u);
  EXPECT_THAT(QueryNames(p), Contains(std::string("google.com")));
  bool saw_big_answer = false;
  for (const Message& m : p.messages) {
    EXPECT_TRUE(m.anomalies.empty());
    if (m.response && m.answers.size() == 11) {
      saw_big_answer = true;
      EXPECT_EQ(m.answers[0].rdata, "74.125.228.46");
      EXPECT_EQ(m.authorities.size(), 4u);
      EXPECT_EQ(m.additionals.size(), 4u);
    }
  }
  EXPECT_TRUE(saw_big_answer);
  EXPECT_THAT(p.probes, Each(Probe::kYes));
}

}  // namespace
}  // namespace kagami::app::dns
