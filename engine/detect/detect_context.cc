// DetectContextImpl: one worker's mutable detection state and the per-packet
// pipeline: classify -> collect candidates (Hyperscan fast patterns, address
// index, always-check list; deduplicated by generation stamps) -> verify each
// candidate -> order, threshold and pass handling -> alerts.

#include <algorithm>

#include "engine/detect/detect_engine_impl.h"
#include "engine/detect/header_match.h"
#include "engine/detect/step_matcher.h"
#include "engine/detect/stream_prefilter.h"
#include "engine/detect/threshold.h"

namespace kagami::detect {
namespace {

const uint8_t kEmptyBuffer[1] = {0};

class DetectContextImpl final : public DetectContext {
 public:
  explicit DetectContextImpl(std::shared_ptr<const DetectEngineImpl> engine)
      : engine_(std::move(engine)),
        pcre_(engine_->options_.pcre_match_limit, engine_->options_.pcre_depth_limit) {
    const size_t n = engine_->compiled_.size();
    stamps_.assign(n, 0);
    candidates_.reserve(n);
    matched_.reserve(n);
    hits_.assign(n, 0);
    vars_.assign(std::max<size_t>(engine_->max_vars_, 1), 0);
    if (engine_->scratch_prototype_) {
      hs_scratch_t* s = nullptr;
      if (hs_clone_scratch(engine_->scratch_prototype_.get(), &s) == HS_SUCCESS) scratch_.reset(s);
    }
  }

  void Inspect(const decode::Packet& packet, const FlowContext& flow, std::vector<Alert>& out) override;
  void InspectTx(const decode::Packet& packet, const FlowContext& flow, const app::TxView& view,
                 app::TxInspectState& state, std::vector<Alert>& out) override;
  const std::vector<uint64_t>& rule_hits() const override { return hits_; }
  void set_defer_cross_flow_limits(bool defer) override { defer_cross_flow_ = defer; }
  void AdoptFrom(DetectContext& previous) override;

 private:
  void AddCandidate(uint32_t r) {
    if (stamps_[r] == generation_) return;
    stamps_[r] = generation_;
    candidates_.push_back((static_cast<uint64_t>(engine_->compiled_[r].order) << 32) | r);
  }
  static int OnHsMatch(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
    OfferPattern(id, ctx);
    return 0;
  }
  static void OfferPattern(unsigned id, void* ctx) {
    auto* self = static_cast<DetectContextImpl*>(ctx);
    for (uint32_t r : self->scanning_->RulesFor(id)) self->AddCandidate(r);
  }
  void Scan(const PrefilterDatabase& db, const uint8_t* data, size_t len) {
    if (!db.db() || !scratch_ || len == 0) return;
    scanning_ = &db;
    hs_scan(db.db(), reinterpret_cast<const char*>(data), static_cast<unsigned>(len), 0, scratch_.get(),
            &DetectContextImpl::OnHsMatch, this);
  }
  void NextGeneration() {
    if (++generation_ == 0) {  // wrapped: stale stamps could alias
      std::fill(stamps_.begin(), stamps_.end(), 0);
      generation_ = 1;
    }
    candidates_.clear();
  }
  bool Verify(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f, const FlowContext& flow);
  bool VerifyTx(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f, const FlowContext& flow,
                const app::TxView& view, bool stream_part_matched);
  void RecordStreamParts(const decode::Packet& p, const PacketFacts& f, const FlowContext& flow,
                         const app::TxView& view, app::TxInspectState& state);
  bool MatchPacketSteps(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f,
                        const FlowContext& flow);
  bool MatchBuffer(std::span<const CompiledStep> steps, const uint8_t* data, uint32_t len, int64_t min_end);
  bool MatchFlowVars(const CompiledRule& r, const FlowContext& flow) const;
  void ApplyActions(const CompiledRule& r, const FlowContext& flow, uint64_t key);
  void EmitAlerts(const decode::Packet& packet, std::vector<Alert>& out);
  bool CheckFlowbits(const CompiledRule& r, const flow::FlowVars& vars) const;
  void ApplyFlowbits(const CompiledRule& r, flow::FlowVars& vars) const;
  bool CheckFlowints(const CompiledRule& r, const flow::FlowVars& vars) const;
  void ApplyFlowints(const CompiledRule& r, flow::FlowVars& vars) const;
  void AdoptVars(flow::FlowVars& vars) const;
  // Variables of the previous engine (AdoptFrom), renamed to this one's.
  void Translate(flow::FlowVars& vars) const;
  void Translate(app::TxInspectState& state) const;
  Alert::Deferred CheckThresholds(uint32_t r, const decode::Packet& p, bool* pass);

