#pragma once
// A read-only memory mapping of a whole capture file. Readers hand out
// pointers into it, which is what lets PacketView avoid copying packets.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace kagami::capture {

class MappedFile {
 public:
  // Maps `path`. Fails with "PATH: reason" when the file cannot be opened, is
  // not a regular file (pipes and devices cannot be mapped) or is empty.
  static absl::StatusOr<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  void Unmap();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kagami::capture
