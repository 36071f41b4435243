#pragma once
// TextArena: every value string of a store in 1 MiB chunks, addressed by a
// 32-bit offset (chunk << 20 | position). A string never spans two chunks;
// one longer than a chunk gets a chunk of its own. Like PagedArray, growing
// never copies what is stored; the first chunk starts small and doubles, so a
// tiny store stays tiny. At most 4096 chunks (4 GiB).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace kagami::intel {

class TextArena {
 public:
  static constexpr int kChunkBits = 20;
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;
  static constexpr size_t kMaxChunks = size_t{1} << (32 - kChunkBits);

  std::string_view Get(uint32_t off, uint32_t len) const {
    if (len == 0) return {};
    return std::string_view(chunks_[off >> kChunkBits].data.get() + (off & (kChunkSize - 1)), len);
  }
  const char* Data(uint32_t off) const {
    return chunks_[off >> kChunkBits].data.get() + (off & (kChunkSize - 1));
  }
  // Room for len bytes in one piece: their offset, and where to write them.
  // False when the arena is full. Empty strings take no room (offset 0).
  bool Allocate(size_t len, uint32_t* off, char** out);
  // A copy of s; false when the arena is full.
  bool Append(std::string_view s, uint32_t* off);

  // Undo point: Truncate(mark()) forgets everything allocated since.
  struct Mark {
    size_t chunks = 0, used = 0;
  };
  Mark mark() const;
  void Truncate(const Mark& m);

  bool empty() const { return chunks_.empty(); }
  size_t memory_bytes() const;

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t capacity = 0, used = 0;
  };
  std::vector<Chunk> chunks_;
};

}  // namespace kagami::intel
