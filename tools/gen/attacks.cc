#include "tools/gen/attacks.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "tools/gen/attack_kinds.h"
#include "tools/gen/attack_output.h"

namespace kagami::gen {
namespace {

constexpr std::array<AttackKindInfo, 8> kKinds = {{
    {AttackKind::kSynFlood, "syn-flood", "SYNs from spoofed sources and ports to one server, each a new flow",
     2'000'000, "SYNs"},
    {AttackKind::kFragFlood, "frag-flood",
     "8-byte IPv4 fragments of datagrams that never complete, with overlapping pieces", 1'000'000, "fragments"},
    {AttackKind::kTcpReverse, "tcp-reverse",
     "one HTTP request sent as one-byte segments in reverse (or --order) order", 1'000'000, "request bytes"},
    {AttackKind::kHttpSlowHeaders, "http-slow-headers",
     "parallel HTTP connections that send a request line and one header, never finishing", 100'000,
     "connections"},
    {AttackKind::kDnsPointerLoops, "dns-pointer-loops",
     "DNS responses whose names are compression-pointer loops", 100'000, "responses"},
    {AttackKind::kTlsLyingLengths, "tls-lying-lengths",
     "TLS connections whose record and handshake lengths lie", 100'000, "connections"},
    {AttackKind::kHttpUpload, "http-upload", "one HTTP POST with a body of COUNT bytes", uint64_t{1} << 30,
     "body bytes"},
    {AttackKind::kTimeBackwards, "time-backwards",
     "ordinary sessions whose timestamps jump back minutes, with duplicated packets", 10'000, "sessions"},
}};

const AttackKindInfo& InfoOf(AttackKind kind) {
  for (const AttackKindInfo& k : kKinds) {
    if (k.kind == kind) return k;
  }
  return kKinds[0];
}

// Separate random streams for the attack and the legitimate sessions, so
// the legitimate sessions are the same whatever the attack draws.
uint64_t StreamSeed(uint64_t seed, uint64_t stream) {
  Rng mix(seed ^ (stream * 0x9e6c63d0676a9a99ULL));
  return mix.Next();
}

// Counts past which a capture stops making sense for this machine (or the
// kind runs out of distinct flows); the message says so rather than
// letting a typo fill a disk.
uint64_t MaximumCount(AttackKind kind) {
  switch (kind) {
    case AttackKind::kTcpReverse: return uint64_t{64} << 20;      // one frame per byte
    case AttackKind::kHttpSlowHeaders: return 50'000'000;         // source ports run out beyond
    case AttackKind::kHttpUpload: return uint64_t{1} << 40;       // streamed, so only disk limits
    default: return 1'000'000'000;
  }
}

}  // namespace

uint32_t AttackerAddress(Rng& rng) {
  for (;;) {
    const uint32_t a = static_cast<uint32_t>(rng.Next());
    const uint32_t first = a >> 24;
    if (first != 0 && first != 10 && first != 127 && first < 224) return a;
  }
}

std::string AddressText(uint32_t a) { return absl::StrCat(a >> 24, ".", (a >> 16) & 0xff, ".", (a >> 8) & 0xff, ".", a & 0xff); }

std::span<const AttackKindInfo> AttackKinds() { return kKinds; }

const AttackKindInfo* FindAttackKind(std::string_view name) {
  for (const AttackKindInfo& k : kKinds) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::optional<SegmentOrder> ParseSegmentOrder(std::string_view name) {
  if (name == "reverse") return SegmentOrder::kReverse;
  if (name == "random") return SegmentOrder::kRandom;
  if (name == "overlapping") return SegmentOrder::kOverlapping;
  if (name == "in-order") return SegmentOrder::kInOrder;
  return std::nullopt;
}

uint64_t AttackCount(const AttackOptions& o) { return o.count != 0 ? o.count : InfoOf(o.kind).default_count; }

absl::Status ValidateAttackOptions(const AttackOptions& o) {
  const AttackKindInfo& info = InfoOf(o.kind);
  const uint64_t count = AttackCount(o);
  if (count > MaximumCount(o.kind)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--count ", count, " is more ", std::string(info.count_unit), " than ", std::string(info.name), " makes (at most ",
                     MaximumCount(o.kind), ")"));
  }
  if (o.kind == AttackKind::kTcpReverse && count < MinimumMarkerRequest()) {
    return absl::InvalidArgumentError(absl::StrCat("--count ", count, " is too small for tcp-reverse: its request needs ",
                                                   MinimumMarkerRequest(), " bytes at the least"));
  }
  if (o.legit > 10'000) return absl::InvalidArgumentError("--legit: at most 10000 legitimate sessions");
  return absl::OkStatus();
}

absl::StatusOr<GeneratorSummary> GenerateAttack(const AttackOptions& options, CaptureWriter& out) {
  if (absl::Status s = ValidateAttackOptions(options); !s.ok()) return s;
  const AttackKindInfo& info = InfoOf(options.kind);
  Rng rng(StreamSeed(options.seed, 1));
  AttackOutput output(out, options.legit, StreamSeed(options.seed, 2), Endpoint{kTargetServerText, 80});
  AttackRun run{AttackCount(options), options.order, rng, output, options.start_ns};
  switch (options.kind) {
    case AttackKind::kSynFlood: WriteSynFlood(run); break;
    case AttackKind::kFragFlood: WriteFragFlood(run); break;
    case AttackKind::kTcpReverse: WriteTcpReverse(run); break;
    case AttackKind::kHttpSlowHeaders: WriteHttpSlowHeaders(run); break;
    case AttackKind::kDnsPointerLoops: WriteDnsPointerLoops(run); break;
    case AttackKind::kTlsLyingLengths: WriteTlsLyingLengths(run); break;
    case AttackKind::kHttpUpload: WriteHttpUpload(run); break;
    case AttackKind::kTimeBackwards: WriteTimeBackwards(run); break;
  }
  output.Finish(run.now_ns);
  if (!out.status().ok()) return out.status();

  GeneratorSummary summary;
  summary.packets = out.packets();
  summary.bytes = out.bytes();
  summary.sessions_by_label[absl::StrCat("attack/", std::string(info.name))] = run.count;
  if (output.legit_sessions() > 0) summary.sessions_by_label["legit/http"] = output.legit_sessions();
  summary.sessions = output.legit_sessions();
  summary.first_ns = output.first_ts_ns();
  summary.last_ns = output.last_ts_ns();
  return summary;
}

}  // namespace kagami::gen
