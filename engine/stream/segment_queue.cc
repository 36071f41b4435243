#include "engine/stream/segment_queue.h"

#include <cstring>
#include <iterator>

namespace kagami::stream {

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
