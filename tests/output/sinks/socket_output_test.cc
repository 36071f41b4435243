// Outputs against real peers: files, unix sockets, a TCP syslog listener,
// and rsyslogd. Each runs records through an OutputSet as `kagami` does.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>
#include <fstream>
#include <sstream>

#include "engine/output/sinks/output_set.h"
#include "engine/output/sinks/syslog_message.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/output/sinks/records.h"
#include "tests/support/peers.h"

namespace kagami::output {
namespace {

using kagami::testing::FreePort;
using kagami::testing::HaveProgram;
using kagami::testing::RsyslogServer;
using kagami::testing::ScratchDir;
using kagami::testing::StreamListener;
using kagami::testing::WaitFor;
using testing::Numbers;
using testing::Range;
using testing::Record;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto kPatience = std::chrono::seconds(20);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteRange(OutputSet& set, int from, int to) {
  for (int i = from; i < to; ++i) set.Write(Record(i));
}

const OutputCounters Counters(const OutputSet& set, size_t i = 0) { return set.Snapshot().at(i).counters; }

// The messages of an RFC 6587 octet-counted stream.
std::vector<std::string> OctetCounted(const std::string& data) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t space = data.find(' ', pos);
    if (space == std::string::npos) break;
    const size_t len = std::stoul(data.substr(pos, space - pos));
    if (space + 1 + len > data.size()) break;
    out.push_back(data.substr(space + 1, len));
    pos = space + 1 + len;
  }
  return out;
}

TEST(FileOutputTest, AppendsRotatesAndReopens) {
  ScratchDir dir;
  const size_t size = Record(0).size();
  OutputSet set;
  ASSERT_TRUE(set.Add("file:" + (dir / "eve.json") + "?rotate=" + std::to_string(size * 10) + "&keep=2", kEventAlert).ok());
  WriteRange(set, 0, 35);
  set.Stop(std::chrono::seconds(5));
  // 10 whole records a file; the oldest beyond keep=2 are gone.
  EXPECT_EQ(Numbers(ReadFile(dir / "eve.json")), Range(30, 35));
  EXPECT_EQ(Numbers(ReadFile(dir / "eve.json.1")), Range(20, 30));
  EXPECT_EQ(Numbers(ReadFile(dir / "eve.json.2")), Range(10, 20));
  EXPECT_FALSE(std::filesystem::exists(dir / "eve.json.3"));
  EXPECT_EQ(Counters(set).sent, 35u);

  OutputSet again;
  ASSERT_TRUE(again.Add("file:" + (dir / "x.json"), kEventAlert).ok());
  WriteRange(again, 0, 5);
  ASSERT_TRUE(WaitFor([&] { return Counters(again).sent == 5; }, kPatience));
  std::filesystem::rename(dir / "x.json", dir / "x.json.old");  // logrotate
  ASSERT_TRUE(again.Reopen().ok());
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(dir / "x.json"); }, kPatience));
  WriteRange(again, 5, 8);
  again.Stop(std::chrono::seconds(5));
  EXPECT_EQ(Numbers(ReadFile(dir / "x.json.old")), Range(0, 5));
  EXPECT_EQ(Numbers(ReadFile(dir / "x.json")), Range(5, 8));
}

TEST(FileOutputTest, AFileThatCannotBeOpenedIsAnError) {
  OutputSet set;
  absl::Status s = set.Add("file:/nonexistent-dir/eve.json", kEventAlert);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("cannot open /nonexistent-dir/eve.json: No such file or directory"));
}

