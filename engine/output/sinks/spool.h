#pragma once
// Spool: an output's records on disk while its peer is down or slow, kept
// in order and delivered oldest first when it is back, also by the next
// run. A directory of segment files (NUMBER.spool, whole records of EVE
// JSON lines, appended) and `head` (the segment being delivered and how
// far); `lock` keeps a second process out.
//
// Records are appended at the tail up to the cap; what would pass it is
// refused whole and counted by the caller as dropped, so everything up to
// the cap is delivered in order. Records that were already on their way
// when the peer failed go back in front (Prepend): they are older than
// anything spooled since, and may take the spool past its cap by that one
// batch rather than lose older events. Delivery is at least once: a crash
// between delivering and recording it in `head` sends those records again.
// Files are flushed to the kernel as written and fsync'd by Sync() (on
// shutdown), not per record.

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kagami::output {

class Spool {
 public:
  struct AppendResult {
    uint64_t written = 0;  // records now in the spool
    uint64_t refused = 0;  // records over the cap, or not written after an I/O error
    absl::Status status;   // the I/O error, if any
  };

  // Opens (creating) `dir`, takes its lock, and picks up what an earlier
  // run left; `note` tells what was found or repaired, for the log.
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir, uint64_t max_bytes,
                                                     std::string* note);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // `records`: whole records, each ending with '\n'.
  AppendResult Append(std::string_view records);
  AppendResult Prepend(std::string_view records);
  // (Prepend needs the front segment untouched by Consume: the records on
  // their way came from memory, taken only while the spool was empty.)
  // Copies whole records from the front, about `max` bytes (at least one
  // record), into `out`, leaving them in the spool.
  absl::Status ReadHead(std::string* out, size_t max);
  // Removes the front records `delivered` (what ReadHead gave, or a prefix
  // of it ending on a record boundary): the peer has them.
  absl::Status Consume(std::string_view delivered);
  absl::Status Sync();

  uint64_t bytes() const;
  uint64_t records() const;
  bool empty() const { return records() == 0; }
  const std::string& dir() const { return dir_; }

 private:
  struct Segment {
    uint64_t number = 0;
    uint64_t size = 0;
    uint64_t records = 0;
  };
  Spool(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  std::string SegmentPath(uint64_t number) const;
  absl::Status WriteHeadFile();
  AppendResult AppendLocked(std::string_view records, uint64_t cap);
  AppendResult WriteSegment(Segment& segment, std::string_view records, bool append);

  const std::string dir_;
  const uint64_t max_bytes_;
  uint64_t segment_max_ = 0;
  int lock_fd_ = -1;
  int tail_fd_ = -1;  // open on segments_.back() for appending
  mutable std::mutex mu_;
  std::deque<Segment> segments_;
  uint64_t head_offset_ = 0;   // bytes of segments_.front() already delivered
  uint64_t head_records_ = 0;  // records among them
  uint64_t bytes_ = 0;         // not yet delivered
  uint64_t records_ = 0;
};

}  // namespace kagami::output
