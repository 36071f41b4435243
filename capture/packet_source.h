#pragma once
// PacketSource: the small interface every capture backend implements
// (classic pcap, pcapng, live libpcap).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capture/packet_view.h"

namespace kagami::capture {

class PacketSource {
 public:
  virtual ~PacketSource() = default;

  // Fills `out` with the next packet and returns true; returns false at a
  // clean end of input. A truncated or corrupt input returns an error whose
  // message reads "NAME: packet N at byte offset X: reason"; every packet
  // returned before it was good, and the source yields nothing after it.
  virtual absl::StatusOr<bool> Next(PacketView& out) = 0;

  // True when a view stays valid until the source is destroyed (a file read
  // in place from an mmap); false when the next call may reuse its bytes
  // (libpcap's buffer), so a view kept past it must be copied.
  virtual bool stable_views() const { return false; }

  // Called from inside Next() (on its thread) each time a live source has
  // waited a while for a packet, so that a reader can pass on what it holds
  // (a batch for a worker) instead of keeping it until traffic resumes.
  // Files never wait and never call it.
  void set_idle_handler(std::function<void()> on_idle) { on_idle_ = std::move(on_idle); }

  // What the kernel counted for a live capture (PACKET_STATISTICS through
  // libpcap), cumulative; nothing for files. Call it on the reading thread.
  struct KernelCounts {
    uint64_t packets = 0;  // received
    uint64_t drops = 0;    // dropped by the kernel (the ring was full) or the interface
  };
  virtual std::optional<KernelCounts> kernel_counts() const { return std::nullopt; }

  // A name for messages and EVE's pcap_filename (the path, or the interface).
  virtual const std::string& name() const = 0;

 protected:
  void Idle() {
    if (on_idle_) on_idle_();
  }

 private:
  std::function<void()> on_idle_;
};

// Opens a capture file, choosing classic pcap or pcapng by its magic number.
absl::StatusOr<std::unique_ptr<PacketSource>> OpenCaptureFile(const std::string& path);

// Expands a command line's inputs: files are kept in order, directories are
// replaced by the regular files beneath them (recursively, sorted by path).
absl::StatusOr<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& inputs);

}  // namespace kagami::capture