// A FIFO without a reader is a peer that is down: retried, never blocking
// delivery, and read once a reader comes.
TEST(FileOutputTest, AFifoWaitsForItsReader) {
  ScratchDir dir;
  const std::string fifo = dir / "eve.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  OutputSet set;
  ASSERT_TRUE(set.Add("file:" + fifo + "?reconnect_max=100ms", kEventAlert).ok()) << "a FIFO is not a local file";
  WriteRange(set, 0, 20);
  ASSERT_TRUE(WaitFor([&] { return Counters(set).last_error.find("No such device") != std::string::npos; }, kPatience))
      << Counters(set).last_error;
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  std::string got;
  ASSERT_TRUE(WaitFor([&] {
    char buf[4096];
    const ssize_t n = ::read(reader, buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    return Numbers(got).size() == 20;
  }, kPatience));
  set.Stop(std::chrono::seconds(5));
  ::close(reader);
  EXPECT_EQ(Numbers(got), Range(0, 20));
  EXPECT_EQ(Counters(set).sent, 20u);
}

// Standard output whose reader has gone (`kagami scan --eve - | head`):
// the rest is dropped and counted at once, not retried until the grace
// runs out.
TEST(FileOutputTest, StdoutWithoutAReaderDropsAndCounts) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);  // nobody will read, from the start (before fork, so no copy lingers)
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    OutputSet set;
    if (!set.Add("-", kEventAlert).ok()) ::_exit(100);
    for (int i = 0; i < 200; ++i) set.Write(Record(i));
    set.Stop(std::chrono::seconds(30));
    const OutputCounters c = Counters(set);
    ::_exit(c.sent == 0 && c.dropped == 200 ? 0 : 101);
  }
  ::close(fds[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(OutputSetTest, EachOutputTakesItsEventTypes) {
  ScratchDir dir;
  OutputSet set;
  ASSERT_TRUE(set.Add("file:" + (dir / "alerts.json"), kEventAlert).ok());
  ASSERT_TRUE(set.Add("file:" + (dir / "dns.json") + "?types=dns,stats", kEventAlert).ok());
  EXPECT_EQ(set.types(), kEventAlert | kEventDns | kEventStats);
  set.Write(Record(0, "alert"));
  set.Write(Record(1, "dns"));
  set.Write(Record(2, "http"));
  set.Write(Record(3, "stats"));
  set.Stop(std::chrono::seconds(5));
  EXPECT_EQ(Numbers(ReadFile(dir / "alerts.json")), std::vector<int>({0}));
  EXPECT_EQ(Numbers(ReadFile(dir / "dns.json")), std::vector<int>({1, 3}));
  const auto all = set.Snapshot();
  EXPECT_EQ(all[0].name, "file");
  EXPECT_EQ(all[1].name, "file-2");
  EXPECT_THAT(set.CountersJson(), HasSubstr("\"file-2\":{\"sent\":2,\"queued\":0,\"spooled\":0,\"dropped\":0"));
  OutputSet named;
  ASSERT_TRUE(named.Add("file:" + (dir / "a") + "?name=x", kEventAlert).ok());
  EXPECT_THAT(std::string(named.Add("file:" + (dir / "b") + "?name=x", kEventAlert).message()),
              HasSubstr("the name 'x' is taken by another output"));
}

TEST(UnixStreamOutputTest, ListenerStoppedAndRestartedMidRunLosesNothing) {
  ScratchDir dir;
  StreamListener listener(dir / "eve.sock");
  ASSERT_TRUE(listener.Start());
  OutputSet set;
  ASSERT_TRUE(set.Add("unix-stream:" + (dir / "eve.sock") + "?reconnect_max=200ms", kEventAlert).ok());
  WriteRange(set, 0, 500);
  ASSERT_TRUE(WaitFor([&] { return Numbers(listener.data()).size() == 500; }, kPatience));
  const std::string first = listener.data();
  listener.Stop();
  WriteRange(set, 500, 1000);
  ASSERT_TRUE(WaitFor([&] { return !Counters(set).last_error.empty(); }, kPatience));
  StreamListener again(dir / "eve.sock");
  ASSERT_TRUE(again.Start());
  WriteRange(set, 1000, 1500);
  set.Stop(std::chrono::seconds(10));
  again.Stop();  // reads until the output's side is closed: everything sent
  std::vector<int> got = Numbers(first);
  for (int n : Numbers(again.data())) got.push_back(n);
  EXPECT_EQ(got, Range(0, 1500)) << testing::Difference(got, 0, 1500) << "; last error "
                                 << Counters(set).last_error;
  const OutputCounters c = Counters(set);
  EXPECT_EQ(c.sent, 1500u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_GE(c.reconnects, 1u);
}

TEST(UnixStreamOutputTest, SpoolHoldsWhatTheCapAllowsAndCountsTheRest) {
  ScratchDir dir;
  const size_t size = Record(0).size();
  const std::string url = "unix-stream:" + (dir / "eve.sock") + "?reconnect_max=200ms&queue=" +
                          std::to_string(size * 20) + "&spool=" + (dir / "spool") +
                          "&spool_max=" + std::to_string(size * 300);
  OutputSet set;
  ASSERT_TRUE(set.Add(url, kEventAlert).ok());  // nobody listens yet
  WriteRange(set, 0, 1000);
  // The queue holds 20, the spool 300: the rest is dropped and counted;
  // the first ones are kept, in order.
  ASSERT_TRUE(WaitFor([&] { return Counters(set).dropped > 0; }, kPatience));
  const OutputCounters before = Counters(set);
  EXPECT_LE(before.spooled, 300u);
  StreamListener listener(dir / "eve.sock");
  ASSERT_TRUE(listener.Start());
  set.Stop(std::chrono::seconds(10));
  listener.Stop();  // reads until the output's side is closed: everything sent
  const std::vector<int> got = Numbers(listener.data());
  const OutputCounters c = Counters(set);
  EXPECT_EQ(c.sent, got.size());
  EXPECT_EQ(c.sent + c.dropped, 1000u);
  // Records get longer with their number: the spool holds at least 250 of
  // them, the first ones, without a gap.
  ASSERT_GE(got.size(), 250u);
  for (size_t i = 0; i < 250; ++i) ASSERT_EQ(got[i], static_cast<int>(i));
  for (size_t i = 1; i < got.size(); ++i) ASSERT_LT(got[i - 1], got[i]) << "in order, each once";
}

TEST(UnixStreamOutputTest, ASpoolOutlivesTheRun) {
  ScratchDir dir;
  const std::string url = "unix-stream:" + (dir / "eve.sock") + "?reconnect_max=200ms&spool=" + (dir / "spool");
  {
    OutputSet set;
    ASSERT_TRUE(set.Add(url, kEventAlert).ok());
    WriteRange(set, 0, 200);
    set.Stop(std::chrono::seconds(1));  // nobody listens: all of it is spooled
    EXPECT_EQ(Counters(set).spooled, 200u);
    EXPECT_EQ(Counters(set).dropped, 0u);
  }
  StreamListener listener(dir / "eve.sock");
  ASSERT_TRUE(listener.Start());
  std::vector<std::string> events;
  OutputSet set;
  set.set_event_handler([&](const std::string& e) { events.push_back(e); });
  ASSERT_TRUE(set.Add(url, kEventAlert).ok());
  WriteRange(set, 200, 300);
  set.Stop(std::chrono::seconds(10));
  listener.Stop();
  EXPECT_EQ(Numbers(listener.data()), Range(0, 300));
  ASSERT_FALSE(events.empty());
  EXPECT_THAT(events[0], HasSubstr("holds 200 records from an earlier run"));
}

TEST(UnixStreamOutputTest, WithoutASpoolAFullQueueDropsAndCounts) {
  ScratchDir dir;
  const size_t size = Record(0).size();
  OutputSet set;
  ASSERT_TRUE(set.Add("unix-stream:" + (dir / "none.sock") + "?queue=" + std::to_string(size * 10), kEventAlert).ok());
  WriteRange(set, 0, 100);
  set.Stop(std::chrono::milliseconds(300));
  const OutputCounters c = Counters(set);
  EXPECT_EQ(c.sent, 0u);
  EXPECT_EQ(c.dropped, 100u);
  EXPECT_THAT(c.last_error, HasSubstr("cannot connect to " + (dir / "none.sock")));
}

TEST(UnixDgramOutputTest, OneRecordPerDatagram) {
  ScratchDir dir;
  const std::string path = dir / "eve.dgram";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  // A reader, as a datagram socket's queue is short and a sender that
  // finds it full waits.
  std::vector<int> got;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    char buf[4096];
    while (!done || got.size() < 50) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) {
        if (done) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      const std::string d(buf, static_cast<size_t>(n));
      EXPECT_EQ(d.back(), '}') << "no newline in a datagram";
      for (int x : Numbers(d)) got.push_back(x);
    }
  });
  OutputSet set;
  ASSERT_TRUE(set.Add("unix-dgram:" + path, kEventAlert).ok());
  WriteRange(set, 0, 50);
  set.Stop(std::chrono::seconds(5));
  done = true;
  reader.join();
  ::close(fd);
  EXPECT_EQ(got, Range(0, 50));
}

