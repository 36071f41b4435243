#pragma once
// Live capture straight from the kernel: a Linux AF_PACKET socket with a
// TPACKET_V3 receive ring mapped into memory, optionally one member of a
// PACKET_FANOUT group so that each worker thread reads its own socket and
// the kernel spreads flows between them. A sensor's packets never pass
// through libpcap's copy or a reader thread.
//
// Interfaces come and go on a long-running sensor: a socket whose
// interface goes down waits for it to come up again; one whose interface
// is deleted is reopened (joining the same fanout group) once an interface
// of that name exists again. Each change is reported through the event
// callback; capture never ends because of it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capture/packet_source.h"

#include <poll.h>

namespace kagami::capture {

// How the kernel picks the socket of a fanout group for a packet.
enum class FanoutMode {
  kHash,  // flow hash (both directions alike), fragments reassembled first
  kLb,    // round robin
  kCpu,   // the CPU the packet arrived on
  kQm,    // the NIC's receive queue
};

// "hash", "lb", "cpu", "qm"; false for anything else.
bool ParseFanoutMode(std::string_view text, FanoutMode* mode);

struct AfPacketOptions {
  std::string iface;
  std::string bpf;               // empty: everything
  bool promiscuous = true;
  uint32_t block_size = 1 << 20;  // bytes per ring block (a power of two, >= page size)
  uint32_t ring_size = 32 << 20;  // bytes per socket's ring (a multiple of block_size)
  // How long the kernel may hold a partly filled block before handing it
  // over: the latency floor of an alert at a trickle of packets.
  uint32_t block_timeout_ms = 10;
  uint32_t snaplen = 65535 + 4;  // largest frame kept whole (plus a VLAN tag)
  // Fanout: 0 sockets share no group. Sockets opened with the same nonzero
  // group id on the same interface share the packets.
  uint16_t fanout_group = 0;
  FanoutMode fanout_mode = FanoutMode::kHash;
};

class AfPacketSource final : public PacketSource {
 public:
  // Opens, maps and binds the socket; with a fanout group, joins it. Errors
  // name the interface and say what failed ("eth1: no such interface",
  // "eth1: PACKET_RX_RING: Cannot allocate memory", a BPF filter that does
  // not compile quoted). Needs CAP_NET_RAW.
  static absl::StatusOr<std::unique_ptr<AfPacketSource>> Open(const AfPacketOptions& options);
  ~AfPacketSource() override;

  // Blocks until a packet arrives, waking every 100 ms to notice Stop() and
  // run the idle handler; false once Stop() was called and the ring is
  // empty. A frame that
  // arrived with its VLAN tag stripped by the NIC or kernel gets the tag put
  // back (802.1Q or 802.1ad, as the ring says). The view stays valid until
  // the next call.
  absl::StatusOr<bool> Next(PacketView& out) override;
  // The next packet already in the ring, without waiting; false when none.
  bool TryNext(PacketView& out);
  // The descriptor to poll for packets and errors; -1 while the interface
  // is gone (poll ignores it).
  int fd() const { return fd_; }
  // After Stop, once: waits for the kernel to hand over the block it is
  // still filling (its timer), so nothing captured before Stop is left in
  // it. False when it already waited (the ring is drained).
  bool WaitForLastBlock();
  // Called by whoever polls fd() after an event on it or a timeout: reads a
  // socket error (interface down or deleted), notices an interface that
  // came back and reopens the socket when the interface is a new one.
  void Service(bool had_error);

  const std::string& name() const override { return options_.iface; }

  // The kernel's counts (PACKET_STATISTICS), added up since Open over every
  // socket this source has had (reopens included). Safe from any thread.
  std::optional<KernelCounts> kernel_counts() const override;

  // Ends capture: Next() returns the packets already in the ring, then
  // false. Safe from another thread and from a signal handler (one atomic
  // store).
  void Stop() { stopped_.store(true, std::memory_order_relaxed); }

  // Interface state changes ("eth1: interface down", "... capture resumed").
  // Called on the reading thread.
  void set_event_handler(std::function<void(const std::string&)> on_event) { on_event_ = std::move(on_event); }

  uint32_t linktype() const { return linktype_; }

 private:
  explicit AfPacketSource(AfPacketOptions options) : options_(std::move(options)) {}
  absl::Status OpenSocket();
  // Binds the open socket to the interface, sets promiscuous mode and joins
  // the fanout group: once the interface is up.
  absl::Status Bind();
  void CloseSocket();
  // Hands the current block back to the kernel and moves to the next.
  void ReleaseBlock();
  void Event(const std::string& what);
  void AccumulateKernelCounts() const;

  AfPacketOptions options_;
  int fd_ = -1;
  int ifindex_ = 0;
  uint32_t linktype_ = 1;
  uint8_t* ring_ = nullptr;
  size_t ring_bytes_ = 0;
  uint32_t blocks_ = 0;
  uint32_t block_ = 0;           // the block being read
  uint32_t left_in_block_ = 0;   // packets of it not yet returned
  const uint8_t* next_pkt_ = nullptr;
  bool holding_block_ = false;
  uint64_t count_ = 0;
  std::vector<uint8_t> tagged_;  // a frame with its VLAN tag put back
  std::atomic<bool> stopped_{false};
  bool draining_ = false, drain_waited_ = false;
  uint32_t drain_blocks_left_ = 0;
  bool down_ = false, gone_ = false;
  bool bound_ = false;
  int64_t next_reopen_ns_ = 0;
  std::function<void(const std::string&)> on_event_;
  mutable std::mutex counts_mu_;  // the counters reset on each read
  mutable KernelCounts counts_;
  int stats_fd_ = -1;  // fd_ as other threads may read counters from it
};

// Several live sources read on one thread (a worker's socket on each
// interface): Next returns the first packet any of them has, waiting on all
// their descriptors at once; name() is the interface of the last packet.
class PollSet final : public PacketSource {
 public:
  explicit PollSet(std::vector<AfPacketSource*> sources) : sources_(std::move(sources)) {}
  absl::StatusOr<bool> Next(PacketView& out) override;
  const std::string& name() const override { return sources_[current_]->name(); }
  std::optional<KernelCounts> kernel_counts() const override;
  void Stop() { stopped_.store(true, std::memory_order_relaxed); }

 private:
  std::vector<AfPacketSource*> sources_;
  size_t current_ = 0;
  size_t start_ = 0;  // round robin, so a busy interface cannot starve another
  std::atomic<bool> stopped_{false};
  std::vector<struct pollfd> fds_;
};

}  // namespace kagami::capture
