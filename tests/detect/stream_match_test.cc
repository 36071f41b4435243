// Rules on reassembled stream chunks: matches must reach into the new data,
// packets and stream together alert once, and only_stream / no_stream /
// dsize choose the buffer.
#include <string>

#include "gtest/gtest.h"
#include "tests/detect/detect_test_util.h"

namespace kagami::detect::testing {
namespace {

StreamData Chunk(const std::string& all, size_t new_from) {
  return StreamData{reinterpret_cast<const uint8_t*>(all.data()), static_cast<uint32_t>(all.size()),
                    static_cast<uint32_t>(new_from)};
}

TEST(StreamMatch, PatternSplitAcrossSegmentsMatchesInTheChunk) {
  Harness h(R"(alert tcp any any -> any any (msg:"c2"; content:"BEACON"; sid:1;))");
  const std::string all = "xxBEA" "CONyy";
  auto second = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "CONyy");
  StreamData s = Chunk(all, 5);
  EXPECT_EQ(h.SidsInFlow(*second, &s), std::vector<uint32_t>{1});
  EXPECT_TRUE(h.SidsInFlow(*second).empty());  // the packet alone does not hold it
}

TEST(StreamMatch, AMatchInsideTheLookbackDoesNotAlertAgain) {
  Harness h(R"(alert tcp any any -> any any (msg:"c2"; content:"BEACON"; sid:1;))");
  const std::string all = "BEACON----" "tail";
  auto p = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "tail");
  StreamData s = Chunk(all, 10);
  EXPECT_TRUE(h.SidsInFlow(*p, &s).empty());
  // A second occurrence in the new data does alert.
  const std::string again = "BEACON----" "BEACON";
  StreamData s2 = Chunk(again, 10);
  EXPECT_EQ(h.SidsInFlow(*p, &s2), std::vector<uint32_t>{1});
}

TEST(StreamMatch, MultiContentRuleMayStartInTheLookback) {
  Harness h(R"(alert tcp any any -> any any (msg:"two"; content:"HELLO"; content:"WORLD"; distance:0; sid:1;))");
  const std::string all = "HELLO " "WORLD";
  auto p = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "WORLD");
  StreamData s = Chunk(all, 6);
  EXPECT_EQ(h.SidsInFlow(*p, &s), std::vector<uint32_t>{1});
}

TEST(StreamMatch, PacketAndStreamMatchTogetherAlertOnce) {
  Harness h(R"(alert tcp any any -> any any (msg:"x"; content:"EVIL"; sid:1;))");
  auto p = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "EVIL");
  const std::string all = "EVIL";
  StreamData s = Chunk(all, 0);
  EXPECT_EQ(h.SidsInFlow(*p, &s), std::vector<uint32_t>{1});
}

TEST(StreamMatch, OnlyStreamNoStreamAndDsizeChooseTheBuffer) {
  Harness h(R"(alert tcp any any -> any any (msg:"stream"; flow:only_stream; content:"AB"; sid:1;)
alert tcp any any -> any any (msg:"packet"; flow:no_stream; content:"AB"; sid:2;)
alert tcp any any -> any any (msg:"dsize"; dsize:1; content:"B"; sid:3;)
alert tcp-stream any any -> any any (msg:"tcp-stream"; content:"AB"; sid:4;)
alert tcp-pkt any any -> any any (msg:"tcp-pkt"; content:"AB"; sid:5;))");
  ASSERT_TRUE(h.ok());
  const std::string all = "AB";
  auto last = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "B");
  StreamData s = Chunk(all, 1);
  EXPECT_EQ(h.SidsInFlow(*last, &s), (std::vector<uint32_t>{1, 3, 4}));
  auto whole = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "AB");
  EXPECT_EQ(h.SidsInFlow(*whole), (std::vector<uint32_t>{2, 5}));
}

TEST(StreamMatch, NegatedAndRelativeStepsSeeTheWholeChunk) {
  Harness h(R"(alert tcp any any -> any any (msg:"n"; content:"GET "; content:!"Host"; sid:1;))");
  const std::string all = "GET /a HTTP/1.1\r\nHo" "st: x\r\n";
  auto p = MakeTcp("1.1.1.1", 1, "2.2.2.2", 2, "st: x\r\n");
  StreamData s = Chunk(all, 19);
  // GET lies in the lookback only: nothing new matched, no alert.
  EXPECT_TRUE(h.SidsInFlow(*p, &s).empty());
}

TEST(StreamMatch, UdpPacketsIgnoreStreamData) {
  Harness h(R"(alert udp any any -> any any (msg:"u"; content:"AB"; sid:1;))");
  auto p = MakeUdp("1.1.1.1", 1, "2.2.2.2", 2, "B");
  const std::string all = "AB";
  StreamData s = Chunk(all, 1);
  EXPECT_TRUE(h.SidsInFlow(*p, &s).empty());
}

}  // namespace
}  // namespace kagami::detect::testing
