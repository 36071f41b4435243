#include "engine/output/sinks/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kagami::output {
namespace {

// Prepended segments take numbers below the first one, so a run can put
// records in front of its spool many times.
constexpr uint64_t kFirstSegment = 1'000'000'000'000ull;

uint64_t CountRecords(std::string_view data) { return static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n')); }

absl::Status IoError(absl::string_view what, const std::string& path, int err) {
  return absl::InternalError(absl::StrCat("spool: ", what, " ", path, ": ", std::strerror(err)));
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Size and record count of a segment file; a torn last record (a crash
// mid-append) is cut off and its size added to `cut`.
absl::Status ScanSegment(const std::string& path, uint64_t* size, uint64_t* records, uint64_t* cut) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path, errno);
  std::string buf(1 << 16, '\0');
  uint64_t total = 0, count = 0, last_newline_end = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return IoError("cannot read", path, err);
    }
    if (n == 0) break;
    const std::string_view got(buf.data(), static_cast<size_t>(n));
    count += CountRecords(got);
    const size_t last = got.rfind('\n');
    if (last != std::string_view::npos) last_newline_end = total + last + 1;
    total += static_cast<uint64_t>(n);
  }
  if (last_newline_end < total) {
    if (::ftruncate(fd, static_cast<off_t>(last_newline_end)) != 0) {
      const int err = errno;
      ::close(fd);
      return IoError("cannot repair", path, err);
    }
    *cut += total - last_newline_end;
  }
  ::close(fd);
  *size = last_newline_end;
  *records = count;
  return absl::OkStatus();
}

}  // namespace

std::string Spool::SegmentPath(uint64_t number) const { return absl::StrFormat("%s/%020u.spool", dir_, number); }

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(const std::string& dir, uint64_t max_bytes, std::string* note) {
  note->clear();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("spool: cannot create ", dir, ": ", ec.message()));
  std::unique_ptr<Spool> spool(new Spool(dir, max_bytes));
  spool->segment_max_ = std::clamp<uint64_t>(max_bytes / 16, uint64_t{64} << 10, uint64_t{16} << 20);
  const std::string lock_path = dir + "/lock";
  spool->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (spool->lock_fd_ < 0) return IoError("cannot open", lock_path, errno);
  if (::flock(spool->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("spool: ", dir, " is in use by another process"));
  }
  std::vector<uint64_t> numbers;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t number = 0;
    if (name.size() == 26 && name.ends_with(".spool") && absl::SimpleAtoi(name.substr(0, 20), &number)) {
      numbers.push_back(number);
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("spool: cannot list ", dir, ": ", ec.message()));
  std::sort(numbers.begin(), numbers.end());
  uint64_t cut = 0;
  for (uint64_t number : numbers) {
    Segment s;
    s.number = number;
    if (absl::Status st = ScanSegment(spool->SegmentPath(number), &s.size, &s.records, &cut); !st.ok()) return st;
    if (s.size == 0) {
      ::unlink(spool->SegmentPath(number).c_str());
      continue;
    }
    spool->segments_.push_back(s);
    spool->bytes_ += s.size;
    spool->records_ += s.records;
  }
  // Where delivery stopped inside the first segment.
  if (FILE* f = std::fopen((dir + "/head").c_str(), "r"); f != nullptr) {
    unsigned long long number = 0, offset = 0;
    const bool ok = std::fscanf(f, "%llu %llu", &number, &offset) == 2;
    std::fclose(f);
    if (ok && !spool->segments_.empty() && spool->segments_.front().number == number &&
        offset <= spool->segments_.front().size) {
      const Segment& front = spool->segments_.front();
      std::string head(offset, '\0');
      const int fd = ::open(spool->SegmentPath(front.number).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && ::pread(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()) &&
          (offset == 0 || head.back() == '\n')) {
        spool->head_offset_ = offset;
        spool->head_records_ = CountRecords(head);
        spool->bytes_ -= offset;
        spool->records_ -= spool->head_records_;
      }
      if (fd >= 0) ::close(fd);
    }
  }
  if (!spool->segments_.empty()) {
    const std::string tail = spool->SegmentPath(spool->segments_.back().number);
    spool->tail_fd_ = ::open(tail.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (spool->tail_fd_ < 0) return IoError("cannot open", tail, errno);
    *note = absl::StrCat("spool ", dir, " holds ", spool->records_, " records from an earlier run; delivering them first");
  }
  if (cut > 0) {
    absl::StrAppend(note, note->empty() ? "" : "; ", "cut a torn last record (", cut,
                    " bytes) from the spool, left by a run that did not end cleanly");
  }
  return spool;
}

Spool::~Spool() {
  if (tail_fd_ >= 0) ::close(tail_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // also releases the flock
}

Spool::AppendResult Spool::WriteSegment(Segment& segment, std::string_view records, bool append) {
  AppendResult r;
  const uint64_t count = CountRecords(records);
  const std::string path = SegmentPath(segment.number);
  int fd = append ? tail_fd_ : ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    r.refused = count;
    r.status = IoError("cannot create", path, errno);
    return r;
  }
  if (!WriteAll(fd, records)) {
    const int err = errno;
    // Whole records or none: cut what this write left behind.
    if (::ftruncate(fd, static_cast<off_t>(segment.size)) != 0) { /* reported below */ }
    if (!append) ::close(fd);
    r.refused = count;
    r.status = IoError("cannot write", path, err);
    return r;
  }
  if (!append) ::close(fd);
  segment.size += records.size();
  segment.records += count;
  bytes_ += records.size();
  records_ += count;
  r.written = count;
  return r;
}

