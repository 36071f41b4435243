#pragma once
// Flow: the state Kagami keeps for one bidirectional conversation, keyed by
// its 5-tuple plus VLAN ids and tunnel depth. Flows live in a FlowTable slot
// array and are recycled, so a Flow never moves and never allocates except
// for flow variables (flowbits/flowint), which only rules that set them use.

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/ip_address.h"

namespace kagami::flow {

// Key with the two endpoints in a canonical order (lower address/port
// first), so both directions of a conversation find the same flow.
struct FlowKey {
  IpAddress lo_addr, hi_addr;
  uint16_t lo_port = 0, hi_port = 0;
  uint8_t proto = 0;
  uint8_t tunnel_depth = 0;
  std::array<uint16_t, 2> vlan{};

  bool operator==(const FlowKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const FlowKey& k) {
    return H::combine(std::move(h), k.lo_addr.bytes(), k.hi_addr.bytes(), k.lo_port, k.hi_port, k.proto,
                      k.tunnel_depth, k.vlan);
  }
};

// Which timeout a flow is under (Suricata's flow states).
enum class FlowState : uint8_t { kNew, kEstablished, kClosed };
inline constexpr int kNumFlowStates = 3;

// Protocol classes with their own timeouts.
enum class ProtoClass : uint8_t { kTcp, kUdp, kIcmp, kOther };
inline constexpr int kNumProtoClasses = 4;

// Why a flow ended.
enum class FlowEnd : uint8_t { kTimeout, kEvicted, kShutdown, kReused };

// Flow variables set by rules (flowbits, flowint). Indices are the detect
// engine's; `generation` names the engine that assigned them, so a reloaded
// engine never reads another's bits.
struct FlowVars {
  uint64_t generation = 0;
  std::vector<uint64_t> bits;                       // flowbits, one bit per name
  std::vector<std::pair<uint32_t, int64_t>> ints;   // flowint index -> value

  bool empty() const { return bits.empty() && ints.empty(); }
  void clear() {
    bits.clear();
    ints.clear();
  }
};

struct Flow {
  FlowKey key;
  uint64_t id = 0;  // EVE flow_id: stable for a given capture, non-zero, < 2^53
  // The client: sender of the SYN, receiver of a SYN/ACK seen first, or the
  // sender of the first packet.
  IpAddress client_addr;
  uint16_t client_port = 0;
  ProtoClass proto_class = ProtoClass::kOther;
  FlowState state = FlowState::kNew;
  bool seen_to_server = false, seen_to_client = false;
  // What flow:established means: TCP, the handshake completed (and stays
  // true through teardown) or the session was picked up midstream; other
  // protocols, both directions were seen.
  bool established = false;
  int64_t first_ts_ns = 0, last_ts_ns = 0;
  uint64_t packets_to_server = 0, packets_to_client = 0;
  uint64_t bytes_to_server = 0, bytes_to_client = 0;
  FlowVars vars;
  // The application protocol engine/app detected (an app::AppProto value;
  // 0 = not known yet). A byte here so detection reads it without a lookup.
  uint8_t app_proto = 0;
  // TCP: which direction's bytes revealed app_proto (1 to server, 2 to
  // client) and whether packet rules see it yet (Scanner::PacketAppProto).
  uint8_t app_revealed_by = 0;
  bool app_proto_visible = false;
  // Some alert was written for the flow (EVE flow record "alerted"); set
  // through const paths by the output side, which is the flow's owner's.
  mutable bool alerted = false;

  // The side that is not the client.
  const IpAddress& server_addr() const {
    return client_addr == key.lo_addr && client_port == key.lo_port ? key.hi_addr : key.lo_addr;
  }
  uint16_t server_port() const {
    return client_addr == key.lo_addr && client_port == key.lo_port ? key.hi_port : key.lo_port;
  }

  // Table bookkeeping: position in the slot array and in its timeout list.
  uint32_t slot = 0;
  uint32_t prev = 0, next = 0;  // kNil-terminated; lists are per (proto class, state)
  uint8_t list = 0;
  bool in_use = false;
};

}  // namespace kagami::flow
