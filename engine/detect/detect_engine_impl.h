#pragma once
// DetectEngineImpl: the compiled, immutable engine. Internal to engine/detect
// (the public face is DetectEngine); DetectContextImpl reads it directly.
//
// Per packet class (tcp, udp, icmpv4, icmpv6, other ip) the engine holds:
//  - a Hyperscan literal database of the fast patterns of every rule that
//    applies to the class (ip rules are in all five), and
//  - an "always check" list of non-prefilter rules whose addresses are too
//    wide to index.
// Non-prefilter rules with a selective address side sit in two global
// address indexes (by packet src, by packet dst) and are filtered by class.

#include <array>
#include <memory>
#include <vector>

#include "engine/detect/address_index.h"
#include "engine/detect/compiled_rule.h"
#include "engine/detect/detect_engine.h"
#include "engine/detect/pcre_matcher.h"
#include "engine/detect/prefilter.h"
#include "engine/detect/rule_compiler.h"

namespace kagami::detect {

inline constexpr int kNumAppProtos = static_cast<int>(app::AppProto::kFailed) + 1;

class DetectEngineImpl final : public DetectEngine {
 public:
  const std::vector<rules::Rule>& rules() const override { return rules_; }
  const CompileStats& stats() const override { return stats_; }
  const rules::IndicatorTuning* indicator_tuning() const override { return indicator_tuning_.get(); }

  // Address sets covering more than this many addresses are not indexed
  // (they would be replicated into too many index intervals).
  static constexpr double kMaxIndexedCoverage = 16777216.0;  // a /8

  std::vector<rules::Rule> rules_;
  std::shared_ptr<const rules::IndicatorTuning> indicator_tuning_;
  std::vector<CompiledRule> compiled_;
  std::vector<PcreCodePtr> pcre_codes_;
  FlowVarNames flow_var_names_;
  uint64_t generation_ = 0;  // distinguishes engines in flow variables
  std::array<PrefilterDatabase, kNumClasses> prefilter_;
  std::array<std::vector<uint32_t>, kNumClasses> always_;
  AddressIndex src_index_, dst_index_;
  // Transaction rules: per app buffer, a database of the fast patterns that
  // lie in it; per app protocol, the rules with no fast pattern.
  std::array<PrefilterDatabase, app::kNumBuffers> tx_prefilter_;
  std::array<std::vector<uint32_t>, kNumAppProtos> tx_always_;
  // (Transaction rules' packet steps, their stream part, have one literal
  // each in prefilter_[kClassTcp]; see RecordStreamParts.)
  HsScratchPtr scratch_prototype_;  // allocated for every database; cloned per context
  uint16_t max_vars_ = 0;
  DetectOptions options_;
  CompileStats stats_;
};

}  // namespace kagami::detect
