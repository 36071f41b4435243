#pragma once
// PacketSource: the small interface every capture backend implements
// (classic pcap, pcapng, live libpcap).

#include <memory>
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

  // A name for messages and EVE's pcap_filename (the path, or the interface).
  virtual const std::string& name() const = 0;
};

// Opens a capture file, choosing classic pcap or pcapng by its magic number.
absl::StatusOr<std::unique_ptr<PacketSource>> OpenCaptureFile(const std::string& path);

// Expands a command line's inputs: files are kept in order, directories are
// replaced by the regular files beneath them (recursively, sorted by path).
absl::StatusOr<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& inputs);

}  // namespace kagami::capture
