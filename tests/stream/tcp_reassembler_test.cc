#include "engine/stream/tcp_reassembler.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "engine/stream/segment_queue.h"
#include "gtest/gtest.h"
#include "tests/stream/stream_test_util.h"

namespace kagami::stream {
namespace {

using decode::kTcpAck;
using decode::kTcpFin;
using decode::kTcpPsh;
using decode::kTcpRst;
using decode::kTcpSyn;
using testing::Conversation;

constexpr uint8_t kData = kTcpAck | kTcpPsh;

TEST(TcpReassembler, HandshakeEstablishesAndDeliversInOrderData) {
  Conversation c;
  c.Send(true, kTcpSyn, 100, 0);
  EXPECT_FALSE(c.flow().established);
  c.Send(false, kTcpSyn | kTcpAck, 500, 101);
  EXPECT_FALSE(c.flow().established);
  const StreamUpdate& third = c.Send(true, kTcpAck, 101, 501);
  EXPECT_TRUE(c.flow().established);
  EXPECT_FALSE(third.packet_established);  // Suricata: the handshake's last ACK is not yet established
  EXPECT_EQ(c.flow().state, flow::FlowState::kEstablished);

  const StreamUpdate& u = c.Send(true, kData, 101, 501, "GET / HTTP/1.1\r\n");
  EXPECT_TRUE(u.packet_established);
  EXPECT_TRUE(u.own.has_new());
  EXPECT_EQ(u.own.new_from, 0u);
  EXPECT_EQ(u.own.stream_offset, 0u);
  c.Send(false, kData, 501, 117, "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(c.delivered(true), "GET / HTTP/1.1\r\n");
  EXPECT_EQ(c.delivered(false), "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(c.counters().sessions, 1u);
}

TEST(TcpReassembler, PatternSplitAtEveryBoundaryIsSeenWholeOnce) {
  const std::string msg = "xxxx CONNECT-TO-C2 yyyy";
  const std::string pattern = "CONNECT-TO-C2";
  for (size_t cut = 1; cut < msg.size(); ++cut) {
    Conversation c;
    c.Handshake(1000, 9000);
    c.Send(true, kData, 1001, 9001, msg.substr(0, cut));
    c.Send(true, kData, 1001 + static_cast<uint32_t>(cut), 9001, msg.substr(cut));
    EXPECT_EQ(c.delivered(true), msg) << cut;
    // The chunk that completes the pattern holds it whole; it reaches into
    // the new data exactly once.
    int whole = 0;
    for (const std::string& chunk : c.chunks()) whole += chunk.find(pattern) != std::string::npos;
    EXPECT_GE(whole, 1) << cut;
  }
}

TEST(TcpReassembler, ThreeWaySplitAtEveryPairOfBoundaries) {
  const std::string msg = "abcdefghij";
  for (size_t a = 1; a < msg.size() - 1; ++a) {
    for (size_t b = a + 1; b < msg.size(); ++b) {
      Conversation c;
      c.Handshake(1, 1);
      c.Send(true, kData, 2, 2, msg.substr(0, a));
      c.Send(true, kData, 2 + static_cast<uint32_t>(a), 2, msg.substr(a, b - a));
      c.Send(true, kData, 2 + static_cast<uint32_t>(b), 2, msg.substr(b));
      ASSERT_EQ(c.delivered(true), msg);
      EXPECT_TRUE(c.AnyChunkContains(msg)) << a << "," << b;
    }
  }
}

TEST(TcpReassembler, ReversedOrderIsReassembled) {
  const std::vector<std::string> parts = {"alpha-", "bravo-", "charlie-", "delta"};
  Conversation c;
  c.Handshake(7000, 3000);
  std::vector<uint32_t> seqs;
  uint32_t seq = 7001;
  for (const auto& p : parts) {
    seqs.push_back(seq);
    seq += static_cast<uint32_t>(p.size());
  }
  for (size_t i = parts.size(); i-- > 0;) c.Send(true, kData, seqs[i], 3001, parts[i]);
  EXPECT_EQ(c.delivered(true), "alpha-bravo-charlie-delta");
  EXPECT_TRUE(c.AnyChunkContains("alpha-bravo-charlie-delta"));
  EXPECT_EQ(c.counters().out_of_order, 3u);
}

TEST(TcpReassembler, EveryPermutationOfFourSegmentsGivesTheSameStream) {
  const std::vector<std::string> parts = {"one.", "two.", "three.", "four"};
  std::vector<int> order = {0, 1, 2, 3};
  do {
    Conversation c;
    c.Handshake(50, 60);
    uint32_t seq[4];
    uint32_t s = 51;
    for (int i = 0; i < 4; ++i) {
      seq[i] = s;
      s += static_cast<uint32_t>(parts[i].size());
    }
    for (int i : order) c.Send(true, kData, seq[i], 61, parts[i]);
    EXPECT_EQ(c.delivered(true), "one.two.three.four");
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(TcpReassembler, DuplicateSegmentsAreDeliveredOnce) {
  Conversation c;
  c.Handshake(10, 20);
  c.Send(true, kData, 11, 21, "hello ");
  c.Send(true, kData, 11, 21, "hello ");
  c.Send(true, kData, 17, 21, "world");
  c.Send(true, kData, 17, 21, "world");
  EXPECT_EQ(c.delivered(true), "hello world");
  EXPECT_EQ(c.counters().retransmissions, 2u);
  EXPECT_EQ(c.counters().overlaps_different, 0u);
}

TEST(TcpReassembler, RetransmissionWithDifferentDataKeepsWhatWasDelivered) {
  Conversation c;
  c.Handshake(10, 20);
  c.Send(true, kData, 11, 21, "benign");
  c.Send(true, kData, 11, 21, "EVIL!!");
  EXPECT_EQ(c.delivered(true), "benign");
  EXPECT_EQ(c.counters().overlaps_different, 1u);
}

// Segments 2 and 2' (same place, different bytes) wait behind a missing
// segment 1; the policy decides which reaches detection.
std::string OverlapOutcome(OverlapPolicy policy, uint32_t second_seq, std::string_view second) {
  StreamOptions o;
  o.policy = policy;
  Conversation c(o);
  c.Handshake(0, 0);
  c.Send(true, kData, 5, 1, "BBBB");         // stream offsets 4..8
  c.Send(true, kData, second_seq, 1, second);
  c.Send(true, kData, 1, 1, "AAAA");          // fills offsets 0..4
  return c.delivered(true);
}

TEST(TcpReassembler, OverlapPoliciesDecideWhichBytesWin) {
  // Same start, same length.
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kFirst, 5, "XXXX"), "AAAABBBB");
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kLast, 5, "XXXX"), "AAAAXXXX");
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kBsd, 5, "XXXX"), "AAAABBBB");
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kLinux, 5, "XXXX"), "AAAABBBB");
  // Same start, longer: linux takes the new bytes, bsd keeps the old.
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kLinux, 5, "XXXXYY"), "AAAAXXXXYY");
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kBsd, 5, "XXXXYY"), "AAAABBBBYY");
  // Starting earlier and ending later: bsd and windows take the new bytes
  // over BBBB. The in-order AAAA then overlaps the X at offset 3: it starts
  // earlier, which bsd favours and windows (it does not end later) does not.
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kBsd, 4, "XXXXXX"), "AAAAXXXXX");
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kWindows, 4, "XXXXXX"), "AAAXXXXXX");
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kFirst, 4, "XXXXXX"), "AAAXBBBBX");
  // Strictly inside the old segment: solaris keeps the old bytes, last
  // takes the new.
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kSolaris, 6, "X"), "AAAABBBB");
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kLast, 6, "X"), "AAAABXBB");
  // Ending together: solaris takes the new bytes.
  EXPECT_EQ(OverlapOutcome(OverlapPolicy::kSolaris, 7, "XX"), "AAAABBXX");
}

