#include "engine/defrag/defragmenter.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/decode/checksum.h"

namespace kagami::defrag {
namespace {

constexpr uint8_t kIpv6Fragment = 44, kIpv6Ah = 51;
// The largest IPv4 total length, and the largest IPv6 payload length.
constexpr uint32_t kMaxIpLength = 65535;
// Released datagrams kept for reuse, and the buffer size past which a
// released datagram gives its memory back (one attack must not pin it).
constexpr size_t kMaxPooled = 64;
constexpr size_t kMaxPooledCapacity = 128 * 1024;

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Load32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void Store16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

enum class Parsed : uint8_t { kOk, kBad, kTooLarge };

}  // namespace

// A run of datagram bytes [begin, end) (offsets into the fragmentable
// payload) and where its data is. It also remembers the whole extent of the
// fragment the bytes came from: the policies compare fragments, not runs.
struct Defragmenter::Segment {
  uint32_t begin = 0, end = 0;
  uint32_t from_begin = 0, from_end = 0;
  uint32_t data = 0;  // offset of byte `begin` in Datagram::data
};

struct Defragmenter::Fragment {
  uint32_t begin = 0, end = 0;  // bytes of the fragmentable payload it carries
  bool more = false;            // MF: not the last fragment
  const uint8_t* data = nullptr;
  // IPv4: the header with its options. IPv6: the unfragmentable part, i.e.
  // everything before the Fragment header.
  const uint8_t* header = nullptr;
  uint32_t header_len = 0;
  uint8_t v6_next_header = 0;      // the Fragment header's Next Header
  uint32_t v6_next_header_at = 0;  // the field naming the Fragment header (6, or in an ext header)
};

struct Defragmenter::Datagram {
  Key key;
  int64_t first_ts = 0;
  Datagram* older = nullptr;
  Datagram* newer = nullptr;
  uint32_t fragments = 0;  // accepted, duplicates included
  bool end_known = false;  // the last fragment (MF clear) arrived
  uint32_t end = 0;        // payload length, once end_known
  uint32_t covered = 0;    // bytes held (the segments' total)
  std::vector<Segment> segments;  // sorted, disjoint
  // Segment bytes, appended as fragments arrive. Bytes a later fragment
  // replaced stay here unused until the datagram is done: cheaper than
  // compacting, and bounded by what was received (and by the memcap).
  std::vector<uint8_t> data;
  // From the offset-0 fragment whose data holds byte 0 (see Fragment).
  std::vector<uint8_t> header;
  uint8_t v6_next_header = 0;
  uint32_t v6_next_header_at = 0;
  size_t held = 0;  // what this datagram counts against the memcap

