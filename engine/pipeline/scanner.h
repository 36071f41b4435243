#pragma once
// Scanner: the single-threaded packet path shared by `kagami scan` and
// `kagami live`: source -> decode -> (defrag) -> flow -> TCP reassembly ->
// detect -> EVE, then again for each packet found inside a tunnel. It owns
// the per-thread state (decoder, flow table, reassembler, defragmenter,
// detect scratch) and reuses every buffer, so the steady state allocates
// nothing per packet.

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "capture/packet_source.h"
#include "engine/app/app_layer.h"
#include "engine/pipeline/checksum_policy.h"
#include "engine/decode/decoder.h"
#include "engine/defrag/defragmenter.h"
#include "engine/detect/detect_engine.h"
#include "engine/detect/stream_prefilter.h"
#include "engine/detect/threshold.h"
#include "engine/flow/flow_table.h"
#include "engine/output/eve_writer.h"
#include "engine/output/scan_summary.h"
#include "engine/pipeline/intel_matcher.h"
#include "engine/pipeline/ruleset.h"
#include "engine/stream/tcp_reassembler.h"

namespace kagami::pipeline {

enum class ChecksumMode {
  kIgnore,  // never validate (Suricata -k none)
  kVerify,  // validate; like Suricata's "auto" for pcaps, stop validating when
            // more than 1 in 10 of the first 1000 packets is bad (offloading)
};

// How reassembled TCP data is prefiltered (the alerts are the same).
enum class StreamScan {
  kStreaming,  // a Hyperscan stream per flow direction scans each byte once
  kBlock,      // every chunk (lookback + new bytes) is scanned whole
};

struct ScannerOptions {
  ChecksumMode checksums = ChecksumMode::kVerify;
  flow::FlowOptions flow{};
  stream::StreamOptions stream{};  // stream.midstream: TCP midstream pick-up
  defrag::DefragOptions defrag{};
  // Tunnel decapsulation (ports, depth) and the rest of the decoder's setup;
  // verify_checksums is set from `checksums`.
  decode::DecoderOptions decoder{};
  // Application layer: protocol detection, parsers, body limits.
  app::AppLayerOptions app{};
  // EVE events to write besides alerts (--eve-types): transactions, a
  // record per flow at its end, decoder anomalies.
  bool log_http = false, log_dns = false, log_tls = false;
  bool log_flow = false, log_anomaly = false;
  bool log_fileinfo = false;  // a record per HTTP body of a completed transaction
  // A "stats" record at the end of the run (and periodically, see
  // PeriodicStats); written by the command, not the scanner.
  bool log_stats = false;
  // Flush EVE after every packet that alerted, so a live sensor's alerts reach
  // the SIEM at once; offline scans leave it to stdio buffering.
  bool flush_alerts = false;
  StreamScan stream_scan = StreamScan::kStreaming;
};

// What a worker's ordered output (parallel_scan.h) needs to know about the
// records that follow, besides their bytes: which flow's end they come
// from when flows end on a clock tick, and which alerts still await their
// cross-flow rate limits (detect::Alert::deferred).
class RecordTagger {
 public:
  virtual ~RecordTagger() = default;
  // The records until FlowEnded() come from the end of the flow with this id.
  virtual void FlowEnding(uint64_t flow_id) = 0;
  virtual void FlowEnded() = 0;
  // The next alert needs a decision by the writer: `alert` is deferred, or
  // follows a deferred pass rule of the same inspection (`group`, numbered
  // per scanner), whose outcome decides whether it is logged. A pass rule
  // has no record of its own; any other alert's record follows at once.
  virtual void Conditional(const detect::Alert& alert, const decode::Packet& packet, uint64_t group) = 0;
  // The next record is an indicator alert whose threshold.config threshold
  // counts across flows (detect::IndicatorVerdict::kDefer): the writer
  // applies `threshold` to it in record order and logs and counts it only
  // if it passes. `store` and `indicator` name it for the summary.
  virtual void ConditionalIntel(uint32_t sid, const rules::ThresholdOption& threshold,
                                const std::shared_ptr<const intel::IntelStore>& store, uint32_t indicator,
                                const decode::Packet& packet) = 0;
};

// Flags a signal handler may set; the scanner polls them between packets.
struct RunControl {
  std::atomic<bool> stop{false};
  std::atomic<bool> reopen_output{false};
};

// Adds counter struct `part` to `total`, field by field. Counter structs are
// plain runs of uint64_t; adding them by hand would have to be kept in step
// with every new counter.
template <typename T>
void AddCounts(T& total, const T& part) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % sizeof(uint64_t) == 0);
  constexpr size_t n = sizeof(T) / sizeof(uint64_t);
  uint64_t a[n], b[n];
  std::memcpy(a, &total, sizeof(T));
  std::memcpy(b, &part, sizeof(T));
  for (size_t i = 0; i < n; ++i) a[i] += b[i];
  std::memcpy(&total, a, sizeof(T));
}

