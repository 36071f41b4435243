#include "engine/stream/segment_queue.h"

#include <cstring>
#include <iterator>

#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#ifndef ASAN_UNPOISON_MEMORY_REGION
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

namespace kagami::stream {

// Segments up to a full Ethernet payload come from the pool's size classes;
// larger ones (offloaded captures) from the heap.
SegmentPool::SegmentPool() : pool_(std::pmr::pool_options{0, 2048}) {}

void* SegmentPool::do_allocate(size_t bytes, size_t alignment) {
  void* p = pool_.allocate(bytes, alignment);
  ASAN_UNPOISON_MEMORY_REGION(p, bytes);
  return p;
}

void SegmentPool::do_deallocate(void* p, size_t bytes, size_t alignment) { pool_.deallocate(p, bytes, alignment); }

SegmentQueue::iterator SegmentQueue::FirstEndingAfter(uint64_t pos) {
  auto it = map_.upper_bound(pos);  // the first segment starting after pos
  if (it != map_.begin()) {
    auto before = std::prev(it);
    if (End(before) > pos) return before;
  }
  return it;
}

SegmentQueue::iterator SegmentQueue::Add(iterator hint, uint64_t start, const uint8_t* data, uint32_t len) {
  auto* bytes = static_cast<uint8_t*>(pool_->allocate(len, 1));
  std::memcpy(bytes, data, len);
  bytes_ += len;
  return std::next(map_.emplace_hint(hint, start, Data{bytes, len}));
}

SegmentQueue::iterator SegmentQueue::Erase(iterator it) {
  pool_->deallocate(it->second.bytes, it->second.len, 1);
  bytes_ -= it->second.len;
  return map_.erase(it);
}

void SegmentQueue::Clear() {
  for (auto& [start, data] : map_) pool_->deallocate(data.bytes, data.len, 1);
  map_.clear();
  bytes_ = 0;
}

}  // namespace kagami::stream
