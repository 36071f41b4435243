// End-to-end: `kagami scan --output fast:FILE` (Suricata fast.log lines)
// next to the EVE log of the same run, and `fast:-` on standard output as
// `make demo` uses it. TZ is UTC for the child, so the fast.log times (local,
// as Suricata writes them) can be read off the EVE timestamps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/support/peers.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;

// The value of the first "KEY": in an EVE line, quotes stripped ("" when
// the line has none). Enough for the fields here: their first occurrence is
// the record's own (addresses come before any nested object).
std::string Field(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  size_t start = at + key.size() + 3;
  size_t end = 0;
  if (line[start] == '"') {
    end = line.find('"', ++start);
  } else {
    end = line.find_first_of(",}", start);
  }
  return line.substr(start, end - start);
}

// What the fast line of an EVE alert must hold, built from the EVE fields
// alone: "MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [G:S:R] " and
// "{PROTO} SRC:SPORT -> DST:DPORT".
struct Expected {
  std::string head, tail;
};

Expected ExpectedOf(const std::string& eve) {
  const std::string ts = Field(eve, "timestamp");  // 2023-11-14T22:13:20.014276+0000
  Expected e;
  e.head = ts.substr(5, 2) + "/" + ts.substr(8, 2) + "/" + ts.substr(0, 4) + "-" + ts.substr(11, 15) + "  " +
           (Field(eve, "action") == "blocked" ? "[wDrop] " : "") + "[**] [" + Field(eve, "gid") + ":" +
           Field(eve, "signature_id") + ":" + Field(eve, "rev") + "] ";
  const std::string proto = Field(eve, "proto");
  const bool icmp = proto == "ICMP" || proto == "IPv6-ICMP";
  auto port = [&](const char* port_key, const char* icmp_key) {
    const std::string v = Field(eve, icmp ? icmp_key : port_key);
    return v.empty() ? "0" : v;
  };
  e.tail = "{" + proto + "} " + Field(eve, "src_ip") + ":" + port("src_port", "icmp_type") + " -> " +
           Field(eve, "dest_ip") + ":" + port("dest_port", "icmp_code");
  return e;
}

class FastOutputE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
    setenv("TZ", "UTC0", 1);  // inherited by kagami
  }
  void TearDown() override {
    if (saved_tz_.empty()) {
      unsetenv("TZ");
    } else {
      setenv("TZ", saved_tz_.c_str(), 1);
    }
  }
  std::string Demo() const { return std::string(KAGAMI_SOURCE_DIR) + "/demo/tick-demo.pcap"; }
  ScratchDir dir_;
  std::string saved_tz_;
};

TEST_F(FastOutputE2eTest, OneLinePerAlertMatchingTheEveLog) {
  const std::string fast = dir_ / "fast.log", eve = dir_ / "eve.json";
  ProcessResult r = RunKagami({"scan", "--workers", "2", "--eve-types", "alert,dns,http,tls", "--eve", eve,
                               "--output", "fast:" + fast, Demo()},
                              dir_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> alerts;
  for (const std::string& line : Lines(ReadFile(eve))) {
    if (line.find("\"event_type\":\"alert\"") != std::string::npos) alerts.push_back(line);
  }
  ASSERT_FALSE(alerts.empty());
  const std::string text = ReadFile(fast);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const std::vector<std::string> lines = Lines(text);
  ASSERT_EQ(lines.size(), alerts.size()) << text;
  for (size_t i = 0; i < alerts.size(); ++i) {
    const Expected e = ExpectedOf(alerts[i]);
    EXPECT_EQ(lines[i].substr(0, e.head.size()), e.head) << alerts[i];
    EXPECT_THAT(lines[i], HasSubstr(" [**] [Classification: ")) << alerts[i];
    EXPECT_THAT(lines[i], ::testing::EndsWith(e.tail)) << alerts[i];
  }
  EXPECT_THAT(r.err, ::testing::ContainsRegex("output fast \\(fast file [^)]*\\): " + std::to_string(alerts.size()) +
                                              " records sent"));
}

// `fast:-`: standard output holds the fast lines and nothing else (the
// summary is on stderr), the same lines a file gets.
TEST_F(FastOutputE2eTest, StandardOutputCarriesOnlyFastLines) {
  const std::string fast = dir_ / "fast.log";
  ProcessResult to_file = RunKagami({"scan", "--workers", "1", "--output", "fast:" + fast, Demo()}, dir_.path());
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  ProcessResult out = RunKagami({"scan", "--workers", "1", "--output", "fast:-", Demo()}, dir_.path());
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_FALSE(out.out.empty());
  EXPECT_EQ(out.out, ReadFile(fast));
  for (const std::string& line : Lines(out.out)) EXPECT_THAT(line, ::testing::MatchesRegex("^[0-9/]{10}-.*"));
  EXPECT_THAT(out.err, HasSubstr("alert"));
}

TEST_F(FastOutputE2eTest, OnlyAlertsCanBeAskedFor) {
  ProcessResult r = RunKagami({"scan", "--output", "fast:x.log?types=alert,dns", Demo()}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("output 'fast:x.log?types=alert,dns': column 12: types: fast writes alerts only"));
}

}  // namespace
}  // namespace kagami::testing