  void Reset() {
    older = newer = nullptr;
    fragments = 0;
    end_known = false;
    end = covered = 0;
    segments.clear();
    data.clear();
    header.clear();
    v6_next_header = 0;
    v6_next_header_at = 0;
    held = 0;
    if (data.capacity() > kMaxPooledCapacity) std::vector<uint8_t>().swap(data);
    if (segments.capacity() * sizeof(Segment) > kMaxPooledCapacity) {
      std::vector<Segment>().swap(segments);
    }
  }
};

namespace {

// Fill a fragment's fields from its IP header. The decoder has checked the
// header itself; what matters here is whether the fragment is usable.
// (Templates: Fragment is private to Defragmenter.)
template <typename Fragment>
Parsed ParseV4(const decode::Packet& p, Fragment& f) {
  const uint8_t* h = p.l3;
  const uint32_t n = p.l3_len;
  if (n < 20) return Parsed::kBad;
  const uint32_t hlen = (h[0] & 0x0fu) * 4;
  const uint32_t total = Load16(h + 2);
  // total > n: the capture cut the fragment short, and reassembling it would
  // invent bytes. total 0 (offload) says nothing about where the data ends.
  if (hlen < 20 || total < hlen || total > n) return Parsed::kBad;
  const uint16_t frag = Load16(h + 6);
  f.begin = (frag & 0x1fffu) * 8;
  f.more = (frag & 0x2000) != 0;
  f.end = f.begin + (total - hlen);
  f.data = h + hlen;
  f.header = h;
  f.header_len = hlen;
  if (!f.more && f.begin == 0) return Parsed::kBad;  // a whole packet, not a fragment
  if (hlen + f.end > kMaxIpLength) return Parsed::kTooLarge;
  return Parsed::kOk;
}

template <typename Fragment>
Parsed ParseV6(const decode::Packet& p, Fragment& f) {
  const uint8_t* h = p.l3;
  const uint32_t n = p.l3_len;
  const uint32_t fh = p.ipv6_frag_offset;
  if (n < 40 || fh < 40) return Parsed::kBad;
  const uint32_t total = 40 + Load16(h + 4);
  // A zero payload length (jumbogram) cannot be fragmented; a total past
  // what was captured is a cut fragment.
  if (total == 40 || total > n || fh + 8 > total) return Parsed::kBad;
  // Find the Next Header field that names the Fragment header: reassembly
  // patches it to what followed the Fragment header. The decoder validated
  // these lengths; walking must still land exactly on the Fragment header.
  uint32_t at = 6, off = 40;
  uint8_t next = h[6];
  while (off < fh) {
    if (fh - off < 2) return Parsed::kBad;
    const uint32_t len = next == kIpv6Ah         ? (h[off + 1] + 2u) * 4
                         : next == kIpv6Fragment ? 8u
                                                 : (h[off + 1] + 1u) * 8;
    at = off;
    next = h[off];
    off += len;
  }
  if (off != fh || next != kIpv6Fragment) return Parsed::kBad;
  const uint16_t frag = Load16(h + fh + 2);
  f.begin = frag & 0xfff8u;  // offset in 8-byte units, shifted by 3 already
  f.more = (frag & 1) != 0;
  f.end = f.begin + (total - fh - 8);
  f.data = h + fh + 8;
  f.header = h;
  f.header_len = fh;
  f.v6_next_header = h[fh];
  f.v6_next_header_at = at;
  if (!f.more && f.begin == 0) return Parsed::kBad;  // atomic fragment: a whole packet
  // The extension headers before the Fragment header count in the payload length.
  if (fh - 40 + f.end > kMaxIpLength) return Parsed::kTooLarge;
  return Parsed::kOk;
}

}  // namespace

Defragmenter::Defragmenter(DefragOptions options) : options_(options) {
  out_.reserve(kMaxIpLength + 40);
}

Defragmenter::~Defragmenter() = default;

std::span<const uint8_t> Defragmenter::Add(const decode::Packet& packet, int64_t ts_ns) {
  ++counters_.fragments;
  if (packet.ip_version == 6) ++counters_.fragments_v6;
  Fragment f;
  Key key;
  key.src = packet.src;
  key.dst = packet.dst;
  key.vlan = packet.vlan_id;
  key.vlan_count = packet.vlan_count;
  key.version = packet.ip_version;
  Parsed parsed = Parsed::kBad;
  if (packet.l3 != nullptr && packet.is_fragment) {
    if (packet.ip_version == 4) {
      parsed = ParseV4(packet, f);
      if (parsed != Parsed::kBad) {
        key.id = Load16(packet.l3 + 4);
        key.proto = packet.l3[9];
      }
    } else if (packet.ip_version == 6) {
      parsed = ParseV6(packet, f);
      if (parsed != Parsed::kBad) key.id = Load32(packet.l3 + packet.ipv6_frag_offset + 4);
    }
  }
  // Only the last fragment may end off an 8-byte boundary; empty fragments
  // carry nothing and are a known evasion trick.
  if (parsed == Parsed::kOk && (f.end == f.begin || (f.more && (f.end - f.begin) % 8 != 0))) {
    parsed = Parsed::kBad;
  }
  if (parsed == Parsed::kBad) {
    ++counters_.bad_fragments;
    return {};
  }

  Datagram* d = Find(key);
  // A datagram the pipeline has not expired yet may still be stale.
  if (d != nullptr && ts_ns - d->first_ts > options_.timeout_ns) {
    ++counters_.timeouts;
    if (d->key.version == 6) ++counters_.timeouts_v6;
    Release(d);
    d = nullptr;
  }
  if (parsed == Parsed::kTooLarge) {
    // It can never be delivered whole; what it has is useless.
    ++counters_.too_large;
    if (d != nullptr) Release(d);
    return {};
  }
  if (d != nullptr) {
    if (d->fragments >= options_.max_fragments_per_datagram) {
      ++counters_.too_many_fragments;
      Release(d);
      return {};
    }
    // The first last fragment fixes the length: data past it, or another
    // last fragment that disagrees, is ignored.
    const uint32_t held_end = d->segments.empty() ? 0 : d->segments.back().end;
    if (d->end_known ? (f.end > d->end || (!f.more && f.end != d->end))
                     : (!f.more && held_end > f.end)) {
      ++counters_.bad_fragments;
      return {};
    }
  }

  // What this fragment may add, at most: its data, a header, a few segments
  // and, for a new datagram, the bookkeeping.
  const size_t cost = (f.end - f.begin) + (f.begin == 0 ? f.header_len : 0) +
                      3 * sizeof(Segment) + (d != nullptr ? 0 : sizeof(Datagram));
  if ((d != nullptr ? d->held : 0) + cost > options_.memcap || !MakeRoom(cost, d)) {
    // Even alone it does not fit: do not evict the others for nothing.
    ++counters_.memcap_drops;
    if (d != nullptr) Release(d);
    return {};
  }
  if (d == nullptr) d = Create(key, ts_ns);
  Insert(*d, f);
  UpdateHeld(*d);
  if (memory_in_use_ > options_.memcap && !MakeRoom(0, d)) {
    ++counters_.memcap_drops;
    Release(d);
    return {};
  }
  if (d->end_known && d->covered == d->end) return Reassemble(*d);
  return {};
}

void Defragmenter::Expire(int64_t now_ns) {
  // Datagrams are listed in arrival order and age from their first fragment,
  // so the expired ones are at the front (packet time may step back a
  // little; those then wait for the next call).
  while (oldest_ != nullptr && now_ns - oldest_->first_ts > options_.timeout_ns) {
    ++counters_.timeouts;
    if (oldest_->key.version == 6) ++counters_.timeouts_v6;
    Release(oldest_);
  }
}

Defragmenter::Datagram* Defragmenter::Find(const Key& key) {
  auto it = table_.find(key);
  return it == table_.end() ? nullptr : it->second.get();
}

Defragmenter::Datagram* Defragmenter::Create(const Key& key, int64_t ts_ns) {
  std::unique_ptr<Datagram> d;
  if (!pool_.empty()) {
    d = std::move(pool_.back());
    pool_.pop_back();
  } else {
    d = std::make_unique<Datagram>();
  }
  Datagram* raw = d.get();
  raw->key = key;
  raw->first_ts = ts_ns;
  raw->older = newest_;
  if (newest_ != nullptr) newest_->newer = raw;
  newest_ = raw;
  if (oldest_ == nullptr) oldest_ = raw;
  table_.emplace(key, std::move(d));
  ++counters_.in_progress;
  UpdateHeld(*raw);
  return raw;
}

void Defragmenter::Release(Datagram* d) {
  (d->older != nullptr ? d->older->newer : oldest_) = d->newer;
  (d->newer != nullptr ? d->newer->older : newest_) = d->older;
  memory_in_use_ -= d->held;
  --counters_.in_progress;
  auto it = table_.find(d->key);
  std::unique_ptr<Datagram> owned = std::move(it->second);
  table_.erase(it);
  owned->Reset();
  if (pool_.size() < kMaxPooled) pool_.push_back(std::move(owned));
}

bool Defragmenter::MakeRoom(size_t extra, const Datagram* keep) {
  while (memory_in_use_ + extra > options_.memcap) {
    Datagram* victim = oldest_;
    if (victim != nullptr && victim == keep) victim = victim->newer;
    if (victim == nullptr) return false;
    ++counters_.memcap_drops;
    Release(victim);
  }
  return true;
}

void Defragmenter::UpdateHeld(Datagram& d) {
  const size_t held = sizeof(Datagram) + d.header.size() + d.data.size() +
                      d.segments.size() * sizeof(Segment);
  memory_in_use_ = memory_in_use_ - d.held + held;
  d.held = held;
}

// Puts the new fragment into the segment list: gaps take its data, bytes
// already held take it where the policy says the new data wins. The list is
// sorted and disjoint, so the segments the fragment touches are one run,
// found by binary search; only that run is rebuilt (in scratch_) and spliced
// back. Rebuilding the whole list per fragment made a datagram of n
// fragments cost n^2/2 segment copies (docs/perf/growth.md); in order, a
// fragment now costs log n, and out of order at most a move of the tail,
// which max_fragments_per_datagram bounds.
void Defragmenter::Insert(Datagram& d, const Fragment& f) {
  ++d.fragments;
  scratch_.clear();
  // Segments at or past `fresh` in `data` are this fragment's.
  const uint32_t fresh = static_cast<uint32_t>(d.data.size());
  uint32_t added = 0;
  auto take_new = [&](uint32_t begin, uint32_t end) {
    if (begin >= end) return;
    added += end - begin;
    Segment* last = scratch_.empty() ? nullptr : &scratch_.back();
    if (last != nullptr && last->data >= fresh && last->end == begin) {
      last->end = end;  // its data was the last thing appended: contiguous
    } else {
      scratch_.push_back({begin, end, f.begin, f.end, static_cast<uint32_t>(d.data.size())});
    }
    // resize + memcpy: g++ 12 warns falsely (-Warray-bounds) about insert.
    const size_t at = d.data.size();
    d.data.resize(at + (end - begin));
    std::memcpy(d.data.data() + at, f.data + (begin - f.begin), end - begin);
  };
  auto piece = [](const Segment& s, uint32_t begin, uint32_t end) {
    return Segment{begin, end, s.from_begin, s.from_end, s.data + (begin - s.begin)};
  };

  std::vector<Segment>& segs = d.segments;
  // [lo, hi): the segments sharing bytes with [f.begin, f.end).
  const size_t lo = static_cast<size_t>(
      std::partition_point(segs.begin(), segs.end(), [&](const Segment& s) { return s.end <= f.begin; }) -
      segs.begin());
  const size_t hi = static_cast<size_t>(
      std::partition_point(segs.begin() + static_cast<std::ptrdiff_t>(lo), segs.end(),
                           [&](const Segment& s) { return s.begin < f.end; }) -
      segs.begin());
  uint32_t removed = 0;
  uint32_t cursor = f.begin;  // the fragment's bytes before it are placed
  for (size_t i = lo; i < hi; ++i) {
    const Segment& s = segs[i];
    removed += s.end - s.begin;
    take_new(cursor, s.begin);
    const uint32_t begin = std::max(s.begin, f.begin), end = std::min(s.end, f.end);
    if (NewDataWins(options_.policy, f.begin, f.end, s.from_begin, s.from_end)) {
      if (s.begin < begin) {
        scratch_.push_back(piece(s, s.begin, begin));
        added += begin - s.begin;
      }
      take_new(begin, end);
      if (end < s.end) {
        scratch_.push_back(piece(s, end, s.end));
        added += s.end - end;
      }
    } else {
      scratch_.push_back(s);
      added += s.end - s.begin;
    }
    cursor = end;
  }
  take_new(cursor, f.end);
  // Splice: make the run as long as its replacement, then copy it in.
  const size_t old_n = hi - lo, new_n = scratch_.size();
  if (new_n > old_n) {
    segs.insert(segs.begin() + static_cast<std::ptrdiff_t>(hi), new_n - old_n, Segment{});
  } else if (new_n < old_n) {
    segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(lo + new_n), segs.begin() + static_cast<std::ptrdiff_t>(hi));
  }
  std::copy(scratch_.begin(), scratch_.end(), segs.begin() + static_cast<std::ptrdiff_t>(lo));

