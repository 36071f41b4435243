#pragma once
// FlowTable: finds or creates the flow of each packet, tracks direction and
// state, and retires flows on timeout or when the memory cap is reached.
//
// Time is packet time: timeouts fire when a later packet's timestamp passes
// them, so a pcap replays identically every run. Flows sit in one LRU list
// per (protocol class, state); every flow in a list has the same timeout, so
// the oldest flow of each list is always the first to expire and expiry is a
// walk from the list heads. Eviction under the memory cap takes the least
// recently seen flow over all lists.
//
// Slots are preallocated up to the cap and recycled; the steady state
// allocates nothing (flow variables aside).

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "engine/decode/packet.h"
#include "engine/flow/flow.h"

namespace kagami::flow {

struct FlowTimeouts {
  // Seconds, per protocol class, for new / established / closed flows.
  // Suricata's defaults.
  std::array<std::array<int64_t, kNumFlowStates>, kNumProtoClasses> seconds{{
      {60, 600, 60},   // tcp
      {30, 300, 0},    // udp
      {30, 300, 0},    // icmp
      {30, 300, 0},    // other
  }};
};

struct FlowOptions {
  size_t memcap = size_t{128} << 20;  // bytes for flows and the table's index
  FlowTimeouts timeouts;
  // Process() checks timeouts itself (every ExpiryClock::kIntervalNs of
  // packet time). Off: the owner calls Expire() on its own clock, as the
  // pipeline does so that every worker expires flows at the same moments.
  bool expire_in_process = true;
};

// When timeouts are checked: on the first packet at or after the next check
// time, then not again for kIntervalNs of packet time (a check is cheap,
// but not free). Time that steps back waits until it passes the mark again.
class ExpiryClock {
 public:
  static constexpr int64_t kIntervalNs = 100'000'000;
  bool Due(int64_t now_ns) {
    if (now_ns < next_ns_) return false;
    next_ns_ = now_ns + kIntervalNs;
    return true;
  }

 private:
  int64_t next_ns_ = INT64_MIN;
};

struct FlowCounters {
  uint64_t created = 0;
  uint64_t timed_out = 0;
  uint64_t evicted = 0;      // retired early to stay under the memory cap
  uint64_t ended_at_shutdown = 0;
  uint64_t reused = 0;       // ended early because the 5-tuple started a new TCP session
  uint64_t active = 0;
  uint64_t max_active = 0;
};

// Result of a lookup: the flow and the packet's direction within it.
struct FlowLookup {
  Flow* flow = nullptr;
  bool to_server = true;
  bool created = false;
};

class FlowTable {
 public:
  // Called for every flow that ends, before its slot is reused.
  using EndHandler = std::function<void(Flow&, FlowEnd)>;

  explicit FlowTable(const FlowOptions& options = {});

  void set_end_handler(EndHandler handler) { on_end_ = std::move(handler); }

  // Expires flows whose timeout passed at `now_ns`, then finds or creates the
  // packet's flow, updating direction, counters and (for non-TCP flows)
  // state. Returns a null flow for packets that cannot have one (no IP, or
  // an IP fragment).
  FlowLookup Process(const decode::Packet& packet, int64_t now_ns);

  // Sets Packet::flow_flags from a lookup (known, direction, established).
  static void MarkPacket(const FlowLookup& lookup, decode::Packet& packet);

  // Moves a flow between states. TCP flows are moved by the stream layer,
  // which tracks the handshake and teardown; other flows become established
  // when both directions were seen.
  void SetState(Flow& flow, FlowState state);

  // Ends one flow now (e.g. its 5-tuple starts a new TCP session).
  void EndFlow(Flow& flow, FlowEnd why) { End(flow, why); }

  // Ends every flow whose timeout passed at now_ns, in flow id order: the
  // order then does not depend on how flows are spread over tables (workers).
  void Expire(int64_t now_ns);
  // Ends every flow (end of capture or shutdown), in flow id order.
  void EndAll();

  // Bytes a flow costs against the cap: its slot plus its share of the
  // index, whose table is a power of two at most 7/8 full, so right after
  // growing holds up to 16/7 entries per flow (rounded up to 3).
  static constexpr size_t kIndexEntryBytes = sizeof(std::pair<FlowKey, uint32_t>) + 1;
  static constexpr size_t kBytesPerFlow = sizeof(Flow) + 3 * kIndexEntryBytes;
  // Most flows the cap allows at once.
  size_t capacity() const { return max_flows_; }
  // Bytes held now: allocated slots and the index's table.
  size_t memory_in_use() const;
  const FlowCounters& counters() const { return counters_; }
  Flow& slot(uint32_t index) { return blocks_[index / block_][index % block_]; }

 private:
  static constexpr uint32_t kNil = 0xffffffffu;
  static constexpr int kNumLists = kNumProtoClasses * kNumFlowStates;
  struct List {
    uint32_t head = kNil, tail = kNil;
  };

  Flow* Create(const FlowKey& key, const decode::Packet& packet, int64_t now_ns);
  void End(Flow& flow, FlowEnd why);
  // Ends the flows in ending_, by flow id.
  void EndCollected(FlowEnd why);
  void Unlink(Flow& flow);
  void LinkTail(Flow& flow, uint8_t list);
  uint8_t ListOf(const Flow& flow) const {
    return static_cast<uint8_t>(static_cast<int>(flow.proto_class) * kNumFlowStates +
                                static_cast<int>(flow.state));
  }
  int64_t TimeoutNs(uint8_t list) const;

  // Slots come in blocks so they never move once handed out.
  static constexpr uint32_t kBlock = 4096;
  uint32_t block_ = kBlock;  // smaller when the cap allows fewer flows

  FlowOptions options_;
  size_t max_flows_ = 0;
  std::vector<std::unique_ptr<Flow[]>> blocks_;
  uint32_t allocated_ = 0;      // slots created so far
  std::vector<uint32_t> free_;  // slots ready for reuse
  // Keyed with a secret drawn per table: Abseil's own seed comes from an
  // address, which ASLR hides but a leak or a build without ASLR gives
  // away, and with it an attacker can send flows that all collide (lookups
  // then cost O(n): docs/perf/growth.md).
  struct KeyedHash {
    uint64_t secret = 0;
    size_t operator()(const FlowKey& k) const { return absl::HashOf(secret, k); }
  };
  absl::flat_hash_map<FlowKey, uint32_t, KeyedHash> index_;
  std::array<List, kNumLists> lists_{};
  FlowCounters counters_;
  EndHandler on_end_;
  ExpiryClock clock_;
  std::vector<uint32_t> ending_;  // slots Expire/EndAll are about to end
};

// The flow key of a packet and whether the packet goes from the key's low
// endpoint to its high endpoint.
FlowKey KeyOf(const decode::Packet& packet, bool* from_lo);

// EVE flow_id: a hash of the key and the flow's first timestamp, so two
// flows on one 5-tuple at different times differ; below 2^53 so JSON
// consumers keep it exact; never 0.
uint64_t FlowIdOf(const FlowKey& key, int64_t first_ts_ns);

}  // namespace kagami::flow
