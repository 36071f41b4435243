#pragma once
// Lowers one rules::Rule into a CompiledRule: protocol -> packet classes,
// header matchers, steps with resolved byte_extract slots, compiled PCREs,
// the fast pattern choice, and the backtracking hints.

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/detect/compiled_rule.h"
#include "engine/detect/pcre_matcher.h"
#include "rules/rule.h"

namespace kagami::detect {

struct FastPattern {
  std::string bytes;  // after fast_pattern chop
  bool nocase = false;
  size_t step = 0;  // index into CompiledRule::steps
  app::BufferId buffer = app::kBufPacket;
};

struct RuleCompileResult {
  CompiledRule rule;
  std::optional<FastPattern> fast_pattern;  // none: a non-prefilter rule
  // A transaction rule's packet (stream) steps have their own prefilter:
  // they are checked on each stream chunk while the transaction is open
  // (see DetectContextImpl::RecordStreamParts). None: checked on every chunk.
  std::optional<FastPattern> stream_fast_pattern;
  bool waiting_for_app_layer = false;
};

// Maps a rule protocol to packet classes; false for protocols only an app
// layer can decide (http, dns, tls, ...).
bool ProtocolClasses(const std::string& protocol, ClassMask* classes);

// Flowbit (and, separately, flowint) names interned to indices, shared by
// every rule of an engine.
using FlowbitNames = absl::flat_hash_map<std::string, uint32_t>;
struct FlowVarNames {
  FlowbitNames bits, ints;
};

// `pcre_codes` receives the compiled regexes (the CompiledRule points into
// them), taken from `batch` when given (compiled ahead), else compiled here;
// `names` interns the rule's flowbit and flowint names.
absl::StatusOr<RuleCompileResult> CompileRule(const rules::Rule& rule,
                                              std::vector<PcreCodePtr>* pcre_codes,
                                              FlowVarNames* names, PcreBatch* batch = nullptr);

}  // namespace kagami::detect
