// End-to-end: kagami rules update against a real HTTP server on loopback
// serving ET Open (../shared/bench/rules/et-open.rules) as a tarball with
// an .md5, with every management file kind, conditional requests, a
// corrupt download, a truncated set, and a reload of a running sensor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "fetch/checksum.h"
#include "tests/e2e/kagami_process.h"
#include "tests/support/http_test_server.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string EtOpenPath() { return std::string(KAGAMI_SOURCE_DIR) + "/../shared/bench/rules/et-open.rules"; }

// The sid of a rule line ("" when it has none), read without a regex:
// ET Open has tens of thousands of lines.
std::string SidOf(const std::string& line) {
  for (size_t at = line.find("sid:"); at != std::string::npos; at = line.find("sid:", at + 4)) {
    if (at > 0 && line[at - 1] != ' ' && line[at - 1] != ';' && line[at - 1] != '(') continue;
    size_t i = at + 4;
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
    if (j > i && j < line.size() && line[j] == ';') return line.substr(i, j - i);
  }
  return "";
}

// The merged file's line for `sid`, or "" when absent.
std::string LineOf(const std::string& merged, const std::string& sid) {
  for (const std::string& line : Lines(merged)) {
    if (SidOf(line) == sid) return line;
  }
  return "";
}

class RulesUpdateE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-update-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/src/rules");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // A .tar.gz holding rules/NAME for each file, made with tar(1).
  std::string Tarball(const std::vector<std::pair<std::string, std::string>>& files) {
    std::filesystem::remove_all(dir_ + "/src/rules");
    std::filesystem::create_directories(dir_ + "/src/rules");
    for (const auto& [name, text] : files) std::ofstream(dir_ + "/src/rules/" + name, std::ios::binary) << text;
    const std::string out = dir_ + "/src.tar.gz";
    EXPECT_EQ(std::system(("tar -C " + dir_ + "/src -czf " + out + " rules").c_str()), 0);
    return ReadFile(out);
  }
  // Serves `body` at /emerging.rules.tar.gz with ETag `etag` (answering
  // If-None-Match with 304) and its md5 at /emerging.rules.tar.gz.md5.
  void ServeTarball(const std::string& body, const std::string& etag, const std::string& md5) {
    server_.Handle("/emerging.rules.tar.gz", [body, etag](const HttpTestRequest& r) {
      HttpTestResponse resp;
      const std::string* inm = r.Header("if-none-match");
      if (inm && *inm == etag) {
        resp.status = 304;
        resp.headers = {{"ETag", etag}};
        return resp;
      }
      resp.headers = {{"ETag", etag}, {"Content-Type", "application/gzip"}};
      resp.body = body;
      return resp;
    });
    server_.Serve("/emerging.rules.tar.gz.md5", {.body = md5 + "  emerging.rules.tar.gz\n"});
  }
  ProcessResult Update(std::vector<std::string> extra) {
    std::vector<std::string> args = {"rules", "update", "--source",
                                     server_.Url("/emerging.rules.tar.gz") + "#md5=auto", "-o", dir_ + "/merged.rules",
                                     "--cache-dir", dir_ + "/cache"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunKagami(args, dir_);
  }

  std::string dir_;
  HttpTestServer server_;
};

