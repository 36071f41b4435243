#pragma once
// SegmentQueue: the out-of-order data of one TCP direction, as segments
// sorted by stream offset that never overlap.
//
// It is a tree, so that inserting a segment, finding the segments it
// overlaps and taking segments off the front each cost O(log n) however the
// segments arrive. (A sorted vector made reverse-order arrival quadratic:
// every one-byte segment was inserted at the front.) Tree nodes and segment
// bytes come from a pool the reassembler owns, so a steady stream of
// out-of-order data reuses freed memory instead of allocating.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory_resource>

#include "absl/container/btree_map.h"

namespace kagami::stream {

// The pool the queues of one reassembler share. Memory freed by one use
// comes back for another (a tree node's memory for segment bytes and the
// other way round), and Abseil's B-tree poisons the unused slots of its
// nodes for AddressSanitizer without unpoisoning them when the node is
// freed; so each allocation is unpoisoned before it is handed out (a no-op
// without ASan).
class SegmentPool : public std::pmr::memory_resource {
 public:
  SegmentPool();

 private:
  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }

  std::pmr::unsynchronized_pool_resource pool_;
};

class SegmentQueue {
 public:
  struct Data {
    uint8_t* bytes = nullptr;
    uint32_t len = 0;
  };
  // By stream offset of the first byte. A B-tree: many segments per node,
  // so a lookup touches few cache lines even with a million queued.
  using Map = absl::btree_map<uint64_t, Data, std::less<uint64_t>,
                              std::pmr::polymorphic_allocator<std::pair<const uint64_t, Data>>>;
  using iterator = Map::iterator;

  // What a segment costs besides its bytes (its tree node and the pool's
  // rounding). It is charged against the memory cap, so that a flood of
  // one-byte segments cannot hold many times the cap.
  static constexpr size_t kOverheadBytes = 64;

  explicit SegmentQueue(std::pmr::memory_resource* pool) : pool_(pool), map_(pool) {}
  ~SegmentQueue() { Clear(); }
  SegmentQueue(const SegmentQueue&) = delete;
  SegmentQueue& operator=(const SegmentQueue&) = delete;

  bool empty() const { return map_.empty(); }
  size_t segments() const { return map_.size(); }
  size_t bytes() const { return bytes_; }  // data bytes held
  // Data bytes plus per-segment overhead: what the memory cap counts.
  size_t charged() const { return bytes_ + map_.size() * kOverheadBytes; }
  uint64_t front_start() const { return map_.begin()->first; }

  iterator begin() { return map_.begin(); }
  iterator end() { return map_.end(); }
  static uint64_t End(iterator it) { return it->first + it->second.len; }

  // The first segment that ends after `pos` (it may start after `pos`), or
  // end().
  iterator FirstEndingAfter(uint64_t pos);
  // Copies `len` bytes as the segment starting at `start`, which must lie
  // between the segments around `hint` (the segment it is placed before).
  // Returns the segment after the new one: iterators are invalidated by
  // Add and Erase.
  iterator Add(iterator hint, uint64_t start, const uint8_t* data, uint32_t len);
  // Frees the segment; returns the next one.
  iterator Erase(iterator it);
  void Clear();

 private:
  std::pmr::memory_resource* pool_;
  Map map_;
  size_t bytes_ = 0;
};

}  // namespace kagami::stream
