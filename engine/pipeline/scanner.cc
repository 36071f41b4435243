#include "engine/pipeline/scanner.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace kagami::pipeline {
namespace {


// Pseudo packets point their transport header here: has_tcp() needs one.
const uint8_t kNoHeader[20] = {};

// Bodies are kept (and decompressed) only when a rule inspects one.
app::AppLayerOptions AppOptionsFor(const ScannerOptions& o, const detect::DetectEngine* engine) {
  app::AppLayerOptions a = o.app;
  constexpr uint64_t kBodies = (uint64_t{1} << app::kBufHttpRequestBody) | (uint64_t{1} << app::kBufHttpResponseBody) |
                               (uint64_t{1} << app::kBufFileData);
  if (engine && (engine->stats().app_buffers_used & kBodies) == 0) a.http.keep_bodies = false;
  if (engine) a.wanted_buffers = engine->stats().app_buffers_used;
  a.http.stream_depth = o.stream.depth;
  return a;
}

// Timeouts run on the scanner's clock (Tick), not inside each lookup.
flow::FlowOptions FlowOptionsFor(const ScannerOptions& o) {
  flow::FlowOptions f = o.flow;
  f.expire_in_process = false;
  return f;
}

}  // namespace

decode::DecoderOptions DecoderOptionsFor(const ScannerOptions& o) {
  decode::DecoderOptions d = o.decoder;
  d.verify_checksums = o.checksums == ChecksumMode::kVerify;
  return d;
}

Scanner::Scanner(std::shared_ptr<const detect::DetectEngine> engine, const ScannerOptions& options,
                 output::EveWriter* eve, output::ScanSummary* summary)
    : engine_(std::move(engine)),
      options_(options),
      eve_(eve),
      summary_(summary),
      decoder_(DecoderOptionsFor(options)),
      flows_(FlowOptionsFor(options)),
      tcp_(options.stream, &flows_),
      app_(AppOptionsFor(options, engine_.get())),
      defrag_(options.defrag),
      detect_(detect::DetectContext::Create(engine_)),
      verify_checksums_(options.checksums == ChecksumMode::kVerify),
      checksum_policy_(verify_checksums_) {
  alerts_buffer_.reserve(64);
  datagram_.reserve(65536);
  flows_.set_end_handler([this](flow::Flow& f, flow::FlowEnd why) { OnFlowEnd(f, why); });
}

void Scanner::set_intel(std::shared_ptr<const intel::IntelStore> store, uint8_t digest_kinds) {
  using feeds::IndicatorType;
  // HTTP bodies are hashed only with the digests some indicator names
  // (MD5 alone costs more than the rest of the HTTP path).
  uint8_t digests = 0;
  if (store && store->count(IndicatorType::kFileMd5)) digests |= app::http::kDigestMd5;
  if (store && store->count(IndicatorType::kFileSha1)) digests |= app::http::kDigestSha1;
  if (store && store->count(IndicatorType::kFileSha256)) digests |= app::http::kDigestSha256;
  app_.set_body_digests(digests & digest_kinds);
  intel_.set_store(std::move(store));
}

void Scanner::set_ruleset_slot(const RulesetSlot* slot) {
  ruleset_slot_ = slot;
  // From version 0: a reload published before this call is still taken
  // (SwapRules ignores the ruleset already in use).
  ruleset_version_ = 0;
}

Ruleset Scanner::TakeRuleset() {
  // The version first: a Publish between the two reads is seen next time.
  ruleset_version_ = ruleset_slot_->version();
  return ruleset_slot_->Get();
}

void Scanner::SwapRules(const Ruleset& ruleset) {
  // Nothing new (the ruleset in use, seen again through the slot): adopting
  // it from itself would lose the mapping from the engine before.
  if (!ruleset.engine || (ruleset.engine == engine_ && ruleset.intel.get() == intel_.store())) return;
  std::unique_ptr<detect::DetectContext> next = detect::DetectContext::Create(ruleset.engine);
  next->set_defer_cross_flow_limits(tagger_ != nullptr);
  next->AdoptFrom(*detect_);
  // The summary counted alerts of the old rules, which may be freed now.
  if (summary_) summary_->ForgetRules();
  detect_ = std::move(next);
  engine_ = ruleset.engine;
  const app::AppLayerOptions needs = AppOptionsFor(options_, engine_.get());
  app_.set_rule_needs(needs.http.keep_bodies, needs.wanted_buffers);
  set_intel(ruleset.intel, ruleset.digest_kinds);
  ++rule_swaps_;
}

