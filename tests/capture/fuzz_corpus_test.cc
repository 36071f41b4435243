// The fuzz seeds are tiny valid captures; they must stay valid, or the fuzzer
// starts from inputs that are rejected at the first byte.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "capture/packet_source.h"
#include "tests/capture/read_all.h"

namespace kagami::capture {
namespace {

TEST(FuzzCorpusTest, EverySeedReadsToACleanEnd) {
  const std::string dir = std::string(KAGAMI_SOURCE_DIR) + "/tests/fuzz/corpus/pcap_reader";
  absl::StatusOr<std::vector<std::string>> files = ExpandInputs({dir});
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_FALSE(files->empty());
  for (const std::string& path : *files) {
    absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
    ASSERT_TRUE(src.ok()) << src.status();
    kagami::testing::ReadResult r = kagami::testing::ReadAll(**src);
    EXPECT_TRUE(r.end.ok()) << r.end;
    EXPECT_FALSE(r.packets.empty()) << path;
    EXPECT_LT(std::filesystem::file_size(path), 2048u) << path;
  }
}

}  // namespace
}  // namespace kagami::capture
