#pragma once
// pcapng read in place from an mmap. A file is one or more sections, each
// opened by a Section Header Block with its own byte order and its own list of
// interfaces; packets come from Enhanced, Simple and (obsolete) Packet blocks,
// and every other block type is skipped by its length.

#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capture/byte_order.h"
#include "capture/mapped_file.h"
#include "capture/packet_source.h"

namespace kagami::capture {

class PcapngReader final : public PacketSource {
 public:
  // The Section Header Block type, which reads the same in both byte orders.
  static constexpr uint32_t kMagic = 0x0a0d0d0a;

  // Takes over `file`, which starts with a Section Header Block, and checks
  // that header.
  static absl::StatusOr<std::unique_ptr<PcapngReader>> Open(std::string path, MappedFile file);

  // After an error every further call returns the same error.
  absl::StatusOr<bool> Next(PacketView& out) override;
  bool stable_views() const override { return true; }  // the mmap lives as long as the reader
  const std::string& name() const override { return path_; }

 private:
  // What a packet needs from its Interface Description Block, with the
  // timestamp resolution reduced to one multiply or shift per packet.
  struct Interface {
    uint32_t linktype = 0;
    uint32_t snaplen = 0;      // 0: no limit
    bool binary = false;       // resolution 2^-shift rather than 10^-exp
    uint32_t shift = 0;        // binary: timestamp units per second = 2^shift
    uint64_t mul = 1000;       // decimal: ns = units * mul / div
    uint64_t div = 1;
    int64_t offset_ns = 0;     // if_tsoffset
  };

  PcapngReader(std::string path, MappedFile file)
      : path_(std::move(path)), file_(std::move(file)) {}
  absl::Status Fail(uint64_t offset, absl::string_view reason);
  absl::Status ReadSectionHeader(uint64_t at, uint64_t* length);
  absl::Status ReadInterface(uint64_t at, const uint8_t* body, uint32_t body_len);
  int64_t ToNanoseconds(const Interface& ifc, uint32_t high, uint32_t low) const;

  std::string path_;
  MappedFile file_;
  ByteOrder order_;
  std::vector<Interface> interfaces_;
  uint64_t pos_ = 0;
  uint64_t count_ = 0;
  int64_t last_ts_ns_ = 0;
  absl::Status error_;
};

}  // namespace kagami::capture
