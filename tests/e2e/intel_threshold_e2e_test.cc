// End-to-end: a threshold file applied to indicator alerts (gen_id 9000) in
// `kagami scan --intel`: suppress by the sid `kagami intel sid` prints, by
// source address for every indicator, a limit on one indicator; the same
// EVE with one worker and two, and a summary counting what EVE has. Also
// `kagami intel sids` turning a whole feed into suppress lines, and its
// check of a threshold file against the feed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/pipeline/app_test_util.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pcap_writer.h"
#define KAGAMI_TRAFFIC_BUILDERS_ONLY
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using pipeline::traffic::Field;
using pipeline::traffic::TcpSession;
using namespace kagami::apptest;  // NOLINT: builders only

constexpr char kFeed[] =
    "type,value,family\n"
    "ip,198.51.100.7,Daserf\n"
    "domain,evil-example.com,Daserf\n"
    "ip,203.0.113.9,Datper\n"
    "ip,192.0.2.99,xxmm\n";

std::vector<Bytes>& operator+=(std::vector<Bytes>& a, const std::vector<Bytes>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<Bytes> Flow(const char* client, uint16_t port, const char* server) {
  TcpSession s(client, port, server, 80);
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, HttpGet("/"));
  f += s.Send(false, HttpOk("x"));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  f.push_back(s.Ack(true));
  return f;
}

// 10.1.0.1 reaches 198.51.100.7 in four flows (spread over workers),
// 10.1.0.2 once; both look the bad name up; 10.1.0.3 and 10.1.0.4 reach
// the other two addresses. Nine indicator alerts without tuning.
std::vector<Bytes> Traffic() {
  std::vector<Bytes> f;
  for (uint16_t i = 0; i < 4; ++i) f += Flow("10.1.0.1", static_cast<uint16_t>(40000 + 13 * i), "198.51.100.7");
  f += Flow("10.1.0.2", 41000, "198.51.100.7");
  f.push_back(EthUdp("10.1.0.1", 5301, "192.0.2.53", 53, DnsQuery(1, "www.evil-example.com")));
  f.push_back(EthUdp("10.1.0.2", 5302, "192.0.2.53", 53, DnsQuery(2, "evil-example.com")));
  f += Flow("10.1.0.3", 42000, "203.0.113.9");
  f += Flow("10.1.0.4", 43000, "192.0.2.99");
  return f;
}

class IntelThresholdE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-intel-thr-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rules_ = Write("empty.rules", "# indicators only\n");
    feed_ = Write("feed.csv", kFeed);
    std::vector<TestPacket> packets;
    int64_t ts = int64_t{1'700'000'000} * 1'000'000'000;
    for (const Bytes& f : Traffic()) {
      packets.push_back({.ts_ns = ts, .bytes = f});
      ts += 1'000'000;
    }
    pcap_ = Write("traffic.pcap", MakePcap(packets));
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  // `kagami intel sid ARGS`: the sid it printed (first field of its line).
  uint32_t SidFromCommand(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"intel", "sid"};
    all.insert(all.end(), args.begin(), args.end());
    ProcessResult r = RunKagami(all, dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return static_cast<uint32_t>(std::strtoul(r.out.c_str(), nullptr, 10));
  }

  struct Scan {
    ProcessResult process;
    std::string eve;
    std::vector<std::string> alerts;
  };
  Scan Run(const std::string& workers, const std::string& thresholds = "") {
    Scan s;
    // A file per run: EVE output appends, as Suricata's does.
    const std::string eve = dir_ + "/run" + std::to_string(++runs_) + "-w" + workers + ".eve.json";
    std::vector<std::string> args = {"scan", "--rules", rules_, "--intel", feed_, "--workers", workers,
                                     "--eve", eve};
    if (!thresholds.empty()) {
      args.push_back("--threshold-file");
      args.push_back(thresholds);
    }
    args.push_back(pcap_);
    s.process = RunKagami(args, dir_);
    EXPECT_EQ(s.process.exit_code, 0) << s.process.err;
    s.eve = ReadFile(eve);
    std::istringstream in(s.eve);
    for (std::string line; std::getline(in, line);) {
      if (Field(line, "event_type") == "alert") s.alerts.push_back(line);
    }
    return s;
  }

  std::string dir_, rules_, feed_, pcap_;
  int runs_ = 0;
};

