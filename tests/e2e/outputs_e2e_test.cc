// End-to-end: `kagami scan` with several --output URLs at once (a file, a
// filtered file, Redis started by the test), the run's summary and exit
// status when an output loses records, and URL errors with their column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/e2e/kagami_process.h"
#include "tests/support/peers.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;

class OutputsE2eTest : public ::testing::Test {
 protected:
  std::string Demo() const { return std::string(KAGAMI_SOURCE_DIR) + "/demo/tick-demo.pcap"; }
  ScratchDir dir_;
};

// The lines of a Redis list, read with redis-cli, oldest first (RPUSH).
std::string RedisList(const std::string& socket, const std::string& key) {
  return ShellOutput("redis-cli -s '" + socket + "' --raw LRANGE " + key + " 0 -1");
}

TEST_F(OutputsE2eTest, SeveralOutputsEachWithItsTypes) {
  if (!HaveProgram("redis-server") || !HaveProgram("redis-cli")) GTEST_SKIP() << "redis is not installed";
  RedisServer redis(dir_.path());
  ASSERT_TRUE(redis.Start());
  const std::string eve = dir_ / "eve.json", dns = dir_ / "dns.json";
  ProcessResult r = RunKagami({"scan", "--workers", "2", "--eve-types", "alert,dns", "--eve", eve, "--output",
                               "redis+unix://" + redis.socket() + "?mode=rpush&key=alerts&types=alert&name=soc",
                               "--output", "file:" + dns + "?types=dns", Demo()},
                              dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string all = ReadFile(eve);
  const std::vector<long> sids = AlertSids(all);
  ASSERT_FALSE(sids.empty());
  // Redis has the alerts, as the file does; the filtered file only dns.
  EXPECT_EQ(AlertSids(RedisList(redis.socket(), "alerts")), sids);
  const std::string only_dns = ReadFile(dns);
  EXPECT_FALSE(only_dns.empty());
  for (const std::string& line : Lines(only_dns)) EXPECT_THAT(line, HasSubstr("\"event_type\":\"dns\""));
  EXPECT_EQ(Lines(all).size(), sids.size() + Lines(only_dns).size());
  EXPECT_THAT(r.err, ::testing::ContainsRegex("\noutput soc \\(redis [^)]*\\): " + std::to_string(sids.size()) + " records sent\n"));
  EXPECT_EQ(ValidateEve(dns), 0);
}

// A disk that fills up mid-run (a file-size limit, as a small tmpfs would):
// the records that fit stay whole, the first one that does not is cut back
// off, the error is said with the path, the loss is counted and the exit
// status is 1.
TEST_F(OutputsE2eTest, AFullDiskKeepsWholeRecordsAndFailsTheRun) {
  const std::string eve = dir_ / "eve.json";
  constexpr rlim_t kLimit = 16 * 1024;
  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit small = old;
  small.rlim_cur = kLimit;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  ProcessResult r = RunKagami({"scan", "--workers", "1", "--eve-types", "alert,http,dns,tls", "--eve", eve, Demo()},
                              dir_.path());
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot write " + eve + ": File too large"));
  const std::string text = ReadFile(eve);
  ASSERT_FALSE(text.empty());
  EXPECT_LE(text.size(), kLimit);
  EXPECT_EQ(text.back(), '\n');  // nothing torn
  const size_t kept = Lines(text).size();
  EXPECT_EQ(ValidateEve(eve), 0);
  EXPECT_THAT(r.err, HasSubstr("output eve (file " + eve + "): " + std::to_string(kept) + " records sent, "));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("output eve \\(file [^)]*\\) dropped [0-9]+ records"));
}

TEST_F(OutputsE2eTest, DevFullFailsTheRun) {
  ProcessResult r = RunKagami({"scan", "--workers", "1", "--eve", "/dev/full", Demo()}, dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cannot write /dev/full: No space left on device"));
  EXPECT_THAT(r.err, HasSubstr("output eve (file /dev/full): 0 records sent, "));
}

TEST_F(OutputsE2eTest, LostRecordsAreReportedAndFailTheRun) {
  ProcessResult r = RunKagami({"scan", "--workers", "1", "--output", "unix-stream:" + (dir_ / "nobody.sock"), Demo()},
                              dir_.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("output unix-stream (unix-stream " + (dir_ / "nobody.sock") + ") dropped "));
  EXPECT_THAT(r.err, HasSubstr("last error: cannot connect to " + (dir_ / "nobody.sock")));
}

TEST_F(OutputsE2eTest, BadUrlsNameTheColumn) {
  ProcessResult r = RunKagami({"scan", "--output", "redis://localhost:70000", Demo()}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("output 'redis://localhost:70000': column 19: port: expected 1 to 65535"));
  ProcessResult t = RunKagami({"scan", "--output", "file:x.json?types=alert,flows", Demo()}, dir_.path());
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_THAT(t.err, HasSubstr("column 13: types: unknown event type 'flows'"));
}

TEST_F(OutputsE2eTest, ConfigFileListsOutputs) {
  const std::string good = dir_ / "good.yaml", bad = dir_ / "bad.yaml";
  std::ofstream(good) << "eve: " << (dir_ / "e.json") << "\noutput:\n  - redis://localhost?mode=stream\n"
                      << "  - syslog+tcp://127.0.0.1:514?types=alert\n";
  std::ofstream(bad) << "output:\n  - redis://localhost?mode=stream\n  - syslog+tcp://h:70000\n";
  ProcessResult ok = RunKagami({"live", "--config", good, "-i", "lo", "--check-config"}, dir_.path());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.err, HasSubstr("configuration OK"));
  ProcessResult no = RunKagami({"live", "--config", bad, "-i", "lo", "--check-config"}, dir_.path());
  EXPECT_EQ(no.exit_code, 2);
  EXPECT_THAT(no.err, HasSubstr("output 'syslog+tcp://h:70000': column 16: port: expected 1 to 65535"));
}

}  // namespace
}  // namespace kagami::testing
