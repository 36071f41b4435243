#include "capture/pcapng_reader.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "capture/record_error.h"

namespace kagami::capture {
namespace {

constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;
constexpr uint32_t kBlockInterface = 1;
constexpr uint32_t kBlockObsoletePacket = 2;
constexpr uint32_t kBlockSimplePacket = 3;
constexpr uint32_t kBlockEnhancedPacket = 6;
constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptTsResol = 9;
constexpr uint16_t kOptTsOffset = 14;
// Block type, length, byte-order magic, version, section length, trailer.
constexpr uint32_t kMinSectionHeader = 28;

uint64_t Pow10(uint32_t e) {
  uint64_t v = 1;
  while (e-- > 0) v *= 10;
  return v;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PcapngReader>> PcapngReader::Open(std::string path,
                                                                 MappedFile file) {
  std::unique_ptr<PcapngReader> r(new PcapngReader(std::move(path), std::move(file)));
  if (r->file_.size() < 12) {
    return r->Fail(0, absl::StrCat("truncated section header block (", r->file_.size(),
                                   " of ", kMinSectionHeader, " bytes)"));
  }
  // Checking the first section now makes a file that is pcapng in name only
  // fail at open rather than at the first read.
  uint64_t length = 0;
  if (absl::Status s = r->ReadSectionHeader(0, &length); !s.ok()) return s;
  r->pos_ = length;
  return r;
}

absl::Status PcapngReader::Fail(uint64_t offset, absl::string_view reason) {
  error_ = RecordError(path_, count_ + 1, offset, reason);
  return error_;
}

absl::Status PcapngReader::ReadSectionHeader(uint64_t at, uint64_t* length) {
  const uint8_t* p = file_.data() + at;
  const uint64_t left = file_.size() - at;  // the caller ensured >= 12
  const uint32_t bom = LoadHostU32(p + 8);
  bool swapped;
  if (bom == kByteOrderMagic) {
    swapped = false;
  } else if (bom == __builtin_bswap32(kByteOrderMagic)) {
    swapped = true;
  } else {
    return Fail(at, absl::StrCat("bad byte-order magic 0x",
                                 absl::Hex(LoadBigU32(p + 8), absl::kZeroPad8),
                                 " in section header block"));
  }
  const ByteOrder order(swapped);
  const uint32_t len = order.U32(p + 4);
  if (len < kMinSectionHeader || len % 4 != 0) {
    return Fail(at, absl::StrCat("bad section header block length ", len));
  }
  if (len > left) {
    return Fail(at, absl::StrCat("section header block length ", len, " runs past the end (",
                                 left, " bytes left)"));
  }
  if (order.U32(p + len - 4) != len) {
    return Fail(at, absl::StrCat("trailing block length ", order.U32(p + len - 4),
                                 " differs from leading length ", len));
  }
  const uint16_t major = order.U16(p + 12);
  if (major != 1) {
    return Fail(at, absl::StrCat("unsupported pcapng version ", major, ".",
                                 order.U16(p + 14)));
  }
  // Interface ids are numbered per section, so a new section starts afresh.
  order_ = order;
  interfaces_.clear();
  *length = len;
  return absl::OkStatus();
}

absl::Status PcapngReader::ReadInterface(uint64_t at, const uint8_t* body, uint32_t body_len) {
  if (body_len < 8) {
    return Fail(at, absl::StrCat("interface description block too short (", body_len,
                                 " body bytes)"));
  }
  Interface ifc;
  ifc.linktype = order_.U16(body);
  ifc.snaplen = order_.U32(body + 4);
  const uint8_t* opt = body + 8;
  uint32_t left = body_len - 8;
  while (left >= 4) {
    const uint16_t code = order_.U16(opt);
    const uint16_t len = order_.U16(opt + 2);
    if (code == kOptEnd) break;
    const uint32_t padded = (uint32_t{len} + 3) & ~uint32_t{3};
    if (padded > left - 4) {
      return Fail(at, absl::StrCat("interface option ", code, " of length ", len,
                                   " overruns its block"));
    }
    const uint8_t* value = opt + 4;
    if (code == kOptTsResol && len >= 1) {
      const uint8_t v = value[0];
      if (v & 0x80) {
        // Negative power of two; beyond 2^-63 a 64-bit count could not even
        // reach one second, so such a value is damage, not a real clock.
        const uint32_t shift = v & 0x7f;
        if (shift > 63) return Fail(at, absl::StrCat("unsupported if_tsresol 2^-", shift));
        ifc.binary = true;
        ifc.shift = shift;
      } else {
        // 10^-19 is the finest decimal resolution whose divisor fits 64 bits.
        if (v > 19) return Fail(at, absl::StrCat("unsupported if_tsresol 10^-", v));
        ifc.binary = false;
        ifc.mul = v <= 9 ? Pow10(9 - v) : 1;
        ifc.div = v <= 9 ? 1 : Pow10(v - 9);
      }
    } else if (code == kOptTsOffset && len >= 8) {
      const int64_t seconds = static_cast<int64_t>(order_.U64(value));
      if (__builtin_mul_overflow(seconds, int64_t{1000000000}, &ifc.offset_ns)) {
        return Fail(at, absl::StrCat("if_tsoffset ", seconds, " out of range"));
      }
    }
    opt += 4 + padded;
    left -= 4 + padded;
  }
  interfaces_.push_back(ifc);
  return absl::OkStatus();
}

int64_t PcapngReader::ToNanoseconds(const Interface& ifc, uint32_t high, uint32_t low) const {
  const uint64_t units = uint64_t{high} << 32 | low;
  // The common resolutions (µs, ns) stay in 64-bit arithmetic; 128 bits
  // cover the rest without overflow.
  if (!ifc.binary && ifc.div == 1 && units <= std::numeric_limits<uint64_t>::max() / ifc.mul) {
    const uint64_t ns = units * ifc.mul;
    if (ns <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      int64_t out;
      if (!__builtin_add_overflow(static_cast<int64_t>(ns), ifc.offset_ns, &out)) return out;
    }
  }
  __int128 ns;
  if (ifc.binary) {
    ns = static_cast<__int128>((static_cast<unsigned __int128>(units) * 1000000000u) >> ifc.shift);
  } else {
    ns = static_cast<__int128>(static_cast<unsigned __int128>(units) * ifc.mul / ifc.div);
  }
  ns += ifc.offset_ns;
  // Out-of-range times come only from damaged files; clamp rather than wrap.
  ns = std::clamp<__int128>(ns, std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(ns);
}

absl::StatusOr<bool> PcapngReader::Next(PacketView& out) {
  if (!error_.ok()) return error_;
  const uint64_t size = file_.size();
  while (pos_ < size) {
    const uint64_t at = pos_;
    const uint64_t left = size - at;
    if (left < 12) {
      return Fail(at, absl::StrCat("truncated block header (", left, " of 12 bytes)"));
    }
    const uint8_t* p = file_.data() + at;
    if (LoadHostU32(p) == kMagic) {
      uint64_t len = 0;
      if (absl::Status s = ReadSectionHeader(at, &len); !s.ok()) return s;
      pos_ = at + len;
      continue;
    }
    const uint32_t type = order_.U32(p);
    const uint32_t len = order_.U32(p + 4);
    if (len < 12 || len % 4 != 0) {
      return Fail(at, absl::StrCat("bad block length ", len, " (block type 0x",
                                   absl::Hex(type), ")"));
    }
    if (len > left) {
      return Fail(at, absl::StrCat("block length ", len, " runs past the end (", left,
                                   " bytes left)"));
    }
    if (order_.U32(p + len - 4) != len) {
      return Fail(at, absl::StrCat("trailing block length ", order_.U32(p + len - 4),
                                   " differs from leading length ", len));
    }
    const uint8_t* body = p + 8;
    const uint32_t body_len = len - 12;
    pos_ = at + len;

    const Interface* ifc = nullptr;
    uint32_t caplen = 0, wirelen = 0, ts_high = 0, ts_low = 0, header = 0;
    switch (type) {
      case kBlockInterface:
        if (absl::Status s = ReadInterface(at, body, body_len); !s.ok()) return s;
        continue;
      case kBlockEnhancedPacket:
      case kBlockObsoletePacket: {
        header = 20;
        if (body_len < header) {
          return Fail(at, absl::StrCat("packet block too short (", body_len, " body bytes)"));
        }
        // The obsolete block has a 16-bit interface id followed by a 16-bit
        // drop count where the enhanced block has one 32-bit id.
        const uint32_t id = type == kBlockEnhancedPacket ? order_.U32(body) : order_.U16(body);
        if (id >= interfaces_.size()) {
          return Fail(at, absl::StrCat("interface ", id, " is not described (section has ",
                                       interfaces_.size(), ")"));
        }
        ifc = &interfaces_[id];
        ts_high = order_.U32(body + 4);
        ts_low = order_.U32(body + 8);
        caplen = order_.U32(body + 12);
        wirelen = order_.U32(body + 16);
        if (caplen > body_len - header) {
          return Fail(at, absl::StrCat("caplen ", caplen, " exceeds the block's data (",
                                       body_len - header, " bytes)"));
        }
        break;
      }
      case kBlockSimplePacket: {
        header = 4;
        if (interfaces_.empty()) {
          return Fail(at, "simple packet block before any interface description");
        }
        if (body_len < header) {
          return Fail(at, absl::StrCat("simple packet block too short (", body_len,
                                       " body bytes)"));
        }
        ifc = &interfaces_[0];
        wirelen = order_.U32(body);
        // The block stores min(wire length, snaplen) bytes plus padding and
        // no length of its own, so the captured length is derived.
        caplen = std::min(body_len - header, wirelen);
        if (ifc->snaplen != 0) caplen = std::min(caplen, ifc->snaplen);
        break;
      }
      default:
        continue;  // statistics, name resolution, custom...: not packets
    }
    if (ifc->snaplen != 0 && caplen > ifc->snaplen) {
      return Fail(at, absl::StrCat("caplen ", caplen, " exceeds snaplen ", ifc->snaplen));
    }
    // A simple packet block has no timestamp; repeating the previous one
    // keeps time monotone for flow timeouts downstream.
    out.ts_ns = type == kBlockSimplePacket ? last_ts_ns_ : ToNanoseconds(*ifc, ts_high, ts_low);
    last_ts_ns_ = out.ts_ns;
    out.linktype = ifc->linktype;
    out.caplen = caplen;
    out.wirelen = std::max(wirelen, caplen);
    out.data = body + header;
    out.index = ++count_;
    out.offset = at;
    return true;
  }
  return false;
}

}  // namespace kagami::capture
