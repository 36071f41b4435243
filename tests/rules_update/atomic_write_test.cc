// Installing files: the atomic write (new content, kept mode, nothing left
// behind, the target untouched on failure) and threshold.in copied only
// when Kagami's threshold parser accepts every line.

#include "rules/update/atomic_write.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "rules/update/threshold_passthrough.h"

namespace kagami::rules::update {
namespace {

namespace fs = std::filesystem;

class AtomicWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kagami-update-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void Write(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
  }
  // Everything in the directory, to show no temporary file is left.
  std::vector<std::string> Entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

TEST_F(AtomicWriteTest, CreatesAndReplaces) {
  const std::string target = (dir_ / "suricata.rules").string();
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(target, "one\n", &error)) << error;
  EXPECT_EQ(Read(target), "one\n");
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);

  ASSERT_EQ(::chmod(target.c_str(), 0640), 0);
  ASSERT_TRUE(WriteFileAtomically(target, "two\n", &error)) << error;
  EXPECT_EQ(Read(target), "two\n");
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);  // the target's mode is kept
  EXPECT_EQ(Entries(), std::vector<std::string>{"suricata.rules"});
}

TEST_F(AtomicWriteTest, MissingDirectoryFailsAndCreatesNothing) {
  const std::string target = (dir_ / "no-such-dir" / "suricata.rules").string();
  std::string error;
  EXPECT_FALSE(WriteFileAtomically(target, "x", &error));
  EXPECT_NE(error.find("cannot create a temporary file in " + (dir_ / "no-such-dir").string()), std::string::npos)
      << error;
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AtomicWriteTest, FailedRenameLeavesTargetAsItWasAndNoTemporary) {
  // The target is a non-empty directory: rename(2) over it fails after
  // the new bytes were written, the latest point a write can fail.
  const fs::path target = dir_ / "suricata.rules";
  fs::create_directory(target);
  Write(target / "keep", "old");
  std::string error;
  EXPECT_FALSE(WriteFileAtomically(target.string(), "new", &error));
  EXPECT_NE(error.find("cannot rename"), std::string::npos) << error;
  EXPECT_TRUE(fs::is_directory(target));
  EXPECT_EQ(Read(target / "keep"), "old");
  EXPECT_EQ(Entries(), std::vector<std::string>{"suricata.rules"});
}

TEST_F(AtomicWriteTest, ThresholdFileIsCopiedUnchangedWhenValid) {
  const std::string in = (dir_ / "threshold.in").string();
  const std::string out = (dir_ / "threshold.config").string();
  const std::string text =
      "# tuning\n"
      "suppress gen_id 1, sig_id 2002087\n"
      "\n"
      "threshold gen_id 1, sig_id 2002088, type limit, track by_src, count 1, seconds 60  # noisy\n";
  Write(in, text);
  ThresholdCheck check;
  std::string error;
  ASSERT_TRUE(CopyThresholdFile(in, out, {}, &check, &error)) << error;
  EXPECT_EQ(check.errors, 0u);
  EXPECT_EQ(Read(out), text);
}

TEST_F(AtomicWriteTest, InvalidThresholdFileIsNotInstalled) {
  const std::string in = (dir_ / "threshold.in").string();
  const std::string out = (dir_ / "threshold.config").string();
  Write(out, "suppress gen_id 1, sig_id 1\n");
  Write(in,
        "suppress gen_id 1, sig_id 2002087\n"
        "suppress gen_id 1, sig_id 2002088, track by_sideways, ip 1.2.3.4\n"
        "threshold re:heartbleed, type limit, track by_src, count 1, seconds 60\n");
  ThresholdCheck check;
  std::string error;
  EXPECT_FALSE(CopyThresholdFile(in, out, {}, &check, &error));
  EXPECT_EQ(check.errors, 2u);
  ASSERT_EQ(check.diagnostics.size(), 2u);
  EXPECT_EQ(check.diagnostics[0].location.file, in);
  EXPECT_EQ(check.diagnostics[0].location.line, 2);
  EXPECT_EQ(check.diagnostics[1].location.line, 3);
  EXPECT_NE(error.find("2 errors"), std::string::npos) << error;
  EXPECT_EQ(Read(out), "suppress gen_id 1, sig_id 1\n");  // untouched
}

TEST_F(AtomicWriteTest, UnreadableThresholdInput) {
  ThresholdCheck check;
  std::string error;
  EXPECT_FALSE(CopyThresholdFile((dir_ / "missing.in").string(), (dir_ / "t.config").string(), {}, &check, &error));
  EXPECT_NE(error.find("cannot read"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "t.config"));
}

}  // namespace
}  // namespace kagami::rules::update
