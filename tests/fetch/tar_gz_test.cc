// ReadTarGz over archives built here: the formats rule tarballs come in,
// gzip around them, and damaged or hostile archives with the offsets their
// errors must name.

#include "fetch/tar_gz.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "fetch/gunzip.h"
#include "tests/fetch/tar_builder.h"
#include "tests/support/http_body.h"

namespace kagami::fetch {
namespace {

using testing::TarBuilder;
using ::testing::HasSubstr;

constexpr size_t kCap = 16 << 20;

std::vector<std::pair<std::string, std::string>> Files(const std::vector<TarEntry>& entries) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const TarEntry& e : entries) out.emplace_back(e.path, e.contents);
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(TarGzTest, ReadsRegularFilesOfAGzippedArchive) {
  const std::string tar = TarBuilder()
                              .Entry("rules/", "", '5')
                              .File("rules/emerging-malware.rules", "alert tcp any any -> any any (sid:1;)\n")
                              .File("./rules/classification.config", "config classification: x,y,1\n")
                              .Entry("rules/link.rules", "", '2')
                              .File("empty.txt", "")
                              .Finish();
  for (const std::string& archive : {tar, kagami::testing::Gzip(tar)}) {
    absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(archive, kCap);
    ASSERT_TRUE(entries.ok()) << entries.status();
    EXPECT_EQ(Files(*entries), (Pairs{{"rules/emerging-malware.rules", "alert tcp any any -> any any (sid:1;)\n"},
                                      {"rules/classification.config", "config classification: x,y,1\n"},
                                      {"empty.txt", ""}}));
  }
}

TEST(TarGzTest, ReadsLongNamesInEveryForm) {
  const std::string long_dir(120, 'd');
  const std::string gnu_name = long_dir + "/gnu.rules";
  const std::string pax_name = long_dir + "/pax.rules";
  const std::string tar = TarBuilder()
                              .GnuLongFile(gnu_name, "gnu")
                              .PaxFile(pax_name, "pax")
                              .Entry("prefixed.rules", "ustar", '0', TarBuilder::Magic::kPosix, long_dir)
                              .Base256File("b256.rules", std::string(700, 'z'))
                              .Entry("old.rules", "v7", '\0', TarBuilder::Magic::kNone)
                              .Entry("old-dir/", "", '\0', TarBuilder::Magic::kNone)
                              .File("after.rules", "plain")
                              .Finish();
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(tar, kCap);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Files(*entries), (Pairs{{gnu_name, "gnu"},
                                    {pax_name, "pax"},
                                    {long_dir + "/prefixed.rules", "ustar"},
                                    {"b256.rules", std::string(700, 'z')},
                                    {"old.rules", "v7"},
                                    {"after.rules", "plain"}}));
}

TEST(TarGzTest, ArchiveSplitOverGzipMembersAndWithoutEndMarker) {
  const std::string tar = TarBuilder().File("a.rules", std::string(3000, 'a')).File("b.rules", "b").Finish(false);
  const std::string gz = kagami::testing::Gzip(tar.substr(0, 1000)) + kagami::testing::Gzip(tar.substr(1000));
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(gz, kCap);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(Files(*entries), (Pairs{{"a.rules", std::string(3000, 'a')}, {"b.rules", "b"}}));
}

TEST(TarGzTest, IgnoresWhatFollowsTheEndMarker) {
  const std::string tar = TarBuilder().File("a.rules", "a").Finish() + "trailing junk that is not a header";
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(tar, kCap);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(entries->size(), 1u);
}

TEST(TarGzTest, BadChecksumNamesTheHeaderOffset) {
  // a.rules: header at 0, 600 bytes of data in two blocks; b.rules at 1536.
  std::string tar = TarBuilder().File("a.rules", std::string(600, 'a')).File("b.rules", "b").Finish();
  tar[1536 + 100] ^= 1;  // its mode field
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(tar, kCap);
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(entries.status().message()), "tar: header at offset 1536: bad checksum");
  // The same offset, in the decompressed tar, through gzip.
  entries = ReadTarGz(kagami::testing::Gzip(tar), kCap);
  EXPECT_EQ(std::string(entries.status().message()), "tar: header at offset 1536: bad checksum");
}

