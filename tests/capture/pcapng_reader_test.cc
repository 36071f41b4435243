#include "capture/pcapng_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "tests/capture/pcapng_builder.h"
#include "tests/capture/read_all.h"
#include "tests/support/pcap_writer.h"

namespace kagami::capture {
namespace {

using kagami::testing::MakePcapng;
using kagami::testing::PcapngBuilder;
using kagami::testing::ReadAll;
using kagami::testing::ReadResult;
using kagami::testing::TestPacket;
using kagami::testing::WriteTempFile;

constexpr int64_t kT0 = 1700000000LL * 1000000000LL;
const std::vector<uint8_t> kFour = {1, 2, 3, 4};
const std::vector<uint8_t> kFive = {9, 8, 7, 6, 5};

// Opens `contents` written to a temp file; reads everything.
ReadResult ReadFile(const std::string& contents, std::string* path_out = nullptr) {
  const std::string path = WriteTempFile("test.pcapng", contents);
  if (path_out != nullptr) *path_out = path;
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  if (!src.ok()) return {{}, src.status()};
  return ReadAll(**src);
}

TEST(PcapngReaderTest, TwoInterfacesWithTheirOwnLinkTypes) {
  std::vector<TestPacket> in = {
      {kT0 + 1000, kFour, 0, 0},
      {kT0 + 2000, kFive, 1, 1514},
      {kT0 + 3000, kFour, 0, 0},
  };
  std::string path;
  ReadResult r = ReadFile(MakePcapng(in, {kLinkEthernet, kLinkRaw}), &path);
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 3u);
  EXPECT_EQ(r.packets[0].view.linktype, kLinkEthernet);
  EXPECT_EQ(r.packets[1].view.linktype, kLinkRaw);
  EXPECT_EQ(r.packets[2].view.linktype, kLinkEthernet);
  EXPECT_EQ(r.packets[1].view.ts_ns, kT0 + 2000);
  EXPECT_EQ(r.packets[1].view.caplen, 5u);
  EXPECT_EQ(r.packets[1].view.wirelen, 1514u);
  EXPECT_EQ(r.packets[1].bytes, kFive);
  EXPECT_EQ(r.packets[2].view.index, 3u);
  // SHB 28 + two IDBs of 20, then EPBs of 32 + padded data.
  EXPECT_EQ(r.packets[0].view.offset, 68u);
  EXPECT_EQ(r.packets[1].view.offset, 68u + 36);
  EXPECT_EQ(r.packets[2].view.offset, 68u + 36 + 40);
}

TEST(PcapngReaderTest, TimestampResolutionsAndOffset) {
  PcapngBuilder b;
  b.Section();
  b.Interface(1, 0, b.Option(9, {9}));                    // 10^-9: nanoseconds
  b.Interface(1, 0, b.Option(9, {3}));                    // 10^-3: milliseconds
  b.Interface(1, 0, b.Option(9, {0x80 | 10}));            // 2^-10 s
  b.Interface(1, 0, b.Option(9, {12}));                   // 10^-12: picoseconds
  b.Interface(1, 0, b.Option(9, {6}) + b.Int64Option(14, 100));  // µs, +100 s
  b.Epb(0, 1700000000123456789ULL, kFour);
  b.Epb(1, 1700000000123ULL, kFour);
  b.Epb(2, 1024ULL * 5 + 512, kFour);                     // 5.5 s
  b.Epb(3, 12345678901234567890ULL, kFour);
  b.Epb(4, 1000000, kFour);                               // 1 s
  ReadResult r = ReadFile(b.str());
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 5u);
  EXPECT_EQ(r.packets[0].view.ts_ns, 1700000000123456789LL);
  EXPECT_EQ(r.packets[1].view.ts_ns, 1700000000123000000LL);
  EXPECT_EQ(r.packets[2].view.ts_ns, 5500000000LL);
  EXPECT_EQ(r.packets[3].view.ts_ns, 12345678901234567LL);
  EXPECT_EQ(r.packets[4].view.ts_ns, 101000000000LL);
}

TEST(PcapngReaderTest, SimplePacketBlocksUseInterfaceZero) {
  PcapngBuilder b;
  b.Section();
  b.Interface(kLinkRaw, 64);
  b.Epb(0, 7, kFour);  // 7 µs; the simple blocks repeat it
  b.Spb(100, std::vector<uint8_t>(64, 0xee));  // cut to snaplen on capture
  b.Spb(5, kFive);                              // padded to 8 in the file
  ReadResult r = ReadFile(b.str());
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 3u);
  EXPECT_EQ(r.packets[1].view.linktype, kLinkRaw);
  EXPECT_EQ(r.packets[1].view.caplen, 64u);
  EXPECT_EQ(r.packets[1].view.wirelen, 100u);
  EXPECT_EQ(r.packets[1].view.ts_ns, 7000);
  EXPECT_EQ(r.packets[2].view.caplen, 5u);
  EXPECT_EQ(r.packets[2].view.wirelen, 5u);
  EXPECT_EQ(r.packets[2].bytes, kFive);
}