TEST(TcpReassembler, InOrderSegmentOverlappingQueuedDataFollowsPolicy) {
  for (OverlapPolicy policy : {OverlapPolicy::kFirst, OverlapPolicy::kLast}) {
    StreamOptions o;
    o.policy = policy;
    Conversation c(o);
    c.Handshake(0, 0);
    c.Send(true, kData, 5, 1, "QQQQ");      // queued at 4..8
    c.Send(true, kData, 1, 1, "AAAAZZ");    // in order 0..6, overlaps 4..6
    EXPECT_EQ(c.delivered(true), policy == OverlapPolicy::kFirst ? "AAAAQQQQ" : "AAAAZZQQ");
  }
}

TEST(TcpReassembler, SequenceNumbersWrapAround) {
  Conversation c;
  c.Handshake(0xfffffff0u, 0x7ffffff0u);
  std::string expect;
  uint32_t seq = 0xfffffff1u;
  for (int i = 0; i < 8; ++i) {
    const std::string part = "seg" + std::to_string(i) + ";";
    c.Send(true, kData, seq, 0x7ffffff1u, part);
    seq += static_cast<uint32_t>(part.size());
    expect += part;
  }
  EXPECT_LT(seq, 0x100u);  // wrapped
  EXPECT_EQ(c.delivered(true), expect);
  EXPECT_EQ(c.counters().gaps, 0u);
}

