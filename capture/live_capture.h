#pragma once
// LiveCapture: the sockets a sensor reads, opened from the command line's or
// the config file's choices: AF_PACKET (the default on Linux) with one
// socket per worker per interface in a fanout group, or libpcap (one
// interface, one reading thread) as the portable fallback.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/afpacket_source.h"
#include "capture/live_source.h"
#include "capture/packet_source.h"

namespace kagami::capture {

enum class CaptureMethod { kAfPacket, kPcap };

struct LiveInterface {
  std::string name;
  std::string bpf;  // empty: LiveCaptureOptions::bpf
};

struct LiveCaptureOptions {
  std::vector<LiveInterface> interfaces;
  std::string bpf;  // for every interface without a filter of its own
  CaptureMethod method = CaptureMethod::kAfPacket;
  uint32_t workers = 1;  // AF_PACKET: sockets per interface
  // Ring, block, promiscuous mode and fanout mode for every AF_PACKET
  // socket; iface, bpf and fanout_group are filled in per socket.
  AfPacketOptions afpacket;
};

class LiveCapture {
 public:
  // Opens every socket before any packet is read, so the fanout group is
  // complete when traffic starts to be spread. Errors name the interface.
  static absl::StatusOr<std::unique_ptr<LiveCapture>> Open(const LiveCaptureOptions& options);

  // What each reading thread reads: AF_PACKET, one per worker (that
  // worker's socket on each interface); libpcap, one. Owned here.
  const std::vector<PacketSource*>& sources() const { return sources_; }
  bool one_source_per_worker() const { return method_ == CaptureMethod::kAfPacket; }

  // Ends capture: every Next returns what its ring already holds (AF_PACKET;
  // libpcap stops at once), then false. Async-signal-safe (atomic stores
  // and pcap_breakloop only).
  void Stop();

  // Interface up/down/re-created messages, from the reading threads.
  void set_event_handler(const std::function<void(const std::string&)>& on_event);

  // The kernel's counts per interface (every worker's socket added up), in
  // the order the interfaces were given. Safe from any thread for
  // AF_PACKET; for libpcap, from the reading thread or after capture.
  struct InterfaceCounts {
    std::string interface;
    PacketSource::KernelCounts counts;
  };
  std::vector<InterfaceCounts> kernel_counts() const;

  // "af-packet, fanout hash, 2 sockets per interface" or "libpcap".
  std::string Describe() const;

 private:
  CaptureMethod method_ = CaptureMethod::kAfPacket;
  LiveCaptureOptions options_;
  std::vector<std::unique_ptr<AfPacketSource>> sockets_;  // worker-major
  std::vector<std::unique_ptr<PollSet>> sets_;
  std::unique_ptr<LiveSource> pcap_;
  std::vector<PacketSource*> sources_;
};

}  // namespace kagami::capture
