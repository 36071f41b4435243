#pragma once
// ChecksumPolicy: Suricata's "auto" checksum mode for capture files. Validate
// checksums, but sample the first kSample IP packets and give up validating
// when more than 1 in kBadRatio of them were bad: such a capture was taken
// with checksum offloading and every packet would be lost. The scanner keeps
// one; with several workers the reader keeps it and tells each packet's
// worker the verdict, so the decision is the same for any number of workers.

#include <cstdint>

#include "engine/decode/packet.h"

namespace kagami::pipeline {

class ChecksumPolicy {
 public:
  static constexpr uint64_t kSample = 1000;
  static constexpr uint64_t kBadRatio = 10;

  explicit ChecksumPolicy(bool verify) : verify_(verify) {}
  bool verify() const { return verify_; }
  // Still looking at packets: only then does a decode made for the policy
  // alone need to verify checksums.
  bool sampling() const { return verify_ && sampled_ < kSample; }
  // Call with each captured packet decoded while verify() holds.
  void Observe(const decode::Packet& packet) {
    if (!verify_ || sampled_ >= kSample || packet.ip_version == 0) return;
    ++sampled_;
    if (packet.ip_checksum_bad || packet.l4_checksum_bad) ++bad_;
    if (sampled_ == kSample && bad_ * kBadRatio > kSample) verify_ = false;
  }

 private:
  bool verify_;
  uint64_t sampled_ = 0, bad_ = 0;
};

}  // namespace kagami::pipeline
