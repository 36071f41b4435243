// End-to-end: an archive shared by several `kagami scan --jobs` workers on
// a real redis-server. One worker is killed mid-job and another is frozen
// mid-job past the job timeout: every capture is still scanned into the
// Redis output exactly once, and the records equal single-process scans.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/support/peers.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

class JobsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveProgram("redis-server") || !HaveProgram("redis-cli")) GTEST_SKIP() << "redis is not installed";
  }
  std::string Cli(const std::string& args) { return ShellOutput("redis-cli -s '" + redis_->socket() + "' " + args); }
  // Whether worker `pid` holds a job now (it is in the group's pending list).
  bool Holds(pid_t pid) {
    const std::string pending = Cli("XPENDING jobs kagami - + 100");
    return pending.find(":" + std::to_string(pid) + "\n") != std::string::npos;
  }
  // Freezes `pid` at a moment it holds a job; false if none came.
  bool FreezeMidJob(pid_t pid) {
    for (int i = 0; i < 500; ++i) {
      ::kill(pid, SIGSTOP);
      if (Holds(pid)) return true;
      ::kill(pid, SIGCONT);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  ScratchDir dir_;
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(JobsE2eTest, KilledAndFrozenWorkersStillScanEachCaptureOnce) {
  redis_ = std::make_unique<RedisServer>(dir_.path());
  ASSERT_TRUE(redis_->Start());
  // Captures with C2 the shipped packs detect among benign traffic; the
  // first two are large, so a worker holds each for a while.
  std::vector<std::string> captures;
  std::vector<std::string> reference;
  for (int i = 0; i < 10; ++i) {
    const std::string path = dir_ / ("c" + std::to_string(i) + ".pcap");
    ProcessResult g = WaitKagami(StartProgram(KagamiGenBinary(), {"--seed", std::to_string(i + 1), "--size",
                                                                  i < 2 ? "64MiB" : "4MiB", "--inject", "datper:4",
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
  ASSERT_GE(reference.size(), 10u);
  const std::string url = "redis+unix://" + redis_->socket() + "?key=jobs";
  auto submit = [&](size_t from, size_t to) {
    std::vector<std::string> args = {"jobs", "submit", "--jobs", url};
    args.insert(args.end(), captures.begin() + from, captures.begin() + to);
    ProcessResult s = RunKagami(args, dir_.path());
    ASSERT_EQ(s.exit_code, 0) << s.err;
  };
  const std::vector<std::string> worker_args = {
      "scan",          "--jobs",           url, "--job-timeout", "1", "--exit-when-idle", "--workers", "1",
      "--output",      "redis+unix://" + redis_->socket() + "?mode=rpush&key=alerts"};
  std::vector<std::string> dirs;
  std::vector<pid_t> pids;
  auto start = [&] {
    dirs.push_back(dir_ / ("w" + std::to_string(dirs.size())));
    std::filesystem::create_directories(dirs.back());
    pids.push_back(StartKagami(worker_args, dirs.back()));
    ASSERT_GT(pids.back(), 0);
  };
  // Worker 0 takes the first large capture and dies holding it.
  submit(0, 1);
  start();
  ASSERT_TRUE(FreezeMidJob(pids[0]));
  ::kill(pids[0], SIGKILL);
  ProcessResult killed = WaitKagami(pids[0], dirs[0]);
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
  // Worker 1 takes the second and is frozen holding it.
  submit(1, 2);
  start();
  ASSERT_TRUE(FreezeMidJob(pids[1]));
  // Worker 2 does the rest, both large ones included once their workers
  // have been quiet for the job timeout.
  submit(2, captures.size());
  start();
  ProcessResult finisher = WaitKagami(pids[2], dirs[2]);
  EXPECT_EQ(finisher.exit_code, 0) << finisher.err;
  EXPECT_THAT(finisher.err, HasSubstr("10 jobs done, 0 failed"));
  // Thawed, worker 1 finishes its scan and finds the job is not its own.
  ::kill(pids[1], SIGCONT);
  ProcessResult thawed = WaitKagami(pids[1], dirs[1]);
  EXPECT_EQ(thawed.exit_code, 0) << thawed.err;
  EXPECT_THAT(thawed.err, HasSubstr("taken over by another worker; its result stands"));

  // Every record once: the Redis list equals the single-process scans.
  const std::vector<std::string> got = Lines(Cli("--raw LRANGE alerts 0 -1"));
  EXPECT_EQ(got.size(), reference.size());
  EXPECT_EQ(Sorted(got), Sorted(reference));
  ProcessResult st = RunKagami({"jobs", "status", "--jobs", url}, dir_.path());
  EXPECT_EQ(st.exit_code, 0);
  EXPECT_THAT(st.out, HasSubstr("jobs: 10 submitted, 10 done, 0 failed, 0 running, 0 waiting"));
}

TEST_F(JobsE2eTest, FailedJobsAreCountedAndNamed) {
  redis_ = std::make_unique<RedisServer>(dir_.path());
  ASSERT_TRUE(redis_->Start());
  const std::string url = "redis+unix://" + redis_->socket() + "?key=jobs";
  const std::string junk = dir_ / "junk.pcap";
  std::ofstream(junk) << "not a capture";
  ASSERT_EQ(RunKagami({"jobs", "submit", "--jobs", url, junk,
                       std::string(KAGAMI_SOURCE_DIR) + "/demo/tick-demo.pcap"},
                      dir_.path())
                .exit_code,
            0);
  ProcessResult w = RunKagami({"scan", "--jobs", url, "--exit-when-idle", "--eve", dir_ / "eve.json"}, dir_.path());
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_THAT(w.err, HasSubstr("1 jobs done, 1 failed, 0 taken over by others"));
  EXPECT_FALSE(AlertSids(ReadFile(dir_ / "eve.json")).empty()) << "a file output gets the job's records too";
  ProcessResult st = RunKagami({"jobs", "status", "--jobs", url}, dir_.path());
  EXPECT_THAT(st.out, HasSubstr("jobs: 2 submitted, 1 done, 1 failed, 0 running, 0 waiting"));
  EXPECT_THAT(st.out, HasSubstr(junk + ": not a pcap or pcapng file"));
  ProcessResult bad = RunKagami({"scan", "--jobs", "redis+unix://" + redis_->socket()}, dir_.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("needs ?key=STREAM"));
}

}  // namespace
}  // namespace kagami::testing
