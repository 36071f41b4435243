#include "engine/output/sinks/file_transport.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/byte_size.h"

namespace kagami::output {
namespace {

// ENXIO (a FIFO nobody reads yet) is a peer that may come: Unavailable,
// retried even at start. Anything else about the file itself is an error
// the operator has to fix.
absl::Status FileError(absl::string_view what, const std::string& path, int err) {
  const std::string text = absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err));
  return err == ENXIO ? absl::UnavailableError(text) : absl::FailedPreconditionError(text);
}

}  // namespace

std::string FileTransport::Describe() const { return path_ == "-" ? "stdout" : absl::StrCat("file ", path_); }

absl::Status FileTransport::Connect() {
  if (fd_ >= 0) return absl::OkStatus();
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
    return absl::OkStatus();
  }
  // O_NONBLOCK only for the open: a FIFO without a reader fails (ENXIO,
  // retried like a peer that is down) instead of blocking delivery.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0640);
  if (fd_ < 0) return FileError("open", path_, errno);
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return absl::OkStatus();
}

void FileTransport::Disconnect() {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) ::close(fd_);
  fd_ = -1;
}

absl::Status FileTransport::Reopen() {
  if (path_ == "-") return absl::OkStatus();
  Disconnect();
  return Connect();
}

absl::Status FileTransport::Rotate() {
  Disconnect();
  // PATH.<keep> goes; each PATH.n moves to PATH.n+1; PATH becomes PATH.1.
  for (uint32_t n = keep_; n >= 1; --n) {
    const std::string from = n == 1 ? path_ : absl::StrCat(path_, ".", n - 1);
    const std::string to = absl::StrCat(path_, ".", n);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) return FileError("rotate", from, errno);
  }
  if (keep_ == 0) ::unlink(path_.c_str());
  return Connect();
}

DeliverResult FileTransport::Deliver(std::string_view records) {
  DeliverResult r;
  while (r.bytes < records.size()) {
    if (rotate_ > 0 && size_ >= rotate_ && path_ != "-") {
      if (absl::Status s = Rotate(); !s.ok()) {
        r.status = s;
        return r;
      }
    }
    // Up to the rotation point (whole records), or everything.
    std::string_view chunk = records.substr(r.bytes);
    if (rotate_ > 0 && path_ != "-" && size_ + chunk.size() > rotate_) {
      const size_t room = static_cast<size_t>(rotate_ - size_);
      const size_t end = chunk.find('\n', room == 0 ? 0 : room - 1);
      chunk = chunk.substr(0, end + 1);  // at least one record
    }
    size_t done = 0;
    while (done < chunk.size()) {
      const ssize_t n = ::write(fd_, chunk.data() + done, chunk.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        if (err == EPIPE && path_ == "-") {
          // Whoever read standard output is gone and cannot come back:
          // every record from here is dropped and counted, not retried.
          r.rejected = static_cast<size_t>(std::count(records.begin() + r.bytes, records.end(), '\n'));
          r.bytes = records.size();
          return r;
        }
        // The whole records that fit stay (a full disk keeps what it took);
        // a torn one is cut back off the file (a pipe cannot be cut).
        const size_t whole = done == 0 ? 0 : chunk.rfind('\n', done - 1) + 1;
        if (done > whole && path_ != "-") (void)::ftruncate(fd_, static_cast<off_t>(size_ + whole));
        size_ += whole;
        r.bytes += whole;
        r.status = FileError("write", path_ == "-" ? "standard output" : path_, err);
        return r;
      }
      done += static_cast<size_t>(n);
    }
    size_ += chunk.size();
    r.bytes += chunk.size();
  }
  return r;
}

absl::StatusOr<std::unique_ptr<Transport>> MakeFileTransport(OutputSpec& spec) {
  uint64_t rotate = 0;
  uint32_t keep = 9;
  if (const OutputParam* p = TakeParam(spec, "rotate")) {
    if (!ParseByteSize(p->value, &rotate) || rotate == 0) {
      return ParamError(spec, *p, "rotate: expected a size such as 100mb");
    }
  }
  if (const OutputParam* p = TakeParam(spec, "keep")) {
    if (!absl::SimpleAtoi(p->value, &keep) || keep > 1000) return ParamError(spec, *p, "keep: expected 0 to 1000");
  }
  if (absl::Status s = CheckAllParamsUsed(spec, spec.scheme == "stdout" ? "" : "rotate, keep"); !s.ok()) return s;
  if (spec.scheme == "stdout") return std::unique_ptr<Transport>(new FileTransport("-", 0, 0));
  if (spec.path.empty()) return absl::InvalidArgumentError(absl::StrCat("output '", spec.url, "': file: needs a path"));
  return std::unique_ptr<Transport>(new FileTransport(spec.path, rotate, keep));
}

}  // namespace kagami::output
