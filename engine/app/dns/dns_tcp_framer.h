#pragma once
// TcpFramer: splits one direction of a DNS-over-TCP stream (RFC 1035 4.2.2,
// RFC 7766) into messages. Each message is a 2-byte big-endian length and
// that many bytes; segments may cut anywhere, also inside the length.
//
// A message that arrives whole inside one Feed is handed on in place; only a
// message split across feeds is copied into the framer's buffer, whose
// capacity is kept (it grows to the largest message seen, at most
// DnsOptions::max_tcp_message).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/app/dns/dns_parser.h"
#include "engine/app/dns/dns_probe.h"

namespace kagami::app::dns {

struct TcpFramerCounters {
  uint64_t messages = 0;       // messages handed to on_message
  uint64_t empty_frames = 0;   // length prefix 0: nothing to hand on
  uint64_t oversized = 0;      // frames over max_tcp_message, skipped
  uint64_t gaps = 0;
  uint64_t resync_drops = 0;   // feeds dropped after a gap: not a DNS frame start
};

class TcpFramer {
 public:
  explicit TcpFramer(const DnsOptions& options = {}) : max_(options.max_tcp_message) {}

  // Calls on_message(const uint8_t* data, size_t len) for each complete
  // message, in order. The bytes are valid only during the call.
  template <class F>
  void Feed(const uint8_t* data, size_t len, F&& on_message);

  // Data was lost: drops the partial message. The next feed is taken as a
  // new frame start if it looks like one (ProbeTcp does not say kNo);
  // otherwise it is dropped and the framer keeps waiting.
  void Gap() {
    have_len_ = false;
    prefix_have_ = 0;
    skip_ = 0;
    need_ = 0;
    buf_.clear();
    resync_ = true;
    ++counters_.gaps;
  }

  const TcpFramerCounters& counters() const { return counters_; }
  // Bytes of the current partial message held (excluding its prefix).
  size_t buffered() const { return buf_.size(); }

 private:
  uint32_t max_;
  std::vector<uint8_t> buf_;
  uint8_t prefix_[2] = {0, 0};
  uint8_t prefix_have_ = 0;
  bool have_len_ = false;
  bool resync_ = false;
  uint32_t need_ = 0;   // length of the current message
  uint32_t skip_ = 0;   // bytes of an oversized message still to discard
  TcpFramerCounters counters_;
};

template <class F>
void TcpFramer::Feed(const uint8_t* data, size_t len, F&& on_message) {
  if (len == 0) return;
  if (resync_) {
    if (ProbeTcp(data, len, true) == Probe::kNo) {
      ++counters_.resync_drops;
      return;
    }
    resync_ = false;
  }
  while (len > 0) {
    if (skip_ != 0) {
      const size_t n = std::min<size_t>(skip_, len);
      skip_ -= static_cast<uint32_t>(n);
      data += n;
      len -= n;
      continue;
    }
    if (!have_len_) {
      if (prefix_have_ == 0 && len >= 2) {
        need_ = static_cast<uint32_t>(data[0]) << 8 | data[1];
        data += 2;
        len -= 2;
      } else {
        prefix_[prefix_have_++] = *data++;
        --len;
        if (prefix_have_ < 2) continue;
        need_ = static_cast<uint32_t>(prefix_[0]) << 8 | prefix_[1];
        prefix_have_ = 0;
      }
      if (need_ == 0) {
        ++counters_.empty_frames;
        continue;
      }
      if (need_ > max_) {
        ++counters_.oversized;
        skip_ = need_;
        continue;
      }
      have_len_ = true;
      buf_.clear();
    }
    if (buf_.empty() && len >= need_) {
      have_len_ = false;
      ++counters_.messages;
      on_message(data, static_cast<size_t>(need_));
      data += need_;
      len -= need_;
      continue;
    }
    const size_t n = std::min<size_t>(need_ - buf_.size(), len);
    buf_.insert(buf_.end(), data, data + n);
    data += n;
    len -= n;
    if (buf_.size() == need_) {
      have_len_ = false;
      ++counters_.messages;
      on_message(static_cast<const uint8_t*>(buf_.data()), buf_.size());
      buf_.clear();
    }
  }
}

}  // namespace kagami::app::dns
