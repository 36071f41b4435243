#include "engine/pipeline/dispatch.h"

#include <cstring>

#include "common/mix64.h"
#include "engine/flow/flow_table.h"

namespace kagami::pipeline {
namespace {

// Each step goes through Mix64: the key's fields are mostly small and alike,
// and WorkerFor reads the top bits.
uint64_t HashAddresses(uint64_t h, const IpAddress& a, const IpAddress& b) {
  for (const IpAddress* ip : {&a, &b}) {
    uint64_t w[2];
    std::memcpy(w, ip->bytes().data(), 16);
    h = Mix64(h ^ w[0]);
    h = Mix64(h ^ w[1]);
  }
  return h;
}

}  // namespace

uint64_t DispatchHash(const decode::Packet& p, DispatchKind kind) {
  if (p.ip_version == 0) return 0;
  const uint64_t vlans = (p.vlan_count > 0 ? p.vlan_id[0] : 0) | uint64_t{p.vlan_count > 1 ? p.vlan_id[1] : 0u} << 16;
  switch (kind) {
    case DispatchKind::kFragment: {
      const bool src_low = p.src < p.dst;
      uint64_t h = HashAddresses(vlans, src_low ? p.src : p.dst, src_low ? p.dst : p.src);
      return Mix64(h ^ (uint64_t{p.frag_id} << 8 | p.ip_proto));
    }
    case DispatchKind::kTunnelCarrier: {
      const bool src_low = p.src < p.dst;
      return HashAddresses(vlans, src_low ? p.src : p.dst, src_low ? p.dst : p.src);
    }
    case DispatchKind::kFlow: break;
  }
  bool from_lo;
  const flow::FlowKey k = flow::KeyOf(p, &from_lo);
  uint64_t h = HashAddresses(vlans, k.lo_addr, k.hi_addr);
  return Mix64(h ^ (uint64_t{k.lo_port} << 32 | uint64_t{k.hi_port} << 16 | k.proto));
}

}  // namespace kagami::pipeline
