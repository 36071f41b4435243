#pragma once
// Which worker a packet goes to. Both directions of a flow must reach the
// same worker, since the worker owns the flow's state; so the hash is of
// the flow's canonical key (flow::KeyOf: the lower endpoint first), never
// of source and destination as they stand.
//
// - A tunnel carrier (GRE, IP in IP, VXLAN, Geneve) is hashed on its two
//   addresses (and VLANs) alone: a VXLAN endpoint varies the outer UDP
//   source port per inner flow, differently in each direction, so only the
//   address pair keeps every inner flow of a tunnel, both ways, and the
//   carrier's own flows together on one worker.
// - An IP fragment (no ports) is hashed on its addresses, protocol and
//   fragment id; fragments outside tunnels are inspected there, while the
//   reader reassembles them and sends the datagram by its own flow.
// - A packet without IP goes to worker 0.

#include <cstdint>

#include "engine/decode/packet.h"

namespace kagami::pipeline {

enum class DispatchKind : uint8_t { kFlow, kTunnelCarrier, kFragment };

uint64_t DispatchHash(const decode::Packet& packet, DispatchKind kind);

// The worker for a hash: multiply-shift, so every bit of the hash counts
// and no division is needed.
inline uint32_t WorkerFor(uint64_t hash, uint32_t workers) {
  return static_cast<uint32_t>((static_cast<unsigned __int128>(hash) * workers) >> 64);
}

}  // namespace kagami::pipeline