Spool::AppendResult Spool::Append(std::string_view records) {
  std::lock_guard<std::mutex> lock(mu_);
  return AppendLocked(records, max_bytes_);
}

Spool::AppendResult Spool::AppendLocked(std::string_view records, uint64_t cap) {
  // The longest run of whole records that stays within the cap.
  std::string_view fits = records;
  if (bytes_ + records.size() > cap) {
    const uint64_t room = cap > bytes_ ? cap - bytes_ : 0;
    const size_t end = room == 0 ? std::string_view::npos : records.rfind('\n', room - 1);
    fits = end == std::string_view::npos ? std::string_view() : records.substr(0, end + 1);
  }
  AppendResult r;
  r.refused = CountRecords(records.substr(fits.size()));
  if (fits.empty()) return r;
  if (segments_.empty() || segments_.back().size >= segment_max_) {
    if (tail_fd_ >= 0) ::close(tail_fd_);
    Segment s;
    s.number = segments_.empty() ? kFirstSegment : segments_.back().number + 1;
    const std::string path = SegmentPath(s.number);
    tail_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (tail_fd_ < 0) {
      r.refused += CountRecords(fits);
      r.status = IoError("cannot create", path, errno);
      return r;
    }
    segments_.push_back(s);
  }
  AppendResult w = WriteSegment(segments_.back(), fits, true);
  w.refused += r.refused;
  return w;
}

Spool::AppendResult Spool::Prepend(std::string_view records) {
  std::lock_guard<std::mutex> lock(mu_);
  if (records.empty()) return {};
  // Nothing to go in front of: the cap is not applied (see the header).
  if (segments_.empty()) return AppendLocked(records, UINT64_MAX);
  if (head_offset_ > 0) {
    AppendResult r;
    r.refused = CountRecords(records);
    r.status = absl::FailedPreconditionError("spool: records put in front of a partly delivered segment");
    return r;
  }
  Segment s;
  s.number = segments_.front().number - 1;
  AppendResult r = WriteSegment(s, records, false);
  if (r.written > 0) segments_.push_front(s);
  return r;
}

absl::Status Spool::ReadHead(std::string* out, size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  if (segments_.empty()) return absl::OkStatus();
  const Segment& front = segments_.front();
  const std::string path = SegmentPath(front.number);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path, errno);
  const uint64_t left = front.size - head_offset_;
  out->resize(static_cast<size_t>(std::min<uint64_t>(left, std::max<size_t>(max, 1))));
  ssize_t n = ::pread(fd, out->data(), out->size(), static_cast<off_t>(head_offset_));
  size_t end = n > 0 ? std::string_view(out->data(), static_cast<size_t>(n)).rfind('\n') : std::string_view::npos;
  if (n > 0 && end == std::string_view::npos) {
    // One record larger than `max`: read the rest of the segment.
    out->resize(static_cast<size_t>(left));
    n = ::pread(fd, out->data(), out->size(), static_cast<off_t>(head_offset_));
    end = n > 0 ? std::string_view(out->data(), static_cast<size_t>(n)).rfind('\n') : std::string_view::npos;
  }
  const int err = errno;
  ::close(fd);
  if (n < 0 || end == std::string_view::npos) {
    out->clear();
    return IoError("cannot read", path, n < 0 ? err : EIO);
  }
  out->resize(end + 1);
  return absl::OkStatus();
}

absl::Status Spool::Consume(std::string_view delivered) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t bytes = delivered.size();
  if (segments_.empty() || bytes == 0) return absl::OkStatus();
  Segment& front = segments_.front();
  const std::string path = SegmentPath(front.number);
  const uint64_t count = CountRecords(delivered);
  head_offset_ += bytes;
  head_records_ += count;
  bytes_ -= std::min<uint64_t>(bytes_, bytes);
  records_ -= std::min(records_, count);
  if (head_offset_ >= front.size) {
    if (segments_.size() == 1 && tail_fd_ >= 0) {
      ::close(tail_fd_);
      tail_fd_ = -1;
    }
    ::unlink(path.c_str());
    segments_.pop_front();
    head_offset_ = 0;
    head_records_ = 0;
  }
  return WriteHeadFile();
}

absl::Status Spool::WriteHeadFile() {
  const std::string path = dir_ + "/head";
  if (head_offset_ == 0 || segments_.empty()) {
    ::unlink(path.c_str());
    return absl::OkStatus();
  }
  const std::string tmp = path + ".tmp";
  const std::string text = absl::StrCat(segments_.front().number, " ", head_offset_, "\n");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot write", tmp, errno);
  const bool ok = WriteAll(fd, text);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return IoError("cannot write", path, errno);
  return absl::OkStatus();
}

absl::Status Spool::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (tail_fd_ >= 0 && ::fsync(tail_fd_) != 0) return IoError("cannot sync", dir_, errno);
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

uint64_t Spool::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

uint64_t Spool::records() const {
  std::lock_guard<std::mutex> lock(mu_);
  return records_;
}

}  // namespace kagami::output