void Scanner::UpdateChecksumPolicy(const decode::Packet& packet) {
  checksum_policy_.Observe(packet);
  if (!checksum_policy_.verify()) set_verify_checksums(false);
}

output::EveContext Scanner::ContextFor(const decode::Packet& packet, const flow::Flow* flow,
                                      output::EvePacketSource source) const {
  output::EveContext ctx;
  ctx.pcap_filename = view_ && view_->offset ? source_name_ : std::string_view();
  ctx.pcap_cnt = packet.view == view_ && view_ ? view_->index : 0;
  ctx.flow_id = flow ? flow->id : 0;
  ctx.flow = flow;
  // A live source is named after its interface (a file after its path).
  if (view_ && !view_->offset && packet.view == view_) ctx.in_iface = source_name_;
  ctx.pkt_src = source;
  return ctx;
}

void Scanner::LogAlerts(const decode::Packet& packet, const output::EveContext& ctx) {
  if (alerts_buffer_.empty()) return;
  const uint64_t group = ++alert_group_;
  bool after_deferred_pass = false;
  for (const detect::Alert& alert : alerts_buffer_) {
    if (alert.deferred != detect::Alert::Deferred::kNo || after_deferred_pass) {
      // The writer decides (worker mode only: nothing is deferred otherwise).
      tagger_->Conditional(alert, packet, group);
      if (alert.rule->action == rules::Action::kPass) {
        after_deferred_pass = true;
        continue;
      }
      if (eve_) eve_->WriteAlert(packet, *alert.rule, ctx);
      continue;
    }
    ++alerts_;
    if (ctx.flow) ctx.flow->alerted = true;
    if (eve_) eve_->WriteAlert(packet, *alert.rule, ctx);
    if (summary_) summary_->AddAlert(*alert.rule);
  }
  if (options_.flush_alerts && eve_) eve_->Flush();
}

void Scanner::LogIntel(const decode::Packet& packet, std::span<const IntelMatch> matches,
                       const output::EveContext& ctx) {
  if (matches.empty()) return;
  const intel::IntelStore& store = *intel_.store();
  // The threshold file's gid 9000 entries come with the engine (a reload
  // brings the file's new version with the new rules).
  const rules::IndicatorTuning* tuning = engine_->indicator_tuning();
  const int64_t ts = packet.view ? packet.view->ts_ns : 0;
  for (const IntelMatch& m : matches) {
    const uint32_t sid = store.view(m.hit.indicator).sid;
    const rules::ThresholdOption* deferred = nullptr;
    const detect::IndicatorVerdict verdict =
        tuning ? detect::DecideIndicatorAlert(intel_thresholds_, *tuning, sid, packet, ts, tagger_ != nullptr,
                                              &deferred)
               : detect::IndicatorVerdict::kLog;
    if (verdict == detect::IndicatorVerdict::kDrop) continue;
    if (verdict == detect::IndicatorVerdict::kDefer) {
      // The writer counts it with every worker's alerts and decides.
      tagger_->ConditionalIntel(sid, *deferred, intel_.shared_store(), m.hit.indicator, packet);
      if (eve_) eve_->WriteIntelAlert(packet, store, m.hit, m.observed, ctx);
      continue;
    }
    ++alerts_;
    // Only an alert logged here marks the flow (as in LogAlerts).
    if (ctx.flow) ctx.flow->alerted = true;
    if (eve_) eve_->WriteIntelAlert(packet, store, m.hit, m.observed, ctx);
    if (summary_) summary_->AddIntelAlert(intel::kIntelGid, sid, store.Signature(m.hit.indicator));
  }
  if (options_.flush_alerts && eve_) eve_->Flush();
}