TEST(SyslogMessageTest, SeverityFromPriorityAndRfc5424Header) {
  EXPECT_EQ(SyslogSeverityOf(Record(0, "alert", 1)), 2);
  EXPECT_EQ(SyslogSeverityOf(Record(0, "alert", 2)), 3);
  EXPECT_EQ(SyslogSeverityOf(Record(0, "alert", 3)), 4);
  EXPECT_EQ(SyslogSeverityOf(Record(0, "alert", 4)), 5);
  EXPECT_EQ(SyslogSeverityOf(Record(0, "dns")), 6);
  EXPECT_EQ(SyslogFacilityNamed("local5"), 21);
  EXPECT_EQ(SyslogFacilityNamed("daemon"), 3);
  EXPECT_FALSE(SyslogFacilityNamed("local8").has_value());
  SyslogFormatter f(21, "sensor 1", "kagami");
  std::string out;
  f.Append(Record(7, "alert", 1), out);
  // <21*8+2>1 TIMESTAMP HOSTNAME APP PROCID MSGID SD MSG
  EXPECT_THAT(out, StartsWith("<170>1 20"));
  EXPECT_THAT(out, HasSubstr("Z sensor1 kagami " + std::to_string(getpid()) + " alert - {\"timestamp\""));
  EXPECT_EQ(out.back(), '}');
}

