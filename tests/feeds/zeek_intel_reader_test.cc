// Zeek Intel files: every indicator_type, meta columns in any order, unset
// and empty values, header variants (#separator escapes, Zeek log headers,
// CRLF, custom #unset_field), the ignored non-network types, and lines and
// headers that cannot be used.

#include "rules/feeds/zeek_intel_reader.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/feeds/feed_test_util.h"
#include "rules/feeds/collecting_sink.h"
#include "rules/feeds/feed_reader.h"

namespace kagami::feeds {
namespace {

using namespace kagami::feeds::testing;  // NOLINT: test helpers

using Severity = rules::Diagnostic::Severity;

Loaded Zeek(std::string_view text) {
  Loaded l;
  l.ok = ReadZeekIntelString(text, "intel.dat", FeedOptions(), &l.sink, &l.report);
  return l;
}


constexpr char kHeader[] = "#fields\tindicator\tindicator_type\tmeta.source\n";

TEST(ZeekIntelReader, EveryIndicatorType) {
  const std::string md5 = "D41D8CD98F00B204E9800998ECF8427E";
  const std::string sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  const std::string sha256 = std::string(64, 'a');
  Loaded l = Zeek(std::string(kHeader) +
                  "192.0.2.1\tIntel::ADDR\tfeed\n"
                  "2001:db8::1\tIntel::ADDR\tfeed\n"
                  "198.51.100.0/24\tIntel::SUBNET\tfeed\n"
                  "198.51.100.9\tIntel::SUBNET\tfeed\n"
                  "Evil.Example.\tIntel::DOMAIN\tfeed\n"
                  "evil.example/gate.php?id=1\tIntel::URL\tfeed\n"
                  "Mozilla/4.0 (compatible; MSIE 8.0)\tIntel::SOFTWARE\tfeed\n"
                  "" +
                  sha1 +
                  "\tIntel::CERT_HASH\tfeed\n"
                  "" +
                  sha256 +
                  "\tIntel::CERT_HASH\tfeed\n"
                  "" +
                  md5 +
                  "\tIntel::FILE_HASH\tfeed\n"
                  "" +
                  sha1 +
                  "\tIntel::FILE_HASH\tfeed\n"
                  "" +
                  sha256 +
                  "\tIntel::FILE_HASH\tfeed\n"
                  "" +
                  md5 + "\tIntel::JA3\tfeed\n");
  ASSERT_TRUE(l.ok);
  EXPECT_TRUE(l.report.diagnostics.empty()) << ::testing::PrintToString(Messages(l.report));
  ASSERT_EQ(l.indicators().size(), 13u);
  EXPECT_EQ(l.term(0).type, IndicatorType::kIp);
  EXPECT_EQ(l.term(0).range, Range("192.0.2.1", "192.0.2.1"));
  EXPECT_EQ(l.term(0).side, Side::kEither);
  EXPECT_EQ(l.term(1).range, Range("2001:db8::1", "2001:db8::1"));
  EXPECT_EQ(l.term(2).range, Range("198.51.100.0", "198.51.100.255"));
  EXPECT_EQ(l.term(3).range, Range("198.51.100.9", "198.51.100.9"));
  struct Want {
    IndicatorType type;
    std::string value;
  };
  const std::string md5_lower = "d41d8cd98f00b204e9800998ecf8427e";
  const std::vector<Want> want = {
      {IndicatorType::kDomain, "evil.example"},
      {IndicatorType::kUrl, "evil.example/gate.php?id=1"},
      {IndicatorType::kUserAgent, "Mozilla/4.0 (compatible; MSIE 8.0)"},
      {IndicatorType::kCertSha1, sha1},
      {IndicatorType::kCertSha256, sha256},
      {IndicatorType::kFileMd5, md5_lower},
      {IndicatorType::kFileSha1, sha1},
      {IndicatorType::kFileSha256, sha256},
      {IndicatorType::kJa3, md5_lower},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(l.term(i + 4).type, want[i].type);
    EXPECT_EQ(l.term(i + 4).value, want[i].value);
  }
  EXPECT_EQ(l.report.format, "zeek");
  EXPECT_EQ(l.report.path, "intel.dat");
  EXPECT_EQ(l.report.indicators, 13u);
  EXPECT_EQ(Count(l.report, IndicatorType::kIp), 4u);
  EXPECT_EQ(Count(l.report, IndicatorType::kCertSha1), 1u);
  EXPECT_EQ(Count(l.report, IndicatorType::kCertSha256), 1u);
  EXPECT_EQ(Count(l.report, IndicatorType::kFileMd5), 1u);
  EXPECT_EQ(Count(l.report, IndicatorType::kJa3), 1u);
  EXPECT_EQ(l.indicators()[4].where.file, "intel.dat");
  EXPECT_EQ(l.indicators()[4].where.line, 6);
  EXPECT_EQ(l.indicators()[4].source, "feed");
}

TEST(ZeekIntelReader, MetaColumnsInAnyOrder) {
  Loaded l = Zeek(
      "#fields\tmeta.desc\tmeta.url\tindicator_type\tmeta.do_notice\tindicator\tmeta.source\t"
      "meta.cif_confidence\tmeta.campaign\tmeta.malware\n"
      "C2 host\thttps://r.example/1\tIntel::DOMAIN\tT\tc2.example\tCIF\t85.0\tOp X\tDatper\n"
      "-\t-\tIntel::DOMAIN\tF\tquiet.example\t-\t-\t-\t-\n"
      "(empty)\t(empty)\tIntel::DOMAIN\tF\tempty.example\t(empty)\thigh\t(empty)\t(empty)\n");
  ASSERT_TRUE(l.ok);
  EXPECT_TRUE(l.report.diagnostics.empty()) << ::testing::PrintToString(Messages(l.report));
  ASSERT_EQ(l.indicators().size(), 3u);
  const Indicator& a = l.indicators()[0];
  EXPECT_EQ(l.term(0).value, "c2.example");
  EXPECT_EQ(a.description, "C2 host");
  EXPECT_EQ(a.reference, "https://r.example/1");
  EXPECT_EQ(a.source, "CIF");
  EXPECT_EQ(a.confidence, 85);
  EXPECT_EQ(a.campaigns, std::vector<std::string>{"Op X"});
  EXPECT_EQ(a.malware, std::vector<std::string>{"Datper"});
  EXPECT_TRUE(a.intrusion_sets.empty());
  for (size_t i : {1u, 2u}) {
    const Indicator& b = l.indicators()[i];
    EXPECT_TRUE(b.description.empty() && b.reference.empty() && b.source.empty());
    EXPECT_TRUE(b.campaigns.empty() && b.malware.empty());
  }
  EXPECT_EQ(l.indicators()[1].confidence, -1);
  EXPECT_EQ(l.indicators()[2].confidence, 85);

  Loaded c = Zeek(
      "#fields\tindicator\tindicator_type\tmeta.confidence\n"
      "a.example\tIntel::DOMAIN\t40\n");
  ASSERT_EQ(c.indicators().size(), 1u);
  EXPECT_EQ(c.indicators()[0].confidence, 40);
}

TEST(ZeekIntelReader, LogStyleHeaderWithEscapedSeparator) {
  // What Zeek's own ASCII writer puts at the top of a log, and a #close.
  Loaded l = Zeek(
      "#separator \\x09\r\n"
      "#set_separator\t,\r\n"
      "#empty_field\t(empty)\r\n"
      "#unset_field\t-\r\n"
      "#path\tintel\r\n"
      "#open\t2024-01-01-00-00-00\r\n"
      "#fields\tindicator\tindicator_type\tmeta.source\r\n"
      "#types\tstring\tenum\tstring\r\n"
      "a.example\tIntel::DOMAIN\tx\r\n"
      "\r\n"
      "# a comment\r\n"
      "b.example\tIntel::DOMAIN\tx\r\n"
      "#close\t2024-01-01-00-00-01\r\n");
  ASSERT_TRUE(l.ok);
  EXPECT_TRUE(l.report.diagnostics.empty()) << ::testing::PrintToString(Messages(l.report));
  ASSERT_EQ(l.indicators().size(), 2u);
  EXPECT_EQ(l.term(0).value, "a.example");
  EXPECT_EQ(l.indicators()[0].source, "x");  // no '\r' left on the last field
  EXPECT_EQ(l.indicators()[1].where.line, 12);
}

TEST(ZeekIntelReader, OtherSeparatorAndMarkers) {
  Loaded l = Zeek(
      "#separator \\x7c\n"
      "#unset_field|NONE\n"
      "#empty_field|EMPTY\n"
      "#fields|indicator|indicator_type|meta.desc|meta.source\n"
      "a.example|Intel::DOMAIN|tab\\x09inside|-\n"
      "b.example|Intel::DOMAIN|NONE|EMPTY\n"
      "NONE|Intel::DOMAIN|x|y\n");
  ASSERT_TRUE(l.ok);
  ASSERT_EQ(l.indicators().size(), 2u);
  EXPECT_EQ(l.indicators()[0].description, "tab\tinside");  // \xHH decoded as Zeek does
  EXPECT_EQ(l.indicators()[0].source, "-");                 // '-' is data here
  EXPECT_TRUE(l.indicators()[1].description.empty());
  EXPECT_TRUE(l.indicators()[1].source.empty());
  EXPECT_EQ(l.report.skipped, 1u);
  EXPECT_EQ(
      Messages(l.report),
      std::vector<std::string>{"intel.dat:7:1: warning: the indicator is unset; line skipped"});
}

TEST(ZeekIntelReader, IgnoredTypesGetOneNoteEach) {
  Loaded l = Zeek(std::string(kHeader) +
                  "alice\tIntel::USER_NAME\tx\n"         // 2
                  "a@b.example\tIntel::EMAIL\tx\n"       // 3
                  "a.example\tIntel::DOMAIN\tx\n"        // 4
                  "bob\tIntel::USER_NAME\tx\n"           // 5
                  "evil.exe\tIntel::FILE_NAME\tx\n"      // 6
                  "carol\tIntel::USER_NAME\tx\n"         // 7
                  "0011223344\tIntel::PUBKEY_HASH\tx\n"  // 8
                  "b.example\tIntel::DOMAIN\tx\n");      // 9
  ASSERT_TRUE(l.ok);
  EXPECT_EQ(l.indicators().size(), 2u);
  EXPECT_EQ(l.report.skipped, 6u);
  EXPECT_EQ(Messages(l.report),
            (std::vector<std::string>{
                "intel.dat:2: note: Intel::USER_NAME entries ignored: 3 (not a network "
                "indicator Kagami can match)",
                "intel.dat:3: note: Intel::EMAIL entries ignored: 1 (not a network indicator "
                "Kagami can match)",
                "intel.dat:6: note: Intel::FILE_NAME entries ignored: 1 (not a network "
                "indicator Kagami can match)",
                "intel.dat:8: note: Intel::PUBKEY_HASH entries ignored: 1 (not a network "
                "indicator Kagami can match)"}));
  for (const rules::Diagnostic& d : l.report.diagnostics) EXPECT_EQ(d.severity, Severity::kNote);
}

TEST(ZeekIntelReader, BadLinesAreSkippedWithPositions) {
  Loaded l = Zeek(std::string(kHeader) +
                  "good1.example\tIntel::DOMAIN\tx\n"    // 2
                  "short.example\tIntel::DOMAIN\n"       // 3 too few fields
                  "a\tIntel::DOMAIN\tx\textra\n"         // 4 too many
                  "10.0.0.0/8\tIntel::ADDR\tx\n"         // 5 network in ADDR
                  "10.0.0.0/40\tIntel::SUBNET\tx\n"      // 6
                  "abcdef\tIntel::FILE_HASH\tx\n"        // 7
                  "abcdef\tIntel::CERT_HASH\tx\n"        // 8
                  "a.example\tIntel::NOPE\tx\n"          // 9
                  "a.example\t-\tx\n"                    // 10
                  "no host\tIntel::DOMAIN\tx\n"          // 11
                  "good2.example\tIntel::DOMAIN\tx\n");  // 12
  ASSERT_TRUE(l.ok);
  ASSERT_EQ(l.indicators().size(), 2u);
  EXPECT_EQ(l.term(0).value, "good1.example");
  EXPECT_EQ(l.term(1).value, "good2.example");
  EXPECT_EQ(l.indicators()[1].where.line, 12);
  EXPECT_EQ(l.report.skipped, 9u);
  EXPECT_EQ(Messages(l.report),
            (std::vector<std::string>{
                "intel.dat:3: warning: line has 2 fields but #fields names 3; line skipped",
                "intel.dat:4: warning: line has 4 fields but #fields names 3; line skipped",
                "intel.dat:5:1: warning: invalid Intel::ADDR value: '10.0.0.0/8' is a network, but "
                "this type takes a single address; line skipped",
                "intel.dat:6:1: warning: invalid Intel::SUBNET value: invalid prefix length in "
                "'10.0.0.0/40' (0-32); line skipped",
                "intel.dat:7:1: warning: invalid Intel::FILE_HASH value: 'abcdef' is not an MD5, "
                "SHA-1 or SHA-256 digest; line skipped",
                "intel.dat:8:1: warning: invalid Intel::CERT_HASH value: 'abcdef' is not a SHA-1 "
                "digest (40 hex digits); line skipped",
                "intel.dat:9:11: warning: unknown indicator_type 'Intel::NOPE'; line skipped",
                "intel.dat:10:11: warning: no indicator_type; line skipped",
                "intel.dat:11:1: warning: invalid Intel::DOMAIN value: 'no host' is not a domain "
                "name; line skipped",
            }));
}

// Fuzzer findings (issue 29): a prefix length longer than three characters
// was still multiplied out digit by digit after it was known to be invalid,
// overflowing int (undefined behaviour, fatal under the asan and fuzz
// presets). The zeek_intel target's minimised input is read as it is, then
// as the target also reads it: after the header its first byte ('9')
// selects. The last lines carry the csv_feed target's prefix bytes.
TEST(ZeekIntelReader, LongInvalidPrefixLengthSkipsTheLine) {
  Loaded l = Zeek("98.1.10.0/\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0\tIntel::SUBNET\t\t-\t");
  EXPECT_FALSE(l.ok);
  EXPECT_TRUE(l.indicators().empty());
  EXPECT_EQ(Messages(l.report),
            (std::vector<std::string>{
                "intel.dat:1:1: error: data before the #fields header line (Zeek Intel files start "
                "with '#fields<TAB>indicator<TAB>indicator_type...')"}));

  l = Zeek(
      "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"
      "8.1.10.0/\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0\tIntel::SUBNET\t\t-\t");
  ASSERT_TRUE(l.ok);
  EXPECT_TRUE(l.indicators().empty());
  EXPECT_EQ(l.report.skipped, 1u);
  EXPECT_EQ(Messages(l.report),
            (std::vector<std::string>{
                "intel.dat:2:1: warning: invalid Intel::SUBNET value: invalid prefix length in "
                "'8.1.10.0/\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0\xa0' (0-32); line skipped"}));

  static constexpr char kLines[] =
      "1.0.0.0/\0\0\0\0\xff\xff\xff\xff\xff\tIntel::SUBNET\tx\n"
      "10.0.0.0/275555472\tIntel::SUBNET\tx\n"
      "192.0.2.0/24\tIntel::SUBNET\tx\n";
  l = Zeek(std::string(kHeader) + std::string(kLines, sizeof(kLines) - 1));
  ASSERT_TRUE(l.ok);
  ASSERT_EQ(l.indicators().size(), 1u);
  EXPECT_EQ(l.term(0).range, Range("192.0.2.0", "192.0.2.255"));
  EXPECT_EQ(l.report.skipped, 2u);
  EXPECT_EQ(Messages(l.report),
            (std::vector<std::string>{
                "intel.dat:2:1: warning: invalid Intel::SUBNET value: invalid prefix length in "
                "'1.0.0.0/????\xff\xff\xff\xff\xff' (0-32); line skipped",
                "intel.dat:3:1: warning: invalid Intel::SUBNET value: invalid prefix length in "
                "'10.0.0.0/275555472' (0-32); line skipped"}));
}

TEST(ZeekIntelReader, HeadersThatCannotBeUsed) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"",
       "intel.dat: error: no #fields header line (Zeek Intel files start with "
       "'#fields<TAB>indicator<TAB>indicator_type...')"},
      {"#separator \\x09\n#path\tintel\n",
       "intel.dat: error: no #fields header line (Zeek Intel files start with "
       "'#fields<TAB>indicator<TAB>indicator_type...')"},
      {"#separator \\x09\na.example\tIntel::DOMAIN\n",
       "intel.dat:2:1: error: data before the #fields header line (Zeek Intel files start with "
       "'#fields<TAB>indicator<TAB>indicator_type...')"},
      {"#fields\tindicator\tmeta.source\na.example\tx\n",
       "intel.dat:1:1: error: the #fields line '#fields?indicator?meta.source' has no "
       "'indicator_type' column"},
      {"#fields\tindicator_type\tmeta.source\n",
       "intel.dat:1:1: error: the #fields line '#fields?indicator_type?meta.source' has no "
       "'indicator' column"},
      {"#fields indicator indicator_type\na.example Intel::DOMAIN\n",
       "intel.dat:1:8: error: the #fields line is not separated by the #separator '?' (Zeek "
       "Intel files are tab-separated)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Loaded l = Zeek(c.text);
    EXPECT_FALSE(l.ok);
    EXPECT_TRUE(l.indicators().empty());
    EXPECT_EQ(Messages(l.report), std::vector<std::string>{c.message});
  }
}