// The decoder's options for a scan: checksums verified only with
// ChecksumMode::kVerify (the reader of a ParallelScan decodes with the same).
decode::DecoderOptions DecoderOptionsFor(const ScannerOptions& options);

// Every count a scan reports, added up over scanners (one per worker).
struct ScanCounters {
  decode::DecoderCounters decoder;
  flow::FlowCounters flow;  // max_active: the sum of each worker's peak
  stream::StreamCounters stream;
  defrag::DefragCounters defrag;
  app::AppCounters app;
  uint64_t intel_lookups = 0;
  uint64_t alerts = 0;  // logged by the scanners (in worker mode, the writer's decisions apart)
  size_t flow_memory = 0;
  size_t reassembly_memory = 0;  // part of flow_memory: queued segments and lookback
  // Live capture: the kernel's counts (capture.kernel_packets/_drops).
  std::optional<capture::PacketSource::KernelCounts> kernel;
  std::vector<uint64_t> rule_hits;  // indexed like DetectEngine::rules()
};

// Counters while running (live): every `interval` of wall time, `emit` gets
// the counts so far, on the thread that writes EVE records.
struct PeriodicStats {
  std::chrono::milliseconds interval{0};  // 0: never
  std::function<void(const ScanCounters&)> emit;
};

class Scanner {
 public:
  Scanner(std::shared_ptr<const detect::DetectEngine> engine, const ScannerOptions& options,
          output::EveWriter* eve, output::ScanSummary* summary);

  // Reads `source` to its end (or until control->stop). A read error of the
  // source is returned after every packet before it was processed.
  absl::Status Run(capture::PacketSource& source, RunControl* control);

  // Indicator feeds to match (optional; null or empty: none). Flows already
  // under way keep the indicators they reported.
  // `digest_kinds`: the HTTP body digests (app::http::kDigest*) that may be
  // computed for the store's file indicators; 0 turns file matching off.
  void set_intel(std::shared_ptr<const intel::IntelStore> store, uint8_t digest_kinds = 0xff);
  uint64_t intel_lookups() const { return intel_.lookups(); }

  void set_periodic_stats(PeriodicStats stats) { stats_ = std::move(stats); }

  // Rule reload: from now on, whenever `slot` has a newer ruleset than the
  // one in use, the scanner swaps to it before its next packet (and while
  // idle, IdleTick). Optional; the slot must outlive the scanner.
  void set_ruleset_slot(const RulesetSlot* slot);
  // Matches `ruleset` from the next packet on. Flows, streams and
  // transactions in progress keep their state; what detection remembers
  // carries over for every rule and variable still there
  // (DetectContext::AdoptFrom), as does each flow's indicator memory (by
  // sid). The summary stops referring to the old rules (ForgetRules).
  void SwapRules(const Ruleset& ruleset);
  // The engine in use (its rules are what this scanner's alerts point to).
  const std::shared_ptr<const detect::DetectEngine>& engine() const { return engine_; }
  uint64_t rule_swaps() const { return rule_swaps_; }

  // A terminal progress line redrawn as packets go by (optional).
  void set_progress(output::ProgressLine* progress) { progress_ = progress; }

