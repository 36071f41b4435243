#include "capture/pcap_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "capture/record_error.h"

namespace kagami::capture {
namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;
constexpr uint32_t kMagicModified = 0xa1b2cd34;  // µs, 24-byte record headers
constexpr size_t kFileHeaderSize = 24;

// Host-order reading of the magic as written by a writer of either order.
bool MatchMagic(uint32_t magic, uint32_t want, bool* swapped) {
  if (magic == want) {
    *swapped = false;
    return true;
  }
  if (magic == __builtin_bswap32(want)) {
    *swapped = true;
    return true;
  }
  return false;
}

}  // namespace

bool PcapReader::IsMagic(uint32_t magic) {
  bool swapped;
  return MatchMagic(magic, kMagicMicro, &swapped) || MatchMagic(magic, kMagicNano, &swapped) ||
         MatchMagic(magic, kMagicModified, &swapped);
}

absl::StatusOr<std::unique_ptr<PcapReader>> PcapReader::Open(std::string path,
                                                             MappedFile file) {
  if (file.size() < kFileHeaderSize) {
    return absl::DataLossError(absl::StrCat(path, ": truncated pcap file header (",
                                            file.size(), " of ", kFileHeaderSize, " bytes)"));
  }
  std::unique_ptr<PcapReader> r(new PcapReader(std::move(path), std::move(file)));
  const uint8_t* h = r->file_.data();
  const uint32_t magic = LoadHostU32(h);
  bool swapped = false;
  if (MatchMagic(magic, kMagicMicro, &swapped)) {
  } else if (MatchMagic(magic, kMagicNano, &swapped)) {
    r->nanoseconds_ = true;
  } else if (MatchMagic(magic, kMagicModified, &swapped)) {
    r->record_header_size_ = 24;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(r->path_, ": not a pcap file (magic 0x", absl::Hex(LoadBigU32(h),
                                                                         absl::kZeroPad8), ")"));
  }
  r->order_ = ByteOrder(swapped);
  r->snaplen_ = r->order_.U32(h + 16);
  // The upper bits of the link type field carry FCS information (and are
  // reserved otherwise); the link type proper is the low 16 bits.
  r->linktype_ = r->order_.U32(h + 20) & 0xffff;
  r->pos_ = kFileHeaderSize;
  return r;
}

absl::Status PcapReader::Fail(uint64_t offset, absl::string_view reason) {
  error_ = RecordError(path_, count_ + 1, offset, reason);
  return error_;
}

absl::StatusOr<bool> PcapReader::Next(PacketView& out) {
  if (!error_.ok()) return error_;
  const uint64_t size = file_.size();
  if (pos_ == size) return false;
  const uint64_t at = pos_;
  const uint64_t left = size - at;
  if (left < record_header_size_) {
    return Fail(at, absl::StrCat("truncated record header (", left, " of ",
                                 record_header_size_, " bytes)"));
  }
  const uint8_t* h = file_.data() + at;
  const uint32_t sec = order_.U32(h);
  const uint32_t frac = order_.U32(h + 4);
  const uint32_t caplen = order_.U32(h + 8);
  const uint32_t wirelen = order_.U32(h + 12);
  if (caplen > kMaxCaplen) {
    return Fail(at, absl::StrCat("caplen ", caplen, " exceeds the maximum of ", kMaxCaplen));
  }
  // Snaplen 0 is written by some tools to mean "no limit".
  if (snaplen_ != 0 && caplen > snaplen_) {
    return Fail(at, absl::StrCat("caplen ", caplen, " exceeds snaplen ", snaplen_));
  }
  const uint64_t data_left = left - record_header_size_;
  if (caplen > data_left) {
    return Fail(at, absl::StrCat("truncated packet data (caplen ", caplen, ", ", data_left,
                                 " bytes left)"));
  }
  out.ts_ns = static_cast<int64_t>(sec) * 1000000000 +
              (nanoseconds_ ? int64_t{frac} : int64_t{frac} * 1000);
  out.linktype = linktype_;
  out.caplen = caplen;
  // A wire length below caplen is a writer bug, not damage to the bytes we
  // have; raise it so consumers can rely on wirelen >= caplen.
  out.wirelen = std::max(wirelen, caplen);
  out.data = h + record_header_size_;
  out.index = ++count_;
  out.offset = at;
  pos_ = at + record_header_size_ + caplen;
  return true;
}

}  // namespace kagami::capture
