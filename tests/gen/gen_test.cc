// The traffic generator: determinism, the capture formats read back by
// capture/, checksums the decoder accepts, TCP streams that reassemble in the
// real Scanner to exactly the messages the sessions hold (with and without
// random splits), the app layer's transaction counts, the size target and
// the injected C2 counts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capture/packet_source.h"
#include "engine/decode/decoder.h"
#include "engine/pipeline/scanner.h"
#include "tests/pipeline/traffic_test_util.h"
#include "tools/gen/benign_traffic.h"
#include "tools/gen/c2_family.h"
#include "tools/gen/capture_writer.h"
#include "tools/gen/generator.h"
#include "tools/gen/session_writer.h"

namespace kagami::gen {
namespace {

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "kagami-gen-", getpid(), "-", name);
}

std::string GenerateToString(const GeneratorOptions& o, CaptureFormat format, GeneratorSummary* summary = nullptr) {
  std::string out;
  auto writer = CaptureWriter::ToString(&out, format);
  auto s = Generate(o, *writer);
  EXPECT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(writer->Close().ok());
  if (s.ok() && summary) *summary = *s;
  return out;
}

struct ReadPacket {
  int64_t ts_ns;
  std::string bytes;
};

std::vector<ReadPacket> ReadCapture(const std::string& path) {
  std::vector<ReadPacket> out;
  auto source = capture::OpenCaptureFile(path);
  EXPECT_TRUE(source.ok()) << source.status();
  if (!source.ok()) return out;
  capture::PacketView v;
  for (;;) {
    auto more = (*source)->Next(v);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    EXPECT_EQ(v.linktype, capture::kLinkEthernet);
    EXPECT_EQ(v.caplen, v.wirelen);
    out.push_back({v.ts_ns, std::string(reinterpret_cast<const char*>(v.data), v.caplen)});
  }
  return out;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

GeneratorOptions Small(uint64_t seed) {
  GeneratorOptions o;
  o.seed = seed;
  o.sessions = 60;
  o.inject = {{"datper", 2}};
  return o;
}

TEST(GenDeterminismTest, SameSeedWritesTheSameBytes) {
  for (CaptureFormat f : {CaptureFormat::kPcap, CaptureFormat::kPcapng}) {
    GeneratorOptions o = Small(42);
    o.random_splits = true;
    o.ipv6_fraction = 0.3;
    const std::string a = GenerateToString(o, f), b = GenerateToString(o, f);
    EXPECT_GT(a.size(), 10000u);
    EXPECT_TRUE(a == b) << "two runs with one seed differ";
  }
}

TEST(GenDeterminismTest, DifferentSeedsWriteDifferentCaptures) {
  const std::string a = GenerateToString(Small(1), CaptureFormat::kPcap);
  const std::string b = GenerateToString(Small(2), CaptureFormat::kPcap);
  EXPECT_NE(a, b);
}

TEST(GenCaptureTest, PcapAndPcapngReadBackAsTheSamePackets) {
  GeneratorOptions o = Small(5);
  GeneratorSummary sp, sn;
  const std::string pcap = TempPath("a.pcap"), pcapng = TempPath("a.pcapng");
  WriteFile(pcap, GenerateToString(o, CaptureFormat::kPcap, &sp));
  WriteFile(pcapng, GenerateToString(o, CaptureFormat::kPcapng, &sn));
  const std::vector<ReadPacket> a = ReadCapture(pcap), b = ReadCapture(pcapng);
  std::remove(pcap.c_str());
  std::remove(pcapng.c_str());
  ASSERT_EQ(a.size(), sp.packets);
  ASSERT_EQ(b.size(), sn.packets);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].ts_ns, b[i].ts_ns) << "packet " << i;
    ASSERT_EQ(a[i].bytes, b[i].bytes) << "packet " << i;
    if (i > 0) {
      ASSERT_GE(a[i].ts_ns, a[i - 1].ts_ns) << "time goes back at packet " << i;
    }
  }
  EXPECT_GE(a.front().ts_ns, o.start_ns);
  EXPECT_EQ(a.back().ts_ns % 1000, 0) << "both formats hold microseconds";
}

