#include "capture/afpacket_source.h"

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/filter.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kagami::capture {
namespace {

// How long a wait lasts before the stop flag and the idle handler are
// looked at, and how often an interface that is down or gone is checked.
constexpr int kPollMs = 100;
constexpr int64_t kRecheckNs = 500'000'000;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string Errno(const char* what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

bool PowerOfTwo(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// The link type of frames read from a SOCK_RAW packet socket on a device
// of this ARPHRD type; 0 when Kagami cannot decode them.
uint32_t LinkTypeOf(int arphrd) {
  switch (arphrd) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
      return kLinkEthernet;
    case ARPHRD_NONE:  // tun devices and the like: the frame is the IP packet
    case ARPHRD_IPGRE:
    case ARPHRD_TUNNEL:
    case ARPHRD_TUNNEL6:
      return kLinkRaw;
    default:
      return 0;
  }
}

// The interface's index and flags; index 0 when there is no such interface.
struct IfaceState {
  int index = 0;
  bool up = false;
};
IfaceState LookUp(const std::string& iface) {
  IfaceState s;
  s.index = static_cast<int>(if_nametoindex(iface.c_str()));
  if (s.index == 0) return s;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return s;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) s.up = (ifr.ifr_flags & IFF_UP) != 0;
  close(fd);
  return s;
}

}  // namespace

bool ParseFanoutMode(std::string_view text, FanoutMode* mode) {
  if (text == "hash") *mode = FanoutMode::kHash;
  else if (text == "lb") *mode = FanoutMode::kLb;
  else if (text == "cpu") *mode = FanoutMode::kCpu;
  else if (text == "qm") *mode = FanoutMode::kQm;
  else return false;
  return true;
}

absl::StatusOr<std::unique_ptr<AfPacketSource>> AfPacketSource::Open(const AfPacketOptions& options) {
  if (!PowerOfTwo(options.block_size) || options.block_size < static_cast<uint32_t>(getpagesize())) {
    return absl::InvalidArgumentError(absl::StrCat(options.iface, ": block size ", options.block_size,
                                                   " must be a power of two of at least the page size"));
  }
  if (options.ring_size < options.block_size || options.ring_size % options.block_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(options.iface, ": ring size ", options.ring_size,
                                                   " must be a multiple of the block size ", options.block_size));
  }
  std::unique_ptr<AfPacketSource> src(new AfPacketSource(options));
  if (absl::Status s = src->OpenSocket(); !s.ok()) return s;
  return src;
}

AfPacketSource::~AfPacketSource() { CloseSocket(); }