// UDP syslog is fire and forget: a port nobody listens on (ICMP port
// unreachable, reported by the kernel on a later send) is not an outage
// to retry forever, nor a stream of messages in the log.
TEST(SyslogUdpOutputTest, NobodyListeningIsNotAnOutage) {
  const uint16_t port = FreePort(SOCK_DGRAM);
  std::vector<std::string> events;
  OutputSet set;
  set.set_event_handler([&](const std::string& e) { events.push_back(e); });
  ASSERT_TRUE(set.Add("syslog+udp://127.0.0.1:" + std::to_string(port), kEventAlert).ok());
  for (int i = 0; i < 50; ++i) {
    set.Write(Record(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  set.Stop(std::chrono::seconds(5));
  const OutputCounters c = Counters(set);
  EXPECT_EQ(c.sent, 50u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_TRUE(events.empty()) << events.front();
}

TEST(SyslogTcpOutputTest, OctetCountedAndSurvivesAListenerRestart) {
  StreamListener listener;
  ASSERT_TRUE(listener.Start());
  const uint16_t port = listener.port();
  OutputSet set;
  ASSERT_TRUE(set.Add("syslog+tcp://127.0.0.1:" + std::to_string(port) + "?reconnect_max=200ms&facility=local0&hostname=s1",
                      kEventAlert)
                  .ok());
  WriteRange(set, 0, 300);
  ASSERT_TRUE(WaitFor([&] { return OctetCounted(listener.data()).size() == 300; }, kPatience));
  const std::string first = listener.data();
  listener.Stop();
  WriteRange(set, 300, 600);
  ASSERT_TRUE(WaitFor([&] { return !Counters(set).last_error.empty(); }, kPatience));
  StreamListener again(port);  // the same port, now that the first listener is gone
  ASSERT_TRUE(again.Start());
  WriteRange(set, 600, 900);
  set.Stop(std::chrono::seconds(10));
  again.Stop();
  std::vector<int> got;
  for (const std::string& data : {first, again.data()}) {
    for (const std::string& m : OctetCounted(data)) {
      EXPECT_THAT(m, StartsWith("<131>1 "));  // local0 (16*8) + err (3): priority 2
      EXPECT_THAT(m, HasSubstr(" s1 kagami "));
      for (int x : Numbers(m)) got.push_back(x);
    }
  }
  EXPECT_EQ(got, Range(0, 900)) << testing::Difference(got, 0, 900) << "; last error " << Counters(set).last_error;
  EXPECT_EQ(Counters(set).sent, 900u);
  EXPECT_GE(Counters(set).reconnects, 1u);
}

}  // namespace
}  // namespace kagami::output

namespace kagami::output {
namespace {

// rsyslogd, configured in a scratch directory, receives each syslog
// transport and parses the RFC 5424 header itself.
TEST(RsyslogOutputTest, LocalSocketUdpAndTcpReachRsyslogd) {
  if (!HaveProgram("rsyslogd")) GTEST_SKIP() << "rsyslogd is not installed (scripts/install-deps)";
  ScratchDir dir;
  const uint16_t udp = FreePort(SOCK_DGRAM), tcp = FreePort(SOCK_STREAM);
  RsyslogServer rsyslog(dir.path(), udp, tcp);
  ASSERT_TRUE(rsyslog.Start());
  // imudp/imtcp listen a moment after the unix socket appears.
  ASSERT_TRUE(WaitFor([&] {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(tcp);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return up;
  }, kPatience));
  OutputSet set;
  ASSERT_TRUE(set.Add("syslog:" + rsyslog.socket() + "?hostname=local1&facility=local5", kEventAlert).ok());
  ASSERT_TRUE(set.Add("syslog+udp://127.0.0.1:" + std::to_string(udp) + "?hostname=udp1&facility=daemon", kEventAlert).ok());
  ASSERT_TRUE(set.Add("syslog+tcp://127.0.0.1:" + std::to_string(tcp) + "?hostname=tcp1&facility=local0", kEventAlert).ok());
  for (int i = 0; i < 20; ++i) set.Write(Record(i, "alert", 1 + i % 4));
  set.Stop(std::chrono::seconds(5));
  ASSERT_TRUE(WaitFor([&] { return rsyslog.Lines().size() >= 60; }, kPatience)) << rsyslog.Lines().size();
  rsyslog.Stop();
  std::map<std::string, std::vector<int>> by_host;
  for (const std::string& line : rsyslog.Lines()) {
    // PRI|HOSTNAME|APP|MSGID|MSG
    std::vector<std::string> f;
    std::stringstream in(line);
    for (std::string part; f.size() < 4 && std::getline(in, part, '|');) f.push_back(part);
    std::string msg;
    std::getline(in, msg);
    ASSERT_EQ(f.size(), 4u) << line;
    EXPECT_EQ(f[2], "kagami");
    EXPECT_EQ(f[3], "alert");
    const std::vector<int> n = Numbers(msg);
    ASSERT_EQ(n.size(), 1u) << line;
    const int severity = std::vector<int>{2, 3, 4, 5}[n[0] % 4];
    const int facility = f[1] == "local1" ? 21 : f[1] == "udp1" ? 3 : 16;
    EXPECT_EQ(std::stoi(f[0]), facility * 8 + severity) << line;
    EXPECT_EQ(msg.front(), '{');
    by_host[f[1]].push_back(n[0]);
  }
  EXPECT_EQ(by_host["local1"], Range(0, 20));
  EXPECT_EQ(by_host["udp1"], Range(0, 20));
  EXPECT_EQ(by_host["tcp1"], Range(0, 20));
}

}  // namespace
}  // namespace kagami::output
