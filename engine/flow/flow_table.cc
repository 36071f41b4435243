#include "engine/flow/flow_table.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace kagami::flow {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

ProtoClass ClassOf(uint8_t proto) {
  switch (proto) {
    case 6: return ProtoClass::kTcp;
    case 17: return ProtoClass::kUdp;
    case 1:
    case 58: return ProtoClass::kIcmp;
    default: return ProtoClass::kOther;
  }
}

uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

FlowKey KeyOf(const decode::Packet& p, bool* from_lo) {
  FlowKey k;
  uint16_t sport = p.src_port, dport = p.dst_port;
  if (p.has_icmp()) {
    // ICMP query/reply pairs (echo, timestamp, ...) share their identifier;
    // other ICMP messages of one address pair form one flow.
    sport = dport = p.icmp_has_id ? p.icmp_id : 0;
  }
  const bool lo_is_src = p.src < p.dst || (p.src == p.dst && sport <= dport);
  *from_lo = lo_is_src;
  k.lo_addr = lo_is_src ? p.src : p.dst;
  k.hi_addr = lo_is_src ? p.dst : p.src;
  k.lo_port = lo_is_src ? sport : dport;
  k.hi_port = lo_is_src ? dport : sport;
  k.proto = p.ip_proto;
  k.tunnel_depth = p.tunnel_depth;
  k.vlan = {p.vlan_count > 0 ? p.vlan_id[0] : uint16_t{0}, p.vlan_count > 1 ? p.vlan_id[1] : uint16_t{0}};
  return k;
}

uint64_t FlowIdOf(const FlowKey& k, int64_t first_ts_ns) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  auto add = [&h](uint64_t v) { h = Mix(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2))); };
  for (const IpAddress* a : {&k.lo_addr, &k.hi_addr}) {
    uint64_t w[2];
    std::memcpy(w, a->bytes().data(), 16);
    add(w[0]);
    add(w[1]);
  }
  add((uint64_t{k.lo_port} << 48) | (uint64_t{k.hi_port} << 32) | (uint64_t{k.proto} << 24) |
      (uint64_t{k.tunnel_depth} << 16));
  add((uint64_t{k.vlan[0]} << 16) | k.vlan[1]);
  add(static_cast<uint64_t>(first_ts_ns));
  h &= (uint64_t{1} << 53) - 1;
  return h ? h : 1;
}

FlowTable::FlowTable(const FlowOptions& options)
    : options_(options), index_(0, KeyedHash{(uint64_t{std::random_device{}()} << 32) | std::random_device{}()}) {
  max_flows_ = std::max<size_t>(options_.memcap / kBytesPerFlow, 1);
  // Slots are allocated a block at a time; stay within whole blocks.
  if (max_flows_ > kBlock) max_flows_ -= max_flows_ % kBlock;
  block_ = static_cast<uint32_t>(std::min<size_t>(kBlock, max_flows_));
}

size_t FlowTable::memory_in_use() const {
  return blocks_.size() * size_t{block_} * sizeof(Flow) + index_.capacity() * kIndexEntryBytes;
}

int64_t FlowTable::TimeoutNs(uint8_t list) const {
  const auto& t = options_.timeouts.seconds[list / kNumFlowStates][list % kNumFlowStates];
  return t * kNsPerSecond;
}

void FlowTable::Unlink(Flow& f) {
  List& l = lists_[f.list];
  if (f.prev != kNil) slot(f.prev).next = f.next; else l.head = f.next;
  if (f.next != kNil) slot(f.next).prev = f.prev; else l.tail = f.prev;
  f.prev = f.next = kNil;
}

void FlowTable::LinkTail(Flow& f, uint8_t list) {
  List& l = lists_[list];
  f.list = list;
  f.next = kNil;
  f.prev = l.tail;
  if (l.tail != kNil) slot(l.tail).next = f.slot; else l.head = f.slot;
  l.tail = f.slot;
}

void FlowTable::SetState(Flow& f, FlowState state) {
  if (f.state == state) return;
  Unlink(f);
  f.state = state;
  LinkTail(f, ListOf(f));
}

void FlowTable::End(Flow& f, FlowEnd why) {
  if (on_end_) on_end_(f, why);
  switch (why) {
    case FlowEnd::kTimeout: ++counters_.timed_out; break;
    case FlowEnd::kEvicted: ++counters_.evicted; break;
    case FlowEnd::kShutdown: ++counters_.ended_at_shutdown; break;
    case FlowEnd::kReused: ++counters_.reused; break;
  }
  Unlink(f);
  index_.erase(f.key);
  f.vars.clear();
  f.in_use = false;
  free_.push_back(f.slot);
  --counters_.active;
}

void FlowTable::EndCollected(FlowEnd why) {
  std::sort(ending_.begin(), ending_.end(), [this](uint32_t a, uint32_t b) {
    const Flow &fa = slot(a), &fb = slot(b);
    return fa.id != fb.id ? fa.id < fb.id : fa.first_ts_ns < fb.first_ts_ns;
  });
  for (uint32_t s : ending_) End(slot(s), why);
  ending_.clear();
}