  // Sees every stream chunk that brought new data and every flow end, in
  // packet order (benchmarks record the stream this way). Optional; the
  // scanner does not own it.
  class StreamObserver {
   public:
    virtual ~StreamObserver() = default;
    virtual void OnChunk(const flow::Flow& flow, const stream::StreamChunk& chunk) = 0;
    virtual void OnFlowEnd(const flow::Flow& flow) = 0;
  };
  void set_stream_observer(StreamObserver* observer) { observer_ = observer; }

  // Processes one packet (exposed for benchmarks and tests).
  void ProcessPacket(const capture::PacketView& view, std::string_view source_name);

  // Worker mode (parallel_scan.h): records go to a writer thread through
  // `tagger`, and rate limits that count across flows are left to it.
  // Fed by a reader thread (kReader), the reader keeps the clock (Tick), the
  // checksum policy (set_verify_checksums) and the reassembly of IP
  // fragments outside tunnels (ProcessDatagram; such fragments reaching
  // ProcessPacket are only inspected), so that every worker sees the same
  // time and the same datagrams whatever the number of workers. A worker
  // reading its own capture socket (kOwnCapture: AF_PACKET fanout, where
  // the kernel spreads flows and reassembles fragments) keeps all three
  // itself, as a scanner alone does.
  enum class Feed { kReader, kOwnCapture };
  void SetWorkerMode(RecordTagger* tagger, Feed feed = Feed::kReader);
  // Expires flows and fragments at packet time `now_ns` (fed by a reader;
  // otherwise ProcessPacket does it on its own clock).
  void Tick(int64_t now_ns);
  // A live capture that waited for packets: time still passes, so flows
  // expire on the wall clock (`now_ns`, the clock packets are stamped with)
  // when the scanner keeps its own clock.
  void IdleTick(int64_t now_ns) {
    MaybeSwapRules();
    if (!reader_feeds_ && clock_.Due(now_ns)) Tick(now_ns);
  }
  void set_verify_checksums(bool verify);
  // A datagram the reader reassembled from fragments outside any tunnel;
  // `last_fragment` is the view of the fragment that completed it, which
  // records name, and `vlan_count`/`vlan_id` its VLAN tags.
  void ProcessDatagram(const capture::PacketView& last_fragment, std::span<const uint8_t> datagram,
                       uint8_t vlan_count, std::array<uint16_t, 2> vlan_id, std::string_view source_name);

  // Ends every flow, inspecting stream data still held back behind holes.
  // Call once after the last source (Run does not: flows continue from one
  // capture file to the next, as when Suricata reads a directory).
  void Finish();

  // Adds this scanner's counts to `total`.
  void AddCountersTo(ScanCounters& total) const;
  const decode::DecoderCounters& decoder_counters() const { return decoder_.counters(); }
  const flow::FlowCounters& flow_counters() const { return flows_.counters(); }
  const stream::StreamCounters& stream_counters() const { return tcp_.counters(); }
  const defrag::DefragCounters& defrag_counters() const { return defrag_.counters(); }
  const app::AppCounters& app_counters() const { return app_.counters(); }
  // Bytes held by the flow table and the reassembler.
  size_t flow_memory() const {
    return flows_.memory_in_use() + tcp_.memory_in_use() + scan_memory_.bytes +
           (scan_states_[0].capacity() + scan_states_[1].capacity()) * sizeof(scan_states_[0][0]);
  }
  const std::vector<uint64_t>& rule_hits() const { return detect_->rule_hits(); }
  // Alerts logged here; in worker mode without those the writer decides.
  uint64_t alerts() const { return alerts_; }
  bool checksum_validation_active() const { return verify_checksums_; }

