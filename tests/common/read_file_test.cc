// ReadWholeFile: every byte of a file, whatever size it claims, and a reason
// when it cannot be read.
#include "common/read_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace kagami {
namespace {

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-readfile-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string dir_;
};

TEST_F(ReadFileTest, ReadsEveryByteIncludingNuls) {
  std::string bytes(200'000, 'x');
  bytes[7] = '\0';
  bytes.back() = '\n';
  std::ofstream(dir_ + "/f", std::ios::binary) << bytes;
  std::string out, error;
  ASSERT_TRUE(ReadWholeFile(dir_ + "/f", &out, &error)) << error;
  EXPECT_EQ(out, bytes);
}

TEST_F(ReadFileTest, EmptyFileIsEmpty) {
  std::ofstream(dir_ + "/empty");
  std::string out = "stale", error;
  ASSERT_TRUE(ReadWholeFile(dir_ + "/empty", &out, &error));
  EXPECT_EQ(out, "");
}

// /proc files say they are 0 bytes long; the reader goes by what read()
// returns, not by the size.
TEST_F(ReadFileTest, FilesThatUnderstateTheirSizeAreReadToTheEnd) {
  std::string out, error;
  ASSERT_TRUE(ReadWholeFile("/proc/self/status", &out, &error)) << error;
  EXPECT_NE(out.find("Name:"), std::string::npos);
  EXPECT_EQ(out.back(), '\n');
}

TEST_F(ReadFileTest, MissingFileAndDirectoryGiveTheReason) {
  std::string out, error;
  EXPECT_FALSE(ReadWholeFile(dir_ + "/missing", &out, &error));
  EXPECT_EQ(error, "No such file or directory");
  EXPECT_FALSE(ReadWholeFile(dir_, &out, &error));
  EXPECT_EQ(error, "is a directory");
}

}  // namespace
}  // namespace kagami
