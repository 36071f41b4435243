// End-to-end: the Hyperscan cache as a user meets it. `rules check --timing`
// says what was loaded, compiled and written; a warm cache gives the same
// alerts as no cache; a damaged cache file is a warning, never a failure,
// and is rewritten.
#include <dirent.h>

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/kagami_process.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class CacheE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-cache-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    cache_ = dir_ + "/cache";
    rules_ = dir_ + "/test.rules";
    std::ofstream(rules_) << "alert tcp any any -> any any (msg:\"GET seen\"; content:\"GET \"; sid:1;)\n"
                             "alert udp any 53 -> any any (msg:\"dns reply\"; content:\"|81 80|\"; sid:2;)\n"
                             "alert http any any -> any any (msg:\"ua\"; http.user_agent; content:\"Mozilla\"; sid:3;)\n";
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string TimingLine(const ProcessResult& r, const std::string& prefix) {
    for (const std::string& line : Lines(r.out)) {
      if (line.rfind(prefix, 0) == 0) return line;
    }
    return "";
  }

  std::vector<std::string> CacheFiles() {
    std::vector<std::string> out;
    if (DIR* d = opendir(cache_.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.size() > 5 && name.substr(name.size() - 5) == ".hsdb") out.push_back(cache_ + "/" + name);
      }
      closedir(d);
    }
    return out;
  }

  std::string dir_, cache_, rules_;
};

TEST_F(CacheE2eTest, RulesCheckTimingReportsColdThenWarm) {
  ProcessResult cold = RunKagami({"rules", "check", "--timing", "--cache-dir", cache_, rules_}, dir_);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_THAT(TimingLine(cold, "timing:"),
              MatchesRegex("timing: parse [0-9.]+ s, compile [0-9.]+ s \\(Hyperscan [0-9.]+ s, [0-9]+ databases\\)"));
  const size_t files = CacheFiles().size();
  ASSERT_GT(files, 0u);
  const std::string n = std::to_string(files);
  EXPECT_THAT(TimingLine(cold, "cache:"), HasSubstr(cache_ + ": 0 loaded, " + n + " compiled, 0 rejected, " + n + " written"));

  ProcessResult warm = RunKagami({"rules", "check", "--timing", "--cache-dir", cache_, rules_}, dir_);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_THAT(TimingLine(warm, "cache:"), HasSubstr(": " + n + " loaded, 0 compiled, 0 rejected, 0 written"));
  EXPECT_EQ(warm.err, "");

  ProcessResult off = RunKagami({"rules", "check", "--timing", "--no-cache", rules_}, dir_);
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(TimingLine(off, "cache:"), "cache: off");
}

TEST_F(CacheE2eTest, DamagedEntryWarnsIsRewrittenAndAlertsAreUnchanged) {
  const std::string pcap = std::string(KAGAMI_SOURCE_DIR) + "/../shared/bench/pcaps/elcab_aug_16_par4.pcap";
  if (access(pcap.c_str(), R_OK) != 0) GTEST_SKIP() << "no " << pcap;
  auto scan = [&](const std::vector<std::string>& cache_args, const std::string& eve) {
    std::vector<std::string> args = {"scan", "-q", "--workers", "1", "--rules", rules_, "--eve-types", "alert",
                                     "--eve", eve};
    args.insert(args.end(), cache_args.begin(), cache_args.end());
    args.push_back(pcap);
    return RunKagami(args, dir_);
  };
  ProcessResult none = scan({"--no-cache"}, dir_ + "/none.json");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  const std::string reference = ReadFile(dir_ + "/none.json");
  ASSERT_THAT(reference, HasSubstr("\"signature_id\":1,"));
  EXPECT_TRUE(CacheFiles().empty());

  ProcessResult cold = scan({"--cache-dir", cache_}, dir_ + "/cold.json");
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(ReadFile(dir_ + "/cold.json"), reference);
  const std::vector<std::string> files = CacheFiles();
  ASSERT_FALSE(files.empty());

  // Truncate one entry: a warning naming it, the same alerts, and the
  // entry whole again afterwards.
  const std::string victim = files[0];
  const std::string whole = ReadFile(victim);
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() / 3);
  ProcessResult damaged = scan({"--cache-dir", cache_}, dir_ + "/damaged.json");
  ASSERT_EQ(damaged.exit_code, 0) << damaged.err;
  EXPECT_THAT(damaged.err, HasSubstr("kagami: warning: hyperscan cache: " + victim));
  EXPECT_THAT(damaged.err, HasSubstr("ignored, compiling and rewriting it"));
  EXPECT_EQ(ReadFile(dir_ + "/damaged.json"), reference);
  EXPECT_EQ(ReadFile(victim), whole);

  ProcessResult warm = scan({"--cache-dir", cache_}, dir_ + "/warm.json");
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(warm.err, "");
  EXPECT_EQ(ReadFile(dir_ + "/warm.json"), reference);
}

}  // namespace
}  // namespace kagami::testing