void Scanner::InspectAndLog(const decode::Packet& packet, const flow::Flow* flow, const detect::FlowContext& fc,
                            output::EvePacketSource source) {
  detect_->Inspect(packet, fc, alerts_buffer_);
  if (alerts_buffer_.empty()) return;
  output::EveContext ctx = ContextFor(packet, flow, source);
  if (fc.app_proto != app::AppProto::kUnknown) ctx.app_proto = app::AppProtoName(fc.app_proto);
  LogAlerts(packet, ctx);
}

void Scanner::MakePseudoPacket(const flow::Flow& f, bool to_server, capture::PacketView& pv,
                               decode::Packet& p) const {
  const IpAddress& client = f.client_addr;
  const IpAddress& server = f.server_addr();
  const uint16_t client_port = f.client_port;
  const uint16_t server_port = f.server_port();
  pv = capture::PacketView{};
  pv.ts_ns = f.last_ts_ns;
  p = decode::Packet{};
  p.view = &pv;
  p.ip_version = client.is_v4() ? 4 : 6;
  p.src = to_server ? client : server;
  p.dst = to_server ? server : client;
  p.src_port = to_server ? client_port : server_port;
  p.dst_port = to_server ? server_port : client_port;
  p.ip_proto = f.key.proto;
  p.l4 = kNoHeader;
  p.vlan_count = static_cast<uint8_t>((f.key.vlan[0] ? 1 : 0) + (f.key.vlan[1] ? 1 : 0));
  p.vlan_id = f.key.vlan;
  p.tunnel_depth = f.key.tunnel_depth;
  p.flow_flags = static_cast<uint8_t>(decode::kFlowKnown | (to_server ? decode::kFlowToServer : 0) |
                                      (f.established ? decode::kFlowEstablished : 0));
}

void Scanner::InspectPseudo(flow::Flow& f, const stream::StreamChunk& chunk, output::EvePacketSource source) {
  // A packet in the chunk's direction with no payload of its own, like
  // Suricata's stream pseudo packets; only stream matches can fire on it.
  capture::PacketView pv;
  decode::Packet p;
  MakePseudoPacket(f, chunk.to_server, pv, p);
  detect::StreamData sd = StreamDataFor(f, chunk, false);
  detect::FlowContext fc{&f.vars, &sd, /*pseudo=*/true};
  fc.app_proto = static_cast<app::AppProto>(f.app_proto);
  InspectAndLog(p, &f, fc, source);
}

// A transaction's parser anomalies, once, when it completes (anomalies a
// TLS session notes after its handshake completed are counted, not written).
void Scanner::LogAppAnomalies(const decode::Packet& p, const app::TxUpdate& u, const output::EveContext& ctx) {
  if (u.http) {
    for (app::http::Anomaly a : u.http->anomalies) eve_->WriteAnomaly(p, "applayer", app::http::AnomalyName(a), ctx);
  } else if (u.dns) {
    for (const auto& [a, offset] : u.dns->anomalies) {
      eve_->WriteAnomaly(p, "applayer", app::dns::AnomalyName(a), ctx);
    }
  } else if (u.tls) {
    for (const auto& [a, offset] : u.tls->anomalies) {
      eve_->WriteAnomaly(p, "applayer", app::tls::AnomalyName(a), ctx);
    }
  }
}