TEST(PcapngReaderTest, ObsoletePacketBlock) {
  PcapngBuilder b;
  b.Section();
  b.Interface(kLinkEthernet);
  b.Interface(kLinkLinuxSll);
  b.Opb(1, 42, kFive);
  ReadResult r = ReadFile(b.str());
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].view.linktype, kLinkLinuxSll);
  EXPECT_EQ(r.packets[0].view.ts_ns, 42000);
  EXPECT_EQ(r.packets[0].bytes, kFive);
}

TEST(PcapngReaderTest, UnknownBlocksAreSkipped) {
  PcapngBuilder b;
  b.Section();
  b.Block(0x00000bad, "whatever is in here");
  b.Interface(kLinkEthernet);
  b.Block(4, std::string(16, '\0'));  // name resolution
  b.Epb(0, 1, kFour);
  b.Block(5, std::string(20, '\1'));  // interface statistics
  b.Block(0x80000001, "");            // local use, empty body
  b.Epb(0, 2, kFive);
  ReadResult r = ReadFile(b.str());
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.packets[0].bytes, kFour);
  EXPECT_EQ(r.packets[1].bytes, kFive);
  EXPECT_EQ(r.packets[1].view.index, 2u);
}

TEST(PcapngReaderTest, SectionsHaveTheirOwnByteOrderAndInterfaces) {
  PcapngBuilder b;
  b.Section(/*big_endian=*/false);
  b.Interface(kLinkEthernet);
  b.Interface(kLinkLinuxSll);
  b.Epb(1, 1, kFour);
  b.Section(/*big_endian=*/true);
  b.Interface(kLinkRaw, 0, b.Option(9, {9}));
  b.Epb(0, 5, kFive);
  b.Section(/*big_endian=*/false);
  b.Interface(kLinkLinuxSll2);
  b.Epb(0, 3, kFour);
  ReadResult r = ReadFile(b.str());
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 3u);
  EXPECT_EQ(r.packets[0].view.linktype, kLinkLinuxSll);
  EXPECT_EQ(r.packets[1].view.linktype, kLinkRaw);
  EXPECT_EQ(r.packets[1].view.ts_ns, 5);
  EXPECT_EQ(r.packets[1].bytes, kFive);
  EXPECT_EQ(r.packets[2].view.linktype, kLinkLinuxSll2);
  EXPECT_EQ(r.packets[2].view.ts_ns, 3000);
}

TEST(PcapngReaderTest, BigEndianFileAsMakePcapngWouldWriteIt) {
  PcapngBuilder b;
  b.Section(true);
  b.Interface(kLinkEthernet, 1500);
  b.Epb(0, 1700000000000001ULL, kFive, 60);
  ReadResult r = ReadFile(b.str());
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].view.ts_ns, 1700000000000001000LL);
  EXPECT_EQ(r.packets[0].view.wirelen, 60u);
  EXPECT_EQ(r.packets[0].bytes, kFive);
}

TEST(PcapngReaderTest, InterfacesDoNotCarryIntoTheNextSection) {
  PcapngBuilder b;
  b.Section();
  b.Interface(kLinkEthernet);
  b.Interface(kLinkEthernet);
  b.Epb(1, 1, kFour);
  b.Section();
  b.Interface(kLinkEthernet);
  const uint64_t bad = b.size();
  b.Epb(1, 2, kFour);
  std::string path;
  ReadResult r = ReadFile(b.str(), &path);
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.end.message(), path + ": packet 2 at byte offset " + std::to_string(bad) +
                                 ": interface 1 is not described (section has 1)");
}

// A file of two good packets followed by a third block; the tests below
// damage the third block in various ways.
struct Damaged {
  std::string file;
  uint64_t third = 0;  // offset of the third packet's block
};
Damaged TwoGoodThenThird() {
  PcapngBuilder b;
  b.Section();
  b.Interface(kLinkEthernet, 128);
  b.Epb(0, 1, kFour);
  b.Epb(0, 2, kFive);
  Damaged d;
  d.third = b.size();
  b.Epb(0, 3, std::vector<uint8_t>(40, 0x33));
  d.file = b.str();
  return d;
}

void ExpectError(const std::string& file, size_t good, uint64_t at, const std::string& reason) {
  std::string path;
  ReadResult r = ReadFile(file, &path);
  EXPECT_EQ(r.packets.size(), good);
  if (good >= 2) {
    EXPECT_EQ(r.packets[1].bytes, kFive);
  }
  EXPECT_EQ(r.end.code(), absl::StatusCode::kDataLoss) << r.end;
  EXPECT_EQ(r.end.message(), path + ": packet " + std::to_string(good + 1) + " at byte offset " +
                                 std::to_string(at) + ": " + reason);
}

