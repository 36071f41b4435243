// End-to-end: `kagami live` as a sensor. A network namespace of the test's
// own holds a veth pair; tcpreplay puts a generated capture with Tick C2 on
// one end, and kagami captures the other through AF_PACKET with two
// workers in a fanout group. Its alerts must be those of an offline scan of
// the same capture, and the kernel's counters must agree with what
// tcpreplay sent.
#include <gmock/gmock.h>
#include <sys/stat.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <map>
#include <filesystem>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/support/packet_builder.h"
#include "tests/support/veth.h"
#define KAGAMI_TRAFFIC_BUILDERS_ONLY
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using pipeline::traffic::Field;

// "sid src:port -> dst:port" for each alert, sorted: what must agree
// between live and offline (times, flow ids and packet numbers differ).
std::vector<std::string> AlertKeys(const std::string& eve) {
  std::vector<std::string> keys;
  for (const std::string& line : Lines(eve)) {
    if (Field(line, "event_type") != "alert") continue;
    keys.push_back(Field(line, "signature_id") + " " + Field(line, "src_ip") + ":" + Field(line, "src_port") +
                   " -> " + Field(line, "dest_ip") + ":" + Field(line, "dest_port"));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// The number after `label` in tcpreplay's report ("Successful packets: 123").
long Reported(const std::string& report, const std::string& label) {
  const size_t at = report.find(label);
  return at == std::string::npos ? -1 : std::strtol(report.c_str() + at + label.size(), nullptr, 10);
}

class SensorE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = LiveSkipReason(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(Sh("command -v tcpreplay")) << "tcpreplay is missing: run scripts/install-deps";
    std::string tmpl = ::testing::TempDir() + "kagami-sensor-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  // kagami inside the namespace.
  pid_t StartInNamespace(const NetnsVeth& net, std::vector<std::string> args) {
    const std::string binary = KagamiBinary();
    if (const size_t slash = binary.rfind("/cli/"); slash != std::string::npos) {
      setenv("XDG_CACHE_HOME", (binary.substr(0, slash) + "/test-cache").c_str(), 0);
    }
    // env finds ip on the PATH; it and `ip netns exec` exec in turn, so the
    // pid is kagami's own and signals reach it.
    args.insert(args.begin(), {"ip", "netns", "exec", net.ns(), binary});
    return StartProgram("/usr/bin/env", args, dir_);
  }
  bool WaitForBanner() {
    for (int i = 0; i < 300; ++i) {
      if (ReadFile(dir_ + "/stderr").find("listening on") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Replays `pcap` out of the sender end; returns tcpreplay's report.
  std::string Replay(const NetnsVeth& net, const std::string& pcap, const std::string& speed) {
    const std::string out = dir_ + "/tcpreplay.txt";
    std::system((net.In("tcpreplay -i " + net.sender() + " " + speed + " '" + pcap + "'") + " >'" + out + "' 2>&1")
                    .c_str());
    return ReadFile(out);
  }

  std::string dir_;
};

TEST_F(SensorE2eTest, AfPacketWorkersAlertAsAnOfflineScanAndCountEveryPacket) {
  NetnsVeth net;
  if (!net.ok()) GTEST_SKIP() << "cannot create a network namespace with a veth pair here";
  ASSERT_TRUE(net.WaitUp());
  const std::string pcap = dir_ + "/tick.pcap";
  ProcessResult g = WaitKagami(StartProgram(KagamiGenBinary(), {"-o", pcap, "--seed", "21", "--size", "3MB", "--inject",
                                                          "datper:2", "--inject", "daserf", "--inject", "gofarer",
                                                          "--inject", "xxmm", "--inject", "shadowpy"},
                                            dir_),
                               dir_);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const std::string offline_eve = dir_ + "/offline.json";
  ProcessResult offline = RunKagami({"scan", "-q", "--workers", "1", "--eve", offline_eve, pcap}, dir_);
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  const std::vector<std::string> expected = AlertKeys(ReadFile(offline_eve));
  ASSERT_GE(expected.size(), 5u) << "the injected C2 alerts offline";

  const std::string eve = dir_ + "/live.json";
  pid_t pid = StartInNamespace(net, {"live", "-i", net.listener(), "--workers", "2", "--eve", eve, "--eve-types",
                                     "alert,stats", "--stats-interval", "1"});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForBanner()) << ReadFile(dir_ + "/stderr");
  EXPECT_THAT(ReadFile(dir_ + "/stderr"), HasSubstr("(af-packet, fanout hash, 2 sockets per interface)"));

  const std::string report = Replay(net, pcap, "--mbps 40");
  const long sent = Reported(report, "Successful packets:");
  ASSERT_GT(sent, 1000) << report;
  EXPECT_EQ(Reported(report, "Failed packets:"), 0) << report;

  // Alerts reach the file while the sensor runs.
  for (int i = 0; i < 200 && AlertKeys(ReadFile(eve)).size() < expected.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGTERM);
  ProcessResult r = WaitKagami(pid, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(AlertKeys(ReadFile(eve)), expected);

  // The kernel saw every packet tcpreplay sent, and dropped none.
  EXPECT_THAT(r.err, HasSubstr(net.listener() + ": " + std::to_string(sent) +
                               " packets received, 0 dropped by the kernel"));
  std::string last_stats;
  for (const std::string& line : Lines(ReadFile(eve))) {
    if (Field(line, "event_type") == "stats") last_stats = line;
  }
  EXPECT_THAT(last_stats, HasSubstr("\"kernel_packets\":" + std::to_string(sent) + ","));
  EXPECT_THAT(last_stats, HasSubstr("\"kernel_drops\":0"));
  EXPECT_EQ(ValidateEve(eve), 0);
  // Both workers had flows (the fanout spread them).
  EXPECT_THAT(r.err, HasSubstr("workers:"));
}

// An interface deleted and made again under a running sensor: it says so,
// keeps running, and alerts on traffic of the new interface.
TEST_F(SensorE2eTest, KeepsRunningWhenTheInterfaceIsRecreated) {
  VethPair veth("kgd");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  const std::string rules = dir_ + "/marker.rules";
  std::ofstream(rules) << "alert udp any any -> any 9999 (msg:\"marker\"; content:\"kagami-marker\"; sid:91;)\n";
  const std::string eve = dir_ + "/eve.json";
  pid_t pid = StartKagami({"live", "-i", veth.listener(), "--bpf", "udp port 9999", "--rules", rules, "--workers",
                           "2", "--eve", eve},
                          dir_);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForBanner()) << ReadFile(dir_ + "/stderr");
  const Bytes marker = EthUdp("192.0.2.1", 5000, "192.0.2.2", 9999, "kagami-marker");
  auto alerts = [&] {
    size_t n = 0;
    for (const std::string& key : AlertKeys(ReadFile(eve))) n += key.rfind("91 ", 0) == 0;
    return n;
  };
  // Sends until the sensor has alerted `want` times in all.
  auto send_until = [&](size_t want) {
    for (int i = 0; i < 100 && alerts() < want; ++i) {
      FrameSender(veth.sender()).Send(marker);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return alerts() >= want;
  };
  ASSERT_TRUE(send_until(1)) << ReadFile(dir_ + "/stderr");
  ASSERT_TRUE(veth.Recreate());
  for (int i = 0; i < 100 && ReadFile(dir_ + "/stderr").find("re-created; capture resumed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_THAT(ReadFile(dir_ + "/stderr"), HasSubstr(veth.listener() + ": interface re-created; capture resumed"));
  const size_t before = alerts();
  EXPECT_TRUE(send_until(before + 1)) << "no alert after the interface came back: " << ReadFile(dir_ + "/stderr");
  kill(pid, SIGTERM);
  ProcessResult r = WaitKagami(pid, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A configuration file sets what flags would (interfaces with their own
// filter, rules, workers, the EVE file) and a flag on the command line wins.
TEST_F(SensorE2eTest, ConfigFileSetsOptionsAndFlagsWin) {
  VethPair veth("kgc");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  const std::string rules = dir_ + "/marker.rules";
  std::ofstream(rules) << "alert udp any any -> any any (msg:\"marker\"; content:\"kagami-marker\"; sid:93;)\n";
  const std::string config = dir_ + "/kagami.yaml";
  std::ofstream(config) << "interfaces:\n"
                           "  - name: " << veth.listener() << "\n"
                           "    bpf: udp port 9999\n"
                           "rules: [" << rules << "]\n"
                           "workers: 2\n"
                           "eve: " << dir_ << "/from-config.json\n"
                           "stats-interval: 0\n";
  const std::string eve = dir_ + "/from-flag.json";
  ProcessResult check = RunKagami({"live", "--config", config, "--check-config"}, dir_);
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.err, HasSubstr("configuration OK: 1 rules, 0 indicators, 1 interface, 2 workers"));

  pid_t pid = StartKagami({"live", "--config", config, "--eve", eve}, dir_);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForBanner()) << ReadFile(dir_ + "/stderr");
  EXPECT_THAT(ReadFile(dir_ + "/stderr"), HasSubstr("listening on " + veth.listener() + " (af-packet"));
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    FrameSender sender(veth.sender());
    sender.Send(EthUdp("192.0.2.1", 5000, "192.0.2.2", 9998, "kagami-marker"));  // filtered out
    sender.Send(EthUdp("192.0.2.1", 5000, "192.0.2.2", 9999, "kagami-marker"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen = ReadFile(eve).find("\"signature_id\":93,") != std::string::npos;
  }
  kill(pid, SIGTERM);
  ProcessResult r = WaitKagami(pid, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(seen) << "the flag's EVE file gets the alerts";
  EXPECT_EQ(ReadFile(eve).find("\"dest_port\":9998"), std::string::npos) << "the interface's filter applies";
  EXPECT_FALSE(std::ifstream(dir_ + "/from-config.json").good()) << "--eve on the command line wins";
}

// Two interfaces at once, each with a filter of its own (from the config)
// and counters of its own (in the summary).
TEST_F(SensorE2eTest, SeveralInterfacesEachWithItsOwnFilter) {
  VethPair one("kgi"), two("kgj");
  if (!one.ok() || !two.ok()) GTEST_SKIP() << "cannot create veth pairs here";
  const std::string rules = dir_ + "/marker.rules";
  std::ofstream(rules) << "alert udp any any -> any any (msg:\"marker\"; content:\"kagami-marker\"; sid:94;)\n";
  const std::string config = dir_ + "/two.yaml";
  std::ofstream(config) << "interfaces:\n"
                           "  - {name: " << one.listener() << ", bpf: udp port 9999}\n"
                           "  - {name: " << two.listener() << ", bpf: udp port 8888}\n"
                           "rules: [" << rules << "]\n"
                           "workers: 2\n";
  const std::string eve = dir_ + "/eve.json";
  pid_t pid = StartKagami({"live", "--config", config, "--eve", eve}, dir_);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForBanner()) << ReadFile(dir_ + "/stderr");
  EXPECT_THAT(ReadFile(dir_ + "/stderr"), HasSubstr("listening on " + one.listener() + ", " + two.listener()));
  auto alerted = [&](const std::string& src, const std::string& port) {
    for (const std::string& line : Lines(ReadFile(eve))) {
      if (Field(line, "src_ip") == src && Field(line, "dest_port") == port) return true;
    }
    return false;
  };
  for (int i = 0; i < 100 && !(alerted("192.0.2.1", "9999") && alerted("192.0.2.2", "8888")); ++i) {
    FrameSender a(one.sender()), b(two.sender());
    for (const char* port : {"9999", "8888"}) {
      const auto p = static_cast<uint16_t>(std::atoi(port));
      a.Send(EthUdp("192.0.2.1", 5000, "192.0.2.9", p, "kagami-marker"));
      b.Send(EthUdp("192.0.2.2", 5000, "192.0.2.9", p, "kagami-marker"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGTERM);
  ProcessResult r = WaitKagami(pid, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(alerted("192.0.2.1", "9999"));
  EXPECT_TRUE(alerted("192.0.2.2", "8888"));
  EXPECT_FALSE(alerted("192.0.2.1", "8888")) << "the first interface's filter";
  EXPECT_FALSE(alerted("192.0.2.2", "9999")) << "the second interface's filter";
  EXPECT_THAT(r.err, HasSubstr("kagami: " + one.listener() + ": "));
  EXPECT_THAT(r.err, HasSubstr("kagami: " + two.listener() + ": "));
}

TEST_F(SensorE2eTest, ConfigMistakesAreReportedWithTheirPositions) {
  const std::string config = dir_ + "/bad.yaml";
  std::ofstream(config) << "interfaces: [lo]\n"
                           "workers: lots\n"
                           "flow-memcapp: 1gb\n"
                           "stream-policy: newest\n";
  ProcessResult r = RunKagami({"live", "--config", config, "--check-config"}, dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(config + ":2:10: 'workers': "));
  EXPECT_THAT(r.err, HasSubstr(config + ":3:1: unknown key 'flow-memcapp' (did you mean 'flow-memcap'?)"));
  EXPECT_THAT(r.err, HasSubstr(config + ":4:16: 'stream-policy': newest not in {"));
  EXPECT_LT(r.err.find(":2:10:"), r.err.find(":3:1:")) << "in file order";
}

// The line of /proc/PID/status that starts with `key`, without the key.
std::string StatusLine(pid_t pid, const std::string& key) {
  for (const std::string& line : Lines(ReadFile("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

// `kagami ctl` against the sensor's socket.
ProcessResult Ctl(const std::string& dir, const std::string& socket, const std::string& command) {
  return RunKagami({"ctl", "--socket", socket, command}, dir + "/ctl");
}

bool WaitForText(const std::string& file, const std::string& text, int tenths = 100) {
  for (int i = 0; i < tenths; ++i) {
    if (ReadFile(file).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Rules and feeds reloaded while traffic flows: by SIGUSR2 and by kagami ctl.
// Every packet carries a number (its source port): the unchanged rule
// alerts exactly once on each, before, across and after every swap; the new
// rule on every packet from some point on and none before; a broken rule
// file is refused and nothing stops; the new indicator alerts once per flow.
TEST_F(SensorE2eTest, ReloadsRulesAndFeedsWithoutAGap) {
  VethPair veth("kgx");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  std::filesystem::create_directories(dir_ + "/ctl");
  const std::string rules = dir_ + "/sensor.rules", feed = dir_ + "/feed.csv", sock = dir_ + "/control.sock";
  const std::string kept = "alert udp any any -> any 9999 (msg:\"kept\"; content:\"kagami-marker\"; sid:1;)\n";
  const std::string added = "alert udp any any -> any 9999 (msg:\"added\"; content:\"kagami-marker\"; sid:2;)\n";
  std::ofstream(rules) << kept;
  std::ofstream(feed) << "type,value,family\nip,198.51.100.1,Other\n";
  const std::string eve = dir_ + "/eve.json";
  pid_t pid = StartKagami({"live", "-i", veth.listener(), "--bpf", "udp port 9999", "--rules", rules, "--intel", feed,
                           "--workers", "2", "--control-socket", sock, "--stats-interval", "0", "--eve", eve},
                          dir_);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForBanner()) << ReadFile(dir_ + "/stderr");

  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread sender([&] {
    FrameSender out(veth.sender());
    for (int n = 0; !stop && n < 40000; ++n) {
      const std::string src = n % 2 ? "192.0.2.77" : "192.0.2.1";
      if (out.Send(EthUdp(src, static_cast<uint16_t>(20000 + n), "192.0.2.2", 9999, "kagami-marker"))) ++sent;
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  const std::string err = dir_ + "/stderr";
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  // 1. SIGUSR2: a rule and an indicator added.
  std::ofstream(rules) << kept << added;
  std::ofstream(feed) << "type,value,family\nip,198.51.100.1,Other\nip,192.0.2.77,Datper\n";
  kill(pid, SIGUSR2);
  EXPECT_TRUE(WaitForText(err, "reload #2 ok: 2 rules, 2 indicators")) << ReadFile(err);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // 2. kagami ctl reload of a broken file: refused, the set in use stays.
  std::ofstream(rules) << kept << added << "alert udp any any -> any 9999 (msg:\"broken\"; content:\"x\"; sid:3;\n";
  ProcessResult refused = Ctl(dir_, sock, "reload");
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_THAT(refused.out, HasSubstr("\"ok\":false,\"command\":\"reload\""));
  EXPECT_THAT(refused.out, HasSubstr("ruleset #2 stays"));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // 3. Fixed again: a reload with nothing new changes no alert.
  std::ofstream(rules) << kept << added;
  ProcessResult again = Ctl(dir_, sock, "reload");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  stop = true;
  sender.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ProcessResult ruleset = Ctl(dir_, sock, "ruleset");
  EXPECT_EQ(ruleset.exit_code, 0) << ruleset.err;
  EXPECT_THAT(ruleset.out, HasSubstr("\"current\":{\"ok\":true,\"number\":4,\"rules\":2,\"indicators\":2,"));
  kill(pid, SIGTERM);
  ProcessResult r = WaitKagami(pid, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("reload #3 failed"));
  EXPECT_THAT(r.err, HasSubstr(veth.listener() + ": " + std::to_string(sent.load()) + " packets received, 0 dropped"));

  // Per sid, the packet numbers it alerted on.
  std::map<std::string, std::vector<int>> by_sid;
  for (const std::string& line : Lines(ReadFile(eve))) {
    if (Field(line, "event_type") != "alert") continue;
    by_sid[Field(line, "signature_id")].push_back(std::atoi(Field(line, "src_port").c_str()) - 20000);
  }
  for (auto& [sid, ns] : by_sid) std::sort(ns.begin(), ns.end());
  const int total = sent.load();
  ASSERT_GT(total, 500);
  std::vector<int> every(static_cast<size_t>(total));
  std::iota(every.begin(), every.end(), 0);
  EXPECT_EQ(by_sid["1"], every) << "the unchanged rule: once per packet, none lost or doubled";
  // The new rule: none before the reload, every packet after it. Each worker
  // swaps at its own next packet, and a packet can reach its worker up to a
  // ring block's timeout (10 ms) late, so around the swap the workers may
  // differ for a few packets; past that window, every packet alerts.
  const std::vector<int>& added_ns = by_sid["2"];
  ASSERT_FALSE(added_ns.empty());
  EXPECT_GT(added_ns.front(), 0);
  EXPECT_EQ(std::adjacent_find(added_ns.begin(), added_ns.end()), added_ns.end()) << "an alert doubled";
  int full_from = total;  // every packet from here on alerted
  while (full_from > 0 && std::binary_search(added_ns.begin(), added_ns.end(), full_from - 1)) --full_from;
  EXPECT_LE(full_from - added_ns.front(), 20) << "the new rule missed packets well after the reload";
  // The indicator: flows of 192.0.2.77 (odd numbers) after the reload only.
  std::vector<int> intel;
  for (const auto& [sid, ns] : by_sid) {
    if (sid != "1" && sid != "2") intel.insert(intel.end(), ns.begin(), ns.end());
  }
  ASSERT_FALSE(intel.empty());
  for (int n : intel) EXPECT_EQ(n % 2, 1) << "indicator alert on a flow from another address";
  EXPECT_EQ(std::adjacent_find(intel.begin(), intel.end()), intel.end()) << "once per flow";
}

// The control socket: owner-only, and every command answers in JSON;
// shutdown ends the sensor as SIGTERM does.
TEST_F(SensorE2eTest, ControlSocketAnswersEveryCommand) {
  VethPair veth("kgk");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  std::filesystem::create_directories(dir_ + "/ctl");
  const std::string sock = dir_ + "/run/control.sock";  // its directory is made
  pid_t pid = StartKagami({"live", "-i", veth.listener(), "--workers", "2", "--control-socket", sock,
                           "--stats-interval", "1", "--eve", dir_ + "/eve.json"},
                          dir_);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForBanner()) << ReadFile(dir_ + "/stderr");
  struct stat st;
  ASSERT_EQ(stat(sock.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "owner-only";

  ProcessResult version = Ctl(dir_, sock, "version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, HasSubstr("{\"ok\":true,\"command\":\"version\",\"version\":\""));
  ProcessResult ruleset = Ctl(dir_, sock, "ruleset");
  EXPECT_EQ(ruleset.exit_code, 0);
  EXPECT_THAT(ruleset.out, HasSubstr("\"current\":{\"ok\":true,\"number\":1,"));
  EXPECT_THAT(ruleset.out, HasSubstr("\"sources_sha256\":\""));
  // A stats record comes every second.
  ProcessResult stats;
  for (int i = 0; i < 50 && stats.out.find("\"record\":{") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stats = Ctl(dir_, sock, "stats");
  }
  EXPECT_EQ(stats.exit_code, 0) << stats.out;
  EXPECT_THAT(stats.out, HasSubstr("\"record\":{\"timestamp\":"));
  EXPECT_THAT(stats.out, HasSubstr("\"event_type\":\"stats\""));
  EXPECT_THAT(stats.out, HasSubstr("\"kernel_packets\":"));
  // Every output's counters, as they are now.
  EXPECT_THAT(stats.out, HasSubstr("\"outputs\":{\"eve\":{\"sent\":"));
  EXPECT_THAT(stats.out, HasSubstr("\"dropped\":0,\"reconnects\":0,\"connected\":true,\"last_error\":\"\"}"));

  ProcessResult bye = Ctl(dir_, sock, "shutdown");
  EXPECT_EQ(bye.exit_code, 0);
  ProcessResult r = WaitKagami(pid, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr(veth.listener() + ": "));
  EXPECT_NE(stat(sock.c_str(), &st), 0) << "the socket file is removed at exit";
  ProcessResult gone = Ctl(dir_, sock, "version");
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_THAT(gone.err, HasSubstr("cannot connect to " + sock));
}

// The same memory after 100 reloads as after one: old rulesets are freed.
TEST_F(SensorE2eTest, MemoryStaysFlatOverAHundredReloads) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Their allocators keep freed memory (ASan's quarantine, TSan's shadow):
  // RSS says nothing there. The release run measures it.
  GTEST_SKIP() << "RSS is not the program's own under a sanitizer";
#endif
  VethPair veth("kgy");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  std::filesystem::create_directories(dir_ + "/ctl");
  const std::string sock = dir_ + "/control.sock";
  pid_t pid = StartKagami({"live", "-i", veth.listener(), "--workers", "2", "--control-socket", sock,
                           "--eve", dir_ + "/eve.json"},
                          dir_);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForBanner()) << ReadFile(dir_ + "/stderr");
  auto rss_kb = [&] { return std::atol(StatusLine(pid, "VmRSS").c_str()); };
  ASSERT_EQ(Ctl(dir_, sock, "reload").exit_code, 0);
  const long after_one = rss_kb();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(Ctl(dir_, sock, "reload").exit_code, 0) << i;
  const long after_many = rss_kb();
  EXPECT_LT(after_many - after_one, 8 * 1024) << after_one << " kB after 1 reload, " << after_many << " after 101";
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitKagami(pid, dir_).exit_code, 0);
}

// Started as root with --user nobody: once capturing, the process runs as
// nobody with nothing left of root but CAP_NET_RAW, and still alerts.
TEST_F(SensorE2eTest, DropsToTheGivenUserKeepingOnlyNetRaw) {
  VethPair veth("kgu");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  const std::string rules = dir_ + "/marker.rules";
  std::ofstream(rules) << "alert udp any any -> any 9999 (msg:\"marker\"; content:\"kagami-marker\"; sid:92;)\n";
  const std::string eve = dir_ + "/eve.json";
  pid_t pid = StartKagami({"live", "-i", veth.listener(), "--rules", rules, "--workers", "2", "--user", "nobody",
                           "--eve", eve},
                          dir_);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForBanner()) << ReadFile(dir_ + "/stderr");
  EXPECT_EQ(StatusLine(pid, "Uid"), "\t65534\t65534\t65534\t65534");
  EXPECT_EQ(StatusLine(pid, "Gid"), "\t65534\t65534\t65534\t65534");
  EXPECT_EQ(StatusLine(pid, "Groups"), "\t65534 ");
  EXPECT_EQ(StatusLine(pid, "CapEff"), "\t0000000000002000") << "CAP_NET_RAW only";
  EXPECT_EQ(StatusLine(pid, "CapPrm"), "\t0000000000002000");
  EXPECT_EQ(StatusLine(pid, "CapInh"), "\t0000000000000000");
  EXPECT_EQ(StatusLine(pid, "CapBnd"), "\t0000000000002000");
  EXPECT_EQ(StatusLine(pid, "NoNewPrivs"), "\t1");
  const Bytes marker = EthUdp("192.0.2.1", 5000, "192.0.2.2", 9999, "kagami-marker");
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    FrameSender(veth.sender()).Send(marker);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen = ReadFile(eve).find("\"signature_id\":92,") != std::string::npos;
  }
  EXPECT_TRUE(seen) << "capture goes on after the drop";
  kill(pid, SIGTERM);
  ProcessResult r = WaitKagami(pid, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(SensorE2eTest, RefusesToRunAsRootWhenTheUserIsUnknown) {
  VethPair veth("kgz");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair here";
  ProcessResult r = RunKagami({"live", "-i", veth.listener(), "--user", "kagami-no-such-user", "--eve",
                               dir_ + "/eve.json"},
                              dir_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("refusing to run as root: --user kagami-no-such-user: no such user"));
}

}  // namespace
}  // namespace kagami::testing