// ET Open split into two files of a tarball, and one management file of
// each kind: each changes exactly the sids it names.
TEST_F(RulesUpdateE2eTest, InstallsEtOpenWithEachManagementFileAndSkipsAnUnchangedDownload) {
  const std::string et = ReadFile(EtOpenPath());
  if (et.empty()) GTEST_SKIP() << "no " << EtOpenPath();
  // Split at a line boundary near the middle: two files, so group: has
  // something to tell apart.
  const size_t mid = et.find('\n', et.size() / 2) + 1;
  const std::string first = et.substr(0, mid), second = et.substr(mid);
  // Two enabled rules of the first file and one of the second, by sid.
  std::vector<std::string> sids;
  for (const auto& [part, wanted] : {std::pair{&first, 3}, std::pair{&second, 2}}) {
    int taken = 0;
    for (const std::string& line : Lines(*part)) {
      if (line.rfind("alert ", 0) == 0 && !SidOf(line).empty() && line.find("flowbits") == std::string::npos) {
        sids.push_back(SidOf(line));
        if (++taken == wanted) break;
      }
    }
  }
  ASSERT_GE(sids.size(), 5u);
  const std::string disabled = sids[0], dropped = sids[1], modified = sids[2], grouped = sids[3];
  const std::string tarball = Tarball({{"emerging-a.rules", first}, {"emerging-b.rules", second}});
  ServeTarball(tarball, "\"v1\"", fetch::Md5Hex(tarball));
  ASSERT_TRUE(server_.Start());

  const std::string disable = Write("disable.conf", "# off\n" + disabled + "\ngroup:emerging-b.rules\n");
  const std::string enable = Write("enable.conf", grouped + "\n");
  const std::string drop = Write("drop.conf", "1:" + dropped + "\n");
  const std::string modify = Write("modify.conf", modified + " \"msg:\\\"\" \"msg:\\\"KAGAMI-MODIFIED \"\n");
  const std::string report = dir_ + "/report.json";
  ProcessResult r = Update({"--disable-conf", disable, "--enable-conf", enable, "--drop-conf", drop, "--modify-conf",
                            modify, "--report", report});
  // ET Open has rules Kagami's loader rejects (a few, well under the
  // refusal share): installed, exit 1 to say so.
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("merged.rules: installed"));
  EXPECT_THAT(r.err, HasSubstr("downloaded"));
  const std::string merged = ReadFile(dir_ + "/merged.rules");
  EXPECT_THAT(LineOf(merged, disabled), ::testing::StartsWith("# alert ")) << "disable.conf by sid";
  EXPECT_THAT(LineOf(merged, dropped), ::testing::StartsWith("drop ")) << "drop.conf by gid:sid";
  EXPECT_THAT(LineOf(merged, modified), HasSubstr("msg:\"KAGAMI-MODIFIED ")) << "modify.conf";
  EXPECT_THAT(LineOf(merged, grouped), ::testing::StartsWith("alert ")) << "enable.conf wins over group:";
  EXPECT_THAT(LineOf(merged, sids[4]), ::testing::StartsWith("# alert ")) << "group: disabled the second file";
  // Nothing else changed: every enabled rule of the first file other than
  // the three named is still enabled, as written.
  const std::vector<std::string> merged_lines = Lines(merged);
  const std::set<std::string> written(merged_lines.begin(), merged_lines.end());
  size_t unchanged = 0;
  for (const std::string& line : Lines(first)) {
    const std::string sid = SidOf(line);
    if (line.rfind("alert ", 0) != 0 || sid.empty() || sid == disabled || sid == dropped || sid == modified) continue;
    if (written.contains(line)) ++unchanged;
  }
  EXPECT_GT(unchanged, 5000u);
  const std::string json = ReadFile(report);
  EXPECT_THAT(json, HasSubstr("\"1:" + dropped + "\""));
  // The load check ran on the merged set before it was installed.
  EXPECT_THAT(r.err, ::testing::ContainsRegex("check: [0-9]{5} rules loaded, [0-9]+ failed"));

  // Again: the server says 304, nothing is downloaded, nothing changes.
  server_.ClearRequests();
  ProcessResult again = Update({"--disable-conf", disable, "--enable-conf", enable, "--drop-conf", drop,
                                "--modify-conf", modify});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_THAT(again.err, HasSubstr("not modified, using the cached copy"));
  EXPECT_THAT(again.out, HasSubstr("merged.rules: unchanged"));
  const auto requests = server_.RequestsTo("/emerging.rules.tar.gz");
  ASSERT_EQ(requests.size(), 1u);
  ASSERT_NE(requests[0].Header("if-none-match"), nullptr);
  EXPECT_EQ(*requests[0].Header("if-none-match"), "\"v1\"");
}