absl::Status AfPacketSource::OpenSocket() {
  const std::string& iface = options_.iface;
  const IfaceState state = LookUp(iface);
  if (state.index == 0) return absl::NotFoundError(absl::StrCat(iface, ": no such interface"));
  // Protocol 0: the socket receives nothing until bind, so no packet gets
  // in before the filter is attached.
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return absl::PermissionDeniedError(absl::StrCat(iface, ": ", Errno("AF_PACKET socket")));
  auto fail = [&](const std::string& what) {
    const std::string message = absl::StrCat(iface, ": ", Errno(what.c_str()));
    CloseSocket();
    return absl::UnavailableError(message);
  };

  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd_, SIOCGIFHWADDR, &ifr) != 0) return fail("SIOCGIFHWADDR");
  linktype_ = LinkTypeOf(ifr.ifr_hwaddr.sa_family);
  if (linktype_ == 0) {
    CloseSocket();
    return absl::UnimplementedError(
        absl::StrCat(iface, ": link type ", ifr.ifr_hwaddr.sa_family, " (ARPHRD) is not supported; try --capture pcap"));
  }

  const int version = TPACKET_V3;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) return fail("PACKET_VERSION");
  tpacket_req3 req{};
  req.tp_block_size = options_.block_size;
  req.tp_block_nr = options_.ring_size / options_.block_size;
  // TPACKET_V3 packs frames of any size into a block; the frame size only
  // has to divide the block for the kernel's checks.
  req.tp_frame_size = TPACKET_ALIGNMENT << 7;
  req.tp_frame_nr = options_.ring_size / req.tp_frame_size;
  req.tp_retire_blk_tov = options_.block_timeout_ms;
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) return fail("PACKET_RX_RING");
  ring_bytes_ = options_.ring_size;
  void* ring = mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, 0);
  if (ring == MAP_FAILED) {
    ring_bytes_ = 0;
    return fail("mmap of the ring");
  }
  ring_ = static_cast<uint8_t*>(ring);
  blocks_ = req.tp_block_nr;
  block_ = 0;
  holding_block_ = false;

  if (!options_.bpf.empty()) {
    // libpcap compiles the filter for this link type; the kernel runs it.
    pcap_t* dead = pcap_open_dead(linktype_ == kLinkRaw ? DLT_RAW : DLT_EN10MB, static_cast<int>(options_.snaplen));
    bpf_program prog{};
    if (dead == nullptr || pcap_compile(dead, &prog, options_.bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      const std::string why = dead ? pcap_geterr(dead) : "out of memory";
      if (dead) pcap_close(dead);
      CloseSocket();
      return absl::InvalidArgumentError(absl::StrCat(iface, ": BPF filter '", options_.bpf, "': ", why));
    }
    sock_fprog fprog{};
    fprog.len = static_cast<unsigned short>(prog.bf_len);
    fprog.filter = reinterpret_cast<sock_filter*>(prog.bf_insns);  // the same layout
    const int rc = setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog);
    pcap_freecode(&prog);
    pcap_close(dead);
    if (rc != 0) return fail("SO_ATTACH_FILTER");
  }

  ifindex_ = state.index;
  // The kernel joins a socket to a fanout group only while it runs, which a
  // socket bound to a device that is down does not: such a socket waits,
  // unbound (so it sees nothing, rather than every packet), until the
  // interface is up (Service).
  bound_ = false;
  if (state.up) {
    if (absl::Status s = Bind(); !s.ok()) {
      CloseSocket();
      return s;
    }
  }
  down_ = !state.up;
  gone_ = false;
  std::lock_guard<std::mutex> lock(counts_mu_);
  stats_fd_ = fd_;
  return absl::OkStatus();
}

absl::Status AfPacketSource::Bind() {
  const std::string& iface = options_.iface;
  auto fail = [&](const char* what) { return absl::UnavailableError(absl::StrCat(iface, ": ", Errno(what))); };
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("bind");
  if (options_.promiscuous) {
    packet_mreq mreq{};
    mreq.mr_ifindex = ifindex_;
    mreq.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) return fail("promiscuous mode");
  }
  if (options_.fanout_group != 0) {
    // A group belongs to one device: after the interface is re-created
    // (a new index), the reopened sockets need a group of their own, so
    // the index is part of the id every worker computes alike.
    const uint32_t id = (uint32_t{options_.fanout_group} + static_cast<uint32_t>(ifindex_) * 131u) & 0xffffu;
    uint32_t type = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
    switch (options_.fanout_mode) {
      case FanoutMode::kHash: break;
      case FanoutMode::kLb: type = PACKET_FANOUT_LB; break;
      case FanoutMode::kCpu: type = PACKET_FANOUT_CPU; break;
      case FanoutMode::kQm: type = PACKET_FANOUT_QM; break;
    }
    const int arg = static_cast<int>((id == 0 ? 1 : id) | (type << 16));
    if (setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) return fail("PACKET_FANOUT");
  }
  bound_ = true;
  return absl::OkStatus();
}

void AfPacketSource::CloseSocket() {
  AccumulateKernelCounts();
  {
    // After this no other thread reads counters from the descriptor.
    std::lock_guard<std::mutex> lock(counts_mu_);
    stats_fd_ = -1;
  }
  if (ring_ != nullptr) munmap(ring_, ring_bytes_);
  ring_ = nullptr;
  ring_bytes_ = 0;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  holding_block_ = false;
}

