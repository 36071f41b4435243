#include "capture/pcap_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "tests/capture/read_all.h"
#include "tests/support/pcap_writer.h"

namespace kagami::capture {
namespace {

using kagami::testing::MakePcap;
using kagami::testing::PcapOptions;
using kagami::testing::ReadAll;
using kagami::testing::TestPacket;
using kagami::testing::WriteTempFile;

constexpr int64_t kT0 = 1700000000LL * 1000000000LL;

std::vector<TestPacket> ThreePackets() {
  return {
      {kT0 + 123456000, {0x01, 0x02, 0x03, 0x04, 0x05}, 0, 0},
      {kT0 + 2 * 1000000000LL + 999999000, {0xaa, 0xbb}, 0, 1500},
      {kT0 + 3 * 1000000000LL, std::vector<uint8_t>(60, 0x5a), 0, 0},
  };
}

std::unique_ptr<PacketSource> Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  EXPECT_TRUE(src.ok()) << src.status();
  return src.ok() ? *std::move(src) : nullptr;
}

// Byte order × timestamp resolution.
class PcapFormatTest : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(PcapFormatTest, ReadsEveryFieldInPlace) {
  const auto [big_endian, nanoseconds] = GetParam();
  PcapOptions o;
  o.big_endian = big_endian;
  o.nanoseconds = nanoseconds;
  o.linktype = 113;
  std::vector<TestPacket> in = ThreePackets();
  if (nanoseconds) in[0].ts_ns += 789;  // only representable in ns files
  const std::string path = WriteTempFile("three.pcap", MakePcap(in, o));
  std::unique_ptr<PacketSource> src = Open(path);
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->name(), path);

  PacketView v[3];
  uint64_t offset = 24;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<bool> more = src->Next(v[i]);
    ASSERT_TRUE(more.ok()) << more.status();
    ASSERT_TRUE(*more);
    EXPECT_EQ(v[i].ts_ns, in[i].ts_ns) << i;
    EXPECT_EQ(v[i].linktype, 113u);
    EXPECT_EQ(v[i].caplen, in[i].bytes.size());
    EXPECT_EQ(v[i].wirelen, in[i].wirelen ? in[i].wirelen : in[i].bytes.size());
    EXPECT_EQ(v[i].index, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(v[i].offset, offset);
    EXPECT_EQ(std::vector<uint8_t>(v[i].data, v[i].data + v[i].caplen), in[i].bytes);
    offset += 16 + in[i].bytes.size();
  }
  // Views point into one mapping: consecutive packets sit exactly one record
  // header apart, which a copying reader would not reproduce.
  EXPECT_EQ(v[1].data, v[0].data + in[0].bytes.size() + 16);
  EXPECT_EQ(v[2].data, v[1].data + in[1].bytes.size() + 16);
  PacketView end;
  absl::StatusOr<bool> more = src->Next(end);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  more = src->Next(end);  // stays at the end
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

INSTANTIATE_TEST_SUITE_P(ByteOrderAndResolution, PcapFormatTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "Big" : "Little") +
                                  (std::get<1>(info.param) ? "Nano" : "Micro");
                         });

TEST(PcapReaderTest, EmptyCaptureHasNoPackets) {
  std::unique_ptr<PacketSource> src = Open(WriteTempFile("empty.pcap", MakePcap({})));
  ASSERT_NE(src, nullptr);
  auto r = ReadAll(*src);
  EXPECT_TRUE(r.end.ok());
  EXPECT_TRUE(r.packets.empty());
}

TEST(PcapReaderTest, FcsBitsInLinkTypeAreMasked) {
  PcapOptions o;
  o.linktype = 0x14000000 | 1;  // "FCS present, 4 bytes" on Ethernet
  std::unique_ptr<PacketSource> src = Open(WriteTempFile("fcs.pcap", MakePcap(ThreePackets(), o)));
  ASSERT_NE(src, nullptr);
  auto r = ReadAll(*src);
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 3u);
  EXPECT_EQ(r.packets[0].view.linktype, kLinkEthernet);
}

TEST(PcapReaderTest, WireLengthBelowCaplenIsRaised) {
  std::vector<TestPacket> in = ThreePackets();
  std::string file = MakePcap(in);
  file[24 + 12] = 1;  // first record's wirelen: 1 < caplen 5
  std::unique_ptr<PacketSource> src = Open(WriteTempFile("wirelen.pcap", file));
  ASSERT_NE(src, nullptr);
  auto r = ReadAll(*src);
  ASSERT_TRUE(r.end.ok()) << r.end;
  EXPECT_EQ(r.packets[0].view.wirelen, 5u);
}

