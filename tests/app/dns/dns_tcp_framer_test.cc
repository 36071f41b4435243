// TcpFramer: the same messages however the stream is cut.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/app/dns/dns_tcp_framer.h"
#include "tests/app/dns/dns_test_util.h"

namespace kagami::app::dns {
namespace {

using testing::Bytes;
using testing::MessageBuilder;
using ::testing::ElementsAre;

Bytes Framed(const Bytes& msg) {
  Bytes out{static_cast<uint8_t>(msg.size() >> 8), static_cast<uint8_t>(msg.size())};
  out.insert(out.end(), msg.begin(), msg.end());
  return out;
}

Bytes Query(const std::string& name, uint16_t id) {
  MessageBuilder m(id, 0x0100, 1, 0, 0, 0);
  m.Question(name, 1);
  return m.bytes();
}

Bytes Response(const std::string& name, uint16_t id, int answers) {
  MessageBuilder m(id, 0x8180, 1, static_cast<uint16_t>(answers), 0, 0);
  m.Question(name, 1);
  for (int i = 0; i < answers; ++i) m.Rr("", 1, 60, {10, 0, 0, static_cast<uint8_t>(i)}, 12);
  return m.bytes();
}

// Feeds `stream` cut at `cuts` (sorted offsets), each piece in its own exactly
// sized buffer; returns the messages as strings.
std::vector<std::string> FeedPieces(TcpFramer& f, const Bytes& stream, const std::vector<size_t>& cuts) {
  std::vector<std::string> out;
  size_t from = 0;
  auto feed_to = [&](size_t to) {
    std::vector<uint8_t> piece(stream.begin() + from, stream.begin() + to);
    f.Feed(piece.data(), piece.size(), [&](const uint8_t* d, size_t n) {
      out.emplace_back(reinterpret_cast<const char*>(d), n);
    });
    from = to;
  };
  for (size_t c : cuts) feed_to(c);
  feed_to(stream.size());
  return out;
}

class TcpFramerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const Bytes& m : {Query("a.example", 1), Response("a.example", 1, 4), Query("bb.example", 2),
                           Response("bb.example", 2, 0), Query("c", 3)}) {
      messages_.emplace_back(m.begin(), m.end());
      const Bytes framed = Framed(m);
      stream_.insert(stream_.end(), framed.begin(), framed.end());
    }
  }
  Bytes stream_;
  std::vector<std::string> messages_;
};

TEST_F(TcpFramerTest, Whole) {
  TcpFramer f;
  EXPECT_EQ(FeedPieces(f, stream_, {}), messages_);
  EXPECT_EQ(f.counters().messages, messages_.size());
  EXPECT_EQ(f.buffered(), 0u);
}

TEST_F(TcpFramerTest, ByteByByte) {
  TcpFramer f;
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream_.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(FeedPieces(f, stream_, cuts), messages_);
}

TEST_F(TcpFramerTest, EveryTwoWaySplit) {
  for (size_t cut = 1; cut < stream_.size(); ++cut) {
    TcpFramer f;
    EXPECT_EQ(FeedPieces(f, stream_, {cut}), messages_) << cut;
  }
}

TEST_F(TcpFramerTest, RandomSplits) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 500; ++round) {
    std::uniform_int_distribution<size_t> pos(1, stream_.size() - 1);
    std::uniform_int_distribution<int> count(1, 12);
    std::vector<size_t> cuts;
    for (int i = count(rng); i > 0; --i) cuts.push_back(pos(rng));
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    TcpFramer f;
    ASSERT_EQ(FeedPieces(f, stream_, cuts), messages_) << round;
  }
}

TEST_F(TcpFramerTest, EmptyAndOversizedFramesAreSkipped) {
  DnsOptions o;
  o.max_tcp_message = 40;
  const Bytes big = Response("big.example", 9, 4);  // > 40 bytes
  ASSERT_GT(big.size(), 40u);
  Bytes stream = {0, 0};  // empty frame
  const Bytes framed_big = Framed(big);
  stream.insert(stream.end(), framed_big.begin(), framed_big.end());
  const Bytes q = Query("ok", 5);
  const Bytes framed_q = Framed(q);
  stream.insert(stream.end(), framed_q.begin(), framed_q.end());

  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  for (const auto& c : {std::vector<size_t>{}, cuts}) {
    TcpFramer f(o);
    EXPECT_THAT(FeedPieces(f, stream, c), ElementsAre(std::string(q.begin(), q.end())));
    EXPECT_EQ(f.counters().empty_frames, 1u);
    EXPECT_EQ(f.counters().oversized, 1u);
    EXPECT_EQ(f.counters().messages, 1u);
  }
}

TEST_F(TcpFramerTest, GapDropsPartialAndResyncs) {
  TcpFramer f;
  std::vector<std::string> got;
  auto sink = [&](const uint8_t* d, size_t n) { got.emplace_back(reinterpret_cast<const char*>(d), n); };
  const Bytes first = Framed(Query("lost.example", 1));
  f.Feed(first.data(), 7, sink);  // part of a message, then data is lost
  EXPECT_GT(f.buffered(), 0u);
  f.Gap();
  EXPECT_EQ(f.buffered(), 0u);

  // The middle of some message: not a frame start, dropped.
  const Bytes junk = {0xff, 0xff, 'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1'};
  f.Feed(junk.data(), junk.size(), sink);
  EXPECT_EQ(f.counters().resync_drops, 1u);
  EXPECT_TRUE(got.empty());

  const Bytes next = Framed(Query("next.example", 2));
  f.Feed(next.data(), next.size(), sink);
  ASSERT_EQ(got.size(), 1u);
  const Bytes want = Query("next.example", 2);
  EXPECT_EQ(got[0], std::string(want.begin(), want.end()));
  EXPECT_EQ(f.counters().gaps, 1u);
}

}  // namespace
}  // namespace kagami::app::dns