void AfPacketSource::AccumulateKernelCounts() const {
  std::lock_guard<std::mutex> lock(counts_mu_);
  if (stats_fd_ < 0) return;
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  // Reading the counters resets them in the kernel: they are added here.
  if (getsockopt(stats_fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return;
  counts_.packets += st.tp_packets;  // includes the drops
  counts_.drops += st.tp_drops;
}

std::optional<PacketSource::KernelCounts> AfPacketSource::kernel_counts() const {
  AccumulateKernelCounts();
  std::lock_guard<std::mutex> lock(counts_mu_);
  return counts_;
}

void AfPacketSource::Event(const std::string& what) {
  if (on_event_) on_event_(absl::StrCat(options_.iface, ": ", what));
}

void AfPacketSource::ReleaseBlock() {
  auto* bd = reinterpret_cast<tpacket_block_desc*>(ring_ + size_t{block_} * options_.block_size);
  __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  block_ = (block_ + 1) % blocks_;
  holding_block_ = false;
  if (draining_ && drain_blocks_left_ > 0) --drain_blocks_left_;
}

bool AfPacketSource::TryNext(PacketView& out) {
  if (ring_ == nullptr) return false;
  if (!draining_ && stopped_.load(std::memory_order_relaxed)) {
    // At most one ring's worth after Stop, so traffic that keeps coming
    // cannot hold the sensor up.
    draining_ = true;
    drain_blocks_left_ = blocks_;
  }
  for (;;) {
    if (draining_ && drain_blocks_left_ == 0) return false;
    if (!holding_block_) {
      auto* bd = reinterpret_cast<tpacket_block_desc*>(ring_ + size_t{block_} * options_.block_size);
      if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) return false;
      holding_block_ = true;
      left_in_block_ = bd->hdr.bh1.num_pkts;
      next_pkt_ = reinterpret_cast<const uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
    }
    // The block of the previous view is handed back only now, on the call
    // after it, so the view stayed valid until then.
    if (left_in_block_ == 0) {
      ReleaseBlock();
      continue;
    }
    const auto* h = reinterpret_cast<const tpacket3_hdr*>(next_pkt_);
    const uint8_t* frame = next_pkt_ + h->tp_mac;
    out.ts_ns = int64_t{h->tp_sec} * 1'000'000'000 + h->tp_nsec;
    out.linktype = linktype_;
    out.caplen = h->tp_snaplen;
    out.wirelen = h->tp_len;
    out.data = frame;
    out.offset = 0;
    out.index = ++count_;
    if ((h->tp_status & TP_STATUS_VLAN_VALID) != 0 && linktype_ == kLinkEthernet && out.caplen >= 12) {
      // The tag was taken off by the NIC or the kernel; decoders and rules
      // expect it in the frame, as on the wire.
      const uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 && h->hv1.tp_vlan_tpid != 0
                                ? h->hv1.tp_vlan_tpid
                                : ETH_P_8021Q;
      const uint16_t tci = h->hv1.tp_vlan_tci;
      tagged_.resize(size_t{out.caplen} + 4);
      std::memcpy(tagged_.data(), frame, 12);
      tagged_[12] = static_cast<uint8_t>(tpid >> 8);
      tagged_[13] = static_cast<uint8_t>(tpid);
      tagged_[14] = static_cast<uint8_t>(tci >> 8);
      tagged_[15] = static_cast<uint8_t>(tci);
      std::memcpy(tagged_.data() + 16, frame + 12, out.caplen - 12);
      out.data = tagged_.data();
      out.caplen += 4;
      out.wirelen += 4;
    }
    next_pkt_ += h->tp_next_offset;
    --left_in_block_;
    if (down_) {
      // Packets again: the interface came up before the next recheck.
      down_ = false;
      Event("interface up; capture resumed");
    }
    return true;
  }
}

void AfPacketSource::Service(bool had_error) {
  if (had_error && fd_ >= 0) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);  // reading it clears it
    if (err == ENETDOWN && !down_) {
      down_ = true;
      Event("interface down; waiting for it to come back");
    }
    next_reopen_ns_ = 0;  // look at the interface now
  }
  if (!down_ && !gone_) return;
  const int64_t now = NowNs();
  if (now < next_reopen_ns_) return;
  next_reopen_ns_ = now + kRecheckNs;
  const IfaceState state = LookUp(options_.iface);
  if (state.index == 0) {
    if (!gone_) {
      gone_ = true;
      CloseSocket();
      Event("interface deleted; waiting for it to be created again");
    }
    return;
  }
  if (state.index != ifindex_ || fd_ < 0) {
    // Re-created: a new device, so a new socket (and fanout group).
    CloseSocket();
    if (absl::Status s = OpenSocket(); !s.ok()) {
      gone_ = true;
      Event(absl::StrCat("cannot reopen: ", s.message()));
      return;
    }
    Event(down_ ? "interface re-created, still down" : "interface re-created; capture resumed");
    return;
  }
  if (state.up && down_) {
    // A bound socket the kernel hooks again by itself; one opened while the
    // interface was down is bound (and joins its fanout group) now.
    if (!bound_) {
      if (absl::Status s = Bind(); !s.ok()) {
        Event(absl::StrCat("cannot capture: ", s.message()));
        return;
      }
    }
    down_ = false;
    Event("interface up; capture resumed");
  }
}

