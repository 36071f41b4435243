// End-to-end: `kagami scan --workers N` on the bench captures writes the same
// EVE file, byte for byte, and reports the same counts for every N, with the
// ET Open rules (whose thresholds count across flows) and a large indicator
// feed whose values occur in the traffic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "tests/e2e/kagami_process.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;

// Sanitizer builds run each pass ten times slower: they check the same
// paths on the smaller rule file and feed, and fewer worker counts.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

class WorkersE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shared_ = std::string(KAGAMI_SOURCE_DIR) + "/../shared/bench";
    if (access((shared_ + "/pcaps").c_str(), R_OK) != 0) GTEST_SKIP() << "no " << shared_ << "/pcaps";
    std::string tmpl = ::testing::TempDir() + "kagami-workers-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  // Distinct values of a string field ("hostname", "rrname", ...) in EVE text.
  static void Collect(const std::string& eve, const std::string& key, std::set<std::string>& out, size_t max) {
    const std::string k = "\"" + key + "\":\"";
    for (size_t at = eve.find(k); at != std::string::npos && out.size() < max; at = eve.find(k, at + 1)) {
      const size_t from = at + k.size(), to = eve.find('"', from);
      if (to != std::string::npos && to > from) out.insert(eve.substr(from, to - from));
    }
  }

  // A CSV feed: `filler` synthetic domains no traffic has, plus names and
  // addresses the bench captures do contain (from a scan with no rules).
  std::string MakeFeed(size_t filler) {
    const std::string empty = dir_ + "/empty.rules";
    std::ofstream(empty) << "";
    const std::string seen = dir_ + "/seen.json";
    ProcessResult r = RunKagami({"scan", "--workers", "1", "--rules", empty, "--eve-types", "dns,http,tls", "--eve",
                                 seen, "-q", shared_ + "/pcaps"},
                                dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string text = ReadFile(seen);
    std::set<std::string> names, addresses;
    Collect(text, "rrname", names, 150);
    Collect(text, "hostname", names, 300);
    Collect(text, "dest_ip", addresses, 100);
    EXPECT_GT(names.size(), 50u);
    const std::string path = dir_ + "/feed.csv";
    std::ofstream feed(path);
    feed << "type,value,campaign\n";
    for (size_t i = 0; i < filler; ++i) feed << "domain,h" << i << ".feed-filler.invalid,Filler\n";
    for (const std::string& n : names) {
      if (n.find_first_of(",\"\\") == std::string::npos) feed << "domain," << n << ",Seen\n";
    }
    for (const std::string& a : addresses) feed << "ip," << a << ",Seen\n";
    return path;
  }

  std::string shared_, dir_;
};

// The summary without its lines that may differ: the timing line and the
// workers lines.
std::string Counts(const std::string& err) {
  std::string out;
  for (const std::string& line : Lines(err)) {
    // The headline has times, worker lines per-worker shares, output lines the file names.
    if (line.rfind("kagami: scanned", 0) == 0 || line.rfind("worker", 0) == 0 || line.rfind("output ", 0) == 0) {
      continue;
    }
    out += line + "\n";
  }
  return out;
}

TEST_F(WorkersE2eTest, BenchCapturesGiveTheSameEveForAnyWorkerCount) {
  const std::string rules = shared_ + (kSanitized ? "/rules/et-common.rules" : "/rules/et-open.rules");
  const std::string feed = MakeFeed(kSanitized ? 100'000 : 1'000'000);
  std::string reference_eve, reference_counts;
  const std::vector<int> counts = kSanitized ? std::vector<int>{1, 2} : std::vector<int>{1, 2, 4};
  for (int n : counts) {
    SCOPED_TRACE("workers " + std::to_string(n));
    const std::string eve = dir_ + "/eve-" + std::to_string(n) + ".json";
    ProcessResult r = RunKagami({"scan", "--workers", std::to_string(n), "--rules", rules, "--intel", feed,
                                 "--allow-rule-errors",
                                 "--eve-types", "alert,http,dns,tls", "--eve", eve, shared_ + "/pcaps"},
                                dir_);
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    if (n > 1) {
      EXPECT_THAT(r.err, HasSubstr("workers: " + std::to_string(n) + " workers, "));
      EXPECT_THAT(r.err, ::testing::ContainsRegex("\nworker " + std::to_string(n) + ": [0-9,]+ packets, [0-9,]+ flows"));
    }
    const std::string text = ReadFile(eve);
    if (reference_eve.empty()) {
      reference_eve = text;
      reference_counts = Counts(r.err);
      // Rules, thresholds and indicators all fire on these captures.
      EXPECT_GT(AlertSids(text).size(), 100u);
      EXPECT_THAT(text, HasSubstr("\"gid\":9000"));
      EXPECT_THAT(reference_counts, HasSubstr("flows:"));
      continue;
    }
    EXPECT_EQ(Counts(r.err), reference_counts);
    EXPECT_TRUE(text == reference_eve) << "EVE differs from --workers 1 (" << text.size() << " vs "
                                       << reference_eve.size() << " bytes)";
  }
}

// The stats record of a scan: one at the end, valid under Suricata's schema,
// with the packet count the summary gives and the same counts for any N
// (memory in use apart: each worker's table and pool has its own overhead).
TEST_F(WorkersE2eTest, StatsRecordAgreesWithTheSummaryForAnyWorkerCount) {
  const std::string pcap = shared_ + "/pcaps/elcab_aug_16_par4.pcap";
  std::string reference;
  for (int n : {1, 2}) {
    SCOPED_TRACE("workers " + std::to_string(n));
    const std::string eve = dir_ + "/stats-" + std::to_string(n) + ".json";
    ProcessResult r = RunKagami({"scan", "--workers", std::to_string(n), "--eve-types", "alert,stats", "--eve", eve,
                                 pcap},
                                dir_);
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    std::vector<std::string> records;
    for (const std::string& line : Lines(ReadFile(eve))) {
      if (line.find("\"event_type\":\"stats\"") != std::string::npos) records.push_back(line);
    }
    ASSERT_EQ(records.size(), 1u);
    EXPECT_THAT(r.err, HasSubstr("7,645 packets"));
    EXPECT_THAT(records[0], HasSubstr("\"decoder\":{\"pkts\":7645,"));
    EXPECT_THAT(records[0], HasSubstr("\"app_layer\":{\"flow\":{\"http\":79,"));
    // Everything from the decoder group on, with flow.memuse and
    // tcp.reassembly_memuse (per worker pools) cut out.
    std::string counts = records[0].substr(records[0].find("\"decoder\""));
    for (const char* gauge : {"\"memuse\":", "\"reassembly_memuse\":"}) {
      const size_t at = counts.find(gauge);
      ASSERT_NE(at, std::string::npos) << gauge;
      counts.erase(at, counts.find(',', at) + 1 - at);
    }
    if (reference.empty()) reference = counts;
    EXPECT_EQ(counts, reference);
    const int valid = ValidateEve(eve);
    if (valid != -1) {
      EXPECT_EQ(valid, 0);
    }
  }
}

TEST_F(WorkersE2eTest, RejectsANegativeWorkerCount) {
  ProcessResult r = RunKagami({"scan", "--workers", "-1", shared_ + "/pcaps"}, dir_);
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace kagami::testing
