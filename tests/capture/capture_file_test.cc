// OpenCaptureFile's choice of reader and refusals, and ExpandInputs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "tests/capture/read_all.h"
#include "tests/support/pcap_writer.h"

namespace kagami::capture {
namespace {

namespace fs = std::filesystem;
using kagami::testing::MakePcap;
using kagami::testing::MakePcapng;
using kagami::testing::ReadAll;
using kagami::testing::WriteTempFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(OpenCaptureFileTest, ChoosesReaderByMagicNotByName) {
  const std::vector<uint8_t> bytes = {1, 2, 3};
  // Deliberately misleading extensions.
  const std::string pcap = WriteTempFile("really-pcap.pcapng", MakePcap({{0, bytes, 0, 0}}));
  const std::string ng = WriteTempFile("really-ng.pcap", MakePcapng({{0, bytes, 0, 0}}, {101}));
  for (const std::string& path : {pcap, ng}) {
    absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
    ASSERT_TRUE(src.ok()) << src.status();
    auto r = ReadAll(**src);
    ASSERT_TRUE(r.end.ok()) << r.end;
    ASSERT_EQ(r.packets.size(), 1u);
    EXPECT_EQ(r.packets[0].bytes, bytes);
  }
}

TEST(OpenCaptureFileTest, BadMagic) {
  const std::string path = WriteTempFile("http.txt", "GET / HTTP/1.1\r\n\r\n");
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(src.status().message(), path + ": not a pcap or pcapng file (magic 0x47455420)");
}

TEST(OpenCaptureFileTest, ZeroLengthFile) {
  const std::string path = WriteTempFile("empty.pcap", "");
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().message(), path + ": empty file (not a pcap or pcapng file)");
}

TEST(OpenCaptureFileTest, ShorterThanAMagic) {
  const std::string path = WriteTempFile("tiny.pcap", "\xd4\xc3");
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().message(), path + ": not a pcap or pcapng file (only 2 bytes)");
}

TEST(OpenCaptureFileTest, MissingFile) {
  const std::string path = WriteTempFile("x", "") + ".does-not-exist";
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(src.status().message()), StartsWith(path + ": cannot open: "));
}

TEST(OpenCaptureFileTest, PipeCannotBeMapped) {
  const std::string path = WriteTempFile("x", "") + ".fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  // Would hang here if opening waited for a writer.
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  unlink(path.c_str());
  ASSERT_FALSE(src.ok());
  EXPECT_THAT(std::string(src.status().message()),
              StartsWith(path + ": not a regular file (capture files are memory-mapped"));
}

TEST(OpenCaptureFileTest, DirectoryIsNotACaptureFile) {
  const std::string dir = fs::path(WriteTempFile("x", "")).parent_path().string();
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(dir);
  ASSERT_FALSE(src.ok());
  EXPECT_THAT(std::string(src.status().message()), StartsWith(dir + ": not a regular file"));
}

// A scratch tree for ExpandInputs.
class ExpandInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(WriteTempFile("anchor", "")).parent_path() / "tree";
    fs::create_directories(root_ / "b" / "deeper");
    fs::create_directories(root_ / "a");
    fs::create_directories(root_ / "empty");
    for (const char* f : {"z.pcap", "b/deeper/2.pcap", "b/1.pcap", "a/x.pcapng"}) {
      std::ofstream(root_ / f) << "x";
    }
    // A directory symlink is not followed (no loops); a file symlink is a file.
    fs::create_directory_symlink(root_, root_ / "b" / "loop");
  }
  std::string P(const std::string& rel) const { return (root_ / rel).string(); }
  fs::path root_;
};

TEST_F(ExpandInputsTest, FilesKeepOrderDirectoriesAreSortedRecursively) {
  const std::string lone = WriteTempFile("lone.pcap", "x");
  absl::StatusOr<std::vector<std::string>> out = ExpandInputs({P("z.pcap"), P(""), lone});
  ASSERT_TRUE(out.ok()) << out.status();
  // P("") ends with a slash, and the expanded names keep the input's spelling.
  EXPECT_THAT(*out, ElementsAre(P("z.pcap"), P("a/x.pcapng"), P("b/1.pcap"),
                                P("b/deeper/2.pcap"), P("z.pcap"), lone));
}

TEST_F(ExpandInputsTest, EmptyDirectoryExpandsToNothing) {
  absl::StatusOr<std::vector<std::string>> out = ExpandInputs({P("empty")});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->empty());
}

TEST_F(ExpandInputsTest, MissingPathIsNamed) {
  absl::StatusOr<std::vector<std::string>> out =
      ExpandInputs({P("z.pcap"), P("nope.pcap"), P("a")});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(out.status().message()), StartsWith(P("nope.pcap") + ": "));
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("No such file or directory"));
}

}  // namespace
}  // namespace kagami::capture