TEST(ZeekIntelReader, LaterFieldsLineRemapsColumns) {
  // Two files concatenated, each with its own header.
  Loaded l = Zeek(
      "#fields\tindicator\tindicator_type\n"
      "a.example\tIntel::DOMAIN\n"
      "#fields\tindicator_type\tmeta.source\tindicator\n"
      "Intel::ADDR\tsecond\t192.0.2.1\n");
  ASSERT_TRUE(l.ok);
  ASSERT_EQ(l.indicators().size(), 2u);
  EXPECT_EQ(l.term(1).range, Range("192.0.2.1", "192.0.2.1"));
  EXPECT_EQ(l.indicators()[1].source, "second");
}

// Files are read in 1 MiB blocks; lines across a block boundary must load
// as they do from one string.
TEST(ZeekIntelReader, FileReadInBlocksMatchesString) {
  std::string text = "#separator \\x09\r\n" + std::string(kHeader);
  int row = 0;
  while (++row <= 120000) {
    switch (row % 4) {
      case 0:
        text += "d" + std::to_string(row) + ".example\tIntel::DOMAIN\tsrc\r\n";
        break;
      case 1:
        text += "10.1." + std::to_string(row % 250) + ".0/24\tIntel::SUBNET\t-\n";
        break;
      case 2:
        text += "bob\tIntel::USER_NAME\tx\n";
        break;
      case 3:
        text += "short\tIntel::DOMAIN\n";
        break;
    }
    if (row == 60000) text += std::string(kFeedBlockSize * 2, 'x') + "\tIntel::SOFTWARE\tlong\n";
  }
  text += "last.example\tIntel::DOMAIN\tend";  // no final newline
  const std::string path = ::testing::TempDir() + "kagami_zeek_blocks_test.dat";
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  CollectingSink from_file, from_string;
  FeedReport file_report, string_report;
  EXPECT_TRUE(ReadZeekIntelFile(path, FeedOptions(), &from_file, &file_report));
  std::remove(path.c_str());
  EXPECT_TRUE(ReadZeekIntelString(text, path, FeedOptions(), &from_string, &string_report));
  ASSERT_EQ(from_file.indicators.size(), from_string.indicators.size());
  EXPECT_EQ(from_file.indicators.size(), 60002u);  // half the rows, the long one, the last
  for (size_t i = 0; i < from_file.indicators.size(); ++i) {
    ASSERT_EQ(from_file.indicators[i].clauses, from_string.indicators[i].clauses) << i;
    ASSERT_EQ(from_file.indicators[i].source, from_string.indicators[i].source) << i;
    ASSERT_EQ(from_file.indicators[i].where.line, from_string.indicators[i].where.line) << i;
  }
  EXPECT_EQ(from_file.indicators.back().source, "end");
  EXPECT_EQ(file_report.skipped, string_report.skipped);
  EXPECT_EQ(Messages(file_report), Messages(string_report));
}

TEST(ZeekIntelReader, FileThatCannotBeRead) {
  CollectingSink sink;
  FeedReport report;
  EXPECT_FALSE(ReadZeekIntelFile("/nonexistent/kagami/intel.dat", FeedOptions(), &sink, &report));
  EXPECT_EQ(Messages(report),
            std::vector<std::string>{"/nonexistent/kagami/intel.dat: error: cannot read "
                                     "indicator feed: No such file or directory"});
  EXPECT_EQ(report.format, "zeek");
}

TEST(ZeekIntelReader, ReadsAFile) {
  std::string path = ::testing::TempDir() + "kagami_zeek_intel_reader_test.dat";
  {
    std::ofstream out(path, std::ios::binary);
    out << kHeader << "192.0.2.1\tIntel::ADDR\tx\n";
  }
  CollectingSink sink;
  FeedReport report;
  EXPECT_TRUE(ReadZeekIntelFile(path, FeedOptions(), &sink, &report));
  std::remove(path.c_str());
  ASSERT_EQ(sink.indicators.size(), 1u);
  EXPECT_EQ(sink.indicators[0].where.file, path);
  EXPECT_EQ(report.path, path);
}

}  // namespace
}  // namespace kagami::feeds
