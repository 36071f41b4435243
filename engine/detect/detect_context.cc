// DetectContextImpl: one worker's mutable detection state and the per-packet
// pipeline: classify -> collect candidates (Hyperscan fast patterns, address
// index, always-check list; deduplicated by generation stamps) -> verify each
// candidate -> order, threshold and pass handling -> alerts.

#include <algorithm>

#include "engine/detect/detect_engine_impl.h"
#include "engine/detect/header_match.h"
#include "engine/detect/step_matcher.h"
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

  void Inspect(const decode::Packet& packet, std::vector<Alert>& out) override;
  const std::vector<uint64_t>& rule_hits() const override { return hits_; }

 private:
  void AddCandidate(uint32_t r) {
    if (stamps_[r] == generation_) return;
    stamps_[r] = generation_;
    candidates_.push_back(r);
  }
  static int OnHsMatch(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
    auto* self = static_cast<DetectContextImpl*>(ctx);
    for (uint32_t r : self->engine_->prefilter_[self->cls_].RulesFor(id)) self->AddCandidate(r);
    return 0;
  }
  bool Verify(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f);
  bool PassesThresholds(uint32_t r, const decode::Packet& p);

  std::shared_ptr<const DetectEngineImpl> engine_;
  HsScratchPtr scratch_;
  PcreMatcher pcre_;
  ThresholdTracker thresholds_;
  std::vector<uint32_t> stamps_;
  uint32_t generation_ = 0;
  std::vector<uint32_t> candidates_;
  std::vector<uint64_t> matched_;  // (alert order rank << 32) | rule index
  std::vector<uint64_t> hits_;
  std::vector<int64_t> vars_;
  PacketClass cls_ = kClassOtherIp;
};

bool DetectContextImpl::Verify(const CompiledRule& r, const decode::Packet& p, const PacketFacts& f) {
  if (!MatchRuleHeader(r, p, f)) return false;
  if (r.steps.empty()) return true;
  StepMatchState st;
  st.buf = p.payload ? p.payload : kEmptyBuffer;
  st.len = p.payload ? p.payload_len : 0;
  st.vars = vars_.data();
  st.pcre = &pcre_;
  st.budget = kStepBudget;
  return MatchSteps(r, st);
}

bool DetectContextImpl::PassesThresholds(uint32_t r, const decode::Packet& p) {
  const rules::Rule& rule = engine_->rules_[r];
  const int64_t ts = p.view ? p.view->ts_ns : 0;
  if (rule.detection_filter && !thresholds_.DetectionFilter(r, *rule.detection_filter, p, ts)) return false;
  if (rule.threshold && !thresholds_.Threshold(r, *rule.threshold, p, ts)) return false;
  return true;
}

void DetectContextImpl::Inspect(const decode::Packet& packet, std::vector<Alert>& out) {
  out.clear();
  if (packet.ip_version == 0) return;
  const DetectEngineImpl& e = *engine_;
  const PacketFacts facts = ClassifyPacket(packet);
  cls_ = facts.cls;

  if (++generation_ == 0) {  // wrapped: stale stamps could alias
    std::fill(stamps_.begin(), stamps_.end(), 0);
    generation_ = 1;
  }
  candidates_.clear();

  const hs_database_t* db = e.prefilter_[cls_].db();
  if (db && scratch_ && packet.payload && packet.payload_len > 0) {
    hs_scan(db, reinterpret_cast<const char*>(packet.payload), packet.payload_len, 0, scratch_.get(),
            &DetectContextImpl::OnHsMatch, this);
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

  matched_.clear();
  for (uint32_t r : candidates_) {
    const CompiledRule& cr = e.compiled_[r];
    if (!Verify(cr, packet, facts)) continue;
    ++hits_[r];
    if (!cr.noalert) matched_.push_back((static_cast<uint64_t>(cr.order) << 32) | r);
  }
  if (matched_.empty()) return;

  // Alert order: action (pass, drop, reject, alert), priority, sid. A pass
  // rule that survives its thresholds ends inspection: nothing ranked after
  // it (every drop/reject/alert) is logged, and pass itself is not logged.
  std::sort(matched_.begin(), matched_.end());
  for (uint64_t key : matched_) {
    const uint32_t r = static_cast<uint32_t>(key);
    const CompiledRule& cr = e.compiled_[r];
    if (cr.has_threshold && !PassesThresholds(r, packet)) continue;
    const rules::Rule& rule = e.rules_[r];
    if (rule.action == rules::Action::kPass) {
      out.clear();
      return;
    }
    out.push_back(Alert{&rule, r});
  }
}

}  // namespace

std::unique_ptr<DetectContext> DetectContext::Create(std::shared_ptr<const DetectEngine> engine) {
  auto impl = std::dynamic_pointer_cast<const DetectEngineImpl>(engine);
  if (!impl) return nullptr;
  return std::make_unique<DetectContextImpl>(std::move(impl));
}

}  // namespace kagami::detect
