// Rule reload under traffic (Scanner::SwapRules through a RulesetSlot): the
// new rules apply from the next packet; what detection remembered carries
// over for every rule and variable still there — flowbits renumbered by
// name, rate limits by gid:sid, rules that alerted on a transaction — and
// nothing alerts twice; old rules can be freed once every scanner moved on.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/pipeline/parallel_scan.h"
#include "engine/pipeline/ruleset.h"
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::pipeline {
namespace {

using traffic::Bytes;
using traffic::Harness;
using traffic::TcpSession;

size_t Count(const std::vector<uint32_t>& sids, uint32_t sid) {
  return static_cast<size_t>(std::count(sids.begin(), sids.end(), sid));
}

const char* kBefore = R"(
alert udp any any -> any 53 (msg:"set"; content:"set-me"; flowbits:set,seen; sid:1;)
alert udp any any -> any 53 (msg:"isset"; content:"check"; flowbits:isset,seen; sid:2;)
alert udp any any -> any 53 (msg:"limited"; content:"lim"; threshold:type limit, track by_src, count 1, seconds 3600; sid:3;)
alert http any any -> any any (msg:"uri"; http.uri; content:"/evil"; sid:6;)
alert udp any any -> any 53 (msg:"dropped later"; content:"-"; sid:7;)
)";

// The same rules but sid 7, plus a new one; a flowbit name interned first
// moves "seen" to another number.
const char* kAfter = R"(
alert udp any any -> any 53 (msg:"other bit"; content:"zzz"; flowbits:set,other; sid:5;)
alert udp any any -> any 53 (msg:"set"; content:"set-me"; flowbits:set,seen; sid:1;)
alert udp any any -> any 53 (msg:"isset"; content:"check"; flowbits:isset,seen; sid:2;)
alert udp any any -> any 53 (msg:"limited"; content:"lim"; threshold:type limit, track by_src, count 1, seconds 3600; sid:3;)
alert http any any -> any any (msg:"uri"; http.uri; content:"/evil"; sid:6;)
alert udp any any -> any 53 (msg:"new"; content:"check"; sid:4;)
)";

TEST(ReloadTest, NewRulesApplyAtTheNextPacketAndStateCarriesOver) {
  auto before = traffic::CompileRules(kBefore);
  auto after = traffic::CompileRules(kAfter);
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  Harness h("", {}, before);
  RulesetSlot slot;
  slot.Publish(Ruleset{before, nullptr});
  h.scanner().set_ruleset_slot(&slot);

  h.Feed(kagami::testing::EthUdp("10.0.0.1", 4000, "10.0.0.53", 53, "set-me"));  // "seen", old numbering
  h.Feed(kagami::testing::EthUdp("10.0.0.2", 4000, "10.0.0.53", 53, "set-"));  // sid 7 only
  h.Feed(kagami::testing::EthUdp("10.0.0.9", 4001, "10.0.0.53", 53, "lim"));
  // An HTTP request whose URI alerts before the reload, body after it.
  TcpSession http("10.0.0.7", 40000, "10.0.0.80", 80);
  h.Feed(http.Handshake());
  h.Feed(http.Send(true, "POST /evil HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"));
  h.Feed(http.Ack(false));
  const std::vector<uint32_t> first = h.Sids();
  EXPECT_EQ(Count(first, 1), 1u);
  EXPECT_EQ(Count(first, 3), 1u);
  EXPECT_EQ(Count(first, 6), 1u);
  EXPECT_EQ(Count(first, 7), 2u);

  slot.Publish(Ruleset{after, nullptr});
  EXPECT_EQ(h.scanner().rule_swaps(), 0u) << "nothing changes between packets";
  h.Feed(kagami::testing::EthUdp("10.0.0.1", 4000, "10.0.0.53", 53, "check-"));  // the same flow
  EXPECT_EQ(h.scanner().rule_swaps(), 1u);
  h.Feed(kagami::testing::EthUdp("10.0.0.2", 4000, "10.0.0.53", 53, "check"));  // a flow without the bit
  h.Feed(kagami::testing::EthUdp("10.0.0.9", 4002, "10.0.0.53", 53, "lim"));  // limit 1 already used
  h.Feed(http.Send(true, "0123456789"));  // the request completes: /evil must not alert again
  h.Feed(http.Ack(false));
  h.Finish();
  const std::vector<uint32_t> all = h.Sids();
  EXPECT_EQ(Count(all, 1), 1u);
  EXPECT_EQ(Count(all, 2), 1u) << "a flowbit set before the reload is seen after it, in its flow only";
  EXPECT_EQ(Count(all, 3), 1u) << "the limit counted before the reload holds after it";
  EXPECT_EQ(Count(all, 4), 2u) << "the new rule alerts from the next packet";
  EXPECT_EQ(Count(all, 6), 1u) << "a transaction rule that alerted does not alert again";
  EXPECT_EQ(Count(all, 7), 2u) << "the removed rule alerts no more (\"check-\" would match it)";
  EXPECT_EQ(h.scanner().engine(), after);
}