 private:
  void UpdateChecksumPolicy(const decode::Packet& packet);
  // Flow, stream, detection and tunnels for one decoded packet (or one
  // reassembled datagram, or one packet out of a tunnel).
  void Handle(decode::Packet& packet, output::EvePacketSource source);
  void HandleFragment(decode::Packet& packet);
  // Decodes and handles a reassembled datagram that travelled as `fragment`.
  void HandleDatagram(const decode::Packet& fragment, std::span<const uint8_t> datagram);
  void InspectAndLog(const decode::Packet& packet, const flow::Flow* flow, const detect::FlowContext& fc,
                     output::EvePacketSource source);
  // The flow's protocol as packet rules see it on this packet.
  static app::AppProto PacketAppProto(flow::Flow& f, bool to_server, bool established);
  // Where a record about `packet` comes from (file, packet number, flow).
  output::EveContext ContextFor(const decode::Packet& packet, const flow::Flow* flow,
                                output::EvePacketSource source) const;
  // Writes and counts the alerts in alerts_buffer_.
  void LogAlerts(const decode::Packet& packet, const output::EveContext& ctx);
  // Writes and counts indicator-feed alerts.
  void LogIntel(const decode::Packet& packet, std::span<const IntelMatch> matches, const output::EveContext& ctx);
  // Inspects stream data with no packet of its own: data a gap released in
  // the other direction, or a flow's last data at its end.
  void InspectPseudo(flow::Flow& flow, const stream::StreamChunk& chunk, output::EvePacketSource source);
  void OnFlowEnd(flow::Flow& flow, flow::FlowEnd why);
  void LogAppAnomalies(const decode::Packet& packet, const app::TxUpdate& tx, const output::EveContext& ctx);
  // The stream prefilter state of one direction of `flow` (null: block
  // scans), and the chunk as detection's StreamData.
  detect::StreamScanState* ScanStateFor(const flow::Flow& flow, bool to_server);
  detect::StreamData StreamDataFor(const flow::Flow& flow, const stream::StreamChunk& chunk, bool covers_packet);
  // A payload-less packet of `flow` in one direction, stamped with the flow's
  // last packet time (Suricata's pseudo packets).
  void MakePseudoPacket(const flow::Flow& f, bool to_server, capture::PacketView& pv, decode::Packet& p) const;
  // Runs transaction rules on each update the app layer produced, with
  // `packet` as the packet that caused them (null: a pseudo packet per
  // update), and logs alerts and completed transactions.
  void InspectTransactions(flow::Flow& flow, const decode::Packet* packet, const detect::FlowContext& fc,
                           output::EvePacketSource source);

  std::shared_ptr<const detect::DetectEngine> engine_;
  ScannerOptions options_;
  output::EveWriter* eve_;
  output::ScanSummary* summary_;
  output::ProgressLine* progress_ = nullptr;
  StreamObserver* observer_ = nullptr;
  decode::Decoder decoder_;
  flow::FlowTable flows_;
  stream::TcpReassembler tcp_;
  app::AppLayer app_;
  app::TxView tx_view_;
  defrag::Defragmenter defrag_;
  std::unique_ptr<detect::DetectContext> detect_;
  IntelMatcher intel_;
  // threshold.config rate state of indicator alerts (rules keep theirs in
  // detect_), per scanner as theirs; kept across rule reloads.
  detect::ThresholdTracker intel_thresholds_;
  // Per direction (0: to server), by flow slot, as the reassembler keeps
  // sessions; freed when the flow ends.
  detect::StreamScanMemory scan_memory_;
  std::vector<std::unique_ptr<detect::StreamScanState>> scan_states_[2];
  // The packet being processed: where its records say it came from.
  const capture::PacketView* view_ = nullptr;
  std::string_view source_name_;
  flow::ExpiryClock clock_;
  PeriodicStats stats_;
  std::chrono::steady_clock::time_point next_stats_{};
  void MaybeEmitStats(const capture::PacketSource& source);
  // Takes the slot's ruleset when it is newer than the one in use.
  void MaybeSwapRules() {
    if (ruleset_slot_ && ruleset_slot_->version() != ruleset_version_) SwapRules(TakeRuleset());
  }
  Ruleset TakeRuleset();
  const RulesetSlot* ruleset_slot_ = nullptr;
  uint64_t ruleset_version_ = 0;
  uint64_t rule_swaps_ = 0;
  RecordTagger* tagger_ = nullptr;  // worker mode
  bool reader_feeds_ = false;       // Feed::kReader
  bool in_tick_ = false;
  uint64_t alert_group_ = 0;
  std::vector<uint8_t> datagram_;  // a reassembled datagram being processed
  bool in_datagram_ = false;
  std::vector<detect::Alert> alerts_buffer_;
  bool verify_checksums_ = false;
  ChecksumPolicy checksum_policy_;
  uint64_t alerts_ = 0;
};

}  // namespace kagami::pipeline
