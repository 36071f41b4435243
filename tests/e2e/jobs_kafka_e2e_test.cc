// End-to-end: an archive shared by several `kagami scan --jobs kafka://...`
// workers through a consumer group on librdkafka's mock cluster (running in
// this test process, reached over loopback TCP). One worker is killed
// mid-job and another frozen mid-job past the session timeout: every
// capture is still scanned into the Kafka output once, and the records
// equal single-process scans.
//
// What librdkafka 2.0.2's mock lacks shapes the test (tests/jobs/kafka_mock.h
// lists it): it keeps no offset committed in a transaction, so a partition
// that changes owner restarts from its earliest job; the job topic has one
// partition and each takeover happens during the first job a worker took,
// before anything was committed, as it then must on a real cluster too. It
// checks no generation, so the refusal a broker gives the thawed worker
// (ILLEGAL_GENERATION) is pushed by the test. And as its committed offsets
// never move, workers never find the archive idle: the test stops them
// once the status topic shows every job done.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/jobs/kafka_mock.h"
#include "tests/support/peers.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kTxnOffsetCommit = 28;  // librdkafka's protocol number

std::vector<std::string> Sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

class JobsKafkaE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(mock_.ok());
    ASSERT_TRUE(mock_.CreateTopic("jobs", 1));
    ASSERT_TRUE(mock_.CreateTopic("jobs.status", 1));
    ASSERT_TRUE(mock_.CreateTopic("eve", 3));
    url_ = "kafka://" + mock_.bootstraps() + "/jobs";
  }
  // Whether `pid` has `path` mapped or open: it is scanning that capture.
  static bool Scanning(pid_t pid, const std::string& path) {
    const std::string proc = "/proc/" + std::to_string(pid);
    for (const std::string& line : Lines(ReadFile(proc + "/maps"))) {
      if (line.size() > path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0) return true;
    }
    DIR* d = ::opendir((proc + "/fd").c_str());
    if (d == nullptr) return false;
    bool found = false;
    while (dirent* e = ::readdir(d)) {
      char target[4096];
      const ssize_t n = ::readlink((proc + "/fd/" + e->d_name).c_str(), target, sizeof target - 1);
      if (n > 0 && std::string(target, static_cast<size_t>(n)) == path) found = true;
    }
    ::closedir(d);
    return found;
  }
  // Stops `pid` at a moment it scans `path`; false if it never did.
  static bool FreezeWhileScanning(pid_t pid, const std::string& path) {
    for (int i = 0; i < 6000; ++i) {
      ::kill(pid, SIGSTOP);
      if (Scanning(pid, path)) return true;
      ::kill(pid, SIGCONT);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  size_t Finished() {
    size_t n = 0;
    for (const KafkaRecord& r : mock_.ReadAll("jobs.status", 1)) n += r.state == "done" || r.state == "failed";
    return n;
  }

  ScratchDir dir_;
  KafkaMock mock_;
  std::string url_;
};

TEST_F(JobsKafkaE2eTest, KilledAndFrozenWorkersStillScanEachCaptureOnce) {
  // Captures with C2 the shipped packs detect among benign traffic; the
  // first is larger, so a worker holds it for a while.
  std::vector<std::string> captures;
  std::vector<std::string> reference;
  for (int i = 0; i < 6; ++i) {
    const std::string path = dir_ / ("c" + std::to_string(i) + ".pcap");
    ProcessResult g = WaitKagami(StartProgram(KagamiGenBinary(), {"--seed", std::to_string(i + 1), "--size",
                                                                  i == 0 ? "32MiB" : "4MiB", "--inject", "datper:4",
                                                                  "--inject", "xxmm:2", "-o", path},
                                              dir_.path()),
                                 dir_.path());
    ASSERT_EQ(g.exit_code, 0) << g.err;
    captures.push_back(path);
    // One capture, one process: what a job must deliver.
    const std::string eve = dir_ / ("ref" + std::to_string(i) + ".json");
    ProcessResult r = RunKagami({"scan", "-q", "--workers", "1", "--eve", eve, path}, dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const std::string& line : Lines(ReadFile(eve))) reference.push_back(line);
  }
  ASSERT_GE(reference.size(), 6u);
  std::vector<std::string> submit = {"jobs", "submit", "--jobs", url_};
  submit.insert(submit.end(), captures.begin(), captures.end());
  ProcessResult s = RunKagami(submit, dir_.path());
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("jobs/0/0 " + captures[0] + "\n"));
  EXPECT_THAT(s.err, HasSubstr("6 jobs submitted to job queue kafka "));

  const std::vector<std::string> worker_args = {"scan",   "--jobs",          url_, "--job-timeout", "6", "--workers",
                                                "1",      "--output",        "kafka://" + mock_.bootstraps() + "/eve"};
  std::vector<std::string> dirs;
  std::vector<pid_t> pids;
  auto start = [&] {
    dirs.push_back(dir_ / ("w" + std::to_string(dirs.size())));
    std::filesystem::create_directories(dirs.back());
    pids.push_back(StartKagami(worker_args, dirs.back()));
    ASSERT_GT(pids.back(), 0);
  };
  // Worker 0 takes the first capture and dies scanning it.
  start();
  ASSERT_TRUE(FreezeWhileScanning(pids[0], captures[0]));
  ::kill(pids[0], SIGKILL);
  ProcessResult killed = WaitKagami(pids[0], dirs[0]);
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
  // Worker 1 gets the partition once worker 0's session timed out, takes
  // the same capture again and is frozen scanning it.
  start();
  ASSERT_TRUE(FreezeWhileScanning(pids[1], captures[0]));
  // Worker 2 gets the partition once worker 1's session timed out and
  // does every job.
  start();
  ASSERT_TRUE(WaitFor([&] { return Finished() >= captures.size(); }, std::chrono::seconds(180)));
  // Thawed, worker 1 finishes its scan and is refused the commit.
  mock_.PushErrors(kTxnOffsetCommit, 1, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION);
  ::kill(pids[1], SIGCONT);
  ASSERT_TRUE(WaitFor([&] { return ReadFile(dirs[1] + "/stderr").find("taken over") != std::string::npos; },
                      std::chrono::seconds(60)))
      << ReadFile(dirs[1] + "/stderr");
  // Before the group gives anyone the partition again (the mock would
  // restart it from its first job: it kept no committed offset).
  ::kill(pids[1], SIGTERM);
  ::kill(pids[2], SIGTERM);
  ProcessResult thawed = WaitKagami(pids[1], dirs[1]);
  ProcessResult finisher = WaitKagami(pids[2], dirs[2]);
  EXPECT_EQ(thawed.exit_code, 0) << thawed.err;
  EXPECT_THAT(thawed.err, HasSubstr("taken over by another worker; its result stands"));
  EXPECT_THAT(thawed.err, HasSubstr("0 jobs done, 0 failed, 1 taken over by others"));
  EXPECT_EQ(finisher.exit_code, 0) << finisher.err;
  EXPECT_THAT(finisher.err, HasSubstr("6 jobs done, 0 failed"));

  // Every record once: what a read_committed reader gets equals the
  // single-process scans.
  std::vector<std::string> got;
  for (const KafkaRecord& r : mock_.ReadAll("eve", 3)) got.push_back(r.value);
  EXPECT_EQ(got.size(), reference.size());
  EXPECT_EQ(Sorted(got), Sorted(reference));
  ProcessResult st = RunKagami({"jobs", "status", "--jobs", url_}, dir_.path());
  EXPECT_EQ(st.exit_code, 0) << st.err;
  EXPECT_THAT(st.out, HasSubstr("jobs: 6 submitted, 6 done, 0 failed"));
  EXPECT_THAT(st.out, HasSubstr(":" + std::to_string(pids[2]) + ": 6 done, 0 failed, 0 running"));
}

