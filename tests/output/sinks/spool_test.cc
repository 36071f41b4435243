#include "engine/output/sinks/spool.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/output/sinks/records.h"
#include "tests/support/peers.h"

namespace kagami::output {
namespace {

using kagami::testing::ScratchDir;
using testing::Numbers;
using testing::Range;
using testing::Record;

std::string Records(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out += Record(i);
  return out;
}

std::unique_ptr<Spool> OpenSpool(const std::string& dir, uint64_t max, std::string* note = nullptr) {
  std::string ignored;
  auto s = Spool::Open(dir, max, note ? note : &ignored);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

// Everything in the spool, oldest first, delivered as a peer would take it.
std::string Drain(Spool& spool, size_t batch) {
  std::string all, chunk;
  while (!spool.empty()) {
    EXPECT_TRUE(spool.ReadHead(&chunk, batch).ok());
    if (chunk.empty()) break;
    all += chunk;
    EXPECT_TRUE(spool.Consume(chunk).ok());
  }
  return all;
}

TEST(SpoolTest, KeepsOrderAcrossSegmentsAndReads) {
  ScratchDir dir;
  auto spool = OpenSpool(dir / "s", 1 << 30);
  for (int i = 0; i < 10000; i += 100) {
    EXPECT_EQ(spool->Append(Records(i, i + 100)).written, 100u);
  }
  EXPECT_EQ(spool->records(), 10000u);
  EXPECT_EQ(Numbers(Drain(*spool, 3000)), Range(0, 10000));
  EXPECT_EQ(spool->bytes(), 0u);
}

TEST(SpoolTest, RefusesWholeRecordsPastTheCap) {
  ScratchDir dir;
  const size_t size = Record(0).size();  // all the same size below 10
  auto spool = OpenSpool(dir / "s", size * 5 + size / 2);
  const Spool::AppendResult a = spool->Append(Records(0, 3));
  EXPECT_EQ(a.written, 3u);
  const Spool::AppendResult b = spool->Append(Records(3, 9));
  EXPECT_EQ(b.written, 2u);
  EXPECT_EQ(b.refused, 4u);
  EXPECT_EQ(Numbers(Drain(*spool, 1 << 20)), Range(0, 5));
}

TEST(SpoolTest, PrependPutsRecordsFirst) {
  ScratchDir dir;
  auto spool = OpenSpool(dir / "s", 1 << 20);
  spool->Append(Records(10, 20));
  EXPECT_EQ(spool->Prepend(Records(0, 10)).written, 10u);
  EXPECT_EQ(Numbers(Drain(*spool, 500)), Range(0, 20));
}

TEST(SpoolTest, ANewRunResumesWhereDeliveryStopped) {
  ScratchDir dir;
  {
    auto spool = OpenSpool(dir / "s", 1 << 20);
    spool->Append(Records(0, 50));
    std::string head;
    ASSERT_TRUE(spool->ReadHead(&head, 10 * Record(0).size()).ok());
    ASSERT_EQ(Numbers(head), Range(0, 10));
    ASSERT_TRUE(spool->Consume(head).ok());
    ASSERT_TRUE(spool->Sync().ok());
  }
  std::string note;
  auto again = OpenSpool(dir / "s", 1 << 20, &note);
  EXPECT_EQ(again->records(), 40u);
  EXPECT_NE(note.find("holds 40 records from an earlier run"), std::string::npos) << note;
  EXPECT_EQ(Numbers(Drain(*again, 1 << 20)), Range(10, 50));
}

TEST(SpoolTest, CutsATornLastRecord) {
  ScratchDir dir;
  {
    auto spool = OpenSpool(dir / "s", 1 << 20);
    spool->Append(Records(0, 3));
  }
  for (const auto& e : std::filesystem::directory_iterator(dir / "s")) {
    if (e.path().extension() == ".spool") std::ofstream(e.path(), std::ios::app) << "{\"n\":3,\"torn";
  }
  std::string note;
  auto again = OpenSpool(dir / "s", 1 << 20, &note);
  EXPECT_NE(note.find("cut a torn last record"), std::string::npos) << note;
  EXPECT_EQ(Numbers(Drain(*again, 1 << 20)), Range(0, 3));
}

TEST(SpoolTest, OneProcessAtATime) {
  ScratchDir dir;
  auto first = OpenSpool(dir / "s", 1 << 20);
  std::string note;
  auto second = Spool::Open(dir / "s", 1 << 20, &note);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("is in use by another process"), std::string::npos);
}

}  // namespace
}  // namespace kagami::output
