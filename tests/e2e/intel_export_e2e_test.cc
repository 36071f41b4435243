// End-to-end: `kagami intel export --to stix` turns a CSV feed into a STIX 2.1
// bundle that `kagami rules check --intel` loads with the same counts per
// indicator type; a second export is byte-identical; JA3 rows are skipped and
// counted; misuse exits 2 and a feed with errors exits 1 without output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/kagami_process.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kCsv[] =
    "type,value,family,actor,campaign_or_report,source,source_url,confidence,description\n"
    "ipv4,198.51.100.7,Daserf,Tick,July 2017,JPCERT,https://example.org/report,high,C2\n"
    "ip-dst,203.0.113.0/24,Daserf,Tick,,JPCERT,https://example.org/report,medium,\n"
    "ipv6,2001:db8::7,,,,,,,\n"
    "domain,gokickes-example.com,Daserf,Tick,July 2017,JPCERT,https://example.org/report,high,\n"
    "url,http://blog.softfix-example.kr/news/index.php?id=7,Daserf,Tick,,,,medium,\n"
    "http_user_agent,Mozilla/4.0 (compatible; 'MSIE' 6.0; \\Tick),Datper,,,,,low,\"quoted \"\"UA\"\"\"\n"
    "sha256,2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae,,,,,,,\n"
    "cert_sha1,0123456789abcdef0123456789abcdef01234567,,,,,,,\n";

class IntelExportE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-intel-export-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // What `rules check --intel` says about one feed: "N indicators: ...".
  std::string CheckedCounts(const std::string& feed) {
    ProcessResult r = RunKagami({"rules", "check", "--intel", feed}, dir_);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string name = feed.substr(feed.rfind('/') + 1);
    for (const std::string& line : Lines(r.out)) {
      const size_t at = line.find("): ");
      if (line.find(name) != std::string::npos && at != std::string::npos) return line.substr(at + 3);
    }
    ADD_FAILURE() << "no line for " << name << " in: " << r.out;
    return "";
  }

  std::string dir_;
};

TEST_F(IntelExportE2eTest, ExportedBundleLoadsWithTheSameCountsAndIsReproducible) {
  const std::string csv = Write("pack.csv", kCsv);
  const std::string out = dir_ + "/pack.json";
  ProcessResult r = RunKagami({"intel", "export", "--to", "stix", "-o", out, csv}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_THAT(r.err, HasSubstr("8 indicators written, 0 skipped (no STIX object for ja3/ja3s/ja4)"));
  const std::string bundle = ReadFile(out);
  EXPECT_THAT(bundle, HasSubstr("\"type\": \"bundle\""));
  EXPECT_THAT(bundle, HasSubstr("\"created\": \"2024-01-01T00:00:00.000Z\""));
  EXPECT_THAT(bundle, HasSubstr("\"name\": \"Kagami\""));
  EXPECT_THAT(bundle, HasSubstr("\"relationship_type\": \"uses\""));  // every Daserf row names Tick
  const std::string from_csv = CheckedCounts(csv);
  EXPECT_THAT(from_csv, HasSubstr("8 indicators"));
  EXPECT_EQ(CheckedCounts(out), from_csv);

  // Again, to stdout: the same bytes.
  ProcessResult again = RunKagami({"intel", "export", "--to", "stix", csv}, dir_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, bundle);
  // And the bundle itself exports to the same indicators (its ids kept).
  const std::string out2 = dir_ + "/pack2.json";
  ProcessResult re = RunKagami({"intel", "export", "--to", "stix", "-o", out2, out}, dir_);
  ASSERT_EQ(re.exit_code, 0) << re.err;
  EXPECT_EQ(CheckedCounts(out2), from_csv);
}

TEST_F(IntelExportE2eTest, OptionsFingerprintsAndErrors) {
  const std::string csv =
      Write("fp.csv", std::string(kCsv) + "ja3,e7d705a3286e19ea42f587b344ee6865,,,,,,,\n" + "ipv4,999.1.1.1,,,,,,,\n");
  ProcessResult r = RunKagami({"intel", "export", "--to", "stix", "--created", "2023-05-06T07:08:09Z", "--identity",
                               "Example Pack", csv},
                              dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;  // a bad row is a warning: the rest exports
  EXPECT_THAT(r.err, HasSubstr("8 indicators written, 1 skipped (no STIX object for ja3/ja3s/ja4)"));
  EXPECT_THAT(r.err, HasSubstr("fp.csv:10:"));  // the ja3 row's note
  EXPECT_THAT(r.err, HasSubstr("fp.csv:11:"));  // the bad address's warning
  EXPECT_THAT(r.out, HasSubstr("\"created\": \"2023-05-06T07:08:09Z\""));
  EXPECT_THAT(r.out, HasSubstr("\"name\": \"Example Pack\""));

  // Misuse: 2.
  EXPECT_EQ(RunKagami({"intel", "export", "--to", "csv", csv}, dir_).exit_code, 2);
  EXPECT_EQ(RunKagami({"intel", "export", csv}, dir_).exit_code, 2);
  EXPECT_EQ(RunKagami({"intel", "export", "--to", "stix", "--created", "now", csv}, dir_).exit_code, 2);
  EXPECT_EQ(RunKagami({"intel", "export", "--to", "stix", dir_ + "/missing.csv"}, dir_).exit_code, 2);
  EXPECT_EQ(RunKagami({"intel", "export", "--to", "stix", "-o", dir_ + "/no/such/dir.json", csv}, dir_).exit_code, 2);

  // A feed with an error: 1, and nothing written.
  const std::string bad = Write("bad.json", "{\"type\":\"bundle\",\"objects\":[{oops");
  const std::string out = dir_ + "/never.json";
  ProcessResult broken = RunKagami({"intel", "export", "--to", "stix", "-o", out, csv, bad}, dir_);
  EXPECT_EQ(broken.exit_code, 1) << broken.err;
  EXPECT_THAT(broken.err, HasSubstr("bad.json:1:"));
  EXPECT_NE(access(out.c_str(), F_OK), 0);
}

// The shipped Tick feed is generated from its reviewed source by `make packs`
// and never edited by hand: regenerating it gives the committed bytes.
TEST_F(IntelExportE2eTest, ShippedTickBundleIsGeneratedFromItsSource) {
  const std::string root = KAGAMI_SOURCE_DIR;
  const std::string source = root + "/rules/packs/tick/source/tick-indicators.csv";
  const std::string shipped = root + "/rules/packs/tick/intel/tick-indicators.stix.json";
  const std::string out = dir_ + "/regenerated.stix.json";
  // The same command as the Makefile's `packs` target.
  ProcessResult r = RunKagami(
      {"intel", "export", "--to", "stix", "--created", "2026-11-26T00:00:00.000Z", "-o", out, source}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(out), ReadFile(shipped)) << "run `make packs` after editing " << source;
}

}  // namespace
}  // namespace kagami::testing
