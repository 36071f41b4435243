// End-to-end: `kagami live` on a real interface (a veth pair the test makes),
// stopped by SIGINT with every alert flushed, and its EVE file reopened on
// SIGHUP as logrotate would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "tests/e2e/kagami_process.h"
#include "tests/support/packet_builder.h"
#include "tests/support/veth.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;

bool SendFrame(const std::string& ifname, const Bytes& frame) { return FrameSender(ifname).Send(frame); }

size_t CountSid(const std::string& text, long sid) {
  std::vector<long> sids = AlertSids(text);
  return static_cast<size_t>(std::count(sids.begin(), sids.end(), sid));
}

TEST(LiveE2eTest, CapturesFiltersReopensAndStopsCleanly) {
  if (geteuid() != 0 || !Sh("command -v ip")) GTEST_SKIP() << "needs root and iproute2";
  VethPair veth("kgl");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  std::string tmpl = ::testing::TempDir() + "kagami-live-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  std::string dir = tmpl;
  std::string rules = dir + "/live.rules";
  std::ofstream(rules) << "alert udp any any -> any 9999 (msg:\"live marker\"; content:\"kagami-live\"; sid:77;)\n"
                          "alert udp any any -> any 9998 (msg:\"filtered out\"; content:\"kagami-live\"; sid:78;)\n";
  std::string eve = dir + "/eve.json";
  // One worker: inspection in the capture thread.
  pid_t pid = StartKagami({"live", "-i", veth.listener(), "--bpf", "udp port 9999", "--rules", rules,
                           "--workers", "1", "--eve", eve},
                          dir);
  ASSERT_GT(pid, 0);

  // The banner comes after the signal handlers are in place; a SIGHUP before
  // that would end the process.
  for (int i = 0; i < 300 && ReadFile(dir + "/stderr").find("listening on") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_THAT(ReadFile(dir + "/stderr"), HasSubstr("listening on"));

  // Send until the capture is up and the first alert is on disk.
  Bytes marker = EthUdp("192.0.2.1", 5000, "192.0.2.2", 9999, "kagami-live");
  Bytes other = EthUdp("192.0.2.1", 5000, "192.0.2.2", 9998, "kagami-live");
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    ASSERT_TRUE(SendFrame(veth.sender(), marker));
    ASSERT_TRUE(SendFrame(veth.sender(), other));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(pid, SIGHUP);  // EVE writes are flushed on reopen
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    seen = CountSid(ReadFile(eve), 77) > 0;
  }
  ASSERT_TRUE(seen) << ReadFile(dir + "/stderr");

  // logrotate: move the file away, SIGHUP, and new records go to a new file.
  ASSERT_EQ(std::rename(eve.c_str(), (eve + ".1").c_str()), 0);
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(SendFrame(veth.sender(), marker));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  kill(pid, SIGINT);
  ProcessResult r = WaitKagami(pid, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("packets received"));
  EXPECT_GE(CountSid(ReadFile(eve), 77), 3u) << "records after the reopen must land in the new file";
  EXPECT_EQ(CountSid(ReadFile(eve) + ReadFile(eve + ".1"), 78), 0u) << "the BPF filter must apply";
  std::system(("rm -rf '" + dir + "'").c_str());
}

// Indicator feeds on a live interface: an address indicator alerts once for
// the flow however many of its packets arrive.
TEST(LiveE2eTest, IndicatorFeedAlertsOncePerFlow) {
  if (geteuid() != 0 || !Sh("command -v ip")) GTEST_SKIP() << "needs root and iproute2";
  VethPair veth("kgl");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  std::string tmpl = ::testing::TempDir() + "kagami-live-intel-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  std::string dir = tmpl;
  std::string rules = dir + "/none.rules";
  std::ofstream(rules) << "# indicators only\n";
  std::string feed = dir + "/feed.csv";
  std::ofstream(feed) << "type,value,family\nip,192.0.2.77,Datper\n";
  std::string eve = dir + "/eve.json";
  // Three workers whatever the CPUs: the reader, workers and writer path.
  pid_t pid = StartKagami({"live", "-i", veth.listener(), "--bpf", "udp port 9999", "--rules", rules, "--intel", feed,
                           "--workers", "3", "--stats-interval", "1", "--eve", eve},
                          dir);
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 300 && ReadFile(dir + "/stderr").find("listening on") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_THAT(ReadFile(dir + "/stderr"), HasSubstr("and 1 indicators, 3 workers"));
  Bytes c2 = EthUdp("192.0.2.77", 5000, "192.0.2.2", 9999, "beacon");
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    ASSERT_TRUE(SendFrame(veth.sender(), c2));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen = ReadFile(eve).find("\"gid\":9000") != std::string::npos;  // live flushes every alert
  }
  ASSERT_TRUE(seen) << ReadFile(dir + "/stderr");
  // A live record names the interface it came in on.
  EXPECT_THAT(ReadFile(eve), HasSubstr("\"in_iface\":\"" + veth.listener() + "\""));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(SendFrame(veth.sender(), c2));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A periodic stats record while capturing (every second; written at once).
  for (int i = 0; i < 50 && ReadFile(eve).find("\"event_type\":\"stats\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_THAT(ReadFile(eve), HasSubstr("\"event_type\":\"stats\""));
  kill(pid, SIGINT);
  ProcessResult r = WaitKagami(pid, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string text = ReadFile(eve);
  size_t alerts = 0;
  for (size_t at = text.find("\"gid\":9000"); at != std::string::npos; at = text.find("\"gid\":9000", at + 1)) ++alerts;
  EXPECT_EQ(alerts, 1u) << text;
  EXPECT_THAT(text, HasSubstr("\"seen_in\":\"ip.src\""));
  // Stats every second while capturing, and a last one at the end: the
  // kernel's count covers every frame sent, and the decoder saw them all.
  std::vector<std::string> stats;
  for (const std::string& line : Lines(text)) {
    if (line.find("\"event_type\":\"stats\"") != std::string::npos) stats.push_back(line);
  }
  ASSERT_GE(stats.size(), 2u) << text;
  const std::string& last = stats.back();
  auto number = [&](const std::string& key) {
    const size_t at = last.find("\"" + key + "\":");
    return at == std::string::npos ? -1L : std::strtol(last.c_str() + at + key.size() + 3, nullptr, 10);
  };
  const long sent = number("pkts");
  EXPECT_GE(sent, 6L) << last;
  EXPECT_GE(number("kernel_packets"), sent) << last;
  EXPECT_EQ(number("kernel_drops"), 0L) << last;
  const int valid = ValidateEve(eve);
  if (valid != -1) {
    EXPECT_EQ(valid, 0);
  }
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace kagami::testing
