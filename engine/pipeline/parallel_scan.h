#pragma once
// ParallelScan: one reader, N workers and one writer, for `--workers N`.
//
//   reader (the calling thread)       workers (one Scanner each)        writer thread
//   read, decode the outer packet,  ─▶ flows, streams, app layer,   ─▶ merges the workers' records
//   keep the clock and checksum      batches over SPSC rings     detection, intel; format EVE   into one order, applies
//   policy, reassemble fragments,                                 into per-worker buffers        cross-flow rate limits,
//   pick the worker by flow hash                                                                 writes the EVE file
//
// Results do not depend on N. Each worker owns whole flows (dispatch.h); the
// reader sends every worker the same clock ticks, so flows time out at the
// same moments; the reader decides the checksum policy and reassembles IP
// fragments, so every datagram reaches the worker of its flow. Each record
// carries a key — (run-wide packet number, unit within the packet, flow id
// for flows ending on a tick, sequence) — and each worker produces its
// records in key order, so the writer's k-way merge yields one order for
// any N: the order a single scanner writes them in. Thresholds and
// detection_filters that count across flows are applied by the writer in
// that order, so they too are exact. What does depend on N: memory caps are
// split between workers, so evictions under pressure differ.
//
// Nothing is dropped offline: a full ring makes the reader wait. Per
// packet, the reader pushes an item into a reused batch; a batch costs one
// ring push. No lock is shared between workers.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "capture/packet_source.h"
#include "engine/decode/decoder.h"
#include "engine/defrag/defragmenter.h"
#include "engine/detect/threshold.h"
#include "engine/flow/flow_table.h"
#include "engine/output/eve_writer.h"
#include "engine/output/scan_summary.h"
#include "engine/pipeline/checksum_policy.h"
#include "engine/pipeline/scanner.h"
#include "engine/pipeline/spsc_ring.h"

namespace kagami::pipeline {

struct ParallelOptions {
  uint32_t workers = 2;
  uint32_t batch_items = 256;    // packets per batch handed to a worker
  uint32_t batches_in_flight = 8;  // per worker: how far the reader may run ahead
  // Live capture: hand every batch over at least this often (wall clock),
  // and whenever the source waits for traffic, so alerts are not held back
  // by a batch filling slowly. 0: only when a batch is full (files).
  uint32_t flush_interval_ms = 0;
};

class ParallelScan {
 public:
  // `options` is what each worker's Scanner would get alone; its memory caps
  // are divided between the workers.
  ParallelScan(std::shared_ptr<const detect::DetectEngine> engine, const ScannerOptions& options,
               const ParallelOptions& parallel, output::EveWriter* eve, output::ScanSummary* summary);
  ~ParallelScan();
  ParallelScan(const ParallelScan&) = delete;
  ParallelScan& operator=(const ParallelScan&) = delete;

  // Before the first Run.
  void set_intel(std::shared_ptr<const intel::IntelStore> store, uint8_t digest_kinds = 0xff);
  void set_progress(output::ProgressLine* progress) { progress_ = progress; }
  // Rule reload: every worker's scanner follows `slot` (Scanner::
  // set_ruleset_slot); records already made keep the rules they name
  // alive until the writer has written them. Before the first Run.
  void set_ruleset_slot(const RulesetSlot* slot);
  // Rulesets taken from the slot, added up over the workers (after Finish).
  uint64_t rule_swaps() const;
  // Every worker snapshots its counters at the same packet; the writer adds
  // them up and calls `emit` (on the writer thread).
  void set_periodic_stats(PeriodicStats stats) { stats_ = std::move(stats); }