TEST_F(IntelThresholdE2eTest, SuppressByCommandSidBySourceAndLimitWithAnyWorkerCount) {
  const Scan plain = Run("1");
  ASSERT_EQ(plain.alerts.size(), 9u);
  EXPECT_THAT(plain.process.err, HasSubstr("alerts: 9 from 4 signatures"));

  // The sid printed for a value is the one its alerts carry.
  const uint32_t name_sid = SidFromCommand({"evil-example.com"});
  const uint32_t addr_sid = SidFromCommand({"198.51.100.7", "--type", "ip"});
  ASSERT_NE(name_sid, 0u);
  int name_alerts = 0;
  for (const std::string& a : plain.alerts) name_alerts += Field(a, "signature_id") == std::to_string(name_sid);
  EXPECT_EQ(name_alerts, 2);

  const std::string thresholds = Write("threshold.config",
                                       "suppress gen_id 9000, sig_id " + std::to_string(name_sid) + "\n" +
                                           "suppress gen_id 9000, sig_id 0, track by_src, ip 10.1.0.3\n" +
                                           "threshold gen_id 9000, sig_id " + std::to_string(addr_sid) +
                                           ", type limit, track by_src, count 1, seconds 3600\n");
  const Scan one = Run("1", thresholds);
  // No "no loaded rule has gen_id 9000" any more.
  EXPECT_THAT(one.process.err, Not(HasSubstr("gen_id 9000")));
  // 198.51.100.7 once per source (10.1.0.1's first flow, 10.1.0.2), 192.0.2.99
  // kept; the name and 10.1.0.3's address gone.
  ASSERT_EQ(one.alerts.size(), 3u);
  EXPECT_EQ(Field(one.alerts[0], "src_ip"), "10.1.0.1");
  EXPECT_EQ(Field(one.alerts[0], "src_port"), "40000");
  EXPECT_EQ(Field(one.alerts[1], "src_ip"), "10.1.0.2");
  EXPECT_EQ(Field(one.alerts[2], "dest_ip"), "192.0.2.99");
  for (const std::string& a : one.alerts) {
    EXPECT_NE(Field(a, "signature_id"), std::to_string(name_sid)) << a;
    EXPECT_THAT(a, Not(HasSubstr("10.1.0.3"))) << a;
  }
  // The summary counts what was written.
  EXPECT_THAT(one.process.err, HasSubstr("alerts: 3 from 2 signatures"));
  EXPECT_THAT(one.process.err, HasSubstr("9000:" + std::to_string(addr_sid)));

  const Scan two = Run("2", thresholds);
  EXPECT_EQ(two.eve, one.eve);
  EXPECT_THAT(two.process.err, HasSubstr("alerts: 3 from 2 signatures"));
}

TEST_F(IntelThresholdE2eTest, SidCommandPrintsSuppressLinesAndNormalisesValues) {
  ProcessResult r = RunKagami({"intel", "sid", "Evil-Example.COM.", "--suppress"}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const uint32_t sid = SidFromCommand({"evil-example.com"});
  EXPECT_EQ(r.out, "suppress gen_id 9000, sig_id " + std::to_string(sid) + "  # domain:evil-example.com\n");
  // The documented example (engine/intel/README.md).
  ProcessResult example = RunKagami({"intel", "sid", "example.com"}, dir_);
  EXPECT_EQ(example.out, "1938086674\tdomain:example.com\n");
  // A CIDR is printed as the store prints it.
  ProcessResult cidr = RunKagami({"intel", "sid", "10.1.2.3/8"}, dir_);
  EXPECT_THAT(cidr.out, HasSubstr("\tip:10.0.0.0/8\n"));
  // Ambiguous or bad values ask for --type or say what is wrong.
  ProcessResult hash = RunKagami({"intel", "sid", "d41d8cd98f00b204e9800998ecf8427e"}, dir_);
  EXPECT_EQ(hash.exit_code, 2);
  EXPECT_THAT(hash.err, HasSubstr("give --type"));
  ProcessResult md5 = RunKagami({"intel", "sid", "D41D8CD98F00B204E9800998ECF8427E", "--type", "file_md5"}, dir_);
  EXPECT_EQ(md5.exit_code, 0) << md5.err;
  EXPECT_THAT(md5.out, HasSubstr("\tfile_md5:d41d8cd98f00b204e9800998ecf8427e\n"));
  ProcessResult bad = RunKagami({"intel", "sid", "not an address", "--type", "ip"}, dir_);
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(IntelThresholdE2eTest, SidsOfAFeedSuppressTheWholeFeed) {
  ProcessResult list = RunKagami({"intel", "sids", feed_}, dir_);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(std::to_string(SidFromCommand({"198.51.100.7"})) +
                                  "\tip:198.51.100.7\tfeed.csv\n"));
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 4);

  ProcessResult lines = RunKagami({"intel", "sids", "--suppress", feed_}, dir_);
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  const std::string thresholds = Write("feed.threshold.config", lines.out);
  for (const char* workers : {"1", "2"}) {
    const Scan s = Run(workers, thresholds);
    EXPECT_TRUE(s.alerts.empty()) << s.alerts[0];
    EXPECT_THAT(s.process.err, HasSubstr("alerts: 0\n"));
  }

  // The file checked against the feed: a sid none of its indicators has.
  const std::string stale = Write("stale.config", lines.out + "suppress gen_id 9000, sig_id 1234567890\n");
  ProcessResult check = RunKagami({"intel", "sids", feed_, "--threshold-file", stale}, dir_);
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.err, HasSubstr(stale + ":5:1: warning: suppress: no loaded rule or indicator has gen_id 9000, "
                                           "sig_id 1234567890; entry ignored"));
  EXPECT_THAT(check.err, Not(HasSubstr(":1:1: warning")));
}

}  // namespace
}  // namespace kagami::testing
