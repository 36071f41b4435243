#pragma once
// The generator's top level: benign sessions from a mix until a size or a
// session count is reached, C2 sessions of the requested families injected at
// positions the seed fixes, all written through one SessionWriter into a
// capture file. The same options (seed included) write the same bytes.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/gen/benign_traffic.h"
#include "tools/gen/capture_writer.h"

namespace kagami::gen {

struct InjectSpec {
  std::string family;  // a C2Family name
  uint64_t count = 1;  // exchanges of it to inject
};

struct GeneratorOptions {
  uint64_t seed = 1;
  // Stop adding benign sessions once the file reaches about this size
  // (0: no size target) or this many benign sessions (0: no count target);
  // with both, whichever comes first.
  uint64_t target_bytes = 0;
  uint64_t sessions = 0;
  TrafficMix mix;
  std::vector<InjectSpec> inject;
  bool inject_only = false;   // no benign traffic at all
  double ipv6_fraction = 0;   // of benign sessions; C2 stays on IPv4 HOME_NET
  uint32_t mss = 1460;
  bool random_splits = false;
  size_t concurrency = 16;
  int64_t start_ns = int64_t{1'700'000'000} * 1'000'000'000;  // 2023-11-14
};

// Checks ranges and family names; the message names the bad option.
absl::Status ValidateOptions(const GeneratorOptions& options);

struct GeneratorSummary {
  uint64_t packets = 0;
  uint64_t bytes = 0;     // of the capture file
  uint64_t sessions = 0;
  std::map<std::string, uint64_t> sessions_by_label;  // "benign/http", "c2/datper", ...
  int64_t first_ns = 0, last_ns = 0;                  // packet time span
};

// Writes the capture into `out` (which is left open; the caller closes it).
absl::StatusOr<GeneratorSummary> Generate(const GeneratorOptions& options, CaptureWriter& out);

}  // namespace kagami::gen
