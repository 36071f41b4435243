// End-to-end: captures of each `kagami-gen --attack` kind ($KAGAMI_GEN), at
// sizes that run in seconds, scanned by the kagami binary ($KAGAMI_BINARY).
// Under every attack the legitimate sessions still alert, the run exits 0
// (the attacks are valid captures: nothing in them is an input error), and
// the counters of the EVE stats record that the attack aims at move.
// Plus the command line's rules for --attack and its companions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tests/e2e/kagami_process.h"
#define KAGAMI_TRAFFIC_BUILDERS_ONLY
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using pipeline::traffic::Field;

constexpr char kLegitRule[] =
    "alert http any any -> any any (msg:\"legit\"; http.user_agent; content:\"KagamiLegit/1.0\"; sid:1;)\n";
constexpr char kMarkerRule[] =
    "alert http any any -> any any (msg:\"marker\"; http.uri; content:\"/kagami-attack-marker\"; sid:2;)\n";

// A counter of the stats record: `path` names the groups down to the
// counter, e.g. {"defrag", "ipv4", "fragments"}. Groups are matched as
// `"name":{`, so a group is not mistaken for a counter of the same name
// ("tcp" is both). -1 when it is not there.
long long Stat(const std::string& stats, std::initializer_list<std::string_view> path) {
  size_t at = stats.find("\"stats\":{");
  size_t i = 0;
  for (std::string_view key : path) {
    if (at == std::string::npos) return -1;
    const bool last = ++i == path.size();
    const std::string needle = "\"" + std::string(key) + "\":" + (last ? "" : "{");
    at = stats.find(needle, at);
    if (at == std::string::npos) return -1;
    at += needle.size();
  }
  return std::strtoll(stats.c_str() + at, nullptr, 10);
}

struct ScanResult {
  int exit_code = -1;
  std::string err;
  std::vector<long> sids;
  std::string stats;  // the stats record
  std::vector<std::string> anomalies;
};

class AttackE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-attack-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  ProcessResult Gen(const std::vector<std::string>& args) {
    return WaitKagami(StartProgram(KagamiGenBinary(), args, dir_), dir_);
  }
  // Generates `--attack kind` with `args` into a capture; returns its path.
  std::string Attack(const std::string& kind, const std::vector<std::string>& args) {
    const std::string capture = dir_ + "/" + kind + ".pcap";
    std::vector<std::string> all = {"--attack", kind, "-o", capture};
    all.insert(all.end(), args.begin(), args.end());
    ProcessResult g = Gen(all);
    EXPECT_EQ(g.exit_code, 0) << g.err;
    EXPECT_THAT(g.err, HasSubstr("attack " + kind + ": "));
    return capture;
  }
  ScanResult Scan(const std::string& capture, const std::string& rules, const std::vector<std::string>& extra = {}) {
    const std::string rules_path = dir_ + "/attack.rules", eve = dir_ + "/eve.json";
    std::ofstream(rules_path) << rules;
    std::vector<std::string> args = {"scan", "--rules", rules_path, "--eve", eve, "--eve-types", "alert,anomaly,stats"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(capture);
    ProcessResult r = RunKagami(args, dir_);
    ScanResult out;
    out.exit_code = r.exit_code;
    out.err = r.err;
    const std::string text = ReadFile(eve);
    out.sids = AlertSids(text);
    for (const std::string& line : Lines(text)) {
      const std::string type = Field(line, "event_type");
      if (type == "stats") out.stats = line;
      if (type == "anomaly") out.anomalies.push_back(line);
    }
    EXPECT_FALSE(out.stats.empty()) << "no stats record";
    return out;
  }
  static long Count(const std::vector<long>& sids, long sid) {
    long n = 0;
    for (long s : sids) n += s == sid;
    return n;
  }
  static long Count(const std::vector<std::string>& lines, const std::string& part) {
    long n = 0;
    for (const std::string& l : lines) n += l.find(part) != std::string::npos;
    return n;
  }

  std::string dir_;
};