  if (hi > lo) ++counters_.overlaps;
  d.covered = d.covered - removed + added;
  if (!f.more) {
    d.end_known = true;
    d.end = f.end;
  }
  // The header goes with the data at offset 0, so the datagram's first bytes
  // and its header come from the same packet.
  const Segment& first = d.segments.front();
  if (first.begin == 0 && first.data >= fresh) {
    d.header.resize(f.header_len);
    std::memcpy(d.header.data(), f.header, f.header_len);
    d.v6_next_header = f.v6_next_header;
    d.v6_next_header_at = f.v6_next_header_at;
  }
}

std::span<const uint8_t> Defragmenter::Reassemble(Datagram& d) {
  const uint32_t hlen = static_cast<uint32_t>(d.header.size());
  const bool v4 = d.key.version == 4;
  // The per-fragment check used each fragment's own header; the one kept may
  // be longer (IPv4 options, IPv6 extension headers).
  const uint32_t length = v4 ? hlen + d.end : hlen - 40 + d.end;
  if (hlen == 0 || length > kMaxIpLength) {
    ++counters_.too_large;
    Release(&d);
    return {};
  }
  out_.resize(hlen + d.end);
  uint8_t* o = out_.data();
  std::memcpy(o, d.header.data(), hlen);
  for (const Segment& s : d.segments) {
    std::memcpy(o + hlen + s.begin, d.data.data() + s.data, s.end - s.begin);
  }
  if (v4) {
    Store16(o + 2, length);
    o[6] &= 0xc0;  // keep the reserved and DF bits; clear MF and the offset
    o[7] = 0;
    o[10] = o[11] = 0;
    // The sum is in native order; stored natively it is right on the wire.
    const uint16_t sum = static_cast<uint16_t>(~decode::ChecksumFold(decode::ChecksumAdd(o, hlen, 0)));
    std::memcpy(o + 10, &sum, 2);
  } else {
    Store16(o + 4, length);
    o[d.v6_next_header_at] = d.v6_next_header;
  }
  ++counters_.reassembled;
  if (d.key.version == 6) ++counters_.reassembled_v6;
  Release(&d);
  return {out_.data(), out_.size()};
}

}  // namespace kagami::defrag