void Scanner::InspectTransactions(flow::Flow& f, const decode::Packet* packet, const detect::FlowContext& fc,
                                  output::EvePacketSource source) {
  if (app_.updates().empty()) return;
  detect::FlowContext tx_fc = fc;
  tx_fc.vars = &f.vars;
  tx_fc.app_proto = static_cast<app::AppProto>(f.app_proto);
  capture::PacketView pv;
  decode::Packet pseudo;
  for (const app::TxUpdate& u : app_.updates()) {
    const decode::Packet* p = packet;
    if (!p) {
      MakePseudoPacket(f, u.flow_to_server, pv, pseudo);
      p = &pseudo;
      tx_fc.stream = nullptr;
      tx_fc.pseudo = true;
    }
    // No transaction rule: nothing to build a view for (intel and EVE read
    // the transaction itself).
    if (engine_->stats().tx_rules > 0) {
      app_.FillView(u, &tx_view_);
      detect_->InspectTx(*p, tx_fc, tx_view_, *u.state, alerts_buffer_);
    } else {
      alerts_buffer_.clear();
    }
    output::EveContext ctx = ContextFor(*p, &f, source);
    ctx.app_proto = app::AppProtoName(u.proto);
    ctx.tx = &u;
    LogAlerts(*p, ctx);
    if (intel_.active()) LogIntel(*p, intel_.OnTransaction(f, u), ctx);
    const bool log = (u.proto == app::AppProto::kHttp && options_.log_http) ||
                     (u.proto == app::AppProto::kDns && options_.log_dns) ||
                     (u.proto == app::AppProto::kTls && options_.log_tls);
    if (u.completed && log && eve_) eve_->WriteTransaction(*p, u, ctx);
    if (u.completed && options_.log_anomaly && eve_) LogAppAnomalies(*p, u, ctx);
    if (u.completed && u.http && options_.log_fileinfo && eve_) {
      if (u.http->request_body_bytes > 0) eve_->WriteFileinfo(*p, u, false, ctx);
      if (u.http->response_body_bytes > 0) eve_->WriteFileinfo(*p, u, true, ctx);
    }
  }
}

// Packet rules (`alert http ...`, app-layer-protocol on a packet rule) see a
// TCP flow's protocol as Suricata's IDS mode does: a direction's bytes are
// parsed when the other side acknowledges them, so the protocol shows on the
// first packet from the other side once the session is established, and on
// every packet after it, never on the packet whose bytes revealed it.
// Transactions are still parsed at once (their rules need the bytes).
app::AppProto Scanner::PacketAppProto(flow::Flow& f, bool to_server, bool established) {
  const auto proto = static_cast<app::AppProto>(f.app_proto);
  if (f.key.proto != 6 || proto == app::AppProto::kUnknown || f.app_proto_visible) return proto;
  if (f.app_revealed_by != 0 && established && (f.app_revealed_by == 1) != to_server) {
    f.app_proto_visible = true;
    return proto;
  }
  return app::AppProto::kUnknown;
}

void Scanner::OnFlowEnd(flow::Flow& f, flow::FlowEnd why) {
  // Flows ending on a tick (or at the end) are ordered by flow id across
  // workers; one ending inside a packet's work belongs to that packet.
  const bool tag = tagger_ && in_tick_;
  if (tag) tagger_->FlowEnding(f.id);
  if (f.key.proto == 6) {
    // Finish releases the session; its chunks live until the next call into
    // the reassembler, which nothing here makes.
    for (const stream::StreamChunk& chunk : tcp_.Finish(f)) {
      if (observer_ && chunk.has_new()) observer_->OnChunk(f, chunk);
      app_.OnTcpData(f, chunk.to_server, chunk.data + chunk.new_from, chunk.len - chunk.new_from, chunk.after_gap);
      InspectPseudo(f, chunk, output::EvePacketSource::kStreamFlowTimeout);
      InspectTransactions(f, nullptr, detect::FlowContext{}, output::EvePacketSource::kStreamFlowTimeout);
    }
  }
  if (observer_) observer_->OnFlowEnd(f);
  // Bodies read until close end here.
  app_.OnFlowEnd(f);
  InspectTransactions(f, nullptr, detect::FlowContext{}, output::EvePacketSource::kStreamFlowTimeout);
  app_.EndFlow(f);
  intel_.OnFlowEnd(f);
  for (auto& states : scan_states_) {
    if (f.slot < states.size()) states[f.slot].reset();
  }
  if (options_.log_flow && eve_) {
    // From the client to the server, at the flow's last packet time.
    capture::PacketView pv;
    decode::Packet p;
    MakePseudoPacket(f, true, pv, p);
    output::EveContext ctx;
    ctx.flow_id = f.id;
    if (f.app_proto != 0) ctx.app_proto = app::AppProtoName(static_cast<app::AppProto>(f.app_proto));
    eve_->WriteFlow(p, f, why, ctx);
  }
  if (tag) tagger_->FlowEnded();
}