void PutLe32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

TEST(PcapngReaderTest, TruncatedBlock) {
  Damaged d = TwoGoodThenThird();
  ExpectError(d.file.substr(0, d.file.size() - 6), 2, d.third,
              "block length 72 runs past the end (66 bytes left)");
}

TEST(PcapngReaderTest, TruncatedBlockHeader) {
  Damaged d = TwoGoodThenThird();
  ExpectError(d.file.substr(0, d.third + 7), 2, d.third, "truncated block header (7 of 12 bytes)");
}

TEST(PcapngReaderTest, HugeBlockLength) {
  Damaged d = TwoGoodThenThird();
  PutLe32(d.file, d.third + 4, 0xfffffff0);
  ExpectError(d.file, 2, d.third, "block length 4294967280 runs past the end (72 bytes left)");
}

TEST(PcapngReaderTest, BlockLengthNotMultipleOfFour) {
  Damaged d = TwoGoodThenThird();
  PutLe32(d.file, d.third + 4, 70);
  ExpectError(d.file, 2, d.third, "bad block length 70 (block type 0x6)");
}

TEST(PcapngReaderTest, BlockLengthBelowMinimum) {
  Damaged d = TwoGoodThenThird();
  PutLe32(d.file, d.third + 4, 8);
  ExpectError(d.file, 2, d.third, "bad block length 8 (block type 0x6)");
}

TEST(PcapngReaderTest, TrailingLengthMismatch) {
  Damaged d = TwoGoodThenThird();
  PutLe32(d.file, d.file.size() - 4, 76);
  ExpectError(d.file, 2, d.third, "trailing block length 76 differs from leading length 72");
}

TEST(PcapngReaderTest, CaplenBeyondBlockData) {
  Damaged d = TwoGoodThenThird();
  PutLe32(d.file, d.third + 8 + 12, 41);
  ExpectError(d.file, 2, d.third, "caplen 41 exceeds the block's data (40 bytes)");
}

TEST(PcapngReaderTest, CaplenAboveSnaplen) {
  PcapngBuilder b;
  b.Section();
  b.Interface(kLinkEthernet, 4);
  b.Epb(0, 1, kFour);
  b.Epb(0, 2, kFive);
  std::string path;
  ReadResult r = ReadFile(b.str(), &path);
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.end.message(), path + ": packet 2 at byte offset 84: caplen 5 exceeds snaplen 4");
}

TEST(PcapngReaderTest, ErrorIsSticky) {
  Damaged d = TwoGoodThenThird();
  const std::string path = WriteTempFile("sticky.pcapng", d.file.substr(0, d.third + 3));
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  ASSERT_TRUE(src.ok()) << src.status();
  ReadResult r = ReadAll(**src);
  ASSERT_FALSE(r.end.ok());
  PacketView v;
  EXPECT_EQ((*src)->Next(v).status(), r.end);
  EXPECT_EQ((*src)->Next(v).status(), r.end);
}

TEST(PcapngReaderTest, BadByteOrderMagicFailsAtOpen) {
  std::string file = PcapngBuilder().Section().str();
  PutLe32(file, 8, 0x12345678);
  const std::string path = WriteTempFile("bom.pcapng", file);
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().message(),
            path + ": packet 1 at byte offset 0: bad byte-order magic 0x78563412 in section "
                   "header block");
}

TEST(PcapngReaderTest, UnsupportedVersion) {
  std::string file = PcapngBuilder().Section().str();
  file[12] = 2;
  const std::string path = WriteTempFile("v2.pcapng", file);
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().message(),
            path + ": packet 1 at byte offset 0: unsupported pcapng version 2.0");
}

TEST(PcapngReaderTest, OptionOverrunningItsBlock) {
  PcapngBuilder b;
  b.Section();
  std::string opt = b.Option(9, {6});
  opt[2] = 40;  // claims 40 bytes of value
  b.Interface(kLinkEthernet, 0, opt);
  std::string path;
  ReadResult r = ReadFile(b.str(), &path);
  EXPECT_EQ(r.end.message(),
            path + ": packet 1 at byte offset 28: interface option 9 of length 40 overruns its "
                   "block");
}

TEST(PcapngReaderTest, SimplePacketBeforeAnyInterface) {
  PcapngBuilder b;
  b.Section();
  b.Spb(4, kFour);
  std::string path;
  ReadResult r = ReadFile(b.str(), &path);
  EXPECT_EQ(r.end.message(), path + ": packet 1 at byte offset 28: simple packet block before "
                                    "any interface description");
}

}  // namespace
}  // namespace kagami::capture
