#include "engine/detect/header_match.h"

namespace kagami::detect {

using decode::Packet;

PacketFacts ClassifyPacket(const Packet& p) {
  PacketFacts f;
  if (p.has_tcp()) f.cls = kClassTcp;
  else if (p.has_udp()) f.cls = kClassUdp;
  else if (p.has_icmp()) f.cls = p.ip_proto == 1 ? kClassIcmp4 : kClassIcmp6;
  else f.cls = kClassOtherIp;
  f.has_ports = f.cls == kClassTcp || f.cls == kClassUdp || (p.l4 != nullptr && p.ip_proto == 132);
  f.src = KeyOf(p.src);
  f.dst = KeyOf(p.dst);
  return f;
}

bool MatchFlow(const rules::FlowOption& flow, const Packet& p) {
  const bool known = p.flow_flags & decode::kFlowKnown;
  // Without a flow: not established, direction unknown (Suricata matches
  // neither to_server nor to_client on flowless packets).
  const bool established = known && (p.flow_flags & decode::kFlowEstablished);
  if (flow.established && !established) return false;
  if (flow.not_established && established) return false;
  if (flow.to_server && !(known && (p.flow_flags & decode::kFlowToServer))) return false;
  if (flow.to_client && !(known && !(p.flow_flags & decode::kFlowToServer))) return false;
  // only_stream / no_stream choose the buffer (CompiledRule::require_stream,
  // forbid_stream); they are not packet conditions.
  if (flow.only_frag && !p.is_fragment) return false;
  if (flow.no_frag && p.is_fragment) return false;
  return true;
}

namespace {

template <typename Mode>
bool MatchBits(Mode mode, uint8_t have, uint8_t want) {
  switch (mode) {
    case Mode::kExact: return have == want;
    case Mode::kPlus: return (have & want) == want;
    case Mode::kAny: return (have & want) != 0;
    case Mode::kNot: return (have & want) == 0;
  }
  return false;
}

}  // namespace

bool MatchHeaderChecks(const rules::HeaderChecks& h, const Packet& p) {
  if (h.dsize && !h.dsize->Matches(p.payload_len)) return false;
  if (h.ttl && !h.ttl->Matches(p.ttl)) return false;
  if (h.ip_proto && !h.ip_proto->Matches(p.ip_proto)) return false;
  if (h.itype || h.icode || h.icmp_id || h.icmp_seq) {
    if (!p.has_icmp()) return false;
    if (h.itype && !h.itype->Matches(p.icmp_type)) return false;
    if (h.icode && !h.icode->Matches(p.icmp_code)) return false;
    if ((h.icmp_id || h.icmp_seq) && !p.icmp_has_id) return false;
    if (h.icmp_id && !h.icmp_id->Matches(p.icmp_id)) return false;
    if (h.icmp_seq && !h.icmp_seq->Matches(p.icmp_seq)) return false;
  }
  if (h.tcp_seq || h.tcp_ack || h.window || h.flags) {
    if (!p.has_tcp()) return false;
    if (h.tcp_seq && !h.tcp_seq->Matches(p.tcp_seq)) return false;
    if (h.tcp_ack && !h.tcp_ack->Matches(p.tcp_ack)) return false;
    if (h.window && !h.window->Matches(p.tcp_window)) return false;
    if (h.flags) {
      const uint8_t have = p.tcp_flags & static_cast<uint8_t>(~h.flags->ignore);
      if (!MatchBits(h.flags->mode, have, h.flags->flags)) return false;
    }
  }
  if (h.fragbits) {
    if (p.ip_version != 4) return false;
    const uint8_t have = (p.ip_mf ? 1 : 0) | (p.ip_df ? 2 : 0) | (p.ip_rb ? 4 : 0);
    if (!MatchBits(h.fragbits->mode, have, h.fragbits->bits)) return false;
  }
  if (h.ipopts) {
    if (p.ip_version != 4) return false;
    const uint16_t present = p.ipv4_options & static_cast<uint16_t>(~decode::kIpOptAny);
    if (*h.ipopts == decode::kIpOptAny) {
      if (present == 0) return false;
    } else if ((p.ipv4_options & *h.ipopts) == 0) {
      return false;
    }
  }
  return true;
}

bool MatchAddressesAndPorts(const CompiledRule& r, const Packet& p, const PacketFacts& f) {
  const bool ports_any = r.sport.any() && r.dport.any();
  if (!ports_any && !f.has_ports) return false;
  auto forward = [&] {
    return (ports_any || (r.sport.Contains(p.src_port) && r.dport.Contains(p.dst_port))) &&
           r.src.Contains(f.src) && r.dst.Contains(f.dst);
  };
  if (forward()) return true;
  if (!r.bidirectional) return false;
  return (ports_any || (r.sport.Contains(p.dst_port) && r.dport.Contains(p.src_port))) &&
         r.src.Contains(f.dst) && r.dst.Contains(f.src);
}

}  // namespace kagami::detect
