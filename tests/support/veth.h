#pragma once
// Real interfaces for live-capture tests: a veth pair the test creates (root
// only) and a sender that puts whole frames on one end, so the other end
// receives them as if from a wire.

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace kagami::testing {

inline bool Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// Why live tests cannot run here, or empty when they can.
inline std::string LiveSkipReason() {
  if (geteuid() != 0) return "needs root to create interfaces and capture";
  if (!Sh("ip -V")) return "the ip tool (iproute2) is missing";
  return "";
}

// A veth pair named PREFIX + "a"/"b" + the process id, removed with the
// object (deleting one end deletes both).
class VethPair {
 public:
  explicit VethPair(const std::string& prefix = "kg") {
    const std::string suffix = std::to_string(getpid() % 100000);
    a_ = prefix + "a" + suffix;
    b_ = prefix + "b" + suffix;
    Sh("ip link del " + a_);  // left over from a crashed run
    ok_ = Create();
  }
  ~VethPair() { Sh("ip link del " + a_); }
  VethPair(const VethPair&) = delete;
  VethPair& operator=(const VethPair&) = delete;
  // Deletes and makes the pair again (new interface indexes, same names).
  bool Recreate() {
    Sh("ip link del " + a_);
    return ok_ = Create();
  }
  bool ok() const { return ok_; }
  const std::string& sender() const { return a_; }
  const std::string& listener() const { return b_; }

 private:
  bool Create() {
    return Sh("ip link add " + a_ + " type veth peer name " + b_) && Sh("ip link set " + a_ + " up") &&
           Sh("ip link set " + b_ + " up");
  }
  std::string a_, b_;
  bool ok_ = false;
};

// Sends frames out of an interface through an AF_PACKET socket.
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
  FrameSender(const FrameSender&) = delete;
  FrameSender& operator=(const FrameSender&) = delete;
  bool ok() const { return fd_ >= 0 && addr_.sll_ifindex != 0; }
  bool Send(const std::vector<uint8_t>& f) {
    return sendto(fd_, f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) ==
           static_cast<ssize_t>(f.size());
  }

 private:
  int fd_ = -1;
  sockaddr_ll addr_ = {};
};

}  // namespace kagami::testing

namespace kagami::testing {

// A network namespace of the test's own holding a veth pair: traffic
// replayed on one end reaches only the other, and nothing of the host's
// gets in. IPv6 is off inside so the kernel sends nothing of its own
// (router solicitations), and counts of what was sent stay exact.
class NetnsVeth {
 public:
  explicit NetnsVeth(const std::string& prefix = "kgn") : ns_(prefix + std::to_string(getpid() % 100000)) {
    Sh("ip netns del " + ns_);
    ok_ = Sh("ip netns add " + ns_) && Sh(In("sysctl -qw net.ipv6.conf.all.disable_ipv6=1")) &&
          Sh(In("sysctl -qw net.ipv6.conf.default.disable_ipv6=1")) &&
          Sh("ip -n " + ns_ + " link add " + a_ + " type veth peer name " + b_) &&
          Sh("ip -n " + ns_ + " link set " + a_ + " up") && Sh("ip -n " + ns_ + " link set " + b_ + " up");
  }
  ~NetnsVeth() { Sh("ip netns del " + ns_); }
  NetnsVeth(const NetnsVeth&) = delete;
  NetnsVeth& operator=(const NetnsVeth&) = delete;
  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_; }
  const std::string& sender() const { return a_; }
  const std::string& listener() const { return b_; }
  // `cmd` run inside the namespace.
  std::string In(const std::string& cmd) const { return "ip netns exec " + ns_ + " " + cmd; }
  // True once both ends carry frames (operational state up).
  bool WaitUp(int tenths = 50) const {
    for (int i = 0; i < tenths; ++i) {
      if (Sh("ip -n " + ns_ + " link show " + b_ + " | grep -q 'state UP'") &&
          Sh("ip -n " + ns_ + " link show " + a_ + " | grep -q 'state UP'")) {
        return true;
      }
      usleep(100000);
    }
    return false;
  }

 private:
  std::string ns_;
  std::string a_ = "va", b_ = "vb";
  bool ok_ = false;
};

}  // namespace kagami::testing