void Scanner::HandleFragment(decode::Packet& packet) {
  // A reader thread reassembles fragments outside tunnels.
  if (reader_feeds_ && packet.tunnel_depth == 0) return;
  const int64_t ts = packet.view ? packet.view->ts_ns : 0;
  // A datagram found inside a reassembled datagram (fragments in a tunnel
  // in fragments) is left alone: the buffer is in use.
  if (in_datagram_) return;
  std::span<const uint8_t> datagram = defrag_.Add(packet, ts);
  if (datagram.empty()) return;
  HandleDatagram(packet, datagram);
}

void Scanner::HandleDatagram(const decode::Packet& packet, std::span<const uint8_t> datagram) {
  datagram_.assign(datagram.begin(), datagram.end());
  capture::PacketView dv = *packet.view;
  dv.linktype = capture::kLinkRaw;
  dv.data = datagram_.data();
  dv.caplen = dv.wirelen = static_cast<uint32_t>(datagram_.size());
  decode::Packet whole;
  if (decoder_.Decode(dv, whole) != decode::DecodeResult::kOk || whole.ip_version == 0) return;
  // The datagram travelled where its fragments did.
  whole.view = packet.view;
  whole.vlan_count = packet.vlan_count;
  whole.vlan_id = packet.vlan_id;
  whole.tunnel_depth = packet.tunnel_depth;
  whole.tunnel_type = packet.tunnel_type;
  whole.tunnel_id = packet.tunnel_id;
  whole.outer = packet.outer;
  in_datagram_ = true;
  Handle(whole, output::EvePacketSource::kDefrag);
  in_datagram_ = false;
}

void Scanner::Handle(decode::Packet& packet, output::EvePacketSource source) {
  if (packet.is_fragment) {
    // The fragment itself is inspected (fragbits, only_frag rules), then
    // reassembly may complete a datagram that is handled as a packet.
    InspectAndLog(packet, nullptr, detect::FlowContext{}, source);
    HandleFragment(packet);
    return;
  }
  const int64_t ts = packet.view ? packet.view->ts_ns : 0;
  flow::FlowLookup lookup = flows_.Process(packet, ts);
  if (lookup.flow && packet.has_tcp() && tcp_.IsNewSession(*lookup.flow, packet)) {
    // Port reuse: the old session is over, the SYN starts a new flow.
    flows_.EndFlow(*lookup.flow, flow::FlowEnd::kReused);
    lookup = flows_.Process(packet, ts);
  }
  detect::FlowContext fc;
  detect::StreamData own;
  const stream::StreamUpdate* update = nullptr;
  if (lookup.flow) {
    fc.vars = &lookup.flow->vars;
    // A segment whose checksum is known bad never reaches the stream: the
    // receiver dropped it, so its bytes must not stand for the real ones.
    if (packet.has_tcp() && !(verify_checksums_ && packet.l4_checksum_bad)) {
      update = &tcp_.Process(*lookup.flow, packet, lookup.to_server);
      if (update->own.has_new()) {
        const stream::StreamChunk& c = update->own;
        own = StreamDataFor(*lookup.flow, c, c.packet_payload_is_new);
        fc.stream = &own;
      }
    }
  }
  flow::FlowTable::MarkPacket(lookup, packet);
  if (update) {
    // TCP: the stream layer knows whether this packet counts as established.
    packet.flow_flags = static_cast<uint8_t>((packet.flow_flags & ~decode::kFlowEstablished) |
                                             (update->packet_established ? decode::kFlowEstablished : 0));
  }
  // The app layer parses before detection, as in Suricata: the packet that
  // carries a request's first bytes already belongs to an HTTP flow.
  bool app_updates = false;
  if (lookup.flow && update && update->own.has_new()) {
    const stream::StreamChunk& c = update->own;
    if (observer_) observer_->OnChunk(*lookup.flow, c);
    const uint8_t before = lookup.flow->app_proto;
    app_.OnTcpData(*lookup.flow, c.to_server, c.data + c.new_from, c.len - c.new_from, c.after_gap);
    if (before == 0 && lookup.flow->app_proto != 0) lookup.flow->app_revealed_by = c.to_server ? 1 : 2;
    app_updates = true;
  } else if (lookup.flow && packet.has_udp() && packet.payload_len > 0) {
    app_.OnUdp(*lookup.flow, lookup.to_server, packet.payload, packet.payload_len);
    app_updates = true;
  }
  if (lookup.flow) {
    fc.app_proto = PacketAppProto(*lookup.flow, lookup.to_server, update && update->packet_established);
  }
  if (lookup.created && intel_.active()) {
    // Addresses are checked once, on the packet that opened the flow.
    LogIntel(packet, intel_.OnFlowStart(*lookup.flow), ContextFor(packet, lookup.flow, source));
  }
  InspectAndLog(packet, lookup.flow, fc, source);
  if (app_updates) InspectTransactions(*lookup.flow, &packet, fc, source);
  if (update && update->other.has_new()) {
    const stream::StreamChunk& c = update->other;
    if (observer_) observer_->OnChunk(*lookup.flow, c);
    const uint8_t before = lookup.flow->app_proto;
    app_.OnTcpData(*lookup.flow, c.to_server, c.data + c.new_from, c.len - c.new_from, c.after_gap);
    // Bytes this packet acknowledged: seen by the packets that follow.
    if (before == 0 && lookup.flow->app_proto != 0) lookup.flow->app_proto_visible = true;
    InspectPseudo(*lookup.flow, update->other, output::EvePacketSource::kStreamDetectLog);
    InspectTransactions(*lookup.flow, nullptr, fc, output::EvePacketSource::kStreamDetectLog);
  }

  decode::Packet inner;
  if (decoder_.DecodeTunnel(packet, inner) == decode::DecodeResult::kOk && inner.ip_version != 0) {
    Handle(inner, output::EvePacketSource::kPacket);
  }
}