TEST(TarGzTest, TruncatedHeader) {
  const std::string tar = TarBuilder().File("a.rules", std::string(600, 'a')).File("b.rules", "b").Finish();
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(tar.substr(0, 1536 + 100), kCap);
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(std::string(entries.status().message()), "tar: header at offset 1536: truncated (100 of 512 bytes)");
}

TEST(TarGzTest, SizeBeyondTheEnd) {
  const std::string tar = TarBuilder().File("a.rules", "a").File("b.rules", std::string(9000, 'b')).Finish(false);
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(tar.substr(0, 1024 + 512 + 88), kCap);
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(std::string(entries.status().message()),
            "tar: header at offset 1024: entry \"b.rules\" of 9000 bytes runs past the end of the archive (88 bytes "
            "left)");
}

TEST(TarGzTest, BadSizeField) {
  std::string tar = TarBuilder().File("a.rules", "a").Finish();
  std::memcpy(&tar[124], "0000000009x", 11);  // not octal
  // Re-seal so that the checksum is right and the size is what fails.
  std::memset(&tar[148], ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(tar[i]);
  std::snprintf(&tar[148], 8, "%06o", sum);
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(tar, kCap);
  EXPECT_EQ(std::string(entries.status().message()), "tar: header at offset 0: bad size field");
}

TEST(TarGzTest, RefusesPathsOutsideTheArchive) {
  for (const char* path : {"../etc/cron.d/x", "rules/../../x", "/etc/passwd"}) {
    absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(TarBuilder().File(path, "x").Finish(), kCap);
    ASSERT_FALSE(entries.ok()) << path;
    EXPECT_THAT(std::string(entries.status().message()), HasSubstr("unsafe path")) << path;
  }
  // ".." inside a name is just a name.
  EXPECT_TRUE(ReadTarGz(TarBuilder().File("rules/a..b", "x").Finish(), kCap).ok());
}

TEST(TarGzTest, EmptyOrZeroArchives) {
  EXPECT_EQ(std::string(ReadTarGz("", kCap).status().message()), "tar: empty archive");
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(std::string(1024, '\0'), kCap);
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->empty());
}

TEST(TarGzTest, CapStopsAGzipBomb) {
  // 64 MiB of zeros in a file squeeze into about 64 KiB.
  const std::string tar = TarBuilder().File("bomb", std::string(64 << 20, '\0')).Finish();
  const std::string gz = kagami::testing::Gzip(tar);
  ASSERT_LT(gz.size(), 1u << 20);
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(gz, 1 << 20);
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(entries.status().message()), "gzip: more than 1048576 bytes once decompressed");
  // A plain tar over the cap fails too.
  entries = ReadTarGz(TarBuilder().File("a", std::string(5000, 'a')).Finish(), 4096);
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(entries.status().message()), HasSubstr("over the limit of 4096"));
}

TEST(TarGzTest, DamagedGzip) {
  const std::string tar = TarBuilder().File("a.rules", std::string(20000, 'a') + "end").Finish();
  const std::string gz = kagami::testing::Gzip(tar);
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTarGz(gz.substr(0, gz.size() / 2), kCap);
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(std::string(entries.status().message()), "gzip: truncated at byte " + std::to_string(gz.size() / 2));

  std::string crc = gz;
  crc[crc.size() - 6] ^= 0x55;  // the CRC-32 in the trailer
  entries = ReadTarGz(crc, kCap);
  ASSERT_FALSE(entries.ok());
  EXPECT_THAT(std::string(entries.status().message()), ::testing::StartsWith("gzip: byte "));
  EXPECT_THAT(std::string(entries.status().message()), HasSubstr("incorrect data check"));
}

TEST(GunzipTest, ReadsMembersAndIgnoresTrailingBytes) {
  const std::string gz = kagami::testing::Gzip("abc") + kagami::testing::Gzip("def") + std::string(8, '\0');
  absl::StatusOr<std::string> out = Gunzip(gz, 100);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "abcdef");
  EXPECT_EQ(Gunzip(gz, 5).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Gunzip(gz, 6).value(), "abcdef");
}

}  // namespace
}  // namespace kagami::fetch
