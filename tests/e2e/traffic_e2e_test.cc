// End-to-end: the kagami binary on captures of TCP sessions (segmented,
// overlapping, without handshake, with holes), fragments and tunnels, and
// the traffic options: --midstream, --stream-depth, --stream-policy,
// --vxlan-port. Every EVE record is checked against Suricata's schema.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pcap_writer.h"
#define KAGAMI_TRAFFIC_BUILDERS_ONLY
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using pipeline::traffic::TcpSession;

constexpr char kRules[] =
    "alert tcp any any -> any any (msg:\"split\"; flow:established,to_server; content:\"EVILPATTERN\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"near\"; content:\"NEARPAT\"; sid:2;)\n"
    "alert tcp any any -> any any (msg:\"far\"; content:\"FARPATTERN\"; sid:3;)\n"
    "alert tcp any any -> any any (msg:\"first wins\"; content:\"HDR:FIRST\"; sid:4;)\n"
    "alert tcp any any -> any any (msg:\"last wins\"; content:\"HDR:SECND\"; sid:5;)\n"
    "alert udp any any -> any any (msg:\"defrag\"; content:\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\"; sid:6;)\n"
    "alert tcp any any -> any any (msg:\"midstream\"; content:\"MIDPATTERN\"; sid:7;)\n";

class TrafficE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-traffic-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rules_ = Write("traffic.rules", kRules);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  // Writes `frames` as a pcap (1 ms apart) and scans it with `extra` options;
  // returns the process result, the EVE text in `eve_text`.
  ProcessResult Scan(const std::string& name, const std::vector<Bytes>& frames,
                     const std::vector<std::string>& extra, std::string* eve_text) {
    std::vector<TestPacket> packets;
    int64_t ts = int64_t{1'700'000'000} * 1'000'000'000;
    for (const Bytes& f : frames) {
      packets.push_back({.ts_ns = ts, .bytes = f});
      ts += 1'000'000;
    }
    const std::string pcap = Write(name + ".pcap", MakePcap(packets));
    const std::string eve = dir_ + "/" + name + ".eve.json";
    std::vector<std::string> args = {"scan", "-q", "--rules", rules_, "--eve", eve};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(pcap);
    ProcessResult r = RunKagami(args, dir_);
    *eve_text = ReadFile(eve);
    eve_files_.push_back(eve);
    return r;
  }

  // Validates every EVE file written so far against the schema.
  void ExpectValidEve() {
    for (const std::string& eve : eve_files_) {
      if (ReadFile(eve).empty()) continue;
      int valid = ValidateEve(eve);
      if (valid == -1) GTEST_SKIP() << "python3-jsonschema or the EVE schema is not available";
      EXPECT_EQ(valid, 0) << eve;
    }
  }

  std::string dir_, rules_;
  std::vector<std::string> eve_files_;
};

TcpSession Session(uint16_t port = 40000) { return TcpSession("10.1.0.1", port, "10.2.0.2", 80); }