void Scanner::AddCountersTo(ScanCounters& t) const {
  AddCounts(t.decoder, decoder_.counters());
  AddCounts(t.flow, flows_.counters());
  AddCounts(t.stream, tcp_.counters());
  AddCounts(t.defrag, defrag_.counters());
  AddCounts(t.app, app_.counters());
  t.alerts += alerts_;
  t.intel_lookups += intel_.lookups();
  t.flow_memory += flow_memory();
  t.reassembly_memory += tcp_.reassembly_memory();
  const std::vector<uint64_t>& hits = detect_->rule_hits();
  if (t.rule_hits.size() < hits.size()) t.rule_hits.resize(hits.size());
  for (size_t i = 0; i < hits.size(); ++i) t.rule_hits[i] += hits[i];
}

void Scanner::SetWorkerMode(RecordTagger* tagger, Feed feed) {
  tagger_ = tagger;
  reader_feeds_ = tagger != nullptr && feed == Feed::kReader;
  detect_->set_defer_cross_flow_limits(tagger != nullptr);
}

void Scanner::Tick(int64_t now_ns) {
  // A worker fed by a reader gets ticks even without packets of its own:
  // it lets go of a replaced ruleset here too.
  MaybeSwapRules();
  in_tick_ = true;
  flows_.Expire(now_ns);
  in_tick_ = false;
  defrag_.Expire(now_ns);
}

void Scanner::set_verify_checksums(bool verify) {
  if (verify == verify_checksums_) return;
  verify_checksums_ = verify;
  decoder_.set_verify_checksums(verify);
}

void Scanner::ProcessDatagram(const capture::PacketView& last_fragment, std::span<const uint8_t> datagram,
                              uint8_t vlan_count, std::array<uint16_t, 2> vlan_id, std::string_view source_name) {
  // The fragment itself was counted and inspected where it was dispatched;
  // only what HandleDatagram copies from it is needed here.
  decode::Packet fragment;
  fragment.view = &last_fragment;
  fragment.vlan_count = vlan_count;
  fragment.vlan_id = vlan_id;
  view_ = &last_fragment;
  source_name_ = source_name;
  HandleDatagram(fragment, datagram);
  view_ = nullptr;
}