TEST(TcpReassembler, AcknowledgedHoleBecomesAGapAndNothingMatchesAcrossIt) {
  Conversation c;
  c.Handshake(100, 200);
  c.Send(true, kData, 101, 201, "before-PAT");
  // "TERN-x" (6 bytes at offset 10) never arrives; the next segment does.
  c.Send(true, kData, 117, 201, "after");
  EXPECT_EQ(c.delivered(true), "before-PAT");
  // The server acknowledges everything: the sensor missed the hole.
  const StreamUpdate& u = c.Send(false, kTcpAck, 201, 122);
  EXPECT_TRUE(u.other.has_new());
  EXPECT_TRUE(u.other.after_gap);
  EXPECT_EQ(u.other.new_from, 0u);  // no lookback across the gap
  EXPECT_EQ(c.delivered(true), "before-PATafter");
  EXPECT_EQ(c.counters().gaps, 1u);
  EXPECT_FALSE(c.AnyChunkContains("PATafter"));
  // Detection goes on after the gap.
  c.Send(true, kData, 122, 201, "-more");
  EXPECT_TRUE(c.AnyChunkContains("after-more"));
}

TEST(TcpReassembler, AckOfAFinIsNotAGap) {
  Conversation c;
  c.Handshake(100, 200);
  c.Send(true, kData | kTcpFin, 101, 201, "bye");
  c.Send(false, kTcpAck, 201, 105);  // acknowledges the data and the FIN
  EXPECT_EQ(c.counters().gaps, 0u);
  c.Send(false, kTcpAck | kTcpFin, 201, 105);
  EXPECT_EQ(c.flow().state, flow::FlowState::kClosed);
  EXPECT_TRUE(c.flow().established);  // teardown keeps flow:established
}

TEST(TcpReassembler, RstClosesTheSession) {
  Conversation c;
  c.Handshake(1, 2);
  c.Send(false, kTcpRst, 3, 0);
  EXPECT_EQ(c.flow().state, flow::FlowState::kClosed);
  c.Send(true, kData, 2, 3, "late");
  EXPECT_EQ(c.delivered(true), "");
}

TEST(TcpReassembler, WithoutMidstreamAPartialSessionIsNotTracked) {
  Conversation c;
  c.Send(true, kData, 5000, 7000, "mid-session data");
  EXPECT_FALSE(c.flow().established);
  EXPECT_EQ(c.delivered(true), "");
  EXPECT_EQ(c.counters().sessions, 0u);
  EXPECT_EQ(c.counters().untracked_packets, 1u);
}

TEST(TcpReassembler, MidstreamPicksUpAPartialSession) {
  StreamOptions o;
  o.midstream = true;
  Conversation c(o);
  EXPECT_TRUE(c.Send(true, kData, 5000, 7000, "mid-").packet_established);
  EXPECT_TRUE(c.flow().established);
  c.Send(false, kData, 7000, 5004, "reply");
  c.Send(true, kData, 5004, 7005, "session");
  EXPECT_EQ(c.delivered(true), "mid-session");
  EXPECT_EQ(c.delivered(false), "reply");
  EXPECT_EQ(c.counters().midstream_pickups, 1u);
}