TEST(GenCaptureTest, EveryPacketDecodesWithValidChecksums) {
  GeneratorOptions o = Small(9);
  o.sessions = 120;
  o.ipv6_fraction = 0.5;
  o.random_splits = true;
  o.mss = 700;
  GeneratorSummary summary;
  const std::string path = TempPath("c.pcap");
  WriteFile(path, GenerateToString(o, CaptureFormat::kPcap, &summary));
  const std::vector<ReadPacket> packets = ReadCapture(path);
  std::remove(path.c_str());
  decode::DecoderOptions dopt;
  dopt.verify_checksums = true;
  decode::Decoder decoder(dopt);
  for (size_t i = 0; i < packets.size(); ++i) {
    capture::PacketView v;
    v.data = reinterpret_cast<const uint8_t*>(packets[i].bytes.data());
    v.caplen = v.wirelen = static_cast<uint32_t>(packets[i].bytes.size());
    v.ts_ns = packets[i].ts_ns;
    v.index = i + 1;
    decode::Packet p;
    ASSERT_EQ(decoder.Decode(v, p), decode::DecodeResult::kOk) << "packet " << i + 1;
  }
  const decode::DecoderCounters& c = decoder.counters();
  for (size_t k = 0; k < c.anomalies.size(); ++k) {
    EXPECT_EQ(c.anomalies[k], 0u) << decode::AnomalyName(static_cast<decode::Anomaly>(k));
  }
  EXPECT_EQ(c.tcp + c.udp, packets.size());
  EXPECT_GT(c.ipv4, 0u);
  EXPECT_GT(c.ipv6, 0u);
}

// ---------------------------------------------------------------------------
// Through the Scanner

// Every direction's reassembled bytes, by client address and ports.
class StreamCollector : public pipeline::Scanner::StreamObserver {
 public:
  void OnChunk(const flow::Flow& flow, const stream::StreamChunk& chunk) override {
    std::string& s = streams[Key(flow)][chunk.to_server ? 0 : 1];
    EXPECT_FALSE(chunk.after_gap);
    EXPECT_EQ(chunk.stream_offset + chunk.new_from, s.size()) << "bytes out of order";
    s.append(reinterpret_cast<const char*>(chunk.data) + chunk.new_from, chunk.len - chunk.new_from);
  }
  void OnFlowEnd(const flow::Flow&) override {}
  static std::string Key(const flow::Flow& f) {
    const uint16_t server_port = f.client_port == f.key.lo_port ? f.key.hi_port : f.key.lo_port;
    return absl::StrCat(f.client_addr.ToString(), ":", f.client_port, ">", server_port);
  }
  std::map<std::string, std::array<std::string, 2>> streams;
};

struct ScanResult {
  app::AppCounters app;
  stream::StreamCounters stream;
  uint64_t alerts = 0, hits = 0;
};

ScanResult Scan(const std::string& path, const std::string& rules, StreamCollector* collector) {
  pipeline::ScannerOptions so;
  so.stream.depth = uint64_t{1} << 40;
  auto engine = pipeline::traffic::CompileRules(rules);
  pipeline::Scanner scanner(engine, so, nullptr, nullptr);
  if (collector) scanner.set_stream_observer(collector);
  auto source = capture::OpenCaptureFile(path);
  EXPECT_TRUE(source.ok()) << source.status();
  pipeline::RunControl control;
  absl::Status s = scanner.Run(**source, &control);
  EXPECT_TRUE(s.ok()) << s;
  scanner.Finish();
  ScanResult r;
  r.app = scanner.app_counters();
  r.stream = scanner.stream_counters();
  r.alerts = scanner.alerts();
  for (uint64_t h : scanner.rule_hits()) r.hits += h;
  return r;
}

constexpr char kQuietRule[] = "alert tcp any any -> any any (msg:\"never\"; content:\"kagami-gen-never-present\"; sid:1;)\n";

struct SplitCase {
  bool random_splits;
  uint32_t mss;
};

class GenReassemblyTest : public ::testing::TestWithParam<SplitCase> {};

