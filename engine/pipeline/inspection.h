#pragma once
// Inspection: what `kagami scan` and `kagami live` drive, one Scanner in the
// calling thread (workers == 1: no queues, no threads) or a ParallelScan
// (a reader, N workers and a writer). Both give the same records and counts;
// this is the one place that chooses between them.

#include <memory>
#include <optional>
#include <vector>

#include "engine/pipeline/parallel_scan.h"
#include "engine/pipeline/scanner.h"

namespace kagami::pipeline {

class Inspection {
 public:
  Inspection(std::shared_ptr<const detect::DetectEngine> engine, const ScannerOptions& options,
             const ParallelOptions& parallel, output::EveWriter* eve, output::ScanSummary* summary) {
    if (parallel.workers <= 1) {
      single_.emplace(std::move(engine), options, eve, summary);
    } else {
      parallel_.emplace(std::move(engine), options, parallel, eve, summary);
    }
  }

  void set_intel(std::shared_ptr<const intel::IntelStore> store, uint8_t digest_kinds) {
    single_ ? single_->set_intel(std::move(store), digest_kinds) : parallel_->set_intel(std::move(store), digest_kinds);
  }
  // Rule reload: the scanners take each ruleset published in `slot`.
  void set_ruleset_slot(const RulesetSlot* slot) {
    single_ ? single_->set_ruleset_slot(slot) : parallel_->set_ruleset_slot(slot);
  }
  void set_progress(output::ProgressLine* progress) {
    single_ ? single_->set_progress(progress) : parallel_->set_progress(progress);
  }
  void set_periodic_stats(const PeriodicStats& stats) {
    single_ ? single_->set_periodic_stats(stats) : parallel_->set_periodic_stats(stats);
  }

  absl::Status Run(capture::PacketSource& source, RunControl* control) {
    return single_ ? single_->Run(source, control) : parallel_->Run(source, control);
  }
  // Live capture with a source per worker (AF_PACKET fanout: each worker
  // reads its own sockets, see ParallelScan::RunCapture); with one worker,
  // the one source is read in the calling thread.
  absl::Status RunCapture(std::vector<capture::PacketSource*> sources, RunControl* control) {
    return single_ ? single_->Run(*sources.at(0), control) : parallel_->RunCapture(std::move(sources), control);
  }
  // Ends every flow and waits for the last record; then the counts are final.
  void Finish() { single_ ? single_->Finish() : parallel_->Finish(); }
  ScanCounters counters() const {
    if (parallel_) return parallel_->counters();
    ScanCounters c;
    single_->AddCountersTo(c);
    return c;
  }
  // Packets each worker inspected, and its counts; empty with one worker.
  std::vector<uint64_t> packets_per_worker() const {
    return parallel_ ? parallel_->packets_per_worker() : std::vector<uint64_t>{};
  }
  std::vector<ScanCounters> worker_counters() const {
    return parallel_ ? parallel_->worker_counters() : std::vector<ScanCounters>{};
  }
  bool threaded() const { return parallel_.has_value(); }

 private:
  std::optional<Scanner> single_;
  std::optional<ParallelScan> parallel_;
};

}  // namespace kagami::pipeline