TEST(TcpReassembler, MidstreamFromASynAck) {
  StreamOptions o;
  o.midstream = true;
  Conversation c(o);
  c.Send(false, kTcpSyn | kTcpAck, 900, 101);
  c.Send(true, kTcpAck, 101, 901);
  EXPECT_TRUE(c.flow().established);
  c.Send(true, kData, 101, 901, "hello");
  EXPECT_EQ(c.delivered(true), "hello");
}

TEST(TcpReassembler, DataInASynIsStreamData) {
  Conversation c;
  c.Send(true, kTcpSyn, 1000, 0, "fastopen");
  c.Send(false, kTcpSyn | kTcpAck, 2000, 1009);
  c.Send(true, kTcpAck, 1009, 2001);
  c.Send(true, kData, 1009, 2001, "-more");
  EXPECT_EQ(c.delivered(true), "fastopen-more");
}

TEST(TcpReassembler, DepthLimitsReassembledBytes) {
  StreamOptions o;
  o.depth = 10;
  Conversation c(o);
  c.Handshake(0, 0);
  c.Send(true, kData, 1, 1, "0123456");
  c.Send(true, kData, 8, 1, "789abcdef");
  c.Send(true, kData, 17, 1, "ghijk");
  EXPECT_EQ(c.delivered(true), "0123456789");
  EXPECT_EQ(c.counters().depth_reached, 1u);
}

TEST(TcpReassembler, ZeroDepthIsUnlimited) {
  StreamOptions o;
  o.depth = 0;
  Conversation c(o);
  c.Handshake(0, 0);
  std::string all;
  uint32_t seq = 1;
  for (int i = 0; i < 100; ++i) {
    std::string part(1000, static_cast<char>('a' + i % 26));
    c.Send(true, kData, seq, 1, part);
    seq += 1000;
    all += part;
  }
  EXPECT_EQ(c.delivered(true), all);
}

TEST(TcpReassembler, FinishDeliversDataWaitingBehindAHole) {
  Conversation c;
  c.Handshake(0, 0);
  c.Send(true, kData, 1, 1, "head");
  c.Send(true, kData, 20, 1, "tail-data");
  EXPECT_EQ(c.delivered(true), "head");
  c.Finish();
  EXPECT_EQ(c.delivered(true), "headtail-data");
  EXPECT_EQ(c.counters().gaps, 1u);
}

TEST(TcpReassembler, LookbackIsBoundedAndChunksCarryIt) {
  StreamOptions o;
  o.lookback = 8;
  Conversation c(o);
  c.Handshake(0, 0);
  c.Send(true, kData, 1, 1, "0123456789ABCDEF");
  const StreamUpdate& u = c.Send(true, kData, 17, 1, "xyz");
  EXPECT_EQ(u.own.new_from, 8u);
  EXPECT_EQ(u.own.stream_offset, 8u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(u.own.data), u.own.len), "89ABCDEFxyz");
}

TEST(TcpReassembler, TooMuchQueuedDataForcesAGap) {
  StreamOptions o;
  o.max_queued = 16;
  Conversation c(o);
  c.Handshake(0, 0);
  c.Send(true, kData, 1, 1, "a");
  c.Send(true, kData, 100, 1, "0123456789");
  c.Send(true, kData, 110, 1, "0123456789");
  EXPECT_EQ(c.counters().gaps, 1u);
  EXPECT_EQ(c.delivered(true), "a01234567890123456789");
}

TEST(TcpReassembler, ReverseOrderOneByteSegmentsReassembleWhole) {
  StreamOptions o;
  o.max_queued_segs = 0;  // no segment limit: the queue must hold them all
  Conversation c(o);
  c.Handshake(0, 0);
  const size_t n = 3000;
  std::string request(n, 'x');
  for (size_t i = 0; i < n; ++i) request[i] = static_cast<char>('a' + i % 26);
  for (size_t i = n; i-- > 0;) c.Send(true, kData, 1 + static_cast<uint32_t>(i), 1, request.substr(i, 1));
  EXPECT_EQ(c.delivered(true), request);
  EXPECT_EQ(c.counters().gaps, 0u);
  EXPECT_EQ(c.counters().out_of_order, n - 1);
  EXPECT_EQ(c.tcp().reassembly_memory(), 512u) << "only the lookback block is left";
}