void Scanner::ProcessPacket(const capture::PacketView& view, std::string_view source_name) {
  MaybeSwapRules();
  if (!reader_feeds_ && clock_.Due(view.ts_ns)) Tick(view.ts_ns);
  decode::Packet packet;
  decode::DecodeResult result = decoder_.Decode(view, packet);
  if (summary_) {
    summary_->AddPacket(view.wirelen);
    if (progress_) progress_->Update(*summary_);
  }
  view_ = &view;
  source_name_ = source_name;
  if (packet.anomaly != decode::Packet::kNoAnomaly && options_.log_anomaly && eve_) {
    eve_->WriteAnomaly(packet, "decode", decode::AnomalyName(static_cast<decode::Anomaly>(packet.anomaly)),
                       ContextFor(packet, nullptr, output::EvePacketSource::kPacket));
  }
  if (result != decode::DecodeResult::kOk || packet.ip_version == 0) {
    view_ = nullptr;
    return;
  }
  Handle(packet, output::EvePacketSource::kPacket);
  view_ = nullptr;
  // After the packet: the verdict a packet helps reach applies from the
  // next one on, which a reader thread can tell each worker in advance.
  if (verify_checksums_ && !reader_feeds_) UpdateChecksumPolicy(packet);
}

void Scanner::Finish() {
  in_tick_ = true;
  flows_.EndAll();
  in_tick_ = false;
}

detect::StreamScanState* Scanner::ScanStateFor(const flow::Flow& f, bool to_server) {
  if (options_.stream_scan != StreamScan::kStreaming) return nullptr;
  auto& states = scan_states_[to_server ? 0 : 1];
  if (f.slot >= states.size()) states.resize(f.slot + 1);
  auto& state = states[f.slot];
  if (!state) state = std::make_unique<detect::StreamScanState>(&scan_memory_);
  return state.get();
}

detect::StreamData Scanner::StreamDataFor(const flow::Flow& f, const stream::StreamChunk& c, bool covers_packet) {
  detect::StreamData sd{c.data, c.len, c.new_from, covers_packet};
  sd.scan = ScanStateFor(f, c.to_server);
  sd.stream_offset = c.stream_offset;
  sd.after_gap = c.after_gap;
  return sd;
}

void Scanner::MaybeEmitStats(const capture::PacketSource& source) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_stats_) return;
  next_stats_ = now + stats_.interval;
  ScanCounters c;
  AddCountersTo(c);
  c.kernel = source.kernel_counts();
  stats_.emit(c);
}

absl::Status Scanner::Run(capture::PacketSource& source, RunControl* control) {
  capture::PacketView view;
  const bool periodic = stats_.interval.count() > 0 && stats_.emit;
  if (periodic) {
    if (next_stats_ == std::chrono::steady_clock::time_point{}) {
      next_stats_ = std::chrono::steady_clock::now() + stats_.interval;
    }
    source.set_idle_handler([this, &source] { MaybeEmitStats(source); });
  }
  uint32_t since_check = 0;
  for (;;) {
    if (control && control->stop.load(std::memory_order_relaxed)) break;
    absl::StatusOr<bool> more = source.Next(view);
    if (!more.ok()) {
      source.set_idle_handler(nullptr);
      return more.status();
    }
    if (!*more) break;
    // Checked after the wait so a reopen asked for while idle applies to the
    // very next record.
    if (control && control->reopen_output.exchange(false, std::memory_order_relaxed) && eve_) {
      absl::Status s = eve_->Reopen();
      if (!s.ok() && summary_) summary_->AddError(std::string(s.message()));
    }
    ProcessPacket(view, source.name());
    if (periodic && ++since_check % 64 == 0) MaybeEmitStats(source);
  }
  source.set_idle_handler(nullptr);
  return absl::OkStatus();
}

}  // namespace kagami::pipeline