// Sessions built here and written with SessionWriter, then reassembled by
// the Scanner: every TCP direction is exactly the concatenation of that
// side's messages, and the app layer counts every transaction.
TEST_P(GenReassemblyTest, StreamsAreExactlyTheMessages) {
  Rng rng(77);
  BenignTraffic benign(TrafficMix{}, 0);
  std::vector<Session> sessions;
  for (int i = 0; i < 90; ++i) sessions.push_back(benign.Next(rng, int64_t{1'700'000'000} * 1'000'000'000));
  for (int i = 0; i < 4; ++i) sessions.push_back(benign.Dns(rng, false, true));
  for (Session& s : FindC2Family("datper")->make(rng, {"10.9.9.9", 50000}, {"93.184.216.34", 80})) sessions.push_back(s);

  uint64_t http = 0, dns = 0, tls = 0;
  std::map<std::string, std::array<std::string, 2>> expected;
  for (const Session& s : sessions) {
    const bool is_http = s.label == "benign/http" || s.label.rfind("c2/", 0) == 0;
    for (const Message& m : s.messages) {
      if (is_http && m.from_client) ++http;
      if (s.label.rfind("benign/dns", 0) == 0) ++dns;
    }
    if (s.label == "benign/tls") ++tls;
    if (s.transport != Transport::kTcp) continue;
    const std::string key = absl::StrCat(s.client.ip, ":", s.client.port, ">", s.server.port);
    ASSERT_EQ(expected.count(key), 0u) << "two sessions share " << key;
    auto& e = expected[key];
    for (const Message& m : s.messages) e[m.from_client ? 0 : 1] += m.bytes;
  }

  const std::string path = TempPath(absl::StrCat("r", GetParam().mss, GetParam().random_splits, ".pcap"));
  {
    auto out = CaptureWriter::Open(path, CaptureFormat::kPcap);
    ASSERT_TRUE(out.ok());
    SessionWriterOptions wo;
    wo.mss = GetParam().mss;
    wo.random_splits = GetParam().random_splits;
    wo.start_ns = int64_t{1'700'000'000} * 1'000'000'000;
    SessionWriter writer(wo, 99, out->get());
    for (Session& s : sessions) writer.Add(s);
    writer.Finish();
    EXPECT_EQ(writer.sessions_written(), sessions.size());
    ASSERT_TRUE((*out)->Close().ok());
  }
  StreamCollector collector;
  const ScanResult r = Scan(path, kQuietRule, &collector);
  std::remove(path.c_str());

  EXPECT_EQ(r.stream.gaps, 0u);
  EXPECT_EQ(r.stream.midstream_pickups, 0u);
  EXPECT_EQ(r.stream.out_of_order, 0u);
  EXPECT_EQ(r.stream.retransmissions, 0u);
  ASSERT_EQ(collector.streams.size(), expected.size());
  for (const auto& [key, dirs] : expected) {
    auto it = collector.streams.find(key);
    ASSERT_NE(it, collector.streams.end()) << key;
    EXPECT_TRUE(it->second[0] == dirs[0]) << key << ": to-server bytes differ (" << it->second[0].size() << " vs "
                                          << dirs[0].size() << ")";
    EXPECT_TRUE(it->second[1] == dirs[1]) << key << ": to-client bytes differ (" << it->second[1].size() << " vs "
                                          << dirs[1].size() << ")";
  }
  EXPECT_EQ(r.app.flows_failed, 0u);
  EXPECT_EQ(r.app.http_transactions, http);
  EXPECT_EQ(r.app.dns_messages, dns);
  EXPECT_EQ(r.app.tls_sessions, tls);
  EXPECT_GT(http, 0u);
  EXPECT_GT(dns, 0u);
  EXPECT_GT(tls, 0u);
}

INSTANTIATE_TEST_SUITE_P(Splits, GenReassemblyTest,
                         ::testing::Values(SplitCase{false, 1460}, SplitCase{true, 1460}, SplitCase{true, 536},
                                           SplitCase{false, 9000}),
                         [](const ::testing::TestParamInfo<SplitCase>& i) {
                           return absl::StrCat(i.param.random_splits ? "RandomSplits" : "Mss", i.param.mss);
                         });

TEST(GenInjectTest, InjectsExactlyTheCountAmongBenignSessions) {
  GeneratorOptions o = Small(3);
  o.sessions = 80;
  o.inject = {{"datper", 4}};
  o.ipv6_fraction = 0.2;
  GeneratorSummary summary;
  const std::string path = TempPath("inject.pcap");
  WriteFile(path, GenerateToString(o, CaptureFormat::kPcap, &summary));
  EXPECT_EQ(summary.sessions_by_label["c2/datper"], 4u);
  EXPECT_EQ(summary.sessions, 84u);
  uint64_t benign = 0;
  for (const auto& [label, n] : summary.sessions_by_label) {
    if (label.rfind("benign/", 0) == 0) benign += n;
  }
  EXPECT_EQ(benign, 80u);
  // Only the injected check-ins request a .php? URI.
  const ScanResult r =
      Scan(path, "alert http any any -> any any (msg:\"php\"; http.uri; content:\".php?\"; sid:7;)\n", nullptr);
  std::remove(path.c_str());
  EXPECT_EQ(r.hits, 4u);
  EXPECT_EQ(r.app.flows_failed, 0u);
}

TEST(GenInjectTest, InjectOnlyWritesJustTheC2) {
  GeneratorOptions o;
  o.seed = 11;
  o.inject_only = true;
  o.inject = {{"datper", 3}};
  GeneratorSummary summary;
  GenerateToString(o, CaptureFormat::kPcapng, &summary);
  EXPECT_EQ(summary.sessions, 3u);
  EXPECT_EQ(summary.sessions_by_label.size(), 1u);
  EXPECT_EQ(summary.sessions_by_label["c2/datper"], 3u);
  // Handshake, request, response and close at the least.
  EXPECT_GE(summary.packets, 3u * 8u);
}

TEST(GenSizeTest, StopsNearTheTargetSize) {
  for (uint64_t target : {uint64_t{200} << 10, uint64_t{3} << 20, uint64_t{12} << 20}) {
    GeneratorOptions o;
    o.seed = target;
    o.target_bytes = target;
    GeneratorSummary summary;
    const std::string out = GenerateToString(o, CaptureFormat::kPcap, &summary);
    EXPECT_EQ(out.size(), summary.bytes);
    EXPECT_GE(summary.bytes, target * 9 / 10) << target;
    EXPECT_LE(summary.bytes, target * 12 / 10) << target;
  }
}

TEST(GenOptionsTest, RejectsBadValues) {
  GeneratorOptions o = Small(1);
  EXPECT_TRUE(ValidateOptions(o).ok());
  GeneratorOptions bad = o;
  bad.mss = 20;
  EXPECT_FALSE(ValidateOptions(bad).ok());
  bad = o;
  bad.inject = {{"no-such-family", 1}};
  EXPECT_NE(ValidateOptions(bad).message().find("no-such-family"), std::string::npos);
  bad = o;
  bad.ipv6_fraction = 1.5;
  EXPECT_FALSE(ValidateOptions(bad).ok());
  bad = o;
  bad.mix = TrafficMix{0, 0, 0};
  EXPECT_FALSE(ValidateOptions(bad).ok());
  bad = o;
  bad.sessions = 0;
  EXPECT_FALSE(ValidateOptions(bad).ok());
}

// Benign traffic never carries the C2 markers the detection pack keys on.
TEST(GenBenignTest, CarriesNoC2Markers) {
  GeneratorOptions o;
  o.seed = 21;
  o.sessions = 400;
  const std::string capture = GenerateToString(o, CaptureFormat::kPcap);
  // (Markers long enough that the random bytes of images and TLS records
  // do not hold them by chance.)
  for (const char* marker : {"compatible; MSIE", "Trident/", ".php?", "Content-Type: */*", "gokickes"}) {
    EXPECT_EQ(capture.find(marker), std::string::npos) << marker;
  }
}

}  // namespace
}  // namespace kagami::gen
