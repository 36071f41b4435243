#include "engine/intel/text_arena.h"

#include <algorithm>
#include <cstring>

namespace kagami::intel {

bool TextArena::Allocate(size_t len, uint32_t* off, char** out) {
  if (len == 0) {
    *off = 0;
    *out = nullptr;
    return true;
  }
  if (!chunks_.empty()) {
    Chunk& last = chunks_.back();
    if (chunks_.size() == 1 && last.capacity < kChunkSize && last.used + len <= kChunkSize &&
        last.used + len > last.capacity) {
      // The first chunk doubles until it is a full chunk.
      const size_t capacity = std::min(kChunkSize, std::max(last.capacity * 2, last.used + len));
      std::unique_ptr<char[]> bigger(new char[capacity]);
      if (last.used > 0) std::memcpy(bigger.get(), last.data.get(), last.used);
      last.data = std::move(bigger);
      last.capacity = capacity;
    }
    if (last.used + len <= last.capacity) {
      *off = static_cast<uint32_t>(((chunks_.size() - 1) << kChunkBits) | last.used);
      *out = last.data.get() + last.used;
      last.used += len;
      return true;
    }
  }
  if (chunks_.size() == kMaxChunks) return false;
  const size_t capacity = chunks_.empty() ? std::max<size_t>(len, 256) : std::max(len, kChunkSize);
  Chunk c;
  c.data.reset(new char[capacity]);
  c.capacity = capacity;
  c.used = len;
  *off = static_cast<uint32_t>(chunks_.size() << kChunkBits);
  *out = c.data.get();
  chunks_.push_back(std::move(c));
  return true;
}

bool TextArena::Append(std::string_view s, uint32_t* off) {
  char* out;
  if (!Allocate(s.size(), off, &out)) return false;
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  return true;
}

TextArena::Mark TextArena::mark() const {
  return chunks_.empty() ? Mark{} : Mark{chunks_.size(), chunks_.back().used};
}

void TextArena::Truncate(const Mark& m) {
  while (chunks_.size() > m.chunks) chunks_.pop_back();
  if (!chunks_.empty()) chunks_.back().used = m.used;
}

size_t TextArena::memory_bytes() const {
  size_t n = chunks_.capacity() * sizeof(Chunk);
  for (const Chunk& c : chunks_) n += c.capacity;
  return n;
}

}  // namespace kagami::intel
