// The Tick pack's own tests, run through the kagami and kagami-gen binaries:
// every case in rules/packs/tick/tests passes `kagami rules test` with the
// pack's signatures and feed; its captures are what kagami-gen makes from
// cases.txt; every signature and every kind of indicator place has a case
// that fires it; benign traffic (generated, and the real captures in
// ../shared/bench/pcaps) raises no pack alert.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "rapidjson/document.h"
#include "tests/e2e/kagami_process.h"

namespace kagami::testing {
namespace {

namespace fs = std::filesystem;

const std::string kPack = std::string(KAGAMI_SOURCE_DIR) + "/rules/packs/tick";
const std::string kRules = kPack + "/tick-network.rules";
const std::string kFeed = kPack + "/intel/tick-indicators.stix.json";
const std::string kCases = kPack + "/tests";

struct CaseLine {
  std::string name;
  std::vector<std::string> args;
};

std::vector<CaseLine> ReadCaseList() {
  std::vector<CaseLine> out;
  std::istringstream in(ReadFile(kCases + "/cases.txt"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    CaseLine c;
    if (!(words >> c.name) || c.name[0] == '#') continue;
    for (std::string w; words >> w;) c.args.push_back(w);
    out.push_back(std::move(c));
  }
  return out;
}

class TickPackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = ::testing::TempDir() + "kagami-pack-" + info->name() + "-" + std::to_string(getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProcessResult Gen(std::vector<std::string> args) {
    return WaitKagami(StartProgram(KagamiGenBinary(), args, dir_), dir_);
  }
  // `kagami scan` with the pack's signatures and feed, writing the HTTP, DNS
  // and TLS events too (proof the traffic was parsed); returns the EVE text.
  std::string ScanWithPack(const std::string& pcap, ProcessResult* r) {
    const std::string eve = dir_ + "/eve.json";
    fs::remove(eve);  // EVE files are appended to
    *r = RunKagami({"scan", "--quiet", "--rules", kRules, "--intel", kFeed, "--eve", eve, "--eve-types",
                    "alert,http,dns,tls", pcap},
                   dir_);
    return ReadFile(eve);
  }

  std::string dir_;
};

TEST_F(TickPackTest, EveryCasePasses) {
  const std::vector<CaseLine> cases = ReadCaseList();
  ASSERT_GE(cases.size(), 15u);
  ProcessResult r = RunKagami({"rules", "test", "--rules", kRules, "--intel", kFeed, kCases}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(std::to_string(cases.size()) + " passed, 0 failed"), std::string::npos) << r.out;
  // As the README says it: no flags, each case inherits its pack's rules and feeds.
  ProcessResult plain = RunKagami({"rules", "test", kCases}, dir_);
  EXPECT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  EXPECT_NE(plain.out.find(std::to_string(cases.size()) + " passed, 0 failed"), std::string::npos) << plain.out;
}

TEST_F(TickPackTest, CapturesAreWhatTheGeneratorMakes) {
  for (const CaseLine& c : ReadCaseList()) {
    std::vector<std::string> args = c.args;
    args.push_back("-o");
    args.push_back(dir_ + "/" + c.name + ".pcap");
    ProcessResult r = Gen(args);
    ASSERT_EQ(r.exit_code, 0) << c.name << ": " << r.err;
    const std::string made = ReadFile(dir_ + "/" + c.name + ".pcap");
    ASSERT_FALSE(made.empty()) << c.name;
    EXPECT_TRUE(made == ReadFile(kCases + "/" + c.name + "/input.pcap"))
        << c.name << ": the committed capture differs from kagami-gen's; run `make pack-tests`";
  }
}

// The sid of every rule in a rules file ("sid:N;").
std::set<long> RuleSids(const std::string& text) {
  std::set<long> out;
  for (size_t at = text.find("sid:"); at != std::string::npos; at = text.find("sid:", at + 4)) {
    if (at > 0 && text[at - 1] != ' ' && text[at - 1] != ';' && text[at - 1] != '(') continue;
    out.insert(std::strtol(text.c_str() + at + 4, nullptr, 10));
  }
  return out;
}

TEST_F(TickPackTest, EverySignatureHasACaseThatFiresIt) {
  const std::set<long> pack = RuleSids(ReadFile(kRules));
  ASSERT_GE(pack.size(), 15u);
  std::set<long> fired;
  for (const CaseLine& c : ReadCaseList()) {
    rapidjson::Document doc;
    doc.Parse(ReadFile(kCases + "/" + c.name + "/expected.json").c_str());
    ASSERT_FALSE(doc.HasParseError()) << c.name;
    ASSERT_TRUE(doc.HasMember("by_sid") && doc["by_sid"].IsObject()) << c.name;
    for (const auto& m : doc["by_sid"].GetObject()) {
      if (m.value.IsInt() && m.value.GetInt() > 0) fired.insert(std::strtol(m.name.GetString(), nullptr, 10));
    }
  }
  for (long sid : pack) EXPECT_TRUE(fired.count(sid)) << "no case expects sid " << sid << " to fire";
}

// Every place an indicator can be seen, and every indicator type of the
// feed, is hit by some case's capture.
TEST_F(TickPackTest, EveryIndicatorKindHasACaseThatFiresIt) {
  std::set<std::string> seen_in, types;
  for (const CaseLine& c : ReadCaseList()) {
    std::vector<std::string> args = {"scan", "--quiet", "--rules", kRules, "--intel", kFeed, "--eve", dir_ + "/eve.json"};
    if (fs::exists(kCases + "/" + c.name + "/intel")) {
      for (const fs::directory_entry& e : fs::directory_iterator(kCases + "/" + c.name + "/intel")) {
        args.push_back("--intel");
        args.push_back(e.path().string());
      }
    }
    args.push_back(kCases + "/" + c.name + "/input.pcap");
    fs::remove(dir_ + "/eve.json");
    ProcessResult r = RunKagami(args, dir_);
    ASSERT_EQ(r.exit_code, 0) << c.name << ": " << r.err;
    for (const std::string& line : Lines(ReadFile(dir_ + "/eve.json"))) {
      rapidjson::Document doc;
      doc.Parse(line.c_str());
      ASSERT_FALSE(doc.HasParseError()) << line;
      if (!doc.HasMember("alert") || !doc["alert"].HasMember("context") ||
          !doc["alert"]["context"].HasMember("intel")) {
        continue;
      }
      const rapidjson::Value& intel = doc["alert"]["context"]["intel"];
      seen_in.insert(intel["seen_in"].GetString());
      types.insert(intel["type"].GetString());
    }
  }
  for (const char* where : {"ip.dst", "dns.query", "tls.sni", "http.host", "http.url", "http.user_agent",
                            "file.md5", "file.sha1", "file.sha256"})
    EXPECT_TRUE(seen_in.count(where)) << "no case has an indicator seen in " << where;
  for (const char* t : {"ip", "domain", "url", "user_agent", "file_md5", "file_sha1", "file_sha256"})
    EXPECT_TRUE(types.count(t)) << "no case fires an indicator of type " << t;
}

// --no-file-digests: the download's digests are not computed, so only its
// User-Agent signature and indicator fire.
TEST_F(TickPackTest, FileDigestsCanBeTurnedOff) {
  const std::string c = kCases + "/file-digest";
  const std::string eve = dir_ + "/eve.json";
  ProcessResult r = RunKagami({"scan", "--quiet", "--rules", kRules, "--intel", kFeed, "--intel",
                               c + "/intel/generated-download.csv", "--no-file-digests", "--eve", eve,
                               c + "/input.pcap"},
                              dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = ReadFile(eve);
  EXPECT_EQ(text.find("\"seen_in\":\"file."), std::string::npos) << text;
  EXPECT_NE(text.find("\"seen_in\":\"http.user_agent\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"signature_id\":4200002"), std::string::npos) << text;
}

TEST_F(TickPackTest, GeneratedBenignTrafficRaisesNoPackAlert) {
  const std::string pcap = dir_ + "/benign.pcap";
  ProcessResult g = Gen({"--seed", "20261126", "--size", "24MB", "--random-splits", "--ipv6", "0.1", "-o", pcap});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  ProcessResult r;
  const std::string eve = ScanWithPack(pcap, &r);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(eve.find("\"event_type\":\"alert\""), std::string::npos) << eve.substr(0, 2000);
  for (const char* type : {"http", "dns", "tls"})
    EXPECT_NE(eve.find(std::string("\"event_type\":\"") + type + "\""), std::string::npos) << type;
}

TEST_F(TickPackTest, RealCapturesRaiseNoPackAlert) {
  const std::string dir = std::string(KAGAMI_SOURCE_DIR) + "/../shared/bench/pcaps";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " is not here";
  std::vector<std::string> pcaps;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) pcaps.push_back(e.path().string());
  std::sort(pcaps.begin(), pcaps.end());
  ASSERT_FALSE(pcaps.empty());
  for (const std::string& pcap : pcaps) {
    ProcessResult r;
    const std::string eve = ScanWithPack(pcap, &r);
    EXPECT_EQ(r.exit_code, 0) << pcap << ": " << r.err;
    EXPECT_EQ(eve.find("\"event_type\":\"alert\""), std::string::npos) << pcap << "\n" << eve.substr(0, 2000);
  }
}

}  // namespace
}  // namespace kagami::testing