  std::shared_ptr<const DetectEngineImpl> engine_;
  HsScratchPtr scratch_;
  PcreMatcher pcre_;
  ThresholdTracker thresholds_;
  bool defer_cross_flow_ = false;
  std::vector<uint32_t> stamps_;
  uint32_t generation_ = 0;
  std::vector<uint64_t> candidates_;  // (alert order rank << 32) | rule index
  std::vector<uint64_t> matched_;     // the same, for rules that matched
  std::vector<uint64_t> hits_;
  std::vector<int64_t> vars_;
  PacketClass cls_ = kClassOtherIp;
  const PrefilterDatabase* scanning_ = nullptr;
  StreamPrefilter stream_prefilter_;
  std::vector<uint32_t> still_pending_;
  // Transaction rules whose stream-part literal the last Inspect found in
  // its stream chunk (`parts_`), for RecordStreamParts on the same packet.
  struct PartsChunk {
    const uint8_t* data = nullptr;
    uint32_t len = 0, new_from = 0;
    bool valid = false;
  };
  PartsChunk parts_;
  std::vector<uint32_t> stream_part_candidates_;
  // AdoptFrom: the previous engine's generation (0: none) and its rule,
  // flowbit and flowint numbers in this engine (kGone: no longer here).
  static constexpr uint32_t kGone = UINT32_MAX;
  uint64_t previous_generation_ = 0;
  std::vector<uint32_t> rule_map_, bit_map_, int_map_;
};

// old index -> new index for names interned in both maps.
std::vector<uint32_t> MapNames(const FlowbitNames& from, const FlowbitNames& to, uint32_t gone) {
  std::vector<uint32_t> map(from.size(), gone);
  for (const auto& [name, index] : from) {
    if (index >= map.size()) map.resize(index + 1, gone);
    if (auto it = to.find(name); it != to.end()) map[index] = it->second;
  }
  return map;
}

void DetectContextImpl::AdoptFrom(DetectContext& previous_base) {
  auto& previous = static_cast<DetectContextImpl&>(previous_base);
  const DetectEngineImpl& old_engine = *previous.engine_;
  thresholds_ = std::move(previous.thresholds_);
  previous_generation_ = old_engine.generation_;
  absl::flat_hash_map<uint64_t, uint32_t> by_key;
  by_key.reserve(engine_->rules_.size());
  for (uint32_t i = 0; i < engine_->rules_.size(); ++i) by_key.emplace(RateKeyOf(engine_->rules_[i]), i);
  rule_map_.assign(old_engine.rules_.size(), kGone);
  for (uint32_t i = 0; i < old_engine.rules_.size(); ++i) {
    if (auto it = by_key.find(RateKeyOf(old_engine.rules_[i])); it != by_key.end()) {
      rule_map_[i] = it->second;
      if (i < previous.hits_.size()) hits_[it->second] += previous.hits_[i];
    }
  }
  bit_map_ = MapNames(old_engine.flow_var_names_.bits, engine_->flow_var_names_.bits, kGone);
  int_map_ = MapNames(old_engine.flow_var_names_.ints, engine_->flow_var_names_.ints, kGone);
}

void DetectContextImpl::Translate(flow::FlowVars& vars) const {
  std::vector<uint64_t> bits;
  for (size_t w = 0; w < vars.bits.size(); ++w) {
    for (uint64_t word = vars.bits[w]; word != 0; word &= word - 1) {
      const size_t old_bit = w * 64 + static_cast<size_t>(__builtin_ctzll(word));
      const uint32_t bit = old_bit < bit_map_.size() ? bit_map_[old_bit] : kGone;
      if (bit == kGone) continue;
      if (bit / 64 >= bits.size()) bits.resize(bit / 64 + 1, 0);
      bits[bit / 64] |= uint64_t{1} << (bit % 64);
    }
  }
  vars.bits = std::move(bits);
  size_t kept = 0;
  for (const auto& [var, value] : vars.ints) {
    const uint32_t to = var < int_map_.size() ? int_map_[var] : kGone;
    if (to != kGone) vars.ints[kept++] = {to, value};
  }
  vars.ints.resize(kept);
  vars.generation = engine_->generation_;
}

void DetectContextImpl::Translate(app::TxInspectState& state) const {
  auto rename = [&](std::vector<uint32_t>& rules) {
    size_t kept = 0;
    for (uint32_t r : rules) {
      const uint32_t to = r < rule_map_.size() ? rule_map_[r] : kGone;
      if (to != kGone) rules[kept++] = to;
    }
    rules.resize(kept);
  };
  rename(state.done);
  for (auto& m : state.stream_matched) rename(m);
  // Waiting rules and scanned buffers are found again with this engine's
  // patterns; the indicator stages checked stay checked.
  state.pending.clear();
  state.scanned = {};
  state.always_checked = false;
  state.engine_generation = engine_->generation_;
}

bool AppProtoMatches(const CompiledRule& r, app::AppProto flow_proto) {
  if (r.app_proto == app::AppProto::kUnknown) return true;
  if (r.app_proto_negated) return flow_proto != app::AppProto::kUnknown && flow_proto != r.app_proto;
  return flow_proto == r.app_proto;
}

std::span<const CompiledStep> GroupSteps(const CompiledRule& r, const StepGroup& g) {
  return std::span<const CompiledStep>(r.steps.data() + g.first, g.count);
}

bool DetectContextImpl::MatchBuffer(std::span<const CompiledStep> steps, const uint8_t* data, uint32_t len,
                                    int64_t min_end) {
  StepMatchState st;
  st.buf = data ? data : kEmptyBuffer;
  st.len = data ? len : 0;
  st.vars = vars_.data();
  st.pcre = &pcre_;
  st.budget = kStepBudget;
  st.min_end = min_end;
  return MatchSteps(steps, st);
}

bool DetectContextImpl::MatchFlowVars(const CompiledRule& r, const FlowContext& flow) const {
  if (r.flowbit_checks.empty() && r.flowbit_actions.empty() && r.flowint_checks.empty() &&
      r.flowint_actions.empty()) {
    return true;
  }
  // Suricata: flow variables need a flow; without one the rule cannot match.
  if (!flow.vars) return false;
  if (!r.flowbit_checks.empty() && !CheckFlowbits(r, *flow.vars)) return false;
  if (!r.flowint_checks.empty() && !CheckFlowints(r, *flow.vars)) return false;
  return true;
}

// The rule's packet steps (its first group when on the packet buffer) on the
// packet payload or on the new stream data.
bool DetectContextImpl::MatchPacketSteps(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f,
                                         const FlowContext& flow) {
  const bool stream = flow.stream && flow.stream->has_new() && !r.forbid_stream && f.cls == kClassTcp;
  if (!r.has_packet_steps()) return !flow.pseudo && (!r.require_stream || stream);
  const std::span<const CompiledStep> steps = GroupSteps(r, r.groups.front());
  if (!r.require_stream && !flow.pseudo && MatchBuffer(steps, p.payload, p.payload_len, -1)) return true;
  return stream && MatchBuffer(steps, flow.stream->data, flow.stream->len, flow.stream->new_from);
}

bool DetectContextImpl::Verify(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f,
                               const FlowContext& flow) {
  if (r.tx_rule || !MatchRuleHeader(r, p, f)) return false;
  if (!AppProtoMatches(r, flow.app_proto)) return false;
  if (!MatchFlowVars(r, flow)) return false;
  return MatchPacketSteps(r, p, f, flow);
}

bool DetectContextImpl::VerifyTx(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f,
                                 const FlowContext& flow, const app::TxView& view, bool stream_part_matched) {
  if (!MatchRuleHeader(r, p, f) || !MatchFlowVars(r, flow)) return false;
  for (const StepGroup& g : r.groups) {
    if (g.buffer == app::kBufPacket) continue;
    bool any = false;
    for (const app::BufferSpan& b : view.Get(g.buffer)) {
      if (MatchBuffer(GroupSteps(r, g), b.data, b.len, -1)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (!r.has_packet_steps() || stream_part_matched) return true;
  // Packet steps not seen on an earlier chunk look at the packet (or stream
  // data) that completed the transaction's buffers.
  FlowContext packet_only = flow;
  packet_only.pseudo = false;
  return MatchPacketSteps(r, p, f, flow.pseudo ? FlowContext{} : packet_only);
}

// A transaction rule's packet steps (`content:"x"; file.data; content:"y";`)
// match raw stream bytes, which the reassembler keeps only a short lookback
// of, while the rule can only be decided once its buffers are final, often
// many packets later. So each stream chunk in the transaction's direction is
// checked for the stream parts of the rules that could still fire on this
// transaction (their literals are in the TCP database, so the packet's own
// scan of the chunk in Inspect found them), and a match is kept in its state (Suricata keeps its stream
// inspection engine's match per transaction the same way).
void DetectContextImpl::RecordStreamParts(const decode::Packet& p, const PacketFacts& f, const FlowContext& flow,
                                          const app::TxView& view, app::TxInspectState& state) {
  const DetectEngineImpl& e = *engine_;
  if (e.stats_.tx_stream_rules == 0) return;
  // A stream part with no literal (a lone pcre, byte_test) would cost a
  // regex run over every chunk; those are checked on the completing packet
  // only (VerifyTx), as before.
  if (flow.pseudo || !flow.stream || !flow.stream->has_new() || f.cls != kClassTcp) return;
  // The chunk is in the packet's direction; the transaction's side must be it.
  if (((p.flow_flags & decode::kFlowToServer) != 0) != view.to_server()) return;
  const StreamData& sd = *flow.stream;
  if (!(parts_.valid && parts_.data == sd.data && parts_.len == sd.len && parts_.new_from == sd.new_from)) {
    // Not the chunk Inspect scanned for this packet: scan it here.
    NextGeneration();
    Scan(e.prefilter_[kClassTcp], sd.data, sd.len);
    parts_ = PartsChunk{sd.data, sd.len, sd.new_from, true};
    stream_part_candidates_.clear();
    for (uint64_t key : candidates_) {
      if (e.compiled_[static_cast<uint32_t>(key)].tx_rule) stream_part_candidates_.push_back(static_cast<uint32_t>(key));
    }
  }
  const uint8_t side = view.to_server() ? app::kSideToServer : app::kSideToClient;
  std::vector<uint32_t>& matched = state.stream_matched[view.to_server() ? 0 : 1];
  auto check = [&](uint32_t r) {
    const CompiledRule& cr = e.compiled_[r];
    if (!(cr.tx_sides & side) || !AppProtoMatches(cr, view.proto())) return;
    // Buffers all final: the rule is decided on this packet, whose chunk
    // VerifyTx looks at itself (most requests: one packet).
    if ((cr.tx_buffers & ~view.ready_mask()) == 0) return;
    if (std::find(matched.begin(), matched.end(), r) != matched.end() ||
        std::find(state.done.begin(), state.done.end(), r) != state.done.end()) {
      return;
    }
    if (MatchBuffer(GroupSteps(cr, cr.groups.front()), sd.data, sd.len, sd.new_from)) matched.push_back(r);
  };
  for (uint32_t r : stream_part_candidates_) check(r);
}

namespace {
bool BitSet(const flow::FlowVars& v, uint32_t bit) {
  return bit / 64 < v.bits.size() && (v.bits[bit / 64] >> (bit % 64)) & 1;
}
}  // namespace

bool DetectContextImpl::CheckFlowbits(const CompiledRule& r, const flow::FlowVars& vars) const {
  // Bits of another engine (before a reload) mean nothing to this one.
  const bool current = vars.generation == engine_->generation_;
  for (const FlowbitOp& op : r.flowbit_checks) {
    const bool want = op.command == rules::FlowbitsOption::Command::kIsSet;
    bool any = false, all = true;
    for (uint32_t b : op.bits) {
      const bool ok = (current && BitSet(vars, b)) == want;
      any |= ok;
      all &= ok;
    }
    if (!(op.any_of ? any : all)) return false;
  }
  return true;
}

void DetectContextImpl::AdoptVars(flow::FlowVars& vars) const {
  if (vars.generation != engine_->generation_) {
    vars.clear();
    vars.generation = engine_->generation_;
  }
}

namespace {
const int64_t* FindInt(const flow::FlowVars& v, uint32_t var) {
  for (const auto& [k, value] : v.ints) {
    if (k == var) return &value;
  }
  return nullptr;
}
int64_t* FindInt(flow::FlowVars& v, uint32_t var) {
  return const_cast<int64_t*>(FindInt(static_cast<const flow::FlowVars&>(v), var));
}
}  // namespace

bool DetectContextImpl::CheckFlowints(const CompiledRule& r, const flow::FlowVars& vars) const {
  const bool current = vars.generation == engine_->generation_;
  using Op = rules::FlowintOption::Op;
  for (const FlowintOp& op : r.flowint_checks) {
    const int64_t* have = current ? FindInt(vars, op.var) : nullptr;
    if (op.op == Op::kIsSet || op.op == Op::kIsNotSet) {
      if ((have != nullptr) != (op.op == Op::kIsSet)) return false;
      continue;
    }
    // A comparison with an unset variable (either side) does not match.
    if (!have) return false;
    int64_t want = op.value;
    if (op.value_var >= 0) {
      const int64_t* other = current ? FindInt(vars, static_cast<uint32_t>(op.value_var)) : nullptr;
      if (!other) return false;
      want = *other;
    }
    bool ok = false;
    switch (op.op) {
      case Op::kEq: ok = *have == want; break;
      case Op::kNe: ok = *have != want; break;
      case Op::kLt: ok = *have < want; break;
      case Op::kGt: ok = *have > want; break;
      case Op::kLe: ok = *have <= want; break;
      case Op::kGe: ok = *have >= want; break;
      default: break;
    }
    if (!ok) return false;
  }
  return true;
}

void DetectContextImpl::ApplyFlowints(const CompiledRule& r, flow::FlowVars& vars) const {
  AdoptVars(vars);
  using Op = rules::FlowintOption::Op;
  for (const FlowintOp& op : r.flowint_actions) {
    int64_t operand = op.value;
    if (op.value_var >= 0) {
      const int64_t* other = FindInt(vars, static_cast<uint32_t>(op.value_var));
      if (!other) continue;  // Suricata: nothing to add from an unset variable
      operand = *other;
    }
    int64_t* have = FindInt(vars, op.var);
    if (!have) {
      vars.ints.emplace_back(op.var, 0);
      have = &vars.ints.back().second;
    }
    switch (op.op) {
      case Op::kAssign: *have = operand; break;
      case Op::kAdd: *have += operand; break;
      case Op::kSub: *have -= operand; break;
      default: break;
    }
  }
}

void DetectContextImpl::ApplyFlowbits(const CompiledRule& r, flow::FlowVars& vars) const {
  AdoptVars(vars);
  using C = rules::FlowbitsOption::Command;
  for (const FlowbitOp& op : r.flowbit_actions) {
    for (uint32_t b : op.bits) {
      if (b / 64 >= vars.bits.size()) {
        if (op.command == C::kUnset) continue;
        vars.bits.resize(b / 64 + 1, 0);
      }
      const uint64_t mask = uint64_t{1} << (b % 64);
      switch (op.command) {
        case C::kSet: vars.bits[b / 64] |= mask; break;
        case C::kUnset: vars.bits[b / 64] &= ~mask; break;
        case C::kToggle: vars.bits[b / 64] ^= mask; break;
        default: break;
      }
    }
  }
}

// *pass: the alert may be logged (a pass rule: takes effect). The result
// says whether the rate limits were left to the caller instead.
Alert::Deferred DetectContextImpl::CheckThresholds(uint32_t r, const decode::Packet& p, bool* pass) {
  const rules::Rule& rule = engine_->rules_[r];
  const int64_t ts = p.view ? p.view->ts_ns : 0;
  // threshold.config suppressions come first (Suricata). A suppressed alert
  // is not logged but the rule's action still applies: a pass rule passes.
  const Suppressed suppressed =
      rule.suppressions.empty() ? Suppressed::kNo : CheckSuppressions(rule.suppressions, p);
  const bool is_pass = rule.action == rules::Action::kPass;
  if (suppressed == Suppressed::kByAddress) {
    *pass = is_pass;
    return Alert::Deferred::kNo;
  }
  const bool dropped_anyway = suppressed == Suppressed::kWholeRule && !is_pass;
  if (defer_cross_flow_ && CountsAcrossFlows(rule)) {
    *pass = true;
    return dropped_anyway ? Alert::Deferred::kRateLimitsSuppressed : Alert::Deferred::kRateLimits;
  }
  *pass = PassesRateLimits(thresholds_, rule, p, ts) && !dropped_anyway;
  return Alert::Deferred::kNo;
}

void DetectContextImpl::Inspect(const decode::Packet& packet, const FlowContext& flow, std::vector<Alert>& out) {
  out.clear();
  parts_.valid = false;
  stream_part_candidates_.clear();
  if (packet.ip_version == 0) return;
  const DetectEngineImpl& e = *engine_;
  // Flow variables set before a reload are renamed before any rule reads them.
  if (flow.vars && flow.vars->generation != e.generation_ && flow.vars->generation == previous_generation_ &&
      previous_generation_ != 0) {
    Translate(*flow.vars);
  }
  const PacketFacts facts = ClassifyPacket(packet);
  cls_ = facts.cls;

  NextGeneration();

  // Fast patterns of the packet, and of the stream chunk (all of it: a
  // rule's fast pattern may lie in the lookback while the rest of its match
  // arrives now; MatchSteps' min_end keeps old matches from alerting again).
  // With a StreamScanState the chunk's new bytes are scanned by the
  // direction's Hyperscan stream, which offers the same patterns (see
  // stream_prefilter.h). When the chunk's new bytes are the packet's
  // payload, the chunk's scan serves both.
  const PrefilterDatabase& db = e.prefilter_[cls_];
  const bool stream = cls_ == kClassTcp && flow.stream && flow.stream->has_new();
  if (packet.payload && !(stream && flow.stream->covers_packet)) Scan(db, packet.payload, packet.payload_len);
  if (stream) {
    const StreamData& sd = *flow.stream;
    parts_ = PartsChunk{sd.data, sd.len, sd.new_from, true};
    scanning_ = &db;
    if (!sd.scan || !stream_prefilter_.Scan(db, e.generation_, sd, scratch_.get(), &OfferPattern, this)) {
      Scan(db, sd.data, sd.len);
    }
  }
  const ClassMask bit = static_cast<ClassMask>(1u << cls_);
  if (!e.src_index_.empty()) {
    for (uint32_t r : e.src_index_.Lookup(facts.src)) {
      if (e.compiled_[r].classes & bit) AddCandidate(r);
    }
  }
  if (!e.dst_index_.empty()) {
    for (uint32_t r : e.dst_index_.Lookup(facts.dst)) {
      if (e.compiled_[r].classes & bit) AddCandidate(r);
    }
  }
  for (uint32_t r : e.always_[cls_]) AddCandidate(r);

  // Rules run in alert order, which puts flowbit setters before readers, so
  // a bit set by one rule is seen by the next on the same packet.
  std::sort(candidates_.begin(), candidates_.end());
  matched_.clear();
  for (uint64_t key : candidates_) {
    const uint32_t r = static_cast<uint32_t>(key);
    const CompiledRule& cr = e.compiled_[r];
    if (cr.tx_rule) {
      stream_part_candidates_.push_back(r);  // a stream-part literal: for RecordStreamParts
      continue;
    }
    if (Verify(cr, packet, facts, flow)) ApplyActions(cr, flow, key);
  }
  EmitAlerts(packet, out);
}

void DetectContextImpl::ApplyActions(const CompiledRule& cr, const FlowContext& flow, uint64_t key) {
  ++hits_[cr.index];
  if (!cr.flowbit_actions.empty()) ApplyFlowbits(cr, *flow.vars);
  if (!cr.flowint_actions.empty()) ApplyFlowints(cr, *flow.vars);
  if (!cr.noalert) matched_.push_back(key);
}

void DetectContextImpl::EmitAlerts(const decode::Packet& packet, std::vector<Alert>& out) {
  // Alert order: action (pass, drop, reject, alert), flowbits, priority,
  // sid. A pass rule that survives its thresholds ends inspection: nothing
  // ranked after it (every drop/reject/alert) is logged, and pass itself is
  // not logged.
  const DetectEngineImpl& e = *engine_;
  for (uint64_t key : matched_) {
    const uint32_t r = static_cast<uint32_t>(key);
    const CompiledRule& cr = e.compiled_[r];
    Alert::Deferred deferred = Alert::Deferred::kNo;
    if (cr.has_threshold) {
      bool pass = true;
      deferred = CheckThresholds(r, packet, &pass);
      if (!pass) continue;
    }
    const rules::Rule& rule = e.rules_[r];
    if (rule.action == rules::Action::kPass && deferred == Alert::Deferred::kNo) {
      out.clear();
      return;
    }
    out.push_back(Alert{&rule, r, deferred});
  }
}

void DetectContextImpl::InspectTx(const decode::Packet& packet, const FlowContext& flow, const app::TxView& view,
                                  app::TxInspectState& state, std::vector<Alert>& out) {
  out.clear();
  if (packet.ip_version == 0) return;
  const DetectEngineImpl& e = *engine_;
  if (state.engine_generation != e.generation_) {
    if (previous_generation_ != 0 && state.engine_generation == previous_generation_) {
      Translate(state);
    } else {
      state.Clear();
      state.engine_generation = e.generation_;
    }
  }
  if (flow.vars && flow.vars->generation != e.generation_ && flow.vars->generation == previous_generation_ &&
      previous_generation_ != 0) {
    Translate(*flow.vars);
  }
  const PacketFacts facts = ClassifyPacket(packet);
  cls_ = facts.cls;
  RecordStreamParts(packet, facts, flow, view, state);
  NextGeneration();

  // Candidates: rules waiting from earlier inspections of this transaction,
  // fast patterns in buffers that became final since, and (once) the rules
  // of this protocol without a fast pattern.
  for (uint32_t r : state.pending) AddCandidate(r);
  const int dir = view.to_server() ? 0 : 1;
  const uint64_t fresh = view.ready_mask() & ~state.scanned[dir];
  for (int b = 1; b < app::kNumBuffers; ++b) {
    if (!(fresh >> b & 1)) continue;
    for (const app::BufferSpan& span : view.Get(static_cast<app::BufferId>(b))) {
      Scan(e.tx_prefilter_[b], span.data, span.len);
    }
  }
  state.scanned[dir] |= fresh;
  if (!state.always_checked) {
    for (uint32_t r : e.tx_always_[static_cast<int>(view.proto())]) AddCandidate(r);
    state.always_checked = true;
  }

  std::sort(candidates_.begin(), candidates_.end());
  matched_.clear();
  still_pending_.clear();
  const uint8_t side = view.to_server() ? app::kSideToServer : app::kSideToClient;
  const std::vector<uint32_t>& stream_matched = state.stream_matched[view.to_server() ? 0 : 1];
  for (uint64_t key : candidates_) {
    const uint32_t r = static_cast<uint32_t>(key);
    const CompiledRule& cr = e.compiled_[r];
    if (std::find(state.done.begin(), state.done.end(), r) != state.done.end()) continue;
    // Not this direction, buffers not final yet, or not matching now: the
    // rule waits for the transaction's next update.
    if (!(cr.tx_sides & side) || (cr.tx_buffers & ~view.ready_mask()) != 0 ||
        !AppProtoMatches(cr, view.proto()) ||
        !VerifyTx(cr, packet, facts, flow, view,
                  std::find(stream_matched.begin(), stream_matched.end(), r) != stream_matched.end())) {
      still_pending_.push_back(r);
      continue;
    }
    state.done.push_back(r);
    ApplyActions(cr, flow, key);
  }
  state.pending.assign(still_pending_.begin(), still_pending_.end());
  EmitAlerts(packet, out);
}

}  // namespace

std::unique_ptr<DetectContext> DetectContext::Create(std::shared_ptr<const DetectEngine> engine) {
  auto impl = std::dynamic_pointer_cast<const DetectEngineImpl>(engine);
  if (!impl) return nullptr;
  return std::make_unique<DetectContextImpl>(std::move(impl));
}

}  // namespace kagami::detect