TEST_F(JobsKafkaE2eTest, FailedJobsAreCountedAndNamed) {
  const std::string junk = dir_ / "junk.pcap";
  std::ofstream(junk) << "not a capture";
  ASSERT_EQ(RunKagami({"jobs", "submit", "--jobs", url_, junk,
                       std::string(KAGAMI_SOURCE_DIR) + "/demo/tick-demo.pcap"},
                      dir_.path())
                .exit_code,
            0);
  const std::string wdir = dir_ / "w";
  std::filesystem::create_directories(wdir);
  const pid_t w = StartKagami({"scan", "--jobs", url_, "--job-timeout", "6", "--eve", dir_ / "eve.json"}, wdir);
  ASSERT_GT(w, 0);
  const bool finished = WaitFor([&] { return Finished() >= 2; }, std::chrono::seconds(60));
  ::kill(w, SIGTERM);
  ProcessResult r = WaitKagami(w, wdir);
  ASSERT_TRUE(finished) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("1 jobs done, 1 failed, 0 taken over by others"));
  EXPECT_FALSE(AlertSids(ReadFile(dir_ / "eve.json")).empty()) << "a file output gets the job's records too";
  ProcessResult st = RunKagami({"jobs", "status", "--jobs", url_}, dir_.path());
  EXPECT_THAT(st.out, HasSubstr("jobs: 2 submitted, 1 done, 1 failed, 0 running"));
  EXPECT_THAT(st.out, HasSubstr("jobs/0/0 " + junk + ": not a pcap or pcapng file"));
  ProcessResult bad = RunKagami({"scan", "--jobs", url_ + "?key=x"}, dir_.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("column"));
  EXPECT_THAT(bad.err, HasSubstr("unknown parameter 'key' for a kafka job queue"));
}

}  // namespace
}  // namespace kagami::testing