// With workers: every worker takes the new rules, and the old engine is let
// go by all of them (nothing keeps a reference but the test's).
TEST(ReloadTest, EveryWorkerMovesOnAndTheOldEngineIsFreed) {
  auto before = traffic::CompileRules(kBefore);
  auto after = traffic::CompileRules(kAfter);
  ASSERT_NE(before, nullptr);
  std::vector<Bytes> frames, later;
  for (int i = 0; i < 64; ++i) {
    const std::string client = "10.1.0." + std::to_string(i + 1);
    frames.push_back(kagami::testing::EthUdp(client, static_cast<uint16_t>(5000 + i), "10.0.0.53", 53, "set-me"));
    later.push_back(kagami::testing::EthUdp(client, static_cast<uint16_t>(5000 + i), "10.0.0.53", 53, "check-"));
  }
  struct Source final : capture::PacketSource {
    Source(const std::vector<Bytes>& f, int64_t t0) : frames(f), ts(t0) {}
    absl::StatusOr<bool> Next(capture::PacketView& v) override {
      if (at == frames.size()) return false;
      v = capture::PacketView{};
      v.data = frames[at].data();
      v.caplen = v.wirelen = static_cast<uint32_t>(frames[at].size());
      v.ts_ns = ts + static_cast<int64_t>(at) * 1000;
      v.index = ++at;
      return true;
    }
    bool stable_views() const override { return true; }
    const std::string& name() const override { return label; }
    const std::vector<Bytes>& frames;
    int64_t ts;
    size_t at = 0;
    std::string label = "reload.pcap";
  };
  const std::string path = ::testing::TempDir() + "kagami-reload-" + std::to_string(getpid()) + ".json";
  output::EveWriter eve;
  ASSERT_TRUE(eve.Open(path).ok());
  output::ScanSummary summary;
  RulesetSlot slot;
  slot.Publish(Ruleset{before, nullptr});
  std::weak_ptr<const detect::DetectEngine> old = before;
  ParallelScan scan(before, ScannerOptions{}, ParallelOptions{.workers = 3}, &eve, &summary);
  scan.set_ruleset_slot(&slot);
  Source first(frames, int64_t{1'700'000'000} * 1'000'000'000);
  ASSERT_TRUE(scan.Run(first, nullptr).ok());
  slot.Publish(Ruleset{after, nullptr});
  before.reset();
  Source second(later, int64_t{1'700'000'010} * 1'000'000'000);
  ASSERT_TRUE(scan.Run(second, nullptr).ok());
  scan.Finish();
  EXPECT_EQ(scan.rule_swaps(), 3u) << "each worker swapped once";
  EXPECT_TRUE(old.expired()) << "no worker or record still holds the old engine";
  const std::string text = [&] {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  std::remove(path.c_str());
  auto count = [&](uint32_t sid) {
    size_t n = 0;
    for (size_t at = 0; (at = text.find("\"signature_id\":" + std::to_string(sid) + ",", at)) != std::string::npos;
         ++at) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count(1), 64u);
  EXPECT_EQ(count(4), 64u) << "the new rule, on every packet after the reload";
  EXPECT_EQ(count(7), 64u) << "the removed rule, on every packet before it";
  EXPECT_EQ(count(2), 64u) << "each flow's bit, set before the reload, is seen after it";
}

}  // namespace
}  // namespace kagami::pipeline
