#pragma once
// Reloader: rule and feed reload for a running sensor. A reload re-reads
// the rules, thresholds and feeds with the options the sensor started with,
// builds the new engine and indicator store on its own thread while the
// workers keep inspecting with the old ones, and publishes them in the
// RulesetSlot the scanners follow (engine/pipeline/ruleset.h). A set that
// fails to load is rejected with its diagnostics on stderr, and the old one
// stays: options or files that cannot be read, a bad threshold file, any
// rule error under --strict, or more rule errors than the set in use has
// (an edit broke a rule; rules the engine never supported do not block a
// reload). Asked for by SIGUSR2 (RequestFromSignal) or `kagami ctl reload`
// (ReloadAndWait); reloads run one at a time, in order.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "cli/engine_setup.h"
#include "cli/intel_options.h"
#include "engine/pipeline/ruleset.h"

namespace kagami::cli {

// One ruleset (or one attempt at one), as logged and as `kagami ctl
// ruleset` reports it.
struct RulesetInfo {
  bool ok = false;
  uint64_t number = 0;  // 1: loaded at start; each reload attempt the next
  size_t rules = 0, indicators = 0;
  size_t rule_errors = 0;  // rules that did not load (diagnostics of error severity)
  double seconds = 0;   // loading and compiling
  std::string digest;   // SHA-256 over the sources' paths and contents
  std::string at;       // when, ISO 8601 UTC
  std::string error;    // a failed attempt: why

  // {"ok":...,"number":...,"rules":...,...} (one JSON object).
  std::string Json() const;
};

// SHA-256 (hex) over the rule files (directories expanded to their *.rules,
// in path order), the threshold and classification files and the feeds:
// what a reload read, so two sensors can tell whether they run the same.
std::string SourcesDigest(const RuleOptions& rules, const IntelArgs& intel);

class Reloader {
 public:
  // `initial` describes the ruleset already published in `slot`.
  Reloader(RuleOptions rules, IntelArgs intel, pipeline::RulesetSlot* slot, RulesetInfo initial);
  ~Reloader();
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // Async-signal-safe: one atomic store, seen by the reload thread within
  // 100 ms.
  void RequestFromSignal() { signalled_.store(true, std::memory_order_relaxed); }
  // Reloads (on the reload thread, after any reload already asked for) and
  // returns its outcome.
  RulesetInfo ReloadAndWait();
  // The ruleset in use, and the last attempt (the same after a success).
  RulesetInfo current() const;
  RulesetInfo last_attempt() const;
  // Reloads refused so far.
  uint64_t refused() const;

 private:
  void Loop();
  RulesetInfo Reload(uint64_t number);

  RuleOptions rules_;
  IntelArgs intel_;
  pipeline::RulesetSlot* slot_;
  std::atomic<bool> signalled_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t asked_ = 0, done_ = 0;  // reloads requested and finished
  uint64_t refused_ = 0;
  bool stop_ = false;
  RulesetInfo current_, last_;
  // The ruleset a reload replaced, until the last scanner lets go of it:
  // then its memory goes back to the system (malloc_trim), or a sensor
  // would keep the high-water mark of two rulesets for good.
  std::weak_ptr<const detect::DetectEngine> retiring_engine_;
  std::weak_ptr<const intel::IntelStore> retiring_intel_;
  bool trim_pending_ = false;
  std::thread thread_;
};

}  // namespace kagami::cli
