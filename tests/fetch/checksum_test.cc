#include "fetch/checksum.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kagami::fetch {
namespace {

constexpr char kAbcMd5[] = "900150983cd24fb0d6963f7d28e17f72";

TEST(ChecksumTest, DigestsAsLowerCaseHex) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("abc"), kAbcMd5);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Md5Hex(std::string("a\0b", 3)), Md5Hex(std::string_view("a\0b", 3)));
}

TEST(ChecksumTest, ParsesMd5FileForms) {
  for (const char* body : {"900150983cd24fb0d6963f7d28e17f72",
                           "900150983CD24FB0D6963F7D28E17F72\n",
                           "900150983cd24fb0d6963f7d28e17f72  emerging.rules.tar.gz\n",
                           "900150983cd24fb0d6963f7d28e17f72 *emerging.rules.tar.gz\r\n",
                           "  \n900150983cd24fb0d6963f7d28e17f72\n",
                           "\xEF\xBB\xBF" "900150983cd24fb0d6963f7d28e17f72\n",
                           "MD5 (emerging.rules.tar.gz) = 900150983cd24fb0d6963f7d28e17f72\n"}) {
    absl::StatusOr<std::string> md5 = ParseMd5File(body);
    ASSERT_TRUE(md5.ok()) << body << ": " << md5.status();
    EXPECT_EQ(*md5, kAbcMd5) << body;
  }
}

TEST(ChecksumTest, RejectsWhatIsNotAnMd5) {
  for (const char* body : {"", "\n", "<html><body>Not Found</body></html>",
                           "900150983cd24fb0d6963f7d28e17f7",  // 31 digits
                           "900150983cd24fb0d6963f7d28e17f72x",
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  x"}) {
    absl::StatusOr<std::string> md5 = ParseMd5File(body);
    ASSERT_FALSE(md5.ok()) << body;
    EXPECT_EQ(md5.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(md5.status().message()), ::testing::StartsWith("md5 file: expected 32 hex digits"));
  }
  EXPECT_EQ(std::string(ParseMd5File("<html>").status().message()),
            "md5 file: expected 32 hex digits at the start, found \"<html>\"");
}

}  // namespace
}  // namespace kagami::fetch