  // Reads `source` to its end (or control->stop) and returns once every
  // packet of it was processed, so the source may then be closed. Flows
  // carry on into the next source.
  absl::Status Run(capture::PacketSource& source, RunControl* control);
  // Live capture where each worker reads its own source (an AF_PACKET
  // fanout socket per interface, `sources[w]` for worker w): no reader
  // thread, the kernel spreads the flows. Each worker keeps its own clock
  // (packet time, and the wall clock while no packet comes), checksum
  // policy and fragment reassembly; the writer writes records as they
  // come (no run-wide order exists across sockets) and applies the
  // cross-flow rate limits in that order. Returns once every source has
  // ended (control->stop, or Stop on the sources) and every worker has
  // ended its flows; the first source error, if any. The sources'
  // kernel_counts() must be safe to call from the writer thread. Instead of
  // Run; Finish still follows.
  absl::Status RunCapture(std::vector<capture::PacketSource*> sources, RunControl* control);
  // Ends every flow, writes every record, stops the threads. Once.
  void Finish();

  uint32_t workers() const { return static_cast<uint32_t>(workers_.size()); }
  // After Finish: the counts of every worker (and the reader's
  // defragmenter), added up.
  ScanCounters counters() const;
  // After Finish: packets each worker processed (items, ticks excluded).
  std::vector<uint64_t> packets_per_worker() const;
  // Each worker's own counts (alerts: those it decided itself), after Finish.
  std::vector<ScanCounters> worker_counters() const;
  // Times the reader waited for a worker to take a batch (a worker behind).
  uint64_t reader_waits() const { return reader_waits_; }
  // After Finish: alerts written (every worker's and the writer's decisions).
  uint64_t alerts() const;

  struct Item;
  struct Batch;
  struct OutBatch;
  class Worker;

 private:
  void Start();
  Batch* TakeBatch(uint32_t w);
  // Sends every worker its batch (an empty one carries the clock forward).
  void FlushAll(bool finish);
  void AddItem(uint32_t w, const Item& item);
  // Copies bytes into the batch being filled for worker w; returns their offset.
  uint32_t CopyToArena(uint32_t w, const uint8_t* data, size_t len);
  uint32_t WorkerOf(const decode::Packet& packet);
  void Dispatch(const capture::PacketView& view, const std::string* name, bool stable);
  void WriterLoop();
  void Drain();

  ScannerOptions options_;
  ParallelOptions parallel_;
  output::EveWriter* eve_;
  output::ScanSummary* summary_;
  output::ProgressLine* progress_ = nullptr;
  std::shared_ptr<const intel::IntelStore> intel_;
  uint8_t digest_kinds_ = 0xff;

  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Batch*> filling_;  // the batch the reader fills, per worker
  std::vector<std::vector<Batch*>> spare_;  // per worker: batches the reader holds
  std::vector<uint32_t> outstanding_;       // per worker: batches sent, not yet back
  std::thread writer_;
  std::atomic<uint64_t> posted_{0};  // bumped by workers after each OutBatch
  std::atomic<bool> reopen_{false};
  bool started_ = false, finished_ = false;
  // RunCapture: workers read their own sources; the writer polls control.
  bool capture_mode_ = false;
  RunControl* capture_control_ = nullptr;
  std::vector<capture::PacketSource*> capture_sources_;
  std::atomic<uint64_t> snapshot_epoch_{0};  // bumped by the writer
  std::vector<absl::Status> capture_errors_;  // per worker

  // Reader state.
  decode::Decoder decoder_;
  defrag::Defragmenter defrag_;
  ChecksumPolicy checksums_;
  flow::ExpiryClock clock_;
  uint64_t index_ = 0;  // run-wide packet number of the last packet read
  std::deque<std::string> names_;  // sources' names; items point at them
  uint64_t reader_waits_ = 0;
  bool unflushed_ = false;
  PeriodicStats stats_;
  std::chrono::steady_clock::time_point next_stats_{};
  // The reader's own counts as of its last stats request, for the writer.
  std::mutex reader_counts_mu_;
  defrag::DefragCounters reader_defrag_;
  std::optional<capture::PacketSource::KernelCounts> reader_kernel_;
  void MaybeRequestStats(const capture::PacketSource& source);  // some batch holds items not yet handed over
  std::chrono::steady_clock::time_point last_flush_{};

  // Writer state (touched by the writer thread only until it is joined).
  detect::ThresholdTracker thresholds_;
  output::ScanSummary writer_summary_;
  std::vector<std::string> writer_errors_;
};

}  // namespace kagami::pipeline