std::vector<Bytes> Concat(std::vector<Bytes> a, const std::vector<Bytes>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Handshake, then EVILPATTERN split over two segments, the server's ACK.
std::vector<Bytes> SplitSession() {
  TcpSession s = Session();
  std::vector<Bytes> f = s.Handshake();
  f = Concat(f, s.Send(true, "GET /?q=EVILPA" "TTERN HTTP/1.0\r\n", {14}));
  f.push_back(s.Ack(false));
  return f;
}

TEST_F(TrafficE2eTest, SplitContentInATcpSessionAlertsOnce) {
  std::string eve;
  ProcessResult r = Scan("split", SplitSession(), {}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(1));
  EXPECT_THAT(eve, HasSubstr("\"flow_id\":"));
  EXPECT_THAT(eve, HasSubstr("\"community_id\":\"1:"));
  ExpectValidEve();
}

TEST_F(TrafficE2eTest, MidstreamOption) {
  // No handshake: the split pattern only matches when the session is picked up.
  TcpSession s = Session(40001);
  std::vector<Bytes> frames = s.Send(true, "xxMIDPAT" "TERNxx", {8});
  frames.push_back(s.Ack(false));
  std::string eve;
  ProcessResult r = Scan("nomid", frames, {}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre());
  r = Scan("mid", frames, {"--midstream", "true"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(7));
  r = Scan("midfalse", frames, {"--midstream", "false"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre());
  ExpectValidEve();
}

TEST_F(TrafficE2eTest, StreamDepthStopsMatchesBeyondIt) {
  // NEARPAT at bytes 1..7, FARPATTERN at 14..23, each split over segments.
  TcpSession s = Session();
  std::vector<Bytes> frames = s.Handshake();
  frames = Concat(frames, s.Send(true, "xNEA" "RPATxxxxxxFARP" "ATTERNxx", {4, 18}));
  frames.push_back(s.Ack(false));
  std::string eve;
  ProcessResult r = Scan("deep", frames, {}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(2, 3));
  r = Scan("shallow", frames, {"--stream-depth", "10"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(2));
  ExpectValidEve();
}

TEST_F(TrafficE2eTest, StreamPolicyChoosesOverlappingBytes) {
  TcpSession s = Session();
  std::vector<Bytes> frames = s.Handshake();
  frames.push_back(s.Segment(true, 4, "FIRST"));
  frames.push_back(s.Segment(true, 4, "SECND"));
  frames.push_back(s.Segment(true, 0, "HDR:"));
  frames.push_back(s.Ack(false, 9));
  std::string eve;
  ProcessResult r = Scan("first", frames, {}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(4));
  r = Scan("last", frames, {"--stream-policy", "last"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(5));
  ExpectValidEve();
}

TEST_F(TrafficE2eTest, VxlanPortOption) {
  std::vector<Bytes> frames;
  for (const Bytes& f : SplitSession()) frames.push_back(pipeline::traffic::InVxlan(f, 8472));
  std::string eve;
  ProcessResult r = Scan("vxlan-default", frames, {}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre());
  r = Scan("vxlan-8472", frames, {"--vxlan-port", "8472"}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(1));
  EXPECT_THAT(eve, HasSubstr("\"pkt_src\":\"vxlan encapsulation\""));
  EXPECT_THAT(eve, HasSubstr("\"tunnel\":{\"src_ip\":\"192.0.2.10\""));
  EXPECT_THAT(eve, HasSubstr("\"depth\":1"));
  ExpectValidEve();
}

TEST_F(TrafficE2eTest, BadStreamDepthExitsWithUsageError) {
  std::string eve;
  ProcessResult r = Scan("bad-depth", SplitSession(), {"--stream-depth", "abc"}, &eve);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--stream-depth"));
  EXPECT_THAT(r.err, HasSubstr("abc"));
  EXPECT_EQ(AlertSids(eve).size(), 0u);
}

TEST_F(TrafficE2eTest, BadStreamPolicyIsRefused) {
  std::string eve;
  ProcessResult r = Scan("bad-policy", SplitSession(), {"--stream-policy", "newest"}, &eve);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--stream-policy"));
}

// Records of every kind the traffic layers produce in one capture: a
// stream match, a reassembled datagram, a tunnelled packet, data flushed at
// the end of the capture.
TEST_F(TrafficE2eTest, EveOfEveryTrafficLayerValidates) {
  std::vector<Bytes> frames = SplitSession();
  // A UDP datagram in three fragments, last first.
  const Bytes l4 = Udp("10.3.0.1", 5000, "10.3.0.2", 53, "aaaaABCDEFGHIJKLMNOPQRSTUVWXYZbbbbbbbbbb");
  std::vector<Bytes> frags = pipeline::traffic::Fragment("10.3.0.1", "10.3.0.2", 17, l4, 3, 77);
  frames.insert(frames.end(), frags.rbegin(), frags.rend());
  // The split session again inside VXLAN (default port).
  for (const Bytes& f : SplitSession()) frames.push_back(pipeline::traffic::InVxlan(f));
  // A session whose pattern waits behind a hole until the capture ends.
  TcpSession s = Session(40002);
  frames = Concat(frames, s.Handshake());
  frames.push_back(s.SendOne(true, "HELLO "));
  s.Skip(true, 4);
  frames = Concat(frames, s.Send(true, "xxEVILPA" "TTERNyy", {8}));
  std::string eve;
  ProcessResult r = Scan("all", frames, {}, &eve);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(AlertSids(eve), ElementsAre(1, 6, 1, 1));
  EXPECT_THAT(eve, HasSubstr("\"pkt_src\":\"defrag\""));
  EXPECT_THAT(eve, HasSubstr("\"pkt_src\":\"vxlan encapsulation\""));
  EXPECT_THAT(eve, HasSubstr("\"pkt_src\":\"stream (flow timeout)\""));
  std::istringstream in(eve);
  for (const auto& rec : pipeline::traffic::ParseRecords(in)) {
    EXPECT_NE(rec.flow_id, 0u) << rec.line;
    EXPECT_FALSE(rec.community_id.empty()) << rec.line;
  }
  ExpectValidEve();
}

}  // namespace
}  // namespace kagami::testing
