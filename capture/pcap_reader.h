#pragma once
// Classic pcap (libpcap's original format) read in place from an mmap: either
// byte order, microsecond or nanosecond timestamps, and the rare "modified"
// (Kuznetzov) variant whose record headers carry 8 more bytes.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "capture/byte_order.h"
#include "capture/mapped_file.h"
#include "capture/packet_source.h"

namespace kagami::capture {

class PcapReader final : public PacketSource {
 public:
  // True when `magic` (the first four bytes, host-order load) is a classic
  // pcap magic in either byte order.
  static bool IsMagic(uint32_t magic);

  // Takes over `file`, whose first four bytes are a pcap magic, and checks the
  // file header.
  static absl::StatusOr<std::unique_ptr<PcapReader>> Open(std::string path, MappedFile file);

  // After an error every further call returns the same error.
  absl::StatusOr<bool> Next(PacketView& out) override;
  bool stable_views() const override { return true; }  // the mmap lives as long as the reader
  const std::string& name() const override { return path_; }

  uint32_t linktype() const { return linktype_; }
  uint32_t snaplen() const { return snaplen_; }

  // Largest record we accept: libpcap's own ceiling for any link type. Bigger
  // values only come from corruption, and refusing them early keeps a bad
  // length from being trusted.
  static constexpr uint32_t kMaxCaplen = 256 * 1024;

 private:
  PcapReader(std::string path, MappedFile file) : path_(std::move(path)), file_(std::move(file)) {}
  absl::Status Fail(uint64_t offset, absl::string_view reason);

  std::string path_;
  MappedFile file_;
  ByteOrder order_;
  bool nanoseconds_ = false;
  uint32_t record_header_size_ = 16;
  uint32_t linktype_ = 0;
  uint32_t snaplen_ = 0;
  uint64_t pos_ = 0;
  uint64_t count_ = 0;
  absl::Status error_;
};

}  // namespace kagami::capture
