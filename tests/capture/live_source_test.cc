// LiveSource against real interfaces: a veth pair made for the test (root
// only), frames injected on one end and captured on the other.

#include "capture/live_source.h"

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

bool Run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// Why live tests cannot run here, or empty when they can.
std::string LiveSkipReason() {
  if (geteuid() != 0) return "needs root to create interfaces and capture";
  if (!Run("ip -V")) return "the ip tool (iproute2) is missing";
  return "";
}

// A veth pair that exists for the lifetime of the object.
class VethPair {
 public:
  VethPair()
      : a_("kgv0-" + std::to_string(getpid())), b_("kgv1-" + std::to_string(getpid())) {
    Run("ip link del " + a_);  // left over from a crashed run
    ok_ = Run("ip link add " + a_ + " type veth peer name " + b_) &&
          Run("ip link set " + a_ + " up") && Run("ip link set " + b_ + " up");
  }
  ~VethPair() { Run("ip link del " + a_); }  // removes both ends
  bool ok() const { return ok_; }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }

 private:
  std::string a_, b_;
  bool ok_ = false;
};

uint16_t Checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t{p[i]} << 8 | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Broadcast Ethernet / IPv4 / UDP frame, built by hand.
std::vector<uint8_t> UdpFrame(uint16_t dport, const std::string& payload) {
  std::vector<uint8_t> f(14 + 20 + 8 + payload.size(), 0);
  for (int i = 0; i < 6; ++i) f[i] = 0xff;
  const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::copy(src_mac, src_mac + 6, f.begin() + 6);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  const size_t ip_len = 20 + 8 + payload.size();
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>(ip_len >> 8);
  ip[3] = static_cast<uint8_t>(ip_len);
  ip[8] = 64;
  ip[9] = 17;
  const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
  std::copy(src, src + 4, ip + 12);
  std::copy(dst, dst + 4, ip + 16);
  const uint16_t c = Checksum(ip, 20);
  ip[10] = static_cast<uint8_t>(c >> 8);
  ip[11] = static_cast<uint8_t>(c);
  uint8_t* udp = ip + 20;
  udp[0] = 0x30;  // source port 12345
  udp[1] = 0x39;
  udp[2] = static_cast<uint8_t>(dport >> 8);
  udp[3] = static_cast<uint8_t>(dport);
  udp[4] = static_cast<uint8_t>((8 + payload.size()) >> 8);
  udp[5] = static_cast<uint8_t>(8 + payload.size());
  std::copy(payload.begin(), payload.end(), udp + 8);  // checksum 0: none
  return f;
}

// Sends frames out of `iface` through an AF_PACKET socket.
class FrameSender {
 public:
  explicit FrameSender(const std::string& iface) {
    fd_ = socket(AF_PACKET, SOCK_RAW, 0);
    addr_.sll_family = AF_PACKET;
    addr_.sll_ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
    addr_.sll_halen = 6;
  }
  ~FrameSender() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0 && addr_.sll_ifindex != 0; }
  void Send(const std::vector<uint8_t>& f) {
    sendto(fd_, f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
  }

 private:
  int fd_ = -1;
  sockaddr_ll addr_ = {};
};

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
  VethPair veth;
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair (no CAP_NET_ADMIN?)";
  absl::StatusOr<std::unique_ptr<LiveSource>> src = LiveSource::Open(veth.b(), "udp port 9999");
  ASSERT_TRUE(src.ok()) << src.status();
  LiveSource& live = **src;
  EXPECT_EQ(live.name(), veth.b());
  EXPECT_EQ(live.linktype(), kLinkEthernet);

  // The link may take a moment to carry frames after coming up, so keep
  // sending (wanted and unwanted frames alternately) until enough arrive.
  FrameSender sender(veth.a());
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
  VethPair veth;
  if (!veth.ok()) GTEST_SKIP() << "cannot create a veth pair (no CAP_NET_ADMIN?)";
  // Nothing is sent, so Next can only return through Stop.
  absl::StatusOr<std::unique_ptr<LiveSource>> src = LiveSource::Open(veth.b(), "udp port 9");
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
  EXPECT_THAT(std::string(src.status().message()), StartsWith("kgnosuch0: "));
}

}  // namespace
}  // namespace kagami::capture
