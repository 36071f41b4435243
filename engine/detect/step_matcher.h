#pragma once
// Verification of a rule's payload steps on one buffer, with Suricata's
// semantics: absolute offset/depth windows, distance/within relative to the
// previous match end, negation, byte_* keywords and variables, and bounded
// backtracking: when a step relative to a content/pcre match fails, that
// match is retried at its next occurrence.

#include <cstdint>
#include <span>

#include "engine/detect/compiled_rule.h"
#include "engine/detect/pcre_matcher.h"

namespace kagami::detect {

struct StepMatchState {
  const uint8_t* buf = nullptr;  // never null (empty buffers point at a static byte)
  int64_t len = 0;
  int64_t* vars = nullptr;       // byte_extract slots, at least rule.var_count
  PcreMatcher* pcre = nullptr;
  uint32_t budget = 0;           // remaining search attempts (recursion limit)
  // Stream chunks: bytes before min_end were inspected already, so a match
  // counts only if one of its content/pcre matches ends after min_end; the
  // search then tries later occurrences instead of stopping at the first.
  // -1: no constraint (packets).
  int64_t min_end = -1;
};

// Default per-rule search budget, as Suricata's inspection recursion limit.
inline constexpr uint32_t kStepBudget = 3000;

// Matches one group of a rule's steps (all on the same buffer) on st.buf.
bool MatchSteps(std::span<const CompiledStep> steps, StepMatchState& st);

}  // namespace kagami::detect
