#include "tools/gen/capture_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kagami::gen {
namespace {

// Big enough that writing a few GB costs a few thousand system calls.
constexpr size_t kBufferBytes = size_t{4} << 20;
// Both formats record this snapshot length; no frame we build is longer.
constexpr uint32_t kSnaplen = 262144;

// Both formats are written little-endian whatever the host, so a seed gives
// the same bytes on every machine.
inline void Le16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void Le32(uint8_t* p, uint32_t v) {
  Le16(p, v & 0xffff);
  Le16(p + 2, v >> 16);
}

constexpr uint32_t kBlockShb = 0x0a0d0d0a, kBlockIdb = 1, kBlockEpb = 6;

}  // namespace

absl::StatusOr<std::unique_ptr<CaptureWriter>> CaptureWriter::Open(const std::string& path, CaptureFormat format) {
  int fd = 1;
  bool owns = false;
  if (path != "-") {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(errno)));
    owns = true;
  }
  return std::unique_ptr<CaptureWriter>(new CaptureWriter(format, fd, owns, nullptr));
}

std::unique_ptr<CaptureWriter> CaptureWriter::ToString(std::string* out, CaptureFormat format) {
  return std::unique_ptr<CaptureWriter>(new CaptureWriter(format, -1, false, out));
}

CaptureWriter::CaptureWriter(CaptureFormat format, int fd, bool owns_fd, std::string* memory)
    : format_(format), fd_(fd), owns_fd_(owns_fd), memory_(memory), buffer_(kBufferBytes) {
  WriteFileHeader();
}

CaptureWriter::~CaptureWriter() { (void)Close(); }

void CaptureWriter::WriteFileHeader() {
  if (format_ == CaptureFormat::kPcap) {
    uint8_t* p = Reserve(24);
    Le32(p, 0xa1b2c3d4);  // microsecond timestamps
    Le16(p + 4, 2);
    Le16(p + 6, 4);
    Le32(p + 8, 0);   // thiszone
    Le32(p + 12, 0);  // sigfigs
    Le32(p + 16, kSnaplen);
    Le32(p + 20, 1);  // LINKTYPE_ETHERNET
    used_ += 24;
    bytes_ += 24;
    return;
  }
  // Section Header Block: no options, section length unknown (-1).
  uint8_t* p = Reserve(28);
  Le32(p, kBlockShb);
  Le32(p + 4, 28);
  Le32(p + 8, 0x1a2b3c4d);
  Le16(p + 12, 1);
  Le16(p + 14, 0);
  Le32(p + 16, 0xffffffff);
  Le32(p + 20, 0xffffffff);
  Le32(p + 24, 28);
  used_ += 28;
  // Interface Description Block: Ethernet, if_tsresol = 6 (microseconds,
  // also the default, said explicitly), opt_endofopt.
  p = Reserve(32);
  Le32(p, kBlockIdb);
  Le32(p + 4, 32);
  Le16(p + 8, 1);
  Le16(p + 10, 0);
  Le32(p + 12, kSnaplen);
  Le16(p + 16, 9);  // if_tsresol
  Le16(p + 18, 1);
  p[20] = 6;
  p[21] = p[22] = p[23] = 0;
  Le32(p + 24, 0);  // opt_endofopt
  Le32(p + 28, 32);
  used_ += 32;
  bytes_ += 60;
}

uint8_t* CaptureWriter::Reserve(size_t n) {
  if (buffer_.size() - used_ < n) {
    Drain();
    if (buffer_.size() < n) buffer_.resize(n);
  }
  return buffer_.data() + used_;
}

void CaptureWriter::Drain() {
  if (used_ == 0) return;
  if (memory_ != nullptr) {
    memory_->append(reinterpret_cast<const char*>(buffer_.data()), used_);
  } else if (status_.ok() && fd_ >= 0) {
    size_t done = 0;
    while (done < used_) {
      ssize_t w = ::write(fd_, buffer_.data() + done, used_ - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        status_ = absl::UnavailableError(absl::StrCat("write: ", std::strerror(errno)));
        break;
      }
      done += static_cast<size_t>(w);
    }
  }
  used_ = 0;
}

void CaptureWriter::WritePacket(int64_t ts_ns, std::span<const uint8_t> frame) {
  if (!status_.ok()) return;
  const uint32_t len = static_cast<uint32_t>(frame.size());
  const uint64_t us = static_cast<uint64_t>(ts_ns / 1000);
  if (format_ == CaptureFormat::kPcap) {
    uint8_t* p = Reserve(16 + frame.size());
    Le32(p, static_cast<uint32_t>(us / 1000000));
    Le32(p + 4, static_cast<uint32_t>(us % 1000000));
    Le32(p + 8, len);
    Le32(p + 12, len);
    std::memcpy(p + 16, frame.data(), frame.size());
    used_ += 16 + frame.size();
    bytes_ += 16 + frame.size();
  } else {
    const size_t padded = (frame.size() + 3) & ~size_t{3};
    const uint32_t total = static_cast<uint32_t>(32 + padded);
    uint8_t* p = Reserve(total);
    Le32(p, kBlockEpb);
    Le32(p + 4, total);
    Le32(p + 8, 0);  // interface 0
    Le32(p + 12, static_cast<uint32_t>(us >> 32));
    Le32(p + 16, static_cast<uint32_t>(us));
    Le32(p + 20, len);
    Le32(p + 24, len);
    std::memcpy(p + 28, frame.data(), frame.size());
    std::memset(p + 28 + frame.size(), 0, padded - frame.size());
    Le32(p + 28 + padded, total);
    used_ += total;
    bytes_ += total;
  }
  ++packets_;
}

absl::Status CaptureWriter::Close() {
  Drain();
  if (owns_fd_ && fd_ >= 0) {
    if (::close(fd_) != 0 && status_.ok()) status_ = absl::UnavailableError(absl::StrCat("close: ", std::strerror(errno)));
    fd_ = -1;
    owns_fd_ = false;
  }
  return status_;
}

}  // namespace kagami::gen
