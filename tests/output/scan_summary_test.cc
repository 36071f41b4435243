#include "engine/output/scan_summary.h"

#include <cstdio>
#include <deque>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kagami::output {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Runs `write` against a temporary FILE and returns what it wrote.
template <typename F>
std::string Capture(F write) {
  FILE* f = std::tmpfile();
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return {};
  write(f);
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

rules::Rule MakeRule(uint32_t sid, std::string msg, uint32_t gid = 1) {
  rules::Rule r;
  r.gid = gid;
  r.sid = sid;
  r.msg = std::move(msg);
  return r;
}

TEST(FormatCount, ThousandsSeparators) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(7), "7");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1000), "1,000");
  EXPECT_EQ(FormatCount(12345), "12,345");
  EXPECT_EQ(FormatCount(142998), "142,998");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(UINT64_MAX), "18,446,744,073,709,551,615");
}

TEST(FormatBytes, DecimalUnitsOneDecimal) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(999), "999 B");
  EXPECT_EQ(FormatBytes(1000), "1.0 kB");
  EXPECT_EQ(FormatBytes(10'200'000), "10.2 MB");
  EXPECT_EQ(FormatBytes(72'500'000), "72.5 MB");
  EXPECT_EQ(FormatBytes(999'999), "1.0 MB");  // not "1000.0 kB"
  EXPECT_EQ(FormatBytes(3'000'000'000), "3.0 GB");
}

TEST(ScanSummary, CountsPacketsBytesFilesAlerts) {
  ScanSummary s;
  s.AddFile();
  s.AddPacket(60);
  s.AddPacket(1514);
  rules::Rule r = MakeRule(1, "one");
  s.AddAlert(r);
  EXPECT_EQ(s.files(), 1u);
  EXPECT_EQ(s.packets(), 2u);
  EXPECT_EQ(s.bytes(), 1574u);
  EXPECT_EQ(s.alerts(), 1u);
  EXPECT_EQ(s.errors(), 0u);
}

TEST(ScanSummary, HeadlineWithThroughput) {
  ScanSummary s;
  for (int i = 0; i < 3; ++i) s.AddFile();
  // 142,998 packets, 72,500,000 bytes in total.
  for (int i = 0; i < 142998 - 1; ++i) s.AddPacket(507);
  s.AddPacket(static_cast<uint32_t>(72'500'000 - 507ull * (142998 - 1)));
  s.set_elapsed_seconds(1.23);
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, StartsWith("kagami: scanned 3 files, 142,998 packets, 72.5 MB in 1.23 s "
                              "(116,258 packets/s, 471.5 Mbit/s)\n"
                              "alerts: 0\n"));
  EXPECT_THAT(out, Not(HasSubstr("signature")));
  EXPECT_THAT(out, Not(HasSubstr("errors")));
  EXPECT_THAT(out, Not(HasSubstr("anomalies")));
}

TEST(ScanSummary, CounterNamesAgreeWithTheirNumbers) {
  ScanSummary s;
  s.AddCounters("intel", {{"indicator[s]", 1}, {"feed[s]", 2}, {"entr[y|ies] dropped", 1}, {"lookups", 0}});
  s.AddCounters("tcp", {{"direction[s] at stream depth", 1}, {"byte[s] reassembled", 3}, {"entr[y|ies]", 5}});
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, HasSubstr("\nintel: 1 indicator, 2 feeds, 1 entry dropped\n"));
  EXPECT_THAT(out, HasSubstr("\ntcp: 1 direction at stream depth, 3 bytes reassembled, 5 entries\n"));
}

TEST(ScanSummary, FilesThatCouldNotBeRead) {
  ScanSummary s;
  s.AddFile();
  s.AddUnreadFile();
  s.AddUnreadFile();
  s.set_elapsed_seconds(0);
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, StartsWith("kagami: scanned 1 file (2 could not be read), 0 packets, 0 B in 0.000 s\n"));
}

TEST(ScanSummary, SingularsAndZeroTime) {
  ScanSummary s;
  s.AddFile();
  s.AddPacket(100);
  s.set_elapsed_seconds(0);
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, StartsWith("kagami: scanned 1 file, 1 packet, 100 B in 0.000 s\n"));
}

TEST(ScanSummary, LiveCaptureNamesTheInterface) {
  ScanSummary s;
  s.set_interface("eth1");
  s.AddPacket(100);
  s.AddPacket(50);
  s.set_elapsed_seconds(2);
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, StartsWith("kagami: captured on eth1: 2 packets, 150 B in 2.00 s (traffic averaged 1 packets/s, 0.0 Mbit/s)\n"));
}

