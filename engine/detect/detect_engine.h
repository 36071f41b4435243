#pragma once
// DetectEngine: a RuleSet compiled for matching. Immutable once built and
// shared read-only by every worker; all mutable state (Hyperscan scratch,
// match buffers, byte_extract variables) lives in a per-thread DetectContext.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/detect/hs_cache.h"
#include "engine/app/buffers.h"
#include "engine/decode/packet.h"
#include "engine/flow/flow.h"
#include "rules/rule.h"

namespace kagami::detect {

struct DetectOptions {
  // PCRE2 match and depth limits (Suricata's defaults); a rule's 'O' flag
  // lifts them for that rule.
  uint32_t pcre_match_limit = 3500;
  uint32_t pcre_depth_limit = 1500;
  // Where compiled Hyperscan databases are loaded from and stored; null:
  // always compile. Used during Compile only.
  HsCache* hs_cache = nullptr;
};

struct CompileStats {
  size_t rules_loaded = 0;       // rules compiled into the engine
  size_t rules_rejected = 0;     // rules the engine could not compile (diagnostics say why)
  size_t prefilter_patterns = 0; // patterns in all Hyperscan databases
  size_t header_only_rules = 0;  // rules with no payload step
  double compile_seconds = 0;
  double hyperscan_seconds = 0;  // of compile_seconds: building or loading Hyperscan databases
  // Rules compiled in but unable to match: a protocol or buffer no Kagami
  // parser provides (smb, http2, tls.version ...), or contradictory
  // directions (http.stat_code with flow:to_server).
  size_t rules_waiting_for_app_layer = 0;
  size_t tx_rules = 0;  // rules inspected on app-layer transactions
  size_t tx_stream_rules = 0;  // transaction rules that also match stream (payload) bytes
  uint64_t app_buffers_used = 0;  // app::BufferId bits some rule inspects
  size_t flowbit_names = 0;          // distinct flowbits the rules use
  size_t flowint_names = 0;          // distinct flowint variables
  size_t prefilter_rules = 0;      // rules reached through a Hyperscan fast pattern
  size_t address_indexed_rules = 0;  // non-prefilter rules reached through the address index
  size_t always_checked_rules = 0;   // non-prefilter rules checked on every packet of their class
  size_t hyperscan_databases = 0;
};

class StreamScanState;

// Reassembled TCP data a packet made available (see engine/stream).
struct StreamData {
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  // data[0, new_from) was inspected with an earlier packet; a stream match
  // must reach past it, so nothing alerts twice for the same bytes.
  uint32_t new_from = 0;
  // The new bytes are exactly the packet's payload (in-order delivery), so
  // scanning the chunk covers the packet too.
  bool covers_packet = false;
  // The direction's streaming prefilter state (stream_prefilter.h): only the
  // new bytes are scanned, with a Hyperscan stream kept across chunks. Null:
  // the whole chunk is scanned in block mode (the same alerts, slower).
  StreamScanState* scan = nullptr;
  uint64_t stream_offset = 0;  // stream offset of data[0]; used with `scan`
  bool after_gap = false;      // the new bytes follow a gap; used with `scan`
  bool has_new() const { return len > new_from; }
};

// What the flow and stream layers know about the packet being inspected.
struct FlowContext {
  flow::FlowVars* vars = nullptr;     // the flow's flowbits/flowints; null without a flow
  const StreamData* stream = nullptr; // new stream data in the packet's direction
  // A pseudo packet that only carries stream data (a gap released it, or the
  // flow ended): only stream matches count, rules without payload steps do
  // not run.
  bool pseudo = false;
  // The flow's detected application protocol (rules on http, dns, tls match
  // only in flows of that protocol).
  app::AppProto app_proto = app::AppProto::kUnknown;
};

// One rule that matched one packet.
struct Alert {
  const rules::Rule* rule = nullptr;
  uint32_t rule_index = 0;  // index into DetectEngine::rules()
  // Set only when the context defers cross-flow rate limits (see
  // DetectContext::set_defer_cross_flow_limits): the rule's threshold or
  // detection_filter is still to be applied (PassesRateLimits) by whoever
  // sees every worker's alerts in capture order. A deferred pass rule is
  // returned too, so that the alerts after it can be dropped there if it
  // passes.
  enum class Deferred : uint8_t {
    kNo,
    kRateLimits,            // apply the rate limits; alert if they pass
    kRateLimitsSuppressed,  // apply them (they count), then drop: suppressed
  };
  Deferred deferred = Deferred::kNo;
};

class DetectEngine {
 public:
  // Compiles every rule it can; rules that cannot be compiled (a bad regex,
  // a pattern Hyperscan rejects) are left out with a diagnostic appended.
  // The rules are taken by value: pass a set no longer needed with std::move
  // and its rules move into the engine instead of being copied.
  static absl::StatusOr<std::shared_ptr<const DetectEngine>> Compile(
      rules::RuleSet rules, const DetectOptions& options,
      std::vector<rules::Diagnostic>* diagnostics);

