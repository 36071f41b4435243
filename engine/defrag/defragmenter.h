#pragma once
// Defragmenter: reassembles IPv4 and IPv6 fragments into whole datagrams, so
// that detection sees the transport header and payload an attacker split up.
//
// Feed it every decoded fragment (Packet::is_fragment); when one completes its
// datagram, Add returns the reassembled IP packet (starting at the IP header),
// which the caller decodes again as raw IP (linktype 101). Overlapping data is
// resolved by the configured Policy (fragment_policy.h). Memory is bounded by
// DefragOptions::memcap, time by DefragOptions::timeout_ns (packet time).
//
// One Defragmenter per worker thread; it is not thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/ip_address.h"
#include "engine/decode/packet.h"
#include "engine/defrag/fragment_policy.h"

namespace kagami::defrag {

struct DefragOptions {
  Policy policy = Policy::kFirst;
  // Bytes held by datagrams in progress (fragment data, saved headers and
  // bookkeeping). When a fragment would go past it, the oldest datagrams in
  // progress are dropped first.
  size_t memcap = size_t{32} << 20;
  // A datagram not complete this long after its first fragment is dropped.
  int64_t timeout_ns = int64_t{60} * 1'000'000'000;
  // More fragments than this for one datagram drop it (it is an attack, or
  // broken, and each fragment costs work).
  uint32_t max_fragments_per_datagram = 256;
};

struct DefragCounters {
  uint64_t fragments = 0;     // fragments given to Add
  uint64_t reassembled = 0;   // datagrams completed and returned
  uint64_t timeouts = 0;      // datagrams dropped incomplete after timeout_ns
  uint64_t overlaps = 0;      // fragments overlapping data already held (duplicates too)
  uint64_t too_large = 0;     // fragments that would make a datagram > 65535 bytes (dropped with it)
  uint64_t memcap_drops = 0;  // datagrams dropped (or fragments refused) for the memcap
  uint64_t bad_fragments = 0; // malformed fragments ignored (see README)
  uint64_t too_many_fragments = 0;  // datagrams dropped past max_fragments_per_datagram
  uint64_t in_progress = 0;   // datagrams held right now (a gauge, not a count)
  // The IPv6 share of fragments, reassembled and timeouts (the rest is IPv4):
  // Suricata's stats report the families apart.
  uint64_t fragments_v6 = 0, reassembled_v6 = 0, timeouts_v6 = 0;
};

class Defragmenter {
 public:
  explicit Defragmenter(DefragOptions options = {});
  ~Defragmenter();
  Defragmenter(const Defragmenter&) = delete;
  Defragmenter& operator=(const Defragmenter&) = delete;

  // Feeds one decoded fragment (packet.is_fragment, packet.l3 at its IP
  // header) seen at packet time ts_ns. When this fragment completes its
  // datagram, returns the reassembled IP packet: IPv4 with MF and offset
  // cleared, total length set and the header checksum recomputed; IPv6 with
  // the Fragment header removed, the Next Header before it patched and the
  // payload length set. The span stays valid until the next call to Add.
  // Otherwise (fragment held, duplicate, or dropped) returns an empty span.
  std::span<const uint8_t> Add(const decode::Packet& packet, int64_t ts_ns);

  // Drops datagrams whose first fragment is older than timeout_ns at now_ns
  // (counted as timeouts). Call it with packet time, e.g. once per packet or
  // per second of capture time.
  void Expire(int64_t now_ns);

  const DefragCounters& counters() const { return counters_; }
  size_t memory_in_use() const { return memory_in_use_; }
  const DefragOptions& options() const { return options_; }

 private:
  // What makes fragments belong to one datagram: RFC 791 (source,
  // destination, protocol, identification) for IPv4, RFC 8200 (source,
  // destination, identification) for IPv6, and the VLAN tags.
  struct Key {
    IpAddress src, dst;
    uint32_t id = 0;
    std::array<uint16_t, 2> vlan{};
    uint8_t vlan_count = 0;
    uint8_t version = 0;
    uint8_t proto = 0;  // IPv4 protocol; 0 for IPv6
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.src.bytes(), k.dst.bytes(), k.id, k.vlan, k.vlan_count,
                        k.version, k.proto);
    }
  };
  struct Datagram;
  struct Segment;
  struct Fragment;  // one fragment's fields, as Add parsed them

  Datagram* Find(const Key& key);
  Datagram* Create(const Key& key, int64_t ts_ns);
  // Unlinks the datagram, returns its memory and keeps it for reuse.
  void Release(Datagram* d);
  // Drops the oldest datagrams (never `keep`) until `extra` more bytes fit
  // under the memcap; false when they still do not.
  bool MakeRoom(size_t extra, const Datagram* keep);
  void Insert(Datagram& d, const Fragment& f);
  void UpdateHeld(Datagram& d);
  std::span<const uint8_t> Reassemble(Datagram& d);

  DefragOptions options_;
  DefragCounters counters_;
  size_t memory_in_use_ = 0;
  absl::flat_hash_map<Key, std::unique_ptr<Datagram>> table_;
  // Datagrams in progress, oldest first, for eviction and expiry.
  Datagram* oldest_ = nullptr;
  Datagram* newest_ = nullptr;
  // Released datagrams kept with their buffers' capacity, so that steady
  // traffic reassembles without allocating.
  std::vector<std::unique_ptr<Datagram>> pool_;
  std::vector<Segment> scratch_;  // the run of segments Insert rebuilds
  std::vector<uint8_t> out_;      // the last reassembled datagram
};

}  // namespace kagami::defrag