TEST_F(RulesUpdateE2eTest, RefusesACorruptDownloadAndATruncatedSet) {
  std::string rules;
  for (int sid = 1; sid <= 200; ++sid) {
    rules += "alert tcp any any -> any any (msg:\"r" + std::to_string(sid) + "\"; content:\"x" + std::to_string(sid) +
             "\"; sid:" + std::to_string(sid) + "; rev:1;)\n";
  }
  const std::string tarball = Tarball({{"local.rules", rules}});
  ServeTarball(tarball, "\"a\"", fetch::Md5Hex(tarball));
  ASSERT_TRUE(server_.Start());
  ProcessResult first = Update({});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const std::string installed = ReadFile(dir_ + "/merged.rules");
  ASSERT_NE(LineOf(installed, "200"), "");

  // The md5 file disagrees with the tarball: refused, the file stays.
  ServeTarball(tarball + "junk", "\"b\"", fetch::Md5Hex(tarball));
  ProcessResult corrupt = Update({});
  EXPECT_EQ(corrupt.exit_code, 2);
  EXPECT_THAT(corrupt.err, HasSubstr("corrupt download"));
  EXPECT_EQ(ReadFile(dir_ + "/merged.rules"), installed);

  // A set a tenth the size of the installed one: refused.
  std::string few;
  for (int sid = 1; sid <= 20; ++sid) few += LineOf(installed, std::to_string(sid)) + "\n";
  const std::string small = Tarball({{"local.rules", few}});
  ServeTarball(small, "\"c\"", fetch::Md5Hex(small));
  ProcessResult truncated = Update({});
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_THAT(truncated.err, HasSubstr("refused"));
  EXPECT_EQ(ReadFile(dir_ + "/merged.rules"), installed);
  // Allowed when the operator says so.
  ProcessResult allowed = Update({"--min-previous-share", "0"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(LineOf(ReadFile(dir_ + "/merged.rules"), "200"), "");

  // A management file with a bad line: nothing installed.
  const std::string bad = Write("disable.conf", "re:(unclosed\n");
  ProcessResult broken = Update({"--disable-conf", bad, "--min-previous-share", "0"});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_THAT(broken.err, HasSubstr("disable.conf:1:"));
}

TEST_F(RulesUpdateE2eTest, ReadsOptionsFromAConfigFileAndPlainRuleFilesByFileUrl) {
  const std::string rules = Write("plain.rules", "alert udp any any -> any 53 (msg:\"p\"; content:\"q\"; sid:7;)\n");
  const std::string config = Write("update.yaml", "source: [\"file://" + rules + "\"]\noutput: " + dir_ +
                                                      "/out.rules\nno-cache: true\n");
  ProcessResult r = RunKagami({"rules", "update", "--config", config}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(ReadFile(dir_ + "/out.rules"), HasSubstr("sid:7;"));
  // A missing file is an error naming it; nothing is installed.
  ProcessResult missing = RunKagami(
      {"rules", "update", "--source", "file://" + dir_ + "/nope.rules", "-o", dir_ + "/other.rules", "--no-cache"},
      dir_);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("nope.rules"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/other.rules"));
}

// --reload asks a running sensor to read the new file.
TEST_F(RulesUpdateE2eTest, ReloadsARunningSensorWhenTheSetChanged) {
  const std::string out = dir_ + "/sensor.rules", sock = dir_ + "/control.sock";
  std::ofstream(out) << "alert udp any any -> any 9 (msg:\"old\"; content:\"a\"; sid:1;)\n";
  const std::string src =
      Write("new.rules",
            "alert udp any any -> any 9 (msg:\"old\"; content:\"a\"; sid:1;)\n"
            "alert udp any any -> any 9 (msg:\"new\"; content:\"b\"; sid:2;)\n");
  std::filesystem::create_directories(dir_ + "/live");
  pid_t live = StartKagami({"live", "-i", "lo", "--capture", "pcap", "--bpf", "udp port 9", "--rules", out,
                            "--control-socket", sock, "--workers", "1", "--stats-interval", "0", "--eve",
                            dir_ + "/eve.json"},
                           dir_ + "/live");
  ASSERT_GT(live, 0);
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    up = ReadFile(dir_ + "/live/stderr").find("listening on") != std::string::npos;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!up) {
    kill(live, SIGKILL);
    WaitKagami(live, dir_ + "/live");
    GTEST_SKIP() << "cannot capture on lo here: " << ReadFile(dir_ + "/live/stderr");
  }
  ProcessResult r = RunKagami({"rules", "update", "--source", "file://" + src, "-o", out, "--no-cache", "--reload",
                               "--control-socket", sock},
                              dir_);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("reload: {\"ok\":true"));
  // Unchanged now: no reload asked for.
  ProcessResult again = RunKagami({"rules", "update", "--source", "file://" + src, "-o", out, "--no-cache",
                                   "--reload", "--control-socket", sock},
                                  dir_);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("reload: not needed"));
  kill(live, SIGTERM);
  ProcessResult stopped = WaitKagami(live, dir_ + "/live");
  EXPECT_THAT(stopped.err, HasSubstr("reload #2 ok: 2 rules"));
}

}  // namespace
}  // namespace kagami::testing
