#pragma once
// Rule header verification: flow option, header keyword checks (dsize, ttl,
// flags, itype, ...) and the address/port/direction part of the rule header.

#include "engine/decode/packet.h"
#include "engine/detect/compiled_rule.h"

namespace kagami::detect {

// Packet facts computed once per packet.
struct PacketFacts {
  PacketClass cls = kClassOtherIp;
  bool has_ports = false;
  AddrKey src = 0, dst = 0;
};

PacketFacts ClassifyPacket(const decode::Packet& p);

bool MatchFlow(const rules::FlowOption& flow, const decode::Packet& p);
bool MatchHeaderChecks(const rules::HeaderChecks& h, const decode::Packet& p);
bool MatchAddressesAndPorts(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f);

// Everything except payload steps, cheapest first.
inline bool MatchRuleHeader(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f) {
  if ((r.classes & (1u << f.cls)) == 0 || r.never_matches) return false;
  if (r.required_ip_proto >= 0 && p.ip_proto != r.required_ip_proto) return false;
  if (!MatchAddressesAndPorts(r, p, f)) return false;
  if (r.flow && !MatchFlow(*r.flow, p)) return false;
  if (r.header && !MatchHeaderChecks(*r.header, p)) return false;
  return true;
}

}  // namespace kagami::detect
