#pragma once
// Ruleset: what the scanners match (the compiled rules and the indicator
// store), and RulesetSlot, where a rule reload publishes a new one. Every
// Scanner looks at the slot's version between packets (one atomic load) and
// takes the new ruleset when it changed (Scanner::SwapRules): workers keep
// inspecting with the old one while the new one is built elsewhere, and no
// packet is inspected half with one and half with the other. An old ruleset
// is freed when the last scanner has let go of it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "engine/detect/detect_engine.h"
#include "engine/intel/intel_store.h"

namespace kagami::pipeline {

struct Ruleset {
  std::shared_ptr<const detect::DetectEngine> engine;
  std::shared_ptr<const intel::IntelStore> intel;  // null: no indicators
  uint8_t digest_kinds = 0xff;                     // HTTP body digests allowed (Scanner::set_intel)
};

class RulesetSlot {
 public:
  // Makes `ruleset` the current one; scanners take it at their next packet.
  void Publish(Ruleset ruleset) {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::move(ruleset);
    version_.fetch_add(1, std::memory_order_release);
  }
  // Bumped by each Publish; cheap enough to read per packet.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  Ruleset Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

 private:
  mutable std::mutex mu_;
  Ruleset current_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace kagami::pipeline
