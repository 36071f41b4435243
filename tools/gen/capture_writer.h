#pragma once
// Streaming capture writers: classic pcap (microsecond timestamps) and pcapng
// (one section, one Ethernet interface, Enhanced Packet Blocks). Records are
// appended to a large buffer that is written out whole, so tens of gigabytes
// stream to disk with one write(2) per few megabytes and no per-packet
// allocation. Either format is what capture/ reads back.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kagami::gen {

enum class CaptureFormat { kPcap, kPcapng };

// Where the session writer puts each frame it builds.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void WritePacket(int64_t ts_ns, std::span<const uint8_t> frame) = 0;
};

class CaptureWriter final : public PacketSink {
 public:
  // Opens `path` for writing ("-": standard output) and writes the file
  // header.
  static absl::StatusOr<std::unique_ptr<CaptureWriter>> Open(const std::string& path, CaptureFormat format);
  // Appends to `*out` instead of a file (tests).
  static std::unique_ptr<CaptureWriter> ToString(std::string* out, CaptureFormat format);
  ~CaptureWriter() override;

  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // Timestamps are written with microsecond precision in both formats. A
  // write error is kept (status()) and later packets are dropped.
  void WritePacket(int64_t ts_ns, std::span<const uint8_t> frame) override;
  // Writes out the buffer and closes the file (not standard output).
  absl::Status Close();

  const absl::Status& status() const { return status_; }
  uint64_t packets() const { return packets_; }
  // Bytes of the file so far (headers and records, buffered ones included).
  uint64_t bytes() const { return bytes_; }
  CaptureFormat format() const { return format_; }

 private:
  CaptureWriter(CaptureFormat format, int fd, bool owns_fd, std::string* memory);
  void WriteFileHeader();
  // Makes room for `n` more bytes in the buffer, writing it out if needed.
  uint8_t* Reserve(size_t n);
  void Drain();

  CaptureFormat format_;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string* memory_ = nullptr;
  std::vector<uint8_t> buffer_;
  size_t used_ = 0;
  uint64_t packets_ = 0, bytes_ = 0;
  absl::Status status_;
};

}  // namespace kagami::gen
