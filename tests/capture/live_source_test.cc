// LiveSource against real interfaces: a veth pair made for the test (root
// only), frames injected on one end and captured on the other.

#include "capture/live_source.h"

#include "tests/support/packet_builder.h"
#include "tests/support/veth.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace kagami::capture {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using ::kagami::testing::FrameSender;
using ::kagami::testing::LiveSkipReason;
using ::kagami::testing::VethPair;

// Ethernet / IPv4 / UDP from port 12345 to `dport`.
std::vector<uint8_t> UdpFrame(uint16_t dport, const std::string& payload) {
  return ::kagami::testing::EthUdp("192.0.2.1", 12345, "192.0.2.2", dport, payload);
}

// Stops `src` after `seconds` unless disarmed, so a capture that never sees
// its packets fails instead of hanging the test run.
class Watchdog {
 public:
  Watchdog(LiveSource& src, int seconds)
      : thread_([this, &src, seconds] {
          for (int i = 0; i < seconds * 10 && !done_; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
          if (!done_) src.Stop();
        }) {}
  ~Watchdog() {
    done_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST(LiveSourceTest, CapturesFilteredFramesOnAVethPair) {
  if (std::string why = LiveSkipReason(); !why.empty()) GTEST_SKIP() << why;
  VethPair veth("kgv");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair (no CAP_NET_ADMIN?)";
  absl::StatusOr<std::unique_ptr<LiveSource>> src = LiveSource::Open(veth.listener(), "udp port 9999");
  ASSERT_TRUE(src.ok()) << src.status();
  LiveSource& live = **src;
  EXPECT_EQ(live.name(), veth.listener());
  EXPECT_EQ(live.linktype(), kLinkEthernet);

  // The link may take a moment to carry frames after coming up, so keep
  // sending (wanted and unwanted frames alternately) until enough arrive.
  FrameSender sender(veth.sender());
  ASSERT_TRUE(sender.ok());
  std::atomic<bool> done{false};
  std::thread send_loop([&] {
    for (int round = 0; !done && round < 100; ++round) {
      for (int i = 0; i < 3; ++i) {
        sender.Send(UdpFrame(8888, "unwanted-" + std::to_string(i)));
        sender.Send(UdpFrame(9999, "wanted-" + std::to_string(i)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  std::set<std::string> payloads;
  int received = 0;
  {
    Watchdog watchdog(live, 10);
    PacketView v;
    while (payloads.size() < 3) {
      absl::StatusOr<bool> more = live.Next(v);
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) break;  // the watchdog fired
      ++received;
      EXPECT_EQ(v.index, static_cast<uint64_t>(received));
      EXPECT_EQ(v.linktype, kLinkEthernet);
      EXPECT_EQ(v.offset, 0u);
      ASSERT_GE(v.caplen, 42u);
      EXPECT_EQ(v.wirelen, v.caplen);
      EXPECT_EQ(v.data[36] << 8 | v.data[37], 9999) << "the filter let another port through";
      payloads.insert(std::string(reinterpret_cast<const char*>(v.data) + 42, v.caplen - 42));
      const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      EXPECT_LT(std::abs(now - v.ts_ns), int64_t{60} * 1000000000) << "timestamp not in ns?";
    }
  }
  done = true;
  send_loop.join();
  EXPECT_EQ(payloads, (std::set<std::string>{"wanted-0", "wanted-1", "wanted-2"}));
  const LiveStats stats = live.stats();
  EXPECT_GE(stats.received, static_cast<uint64_t>(received));
  EXPECT_GE(live.stats().received, stats.received) << "counters only grow";
}

TEST(LiveSourceTest, StopFromAnotherThreadEndsABlockedNext) {
  if (std::string why = LiveSkipReason(); !why.empty()) GTEST_SKIP() << why;
  VethPair veth("kgv");
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair (no CAP_NET_ADMIN?)";
  // Nothing is sent, so Next can only return through Stop.
  absl::StatusOr<std::unique_ptr<LiveSource>> src = LiveSource::Open(veth.listener(), "udp port 9");
  ASSERT_TRUE(src.ok()) << src.status();
  LiveSource& live = **src;
  std::atomic<bool> returned{false};
  absl::StatusOr<bool> result = true;
  std::thread reader([&] {
    PacketView v;
    result = live.Next(v);
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(returned) << "Next returned without a packet or a Stop";
  live.Stop();
  reader.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(*result);
  PacketView v;
  absl::StatusOr<bool> again = live.Next(v);  // stays stopped
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST(LiveSourceTest, MalformedBpfIsReportedWithTheExpression) {
  if (std::string why = LiveSkipReason(); !why.empty()) GTEST_SKIP() << why;
  absl::StatusOr<std::unique_ptr<LiveSource>> src = LiveSource::Open("lo", "udp port and (");
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(src.status().message()),
              StartsWith("lo: bad BPF filter \"udp port and (\": "));
}

TEST(LiveSourceTest, MissingInterfaceIsNamed) {
  absl::StatusOr<std::unique_ptr<LiveSource>> src = LiveSource::Open("kgnosuch0", "");
  ASSERT_FALSE(src.ok());
  // Said once, as the AF_PACKET source says it (not libpcap's words twice).
  EXPECT_EQ(src.status().message(), "kgnosuch0: no such interface");
  EXPECT_TRUE(absl::IsNotFound(src.status()));
}

}  // namespace
}  // namespace kagami::capture
