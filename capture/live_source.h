#pragma once
// Live capture from a network interface through libpcap (TPACKET_V3 ring on
// Linux), with a BPF filter applied in the kernel.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capture/packet_source.h"

struct pcap;  // libpcap's handle; kept out of this header's includers

namespace kagami::capture {

// Counters as libpcap reports them (pcap_stats): packets that passed the
// filter, packets the kernel dropped for lack of ring space, and packets the
// interface or driver dropped (not supported everywhere: then 0).
struct LiveStats {
  uint64_t received = 0;
  uint64_t dropped = 0;
  uint64_t if_dropped = 0;
};

class LiveSource final : public PacketSource {
 public:
  // Opens `iface` in promiscuous mode with nanosecond timestamps where the
  // platform offers them. An empty `bpf` captures everything. Errors name the
  // interface, and a filter that does not compile is quoted in the message.
  static absl::StatusOr<std::unique_ptr<LiveSource>> Open(const std::string& iface,
                                                          const std::string& bpf,
                                                          int snaplen = 262144);
  ~LiveSource() override;

  // Blocks until a packet arrives, waking every 100 ms to notice Stop().
  // Returns false once Stop() was called; a capture failure (interface gone)
  // returns "IFACE: capture failed: reason" and the source then yields false.
  // PacketView::offset is 0 and index counts packets from 1.
  absl::StatusOr<bool> Next(PacketView& out) override;
  const std::string& name() const override { return iface_; }

  // Makes a blocked or later Next() return false. Safe from another thread
  // and from a signal handler: it only stores an atomic flag and calls
  // pcap_breakloop, which sets a flag and writes to an eventfd.
  void Stop();

  // libpcap's counters, cumulative since Open and widened to 64 bits (the
  // kernel's are 32-bit and wrap). If libpcap cannot report them, the last
  // values it did report are returned. Call it from the thread that calls
  // Next, or after capture has ended: libpcap handles are not thread-safe.
  LiveStats stats() const;
  std::optional<KernelCounts> kernel_counts() const override {
    const LiveStats s = stats();
    return KernelCounts{s.received, s.dropped + s.if_dropped};
  }

  // The capture's link type (pcap LINKTYPE_ numbering, as in PacketView).
  uint32_t linktype() const { return linktype_; }

 private:
  LiveSource(std::string iface, struct pcap* handle);

  std::string iface_;
  struct pcap* handle_;
  uint32_t linktype_ = 0;
  // Waits up to the read timeout for the descriptor to be readable, running
  // the idle handler when nothing came; false on a poll error.
  bool WaitForPackets();

  int fd_ = -1;  // pcap's selectable descriptor
  bool nanoseconds_ = false;
  uint64_t count_ = 0;
  std::atomic<bool> stopped_{false};
  bool failed_ = false;
  // stats() state: libpcap's last raw 32-bit counters and the 64-bit totals.
  mutable uint32_t raw_[3] = {0, 0, 0};
  mutable LiveStats totals_;
};

}  // namespace kagami::capture
