// The format dispatcher (names, detection from content, ReadFeedFile on real
// files with and without an explicit format) and the value parsers the CSV
// and Zeek readers share.

#include "rules/feeds/feed_reader.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/feeds/feed_test_util.h"
#include "rules/feeds/collecting_sink.h"

namespace kagami::feeds {
namespace {

using namespace kagami::feeds::testing;  // NOLINT: test helpers

// A file under the test temp dir, removed when the test ends.
class TempFile {
 public:
  TempFile(const std::string& name, std::string_view content)
      : path_(::testing::TempDir() + "kagami_feed_reader_" + std::to_string(::getpid()) + "_" +
              name) {
    std::ofstream out(path_, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(FeedFormat, Names) {
  EXPECT_EQ(ParseFeedFormat("auto"), FeedFormat::kAuto);
  EXPECT_EQ(ParseFeedFormat("stix"), FeedFormat::kStix);
  EXPECT_EQ(ParseFeedFormat("Zeek"), FeedFormat::kZeek);
  EXPECT_EQ(ParseFeedFormat("CSV"), FeedFormat::kCsv);
  EXPECT_EQ(ParseFeedFormat(""), std::nullopt);
  EXPECT_EQ(ParseFeedFormat("json"), std::nullopt);
  EXPECT_EQ(ParseFeedFormat("csv "), std::nullopt);
  for (FeedFormat f : {FeedFormat::kAuto, FeedFormat::kStix, FeedFormat::kZeek, FeedFormat::kCsv}) {
    EXPECT_EQ(ParseFeedFormat(FeedFormatName(f)), f);
  }
}

TEST(FeedFormat, DetectedFromContent) {
  EXPECT_EQ(DetectFeedFormat("{\"type\":\"bundle\"}"), FeedFormat::kStix);
  EXPECT_EQ(DetectFeedFormat("\n  \r\n\t[{\"type\":\"indicator\"}]"), FeedFormat::kStix);
  EXPECT_EQ(DetectFeedFormat("\xEF\xBB\xBF{}"), FeedFormat::kStix);
  EXPECT_EQ(DetectFeedFormat("#fields\tindicator\tindicator_type\n"), FeedFormat::kZeek);
  EXPECT_EQ(DetectFeedFormat("#separator \\x09\r\n#set_separator\t,\r\n#empty_field\t(empty)\r\n"
                             "#unset_field\t-\r\n#fields\tindicator\tindicator_type\r\n"),
            FeedFormat::kZeek);
  EXPECT_EQ(DetectFeedFormat("\n#fields"), FeedFormat::kZeek);
  EXPECT_EQ(DetectFeedFormat("type,value\ndomain,a.example\n"), FeedFormat::kCsv);
  EXPECT_EQ(DetectFeedFormat("# comment\n#fieldsx\ntype,value\n#fields\tindicator\n"),
            FeedFormat::kCsv);  // the first data line decides
  EXPECT_EQ(DetectFeedFormat("\xEF\xBB\xBFtype,value\n"), FeedFormat::kCsv);
  EXPECT_EQ(DetectFeedFormat(""), FeedFormat::kCsv);
  EXPECT_EQ(DetectFeedFormat("# only a comment"), FeedFormat::kCsv);
}

TEST(ReadFeedFile, PicksCsv) {
  TempFile f("a.csv", "# exported\ntype,value\nip,192.0.2.1\n");
  CollectingSink sink;
  FeedReport report;
  ASSERT_TRUE(ReadFeedFile(f.path(), FeedFormat::kAuto, FeedOptions(), &sink, &report));
  EXPECT_EQ(report.format, "csv");
  EXPECT_EQ(report.path, f.path());
  ASSERT_EQ(sink.indicators.size(), 1u);
  EXPECT_EQ(sink.indicators[0].clauses[0].terms[0].range, Range("192.0.2.1", "192.0.2.1"));
}

TEST(ReadFeedFile, PicksZeek) {
  TempFile f("intel.dat",
             "#separator \\x09\n#fields\tindicator\tindicator_type\n192.0.2.2\tIntel::ADDR\n");
  CollectingSink sink;
  FeedReport report;
  ASSERT_TRUE(ReadFeedFile(f.path(), FeedFormat::kAuto, FeedOptions(), &sink, &report));
  EXPECT_EQ(report.format, "zeek");
  ASSERT_EQ(sink.indicators.size(), 1u);
  EXPECT_EQ(sink.indicators[0].clauses[0].terms[0].range, Range("192.0.2.2", "192.0.2.2"));
}

TEST(ReadFeedFile, PicksStix) {
  TempFile f("bundle.json",
             "  {\"type\": \"bundle\", \"id\": \"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\n"
             "   \"objects\": [{\"type\": \"indicator\", \"spec_version\": \"2.1\",\n"
             "     \"id\": \"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\",\n"
             "     \"created\": \"2024-01-01T00:00:00Z\", \"modified\": \"2024-01-01T00:00:00Z\",\n"
             "     \"pattern\": \"[ipv4-addr:value = '192.0.2.3']\", \"pattern_type\": \"stix\",\n"
             "     \"valid_from\": \"2024-01-01T00:00:00Z\"}]}\n");
  CollectingSink sink;
  FeedReport report;
  FeedOptions options;
  options.now_unix = 1735689600;  // 2025-01-01, inside the validity
  ASSERT_TRUE(ReadFeedFile(f.path(), FeedFormat::kAuto, options, &sink, &report));
  EXPECT_EQ(report.format, "stix");
  ASSERT_EQ(sink.indicators.size(), 1u);
  EXPECT_EQ(sink.indicators[0].id, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
}

TEST(ReadFeedFile, ExplicitFormatOverridesDetection) {
  // Zeek content read as CSV: the '#' lines are comments and there is no
  // header, so the CSV reader refuses it; read as Zeek it loads.
  TempFile f("intel.txt", "#fields\tindicator\tindicator_type\na.example\tIntel::DOMAIN\n");
  {
    CollectingSink sink;
    FeedReport report;
    EXPECT_FALSE(ReadFeedFile(f.path(), FeedFormat::kCsv, FeedOptions(), &sink, &report));
    EXPECT_EQ(report.format, "csv");
  }
  {
    CollectingSink sink;
    FeedReport report;
    EXPECT_TRUE(ReadFeedFile(f.path(), FeedFormat::kZeek, FeedOptions(), &sink, &report));
    EXPECT_EQ(sink.indicators.size(), 1u);
  }
  // A CSV that opens with a '#fields' comment would be taken for Zeek.
  TempFile g("odd.csv", "#fields are type and value\ntype,value\ndomain,b.example\n");
  CollectingSink sink;
  FeedReport report;
  EXPECT_TRUE(ReadFeedFile(g.path(), FeedFormat::kCsv, FeedOptions(), &sink, &report));
  ASSERT_EQ(sink.indicators.size(), 1u);
  EXPECT_EQ(sink.indicators[0].clauses[0].terms[0].value, "b.example");
}

TEST(ReadFeedFile, MissingFile) {
  CollectingSink sink;
  FeedReport report;
  EXPECT_FALSE(
      ReadFeedFile("/nonexistent/kagami/feed", FeedFormat::kAuto, FeedOptions(), &sink, &report));
  ASSERT_EQ(report.diagnostics.size(), 1u);
  EXPECT_EQ(report.diagnostics[0].ToString(),
            "/nonexistent/kagami/feed: error: cannot open indicator feed: No such file or "
            "directory");
  EXPECT_EQ(report.path, "/nonexistent/kagami/feed");
}

// Records every call of a ReadFileInBlocks consumer.
struct BlockLog {
  std::string seen;  // the bytes consumed, in order
  int calls = 0, finals = 0;
  bool cut_at_newline = true;
};

TEST(ReadFileInBlocks, HandsOverWholeLinesAndGrowsForLongOnes) {
  std::string content;
  for (int i = 0; i < 200; ++i) content += std::string(static_cast<size_t>(i % 37), 'a') + "\n";
  content += std::string(100, 'L') + "\n";  // longer than a block
  content += "no newline at the end";
  TempFile f("blocks", content);
  BlockLog log;
  std::string error;
  ASSERT_TRUE(ReadFileInBlocks(
      f.path(),
      [&log](std::string_view text, bool final, size_t* consumed) {
        ++log.calls;
        log.finals += final;
        if (!final) log.cut_at_newline &= !text.empty() && text.back() == '\n';
        log.seen.append(text);
        *consumed = text.size();
        return true;
      },
      &error, 16));
  EXPECT_EQ(log.seen, content);
  EXPECT_EQ(log.finals, 1);
  EXPECT_TRUE(log.cut_at_newline);
  EXPECT_GT(log.calls, 50);
}

TEST(ReadFileInBlocks, UnconsumedBytesComeAgain) {
  // A consumer that only takes whole pairs of lines, as the CSV reader takes
  // only whole records.
  std::string content;
  for (int i = 0; i < 101; ++i) content += "line " + std::to_string(i) + "\n";
  TempFile f("pairs", content);
  BlockLog log;
  std::string error;
  ASSERT_TRUE(ReadFileInBlocks(
      f.path(),
      [&log](std::string_view text, bool final, size_t* consumed) {
        size_t used = 0, lines = 0;
        for (size_t i = 0; i < text.size(); ++i) {
          if (text[i] == '\n' && ++lines % 2 == 0) used = i + 1;
        }
        if (final) used = text.size();
        log.seen.append(text.substr(0, used));
        *consumed = used;
        return true;
      },
      &error, 32));
  EXPECT_EQ(log.seen, content);
}

TEST(ReadFileInBlocks, StopsEarlyAndReportsErrors) {
  TempFile f("stop", std::string(100, '\n'));
  int calls = 0;
  std::string error;
  EXPECT_TRUE(ReadFileInBlocks(
      f.path(),
      [&calls](std::string_view text, bool, size_t* consumed) {
        ++calls;
        *consumed = text.size();
        return false;
      },
      &error, 10));
  EXPECT_EQ(calls, 1);
  auto never = [](std::string_view, bool, size_t*) { return true; };
  EXPECT_FALSE(ReadFileInBlocks(::testing::TempDir(), never, &error));
  EXPECT_EQ(error, "is a directory");
  EXPECT_FALSE(ReadFileInBlocks("/nonexistent/kagami/x", never, &error));
  EXPECT_EQ(error, "No such file or directory");
}

TEST(ReadFileInBlocks, EmptyFileGetsOneFinalCall) {
  TempFile f("empty", "");
  int finals = 0;
  std::string error;
  EXPECT_TRUE(ReadFileInBlocks(
      f.path(),
      [&finals](std::string_view text, bool final, size_t* consumed) {
        finals += final && text.empty();
        *consumed = 0;
        return true;
      },
      &error));
  EXPECT_EQ(finals, 1);
}

TEST(ParseIpValue, AddressesAndNetworks) {
  rules::IpRange r;
  std::string error;
  ASSERT_TRUE(ParseIpValue("192.0.2.1", false, &r, &error));
  EXPECT_EQ(r, Range("192.0.2.1", "192.0.2.1"));
  ASSERT_TRUE(ParseIpValue("192.0.2.1/32", true, &r, &error));
  EXPECT_EQ(r, Range("192.0.2.1", "192.0.2.1"));
  ASSERT_TRUE(ParseIpValue("0.0.0.0/0", true, &r, &error));
  EXPECT_EQ(r, Range("0.0.0.0", "255.255.255.255"));
  ASSERT_TRUE(ParseIpValue("192.0.2.200/26", true, &r, &error));
  EXPECT_EQ(r, Range("192.0.2.192", "192.0.2.255"));
  ASSERT_TRUE(ParseIpValue("2001:db8::/127", true, &r, &error));
  EXPECT_EQ(r, Range("2001:db8::", "2001:db8::1"));
  ASSERT_TRUE(ParseIpValue("::/0", true, &r, &error));
  EXPECT_EQ(r, Range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  // IPv4-mapped spelling: the prefix counts bits of the 128-bit form.
  ASSERT_TRUE(ParseIpValue("::ffff:192.0.2.0/120", true, &r, &error));
  EXPECT_EQ(r, Range("192.0.2.0", "192.0.2.255"));

  EXPECT_FALSE(ParseIpValue("192.0.2.0/24", false, &r, &error));
  EXPECT_EQ(error, "'192.0.2.0/24' is a network, but this type takes a single address");
  EXPECT_FALSE(ParseIpValue("192.0.2.0/", true, &r, &error));
  EXPECT_EQ(error, "invalid prefix length in '192.0.2.0/' (0-32)");
  EXPECT_FALSE(ParseIpValue("2001:db8::/129", true, &r, &error));
  EXPECT_EQ(error, "invalid prefix length in '2001:db8::/129' (0-128)");
  EXPECT_FALSE(ParseIpValue("192.0.2.0/+8", true, &r, &error));
  EXPECT_FALSE(ParseIpValue("192.0.2.0/0008", true, &r, &error));
  EXPECT_FALSE(ParseIpValue("192.0.2.256", false, &r, &error));
  EXPECT_EQ(error, "'192.0.2.256' is not an IP address");
  EXPECT_FALSE(ParseIpValue("", true, &r, &error));
  EXPECT_FALSE(ParseIpValue("fe80::1%eth0", false, &r, &error));
}

// Prefix lengths too long or not all digits: an error, read no further than
// needed (issue 29: these overflowed int while being multiplied out).
TEST(ParseIpValue, MalformedPrefixLengths) {
  rules::IpRange r;
  std::string error;
  const struct {
    std::string text;
    const char* error;
  } kCases[] = {
      {"10.0.0.0/275555472", "invalid prefix length in '10.0.0.0/275555472' (0-32)"},
      {"1.2.3.4/99999999999", "invalid prefix length in '1.2.3.4/99999999999' (0-32)"},
      {"1.2.3.4/3x", "invalid prefix length in '1.2.3.4/3x' (0-32)"},
      {"1.2.3.4/", "invalid prefix length in '1.2.3.4/' (0-32)"},
      {"1.2.3.4/-1", "invalid prefix length in '1.2.3.4/-1' (0-32)"},
      {"1.2.3.4/ 8", "invalid prefix length in '1.2.3.4/ 8' (0-32)"},
      {"1.2.3.4/\xff\xff\xff", "invalid prefix length in '1.2.3.4/\xff\xff\xff' (0-32)"},
      {std::string("1.2.3.4/\0\0\0\0\xff\xff\xff\xff\xff", 17),
       "invalid prefix length in '1.2.3.4/????\xff\xff\xff\xff\xff' (0-32)"},
      {"2001:db8::/99999999999999999999",
       "invalid prefix length in '2001:db8::/99999999999999999999' (0-128)"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    EXPECT_FALSE(ParseIpValue(c.text, true, &r, &error));
    EXPECT_EQ(error, c.error);
  }
}

TEST(ParseConfidence, NumbersAndWords) {
  int c = -1;
  EXPECT_TRUE(ParseConfidence("0", &c));
  EXPECT_EQ(c, 0);
  EXPECT_TRUE(ParseConfidence("100", &c));
  EXPECT_EQ(c, 100);
  EXPECT_TRUE(ParseConfidence(" 7 ", &c));
  EXPECT_EQ(c, 7);
  EXPECT_TRUE(ParseConfidence("49.5", &c));
  EXPECT_EQ(c, 50);
  EXPECT_TRUE(ParseConfidence("49.49", &c));
  EXPECT_EQ(c, 49);
  EXPECT_TRUE(ParseConfidence("High", &c));
  EXPECT_EQ(c, 85);
  EXPECT_TRUE(ParseConfidence("MEDIUM", &c));
  EXPECT_EQ(c, 50);
  EXPECT_TRUE(ParseConfidence("low", &c));
  EXPECT_EQ(c, 15);
  c = 3;
  for (const char* bad : {"", "101", "100.5", "-1", "1e2", "5.", ".5", "x", "99999999999999"}) {
    EXPECT_FALSE(ParseConfidence(bad, &c)) << bad;
    EXPECT_EQ(c, 3) << bad;
  }
}

TEST(ParseTermValue, ResetsWhatTheTypeDoesNotUse) {
  Term t;
  std::string error;
  ASSERT_TRUE(ParseTermValue(IndicatorType::kIp, " 10.0.0.0/8 ", true, &t, &error));
  EXPECT_EQ(t.range, Range("10.0.0.0", "10.255.255.255"));
  ASSERT_TRUE(ParseTermValue(IndicatorType::kDomain, "A.Example", false, &t, &error));
  EXPECT_EQ(t.type, IndicatorType::kDomain);
  EXPECT_EQ(t.value, "a.example");
  EXPECT_EQ(t.range, rules::IpRange());
  ASSERT_TRUE(ParseTermValue(IndicatorType::kIp, "192.0.2.1", false, &t, &error));
  EXPECT_TRUE(t.value.empty());
}

TEST(ParseTermValue, Ja4Shape) {
  Term t;
  std::string error;
  ASSERT_TRUE(ParseTermValue(IndicatorType::kJa4, "q13i0310h3_55B375C5D22E_cd85d2d88918", false, &t,
                             &error));
  EXPECT_EQ(t.value, "q13i0310h3_55b375c5d22e_cd85d2d88918");
  for (const char* bad :
       {"t13d1516h2_8daaf6152771_b186095e22b", "x13d1516h2_8daaf6152771_b186095e22b6",
        "t13x1516h2_8daaf6152771_b186095e22b6", "t13d1516h2_8daaf615277g_b186095e22b6",
        "t13d1516h2-8daaf6152771-b186095e22b6", "t13dAB16h2_8daaf6152771_b186095e22b6"}) {
    EXPECT_FALSE(ParseTermValue(IndicatorType::kJa4, bad, false, &t, &error)) << bad;
  }
}

TEST(QuoteForMessage, TruncatesAndHidesControlBytes) {
  EXPECT_EQ(QuoteForMessage("a\tb"), "'a?b'");
  EXPECT_EQ(QuoteForMessage(std::string(61, 'x')), "'" + std::string(60, 'x') + "...'");
  EXPECT_EQ(QuoteForMessage(""), "''");
}

}  // namespace
}  // namespace kagami::feeds
