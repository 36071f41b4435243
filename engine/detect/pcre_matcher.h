#pragma once
// PCRE2 for verification: compile + JIT once per rule (engine-owned), and a
// per-context PcreMatcher holding preallocated match data, match contexts
// with the configured limits, and a JIT stack, so a match never allocates.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "rules/rule.h"

namespace kagami::detect {

struct PcreCodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
using PcreCodePtr = std::unique_ptr<pcre2_code, PcreCodeDeleter>;

// Compiles a rule's pcre (flags from compile_options plus i/s/m/x letters).
absl::StatusOr<PcreCodePtr> CompilePcre(const rules::PcreOption& option);

// Every pcre of a rule set compiled ahead on several threads (compile and
// JIT are a tenth of loading ET Open and each regex is independent);
// CompileRule takes each one's result from here. Keyed by the option's
// address: the rules must stay where they are until every code is taken.
class PcreBatch {
 public:
  PcreBatch(const std::vector<rules::Rule>& rules, unsigned threads);
  // The result for `option`, moved out; CompilePcre's when it was not in
  // the batch.
  absl::StatusOr<PcreCodePtr> Take(const rules::PcreOption& option);

 private:
  std::vector<const rules::PcreOption*> options_;  // in rule order
  std::vector<absl::StatusOr<PcreCodePtr>> results_;
  std::vector<bool> taken_;
  absl::flat_hash_map<const rules::PcreOption*, size_t> index_;
};

class PcreMatcher {
 public:
  PcreMatcher(uint32_t match_limit, uint32_t depth_limit);
  ~PcreMatcher();
  PcreMatcher(const PcreMatcher&) = delete;
  PcreMatcher& operator=(const PcreMatcher&) = delete;

  // Searches subject[start, len). On a match sets [*mstart, *mend) relative
  // to `subject`. Errors (limits hit) count as no match and are counted.
  bool Match(const pcre2_code* code, const uint8_t* subject, size_t len, size_t start,
             bool unlimited, size_t* mstart, size_t* mend);
  uint64_t limit_hits() const { return limit_hits_; }

 private:
  pcre2_match_data* md_ = nullptr;
  pcre2_match_context* limited_ = nullptr;
  pcre2_match_context* unlimited_ = nullptr;
  pcre2_jit_stack* jit_stack_ = nullptr;
  uint64_t limit_hits_ = 0;
};

}  // namespace kagami::detect