TEST(ScanSummary, AlertTableSortedByCountAndMergedBySignature) {
  ScanSummary s;
  s.set_elapsed_seconds(1);
  rules::Rule a = MakeRule(2000001, "ET A");
  rules::Rule b = MakeRule(2000002, "ET B");
  rules::Rule b_again = MakeRule(2000002, "ET B");  // e.g. after a reload
  rules::Rule c = MakeRule(7, "gen C", 3);
  for (int i = 0; i < 2; ++i) s.AddAlert(a);
  for (int i = 0; i < 4; ++i) s.AddAlert(b);
  for (int i = 0; i < 5; ++i) s.AddAlert(b_again);
  s.AddAlert(c);
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, HasSubstr("alerts: 12 from 3 signatures\n"
                             "  count      sid  signature\n"
                             "      9  2000002  ET B\n"
                             "      2  2000001  ET A\n"
                             "      1      3:7  gen C\n"));
  EXPECT_THAT(out, Not(HasSubstr("more")));
}

TEST(ScanSummary, TopTwentyThenHowManyMore) {
  ScanSummary s;
  s.set_elapsed_seconds(1);
  std::deque<rules::Rule> rules;  // stable addresses
  for (uint32_t i = 1; i <= 25; ++i) {
    rules.push_back(MakeRule(i, "sig " + std::to_string(i)));
    for (uint32_t k = 0; k < i; ++k) s.AddAlert(rules.back());
  }
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, HasSubstr("from 25 signatures\n"));
  EXPECT_THAT(out, HasSubstr("     25   25  sig 25\n"));
  EXPECT_THAT(out, HasSubstr("      6    6  sig 6\n  ... and 5 more\n"));
  EXPECT_THAT(out, Not(HasSubstr("sig 5\n")));
}

TEST(ScanSummary, AnomaliesAndErrors) {
  ScanSummary s;
  s.set_elapsed_seconds(1);
  s.SetAnomalies({{"ipv4_truncated", 3}, {"tcp_bad_offset", 0}, {"ipv6_bad_ext", 1200}});
  for (int i = 0; i < 12; ++i) s.AddError("case" + std::to_string(i) + ".pcap: truncated");
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, HasSubstr("decode anomalies: 1,203 (ipv4_truncated 3, ipv6_bad_ext 1,200)\n"));
  EXPECT_THAT(out, HasSubstr("errors: 12\n  case0.pcap: truncated\n"));
  EXPECT_THAT(out, HasSubstr("  case9.pcap: truncated\n  ... and 2 more\n"));
  EXPECT_THAT(out, Not(HasSubstr("case10")));
  EXPECT_EQ(s.errors(), 12u);
}

TEST(ScanSummary, SubSecondRunsShowMilliseconds) {
  ScanSummary s;
  s.AddPacket(1000);
  s.set_elapsed_seconds(0.0042);
  const std::string out = Capture([&](FILE* f) { s.Print(f); });
  EXPECT_THAT(out, StartsWith("kagami: scanned 0 files, 1 packet, 1.0 kB in 0.004 s "
                              "(238 packets/s, 1.9 Mbit/s)\n"));
}

TEST(ScanSummary, ElapsedRunsUntilFinish) {
  ScanSummary s;
  s.Finish();
  const double t = s.elapsed_seconds();
  EXPECT_GE(t, 0.0);
  EXPECT_EQ(s.elapsed_seconds(), t);  // frozen once finished
}

TEST(ProgressLine, SilentWhenNotATerminal) {
  ScanSummary s;
  const std::string out = Capture([&](FILE* f) {
    ProgressLine p(f, 3);
    EXPECT_FALSE(p.enabled());
    p.Update(s);
    p.Draw(s);
    p.Clear();
  });
  EXPECT_EQ(out, "");
}

TEST(ProgressLine, DrawsRateLimitedAndClears) {
  ScanSummary s;
  s.AddFile();
  s.AddFile();
  for (int i = 0; i < 12345; ++i) s.AddPacket(826);
  rules::Rule r = MakeRule(1, "x");
  for (int i = 0; i < 7; ++i) s.AddAlert(r);
  const std::string out = Capture([&](FILE* f) {
    ProgressLine p(f, 3, /*force=*/true);
    ASSERT_TRUE(p.enabled());
    // The first update draws; thousands more within 250 ms do not.
    for (int i = 0; i < 5000; ++i) p.Update(s);
    p.Clear();
    p.Clear();  // nothing left to clear
  });
  EXPECT_EQ(out,
            "\r\033[Kfile 2/3  packets 12,345  bytes 10.2 MB  alerts 7"
            "\r\033[K");
}

TEST(ProgressLine, UnknownTotalAndDestructorClears) {
  ScanSummary s;
  s.AddFile();
  const std::string out = Capture([&](FILE* f) {
    ProgressLine p(f, 0, /*force=*/true);
    p.Draw(s);
  });
  EXPECT_EQ(out, "\r\033[Kfile 1  packets 0  bytes 0 B  alerts 0\r\033[K");
}

}  // namespace
}  // namespace kagami::output