TEST(TcpReassembler, QueuedSegmentLimitSkipsTheHoleAndCounts) {
  StreamOptions o;
  o.max_queued_segs = 4;
  Conversation c(o);
  c.Handshake(0, 0);
  c.Send(true, kData, 1, 1, "a");
  // A hole at offset 1, then five one-byte segments behind it.
  for (uint32_t i = 0; i < 4; ++i) c.Send(true, kData, 10 + i, 1, "b");
  EXPECT_EQ(c.delivered(true), "a");
  EXPECT_EQ(c.counters().segment_limit, 0u);
  c.Send(true, kData, 14, 1, "c");
  EXPECT_EQ(c.counters().segment_limit, 1u);
  EXPECT_EQ(c.counters().gaps, 1u);
  EXPECT_EQ(c.delivered(true), "abbbbc");
  // The hole's data arriving late is old now.
  c.Send(true, kData, 2, 1, "zzzzzzzz");
  EXPECT_EQ(c.delivered(true), "abbbbc");
}

TEST(TcpReassembler, EachQueuedSegmentIsChargedItsOverheadAgainstTheMemcap) {
  StreamOptions o;
  o.lookback = 0;
  o.max_queued_segs = 0;
  o.memcap = 10 * (1 + SegmentQueue::kOverheadBytes);
  Conversation c(o);
  c.Handshake(0, 0);
  for (uint32_t i = 0; i < 10; ++i) c.Send(true, kData, 100 + 2 * i, 1, "x");
  EXPECT_EQ(c.counters().memcap_drops, 0u);
  EXPECT_EQ(c.tcp().reassembly_memory(), 10 * (1 + SegmentQueue::kOverheadBytes));
  c.Send(true, kData, 200, 1, "y");
  EXPECT_EQ(c.counters().memcap_drops, 1u);
  c.Finish();
  EXPECT_EQ(c.tcp().reassembly_memory(), 0u);
}

// Random segments with random overlaps in random order, under the "first"
// policy, against a reference model: each byte is the first copy of it that
// arrived (delivered data is final and queued data keeps its first bytes).
TEST(TcpReassembler, RandomOverlappingSegmentsMatchAFirstWinsModel) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    StreamOptions o;
    o.max_queued_segs = 0;
    o.lookback = 16;
    Conversation c(o);
    c.Handshake(0, 0);
    uint32_t rng = seed * 2654435761u;
    auto next = [&rng](uint32_t bound) {
      rng ^= rng << 13;
      rng ^= rng >> 17;
      rng ^= rng << 5;
      return rng % bound;
    };
    const uint32_t size = 400;
    std::string model(size, '\0');
    std::vector<bool> have(size, false);
    std::vector<std::pair<uint32_t, std::string>> segments;
    for (int k = 0; k < 300; ++k) {
      const uint32_t at = next(size), len = 1 + next(12);
      std::string bytes;
      for (uint32_t i = 0; i < len && at + i < size; ++i) bytes.push_back(static_cast<char>('A' + next(26)));
      segments.emplace_back(at, bytes);
    }
    for (uint32_t at = 0; at < size; at += 50) segments.emplace_back(at, std::string(50, '.'));  // cover every byte
    for (size_t i = segments.size(); i > 1; --i) std::swap(segments[i - 1], segments[next(static_cast<uint32_t>(i))]);
    for (const auto& [at, bytes] : segments) {
      for (size_t i = 0; i < bytes.size(); ++i) {
        if (!have[at + i]) model[at + i] = bytes[i], have[at + i] = true;
      }
      c.Send(true, kData, 1 + at, 1, bytes);
    }
    c.Finish();
    EXPECT_EQ(c.delivered(true), model) << "seed " << seed;
    EXPECT_EQ(c.counters().gaps, 0u) << "seed " << seed;
  }
}

TEST(TcpReassembler, OverlapPolicyNamesRoundTrip) {
  for (const char* n : {"first", "last", "bsd", "linux", "windows", "solaris"}) {
    auto p = ParseOverlapPolicy(n);
    ASSERT_TRUE(p.has_value()) << n;
    EXPECT_EQ(OverlapPolicyName(*p), n);
  }
  EXPECT_FALSE(ParseOverlapPolicy("vista").has_value());
}

}  // namespace
}  // namespace kagami::stream