bool AfPacketSource::WaitForLastBlock() {
  if (drain_waited_ || fd_ < 0) return false;
  drain_waited_ = true;
  // The kernel hands over a partly filled block only when its timer fires.
  pollfd p{fd_, POLLIN, 0};
  poll(&p, 1, static_cast<int>(options_.block_timeout_ms) * 2 + 10);
  return true;
}

absl::StatusOr<bool> AfPacketSource::Next(PacketView& out) {
  for (;;) {
    // After Stop the ring is drained: what the kernel already handed over
    // is inspected, then capture ends.
    if (TryNext(out)) return true;
    if (stopped_.load(std::memory_order_relaxed) && !WaitForLastBlock()) return false;
    pollfd p{fd_, POLLIN, 0};
    const int rc = poll(&p, 1, kPollMs);
    if (rc < 0 && errno != EINTR) return absl::InternalError(absl::StrCat(options_.iface, ": ", Errno("poll")));
    Service(rc > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0);
    if (rc == 0) Idle();
  }
}

absl::StatusOr<bool> PollSet::Next(PacketView& out) {
  const size_t n = sources_.size();
  std::vector<pollfd>& fds = fds_;
  fds.resize(n);
  for (;;) {
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (start_ + k) % n;
      if (sources_[i]->TryNext(out)) {
        current_ = i;
        start_ = (i + 1) % n;
        return true;
      }
    }
    if (stopped_.load(std::memory_order_relaxed)) {
      bool waited = false;
      for (AfPacketSource* source : sources_) waited |= source->WaitForLastBlock();
      if (!waited) return false;  // drained
      continue;
    }
    for (size_t i = 0; i < n; ++i) fds[i] = pollfd{sources_[i]->fd(), POLLIN, 0};
    const int rc = poll(fds.data(), n, kPollMs);
    if (rc < 0 && errno != EINTR) return absl::InternalError(Errno("poll"));
    for (size_t i = 0; i < n; ++i) {
      sources_[i]->Service(rc > 0 && (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0);
    }
    if (rc == 0) Idle();
  }
}

std::optional<PacketSource::KernelCounts> PollSet::kernel_counts() const {
  KernelCounts total;
  for (const AfPacketSource* s : sources_) {
    if (std::optional<KernelCounts> c = s->kernel_counts()) {
      total.packets += c->packets;
      total.drops += c->drops;
    }
  }
  return total;
}

}  // namespace kagami::capture
