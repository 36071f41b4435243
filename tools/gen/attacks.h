#pragma once
// Attack captures (`kagami-gen --attack KIND`): traffic aimed at a sensor's
// resources rather than at its signatures (floods that fill the flow and
// fragment tables, streams that make reassembly queue every byte, parsers
// fed lengths and pointers that lie, clocks that run backwards), each with a
// few legitimate HTTP sessions mixed in at the start, the middle and the end
// that a sensor must still alert on while under the attack.
//
// Like the rest of the generator, a capture depends only on the options:
// every byte comes from Rng streams seeded from AttackOptions::seed.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/gen/capture_writer.h"
#include "tools/gen/generator.h"

namespace kagami::gen {

enum class AttackKind {
  kSynFlood,
  kFragFlood,
  kTcpReverse,
  kHttpSlowHeaders,
  kDnsPointerLoops,
  kTlsLyingLengths,
  kHttpUpload,
  kTimeBackwards,
};

// The order in which tcp-reverse sends its one-byte segments.
enum class SegmentOrder {
  kReverse,      // last byte first
  kRandom,       // a seeded permutation
  kOverlapping,  // two-byte segments [i, i+2), in a seeded permutation
  kInOrder,      // the control: every byte in sequence
};

struct AttackKindInfo {
  AttackKind kind;
  std::string_view name;         // as --attack takes it
  std::string_view exercises;    // one line for --help and the README
  uint64_t default_count;        // what --count means for it, when not given
  std::string_view count_unit;   // "SYNs", "fragments", ...
};

// Every kind, in the order the README lists them.
std::span<const AttackKindInfo> AttackKinds();
const AttackKindInfo* FindAttackKind(std::string_view name);
std::optional<SegmentOrder> ParseSegmentOrder(std::string_view name);

// The legitimate sessions every attack capture carries: HTTP GETs of this
// URI with this User-Agent, from clients in 10.99.0.0/16.
inline constexpr char kLegitUserAgent[] = "KagamiLegit/1.0";
inline constexpr char kLegitUri[] = "/kagami-legit-check";
// Near the start of tcp-reverse's URI, so a rule shows the request was put
// back together.
inline constexpr char kAttackMarker[] = "/kagami-attack-marker";

struct AttackOptions {
  AttackKind kind = AttackKind::kSynFlood;
  uint64_t seed = 1;
  uint64_t count = 0;   // 0: the kind's default_count
  SegmentOrder order = SegmentOrder::kReverse;  // tcp-reverse only
  uint64_t legit = 4;   // legitimate sessions mixed in
  int64_t start_ns = int64_t{1'700'000'000} * 1'000'000'000;  // 2023-11-14, as GeneratorOptions
};

// The count the kind runs with: options.count, else its default.
uint64_t AttackCount(const AttackOptions& options);
// Checks the count's range for the kind (tcp-reverse needs room for its
// request, slow-headers has only so many source ports ...).
absl::Status ValidateAttackOptions(const AttackOptions& options);

// Writes the capture into `out` (left open; the caller closes it). The
// summary's labels are "attack/KIND" (the count of the kind's unit) and
// "legit/http".
absl::StatusOr<GeneratorSummary> GenerateAttack(const AttackOptions& options, CaptureWriter& out);

}  // namespace kagami::gen