TEST_F(AttackE2eTest, SynFloodFillsTheFlowTableAndLegitStillAlerts) {
  const std::string capture = Attack("syn-flood", {"--count", "50000"});
  // One worker with room for about 40,000 flows: the flood overflows it
  // (evictions), yet the few thousand SYNs that arrive during a legitimate
  // session's round trip do not push that session out.
  const ScanResult r = Scan(capture, kLegitRule, {"--workers", "1", "--flow-memcap", "16mb"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
  EXPECT_GE(Stat(r.stats, {"flow", "total"}), 50004);
  EXPECT_GT(Stat(r.stats, {"flow", "memcap"}), 0) << r.stats;
  EXPECT_GE(Stat(r.stats, {"tcp", "sessions"}), 50004);
  EXPECT_THAT(r.err, HasSubstr("evicted at the memory cap"));
}

// Known gap, kept as the behaviour wanted: with room for only 8,192 flows
// the flood evicts the least recently seen flow, and a legitimate session
// waiting a round trip for its SYN/ACK or request is older than the last
// 8,192 SYNs, so two of the four legitimate sessions lose their flow and
// never alert. An eviction that took flows which never completed a
// handshake first (Suricata's emergency mode times them out sooner) would
// keep them. Enable once the flow table does so.
TEST_F(AttackE2eTest, DISABLED_SynFloodAtATightMemcapKeepsEstablishedSessions) {
  const std::string capture = Attack("syn-flood", {"--count", "50000"});
  const ScanResult r = Scan(capture, kLegitRule, {"--workers", "1", "--flow-memcap", "4mb"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(Stat(r.stats, {"flow", "memcap"}), 0);
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
}

TEST_F(AttackE2eTest, FragFloodIsHeldAndNeverReassembled) {
  const std::string capture = Attack("frag-flood", {"--count", "20000"});
  const ScanResult r = Scan(capture, kLegitRule);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
  EXPECT_EQ(Stat(r.stats, {"defrag", "ipv4", "fragments"}), 20000) << r.stats;
  EXPECT_EQ(Stat(r.stats, {"defrag", "ipv4", "reassembled"}), 0);
  EXPECT_THAT(r.err, HasSubstr("overlapping"));
}

TEST_F(AttackE2eTest, TcpReverseIsReassembledWhole) {
  const std::string capture = Attack("tcp-reverse", {"--count", "5000"});
  const ScanResult r = Scan(capture, std::string(kLegitRule) + kMarkerRule);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
  EXPECT_EQ(Count(r.sids, 2), 1) << "the request was not put back together: " << r.err;
  EXPECT_THAT(r.err, HasSubstr("4,999 segments out of order"));
  EXPECT_EQ(Stat(r.stats, {"tcp", "reassembly_gap"}), 0);
}

TEST_F(AttackE2eTest, TcpOverlappingSegmentsAreReassembledWhole) {
  const std::string capture = Attack("tcp-reverse", {"--count", "5000", "--order", "overlapping", "--seed", "3"});
  const ScanResult r = Scan(capture, std::string(kLegitRule) + kMarkerRule);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
  EXPECT_EQ(Count(r.sids, 2), 1) << r.err;
  EXPECT_GT(Stat(r.stats, {"tcp", "overlap"}), 0) << r.stats;
  EXPECT_EQ(Stat(r.stats, {"tcp", "overlap_diff_data"}), 0);
}

TEST_F(AttackE2eTest, SlowHeadersHoldEveryConnection) {
  const std::string capture = Attack("http-slow-headers", {"--count", "5000"});
  const ScanResult r = Scan(capture, kLegitRule);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
  EXPECT_EQ(Stat(r.stats, {"tcp", "sessions"}), 5004) << r.stats;
  EXPECT_EQ(Stat(r.stats, {"app_layer", "flow", "http"}), 5004);
  EXPECT_GT(Count(r.anomalies, "\"app_proto\":\"http\""), 0);
}

TEST_F(AttackE2eTest, DnsPointerLoopsAreAnomaliesNotHangs) {
  const std::string capture = Attack("dns-pointer-loops", {"--count", "2000"});
  const ScanResult r = Scan(capture, kLegitRule);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
  EXPECT_EQ(Stat(r.stats, {"app_layer", "flow", "dns_udp"}), 2000) << r.stats;
  EXPECT_GT(Count(r.anomalies, "\"app_proto\":\"dns\""), 0);
}

TEST_F(AttackE2eTest, TlsLyingLengthsAreSurvived) {
  const std::string capture = Attack("tls-lying-lengths", {"--count", "2000"});
  const ScanResult r = Scan(capture, kLegitRule);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
  EXPECT_EQ(Stat(r.stats, {"app_layer", "flow", "tls"}), 2000) << r.stats;
  EXPECT_GT(Count(r.anomalies, "\"app_proto\":\"tls\""), 0);
}

TEST_F(AttackE2eTest, HttpUploadReachesTheStreamDepth) {
  const std::string capture = Attack("http-upload", {"--count", "4000000"});
  const ScanResult r = Scan(capture, kLegitRule);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 4) << r.err;
  EXPECT_EQ(Stat(r.stats, {"tcp", "stream_depth_reached"}), 1) << r.stats;
  EXPECT_EQ(Stat(r.stats, {"app_layer", "tx", "http"}), 5);
}

TEST_F(AttackE2eTest, TimeGoingBackwardsAndDuplicatesKeepLegitAlerts) {
  const std::string capture = Attack("time-backwards", {"--count", "300", "--legit", "6"});
  const ScanResult r = Scan(capture, kLegitRule);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.sids, 1), 6) << r.err;
  // A duplicated segment is wholly old data: an overlap in Suricata's terms.
  EXPECT_GT(Stat(r.stats, {"tcp", "overlap"}), 0) << r.stats;
  EXPECT_EQ(Stat(r.stats, {"tcp", "overlap_diff_data"}), 0);
  EXPECT_THAT(r.err, HasSubstr("retransmitted"));
}

TEST_F(AttackE2eTest, SameSeedSameBytesFromTheCommandLine) {
  const std::string a = ReadFile(Attack("dns-pointer-loops", {"--count", "300", "--seed", "9"}));
  ProcessResult b = Gen({"--attack", "dns-pointer-loops", "--count", "300", "--seed", "9", "-o", "-"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_GT(a.size(), 10000u);
  EXPECT_TRUE(a == b.out) << "standard output differs from the file";
}

TEST_F(AttackE2eTest, ListsKindsAndRejectsBadCombinations) {
  ProcessResult list = Gen({"--list-attacks"});
  EXPECT_EQ(list.exit_code, 0);
  for (const char* kind : {"syn-flood", "frag-flood", "tcp-reverse", "http-slow-headers", "dns-pointer-loops",
                           "tls-lying-lengths", "http-upload", "time-backwards"}) {
    EXPECT_THAT(list.out, HasSubstr(kind));
  }
  const std::string out = dir_ + "/x.pcap";
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"-o", out, "--attack", "smurf"}, "unknown kind 'smurf'"},
      {{"-o", out, "--attack", "syn-flood", "--size", "1MB"}, "cannot be combined with --size"},
      {{"-o", out, "--attack", "syn-flood", "--inject", "datper"}, "cannot be combined with --inject"},
      {{"-o", out, "--attack", "syn-flood", "--sessions", "3"}, "cannot be combined with --sessions"},
      {{"-o", out, "--attack", "syn-flood", "--order", "random"}, "--order goes with --attack tcp-reverse"},
      {{"-o", out, "--attack", "tcp-reverse", "--order", "sideways"}, "--order: 'sideways'"},
      {{"-o", out, "--attack", "tcp-reverse", "--count", "10"}, "too small for tcp-reverse"},
      {{"-o", out, "--attack", "syn-flood", "--count", "0"}, "--count must be at least 1"},
      {{"-o", out, "--count", "10"}, "--count goes with --attack"},
      {{"-o", out, "--legit", "2"}, "--legit goes with --attack"},
  };
  for (const auto& [args, message] : bad) {
    ProcessResult r = Gen(args);
    EXPECT_EQ(r.exit_code, 2) << message << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(message));
  }
}

}  // namespace
}  // namespace kagami::testing