TEST(PcapReaderTest, TruncatedRecordHeaderAfterGoodPackets) {
  const std::string full = MakePcap(ThreePackets());
  const uint64_t third = 24 + (16 + 5) + (16 + 2);
  const std::string path = WriteTempFile("cut-header.pcap", full.substr(0, third + 10));
  std::unique_ptr<PacketSource> src = Open(path);
  ASSERT_NE(src, nullptr);
  auto r = ReadAll(*src);
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.packets[1].bytes, (std::vector<uint8_t>{0xaa, 0xbb}));
  EXPECT_EQ(r.end.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(r.end.message(), path + ": packet 3 at byte offset " + std::to_string(third) +
                                 ": truncated record header (10 of 16 bytes)");
  // The error is sticky.
  PacketView v;
  absl::StatusOr<bool> again = src->Next(v);
  EXPECT_EQ(again.status(), r.end);
}

TEST(PcapReaderTest, TruncatedPacketDataAfterGoodPackets) {
  const std::string full = MakePcap(ThreePackets());
  const uint64_t third = 24 + (16 + 5) + (16 + 2);
  const std::string path = WriteTempFile("cut-data.pcap", full.substr(0, full.size() - 1));
  std::unique_ptr<PacketSource> src = Open(path);
  ASSERT_NE(src, nullptr);
  auto r = ReadAll(*src);
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.end.message(), path + ": packet 3 at byte offset " + std::to_string(third) +
                                 ": truncated packet data (caplen 60, 59 bytes left)");
}

TEST(PcapReaderTest, CaplenAboveSnaplenIsCorruption) {
  PcapOptions o;
  o.snaplen = 32;
  const std::string path = WriteTempFile("snaplen.pcap", MakePcap(ThreePackets(), o));
  std::unique_ptr<PacketSource> src = Open(path);
  ASSERT_NE(src, nullptr);
  auto r = ReadAll(*src);
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.end.message(),
            path + ": packet 3 at byte offset 63: caplen 60 exceeds snaplen 32");
}

TEST(PcapReaderTest, AbsurdCaplenIsCorruptionEvenWithoutSnaplen) {
  PcapOptions o;
  o.snaplen = 0;  // "no limit" as some writers say it
  std::string file = MakePcap(ThreePackets(), o);
  const size_t caplen_at = 24 + 8;
  file[caplen_at + 0] = 0x00;
  file[caplen_at + 1] = 0x00;
  file[caplen_at + 2] = 0x00;
  file[caplen_at + 3] = 0x7f;
  const std::string path = WriteTempFile("huge.pcap", file);
  std::unique_ptr<PacketSource> src = Open(path);
  ASSERT_NE(src, nullptr);
  auto r = ReadAll(*src);
  EXPECT_TRUE(r.packets.empty());
  EXPECT_EQ(r.end.message(),
            path + ": packet 1 at byte offset 24: caplen 2130706432 exceeds the maximum of "
                   "262144");
}

TEST(PcapReaderTest, TruncatedFileHeader) {
  const std::string path = WriteTempFile("short.pcap", MakePcap({}).substr(0, 10));
  absl::StatusOr<std::unique_ptr<PacketSource>> src = OpenCaptureFile(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().message(), path + ": truncated pcap file header (10 of 24 bytes)");
}

TEST(PcapReaderTest, ModifiedPcapRecordsAreRead) {
  // Kuznetzov's format: magic 0xa1b2cd34 and 8 extra bytes per record header.
  std::string file = MakePcap({});
  file[0] = 0x34;
  file[1] = static_cast<char>(0xcd);
  const std::string rec = MakePcap({{kT0, {1, 2, 3}, 0, 0}}).substr(24);
  file += rec.substr(0, 16) + std::string(8, '\0') + rec.substr(16);
  std::unique_ptr<PacketSource> src = Open(WriteTempFile("modified.pcap", file));
  ASSERT_NE(src, nullptr);
  auto r = ReadAll(*src);
  ASSERT_TRUE(r.end.ok()) << r.end;
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].bytes, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(r.packets[0].view.ts_ns, kT0);
}

}  // namespace
}  // namespace kagami::capture