  virtual ~DetectEngine() = default;
  virtual const std::vector<rules::Rule>& rules() const = 0;
  virtual const CompileStats& stats() const = 0;
  // The threshold file's entries for indicator alerts, from the rule set it
  // was compiled from (rules::RuleSet::indicator_tuning): a reload brings
  // its own with its rules. Null when there are none.
  virtual const rules::IndicatorTuning* indicator_tuning() const = 0;
};

class DetectContext {
 public:
  // Allocates this thread's scratch for `engine`; the engine must outlive it.
  static std::unique_ptr<DetectContext> Create(std::shared_ptr<const DetectEngine> engine);
  virtual ~DetectContext() = default;

  // Runs every applicable rule on one decoded packet. Alerts are appended to
  // `out` (cleared first) in the order Suricata would log them: pass rules
  // suppress the rest, then by action order and priority. No allocation in
  // the steady state: `out` keeps its capacity between calls.
  virtual void Inspect(const decode::Packet& packet, const FlowContext& flow, std::vector<Alert>& out) = 0;
  // Runs the transaction rules on one transaction in one direction
  // (view.to_server()). `packet` is the packet whose data made the buffers
  // final (a pseudo packet at flow end); it supplies addresses, ports and
  // flow flags, and its payload for a rule's packet steps. `state` remembers
  // what already alerted, so each rule alerts at most once per transaction.
  virtual void InspectTx(const decode::Packet& packet, const FlowContext& flow, const app::TxView& view,
                         app::TxInspectState& state, std::vector<Alert>& out) = 0;

  // A packet with no flow and no stream data.
  void Inspect(const decode::Packet& packet, std::vector<Alert>& out) { Inspect(packet, FlowContext{}, out); }

  // With several workers, a threshold or detection_filter that tracks
  // anything but the flow counts matches from other workers too: when set,
  // such rules' rate limits are not applied here but returned as deferred
  // alerts (Alert::deferred). Suppressions are still checked here.
  virtual void set_defer_cross_flow_limits(bool defer) = 0;

  // Per-rule match counters, indexed like DetectEngine::rules().
  virtual const std::vector<uint64_t>& rule_hits() const = 0;

  // After a rule reload, on the thread that owns both: takes over what
  // `previous` (this thread's context of the engine before) remembers, for
  // every rule (by gid:sid) and flow variable (by name) the new engine
  // still has, so nothing that still applies starts over:
  //  - rate state (threshold, detection_filter) is moved over whole;
  //  - a flow's flowbits and flowints set under the previous engine are
  //    renamed to this one's numbering the next time the flow is inspected;
  //  - a transaction's alerted rules (each alerts once per transaction) and
  //    matched stream parts are renamed the same way, so an unchanged rule
  //    neither alerts again nor loses what it matched; rules waiting on the
  //    transaction are looked for afresh;
  //  - match counters are carried over.
  // Only one engine back is known: state left untouched through two reloads
  // starts over. `previous` must outlive this call only.
  virtual void AdoptFrom(DetectContext& previous) = 0;
};

}  // namespace kagami::detect