void FlowTable::Expire(int64_t now_ns) {
  for (uint8_t list = 0; list < kNumLists; ++list) {
    const int64_t timeout = TimeoutNs(list);
    for (uint32_t s = lists_[list].head; s != kNil; s = slot(s).next) {
      const Flow& f = slot(s);
      if (f.last_ts_ns + timeout >= now_ns && timeout > 0) break;
      if (timeout == 0 && f.last_ts_ns >= now_ns) break;  // closed: ends with the next later packet
      ending_.push_back(s);
    }
  }
  EndCollected(FlowEnd::kTimeout);
}

void FlowTable::EndAll() {
  for (uint8_t list = 0; list < kNumLists; ++list) {
    for (uint32_t s = lists_[list].head; s != kNil; s = slot(s).next) ending_.push_back(s);
  }
  EndCollected(FlowEnd::kShutdown);
}

Flow* FlowTable::Create(const FlowKey& key, const decode::Packet& p, int64_t now_ns) {
  if (counters_.active >= max_flows_) {
    // At the cap: retire the least recently seen flow of any list.
    uint32_t oldest = kNil;
    for (const List& l : lists_) {
      if (l.head != kNil && (oldest == kNil || slot(l.head).last_ts_ns < slot(oldest).last_ts_ns)) oldest = l.head;
    }
    if (oldest != kNil) End(slot(oldest), FlowEnd::kEvicted);
  }
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    if (allocated_ % block_ == 0) blocks_.push_back(std::make_unique<Flow[]>(block_));
    index = allocated_++;
  }
  Flow& f = slot(index);
  FlowVars vars = std::move(f.vars);  // keeps its capacity for reuse
  f = Flow{};
  f.vars = std::move(vars);
  f.vars.clear();
  f.key = key;
  f.slot = index;
  f.in_use = true;
  f.first_ts_ns = f.last_ts_ns = now_ns;
  f.id = FlowIdOf(key, now_ns);
  f.proto_class = ClassOf(key.proto);
  // Direction: a SYN/ACK seen first came from the server; anything else
  // (a SYN, or a midstream packet) from the client.
  const bool syn_ack = p.has_tcp() && (p.tcp_flags & (decode::kTcpSyn | decode::kTcpAck)) ==
                                          (decode::kTcpSyn | decode::kTcpAck);
  f.client_addr = syn_ack ? p.dst : p.src;
  f.client_port = syn_ack ? p.dst_port : p.src_port;
  if (p.has_icmp()) f.client_port = p.icmp_has_id ? p.icmp_id : 0;
  index_.emplace(key, index);
  LinkTail(f, ListOf(f));
  ++counters_.created;
  ++counters_.active;
  counters_.max_active = std::max(counters_.max_active, counters_.active);
  return &f;
}

FlowLookup FlowTable::Process(const decode::Packet& p, int64_t now_ns) {
  FlowLookup out;
  if (p.ip_version == 0 || p.is_fragment) return out;
  if (options_.expire_in_process && clock_.Due(now_ns)) Expire(now_ns);
  bool from_lo;
  const FlowKey key = KeyOf(p, &from_lo);
  Flow* f;
  auto it = index_.find(key);
  if (it != index_.end()) {
    f = &slot(it->second);
  } else {
    f = Create(key, p, now_ns);
    out.created = true;
  }
  const uint16_t sport = p.has_icmp() ? (p.icmp_has_id ? p.icmp_id : 0) : p.src_port;
  out.flow = f;
  // A conversation with itself (same address and port both ways) counts as
  // to_server throughout.
  out.to_server = p.src == f->client_addr && sport == f->client_port;
  f->last_ts_ns = std::max(f->last_ts_ns, now_ns);
  if (out.to_server) {
    f->seen_to_server = true;
    ++f->packets_to_server;
    f->bytes_to_server += p.view ? p.view->wirelen : 0;
  } else {
    f->seen_to_client = true;
    ++f->packets_to_client;
    f->bytes_to_client += p.view ? p.view->wirelen : 0;
  }
  // Refresh the flow's place in its list (most recently seen last).
  Unlink(*f);
  LinkTail(*f, ListOf(*f));
  if (f->proto_class != ProtoClass::kTcp && f->state == FlowState::kNew && f->seen_to_server &&
      f->seen_to_client) {
    f->established = true;
    SetState(*f, FlowState::kEstablished);
  }
  return out;
}

void FlowTable::MarkPacket(const FlowLookup& lookup, decode::Packet& p) {
  if (!lookup.flow) return;
  uint8_t flags = decode::kFlowKnown;
  if (lookup.to_server) flags |= decode::kFlowToServer;
  if (lookup.flow->established) flags |= decode::kFlowEstablished;
  p.flow_flags = flags;
}

}  // namespace kagami::flow
