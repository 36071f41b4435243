#pragma once
// The EVE "stats" record: a scan's counters under Suricata's names
// (decoder.pkts, flow.active, tcp.reassembly_gap, capture.kernel_drops,
// detect.alert, app_layer.flow.http, ...), so dashboards built on
// Suricata's stats read Kagami's unchanged. Only counters Kagami keeps with
// the same meaning are written; every record validates against Suricata's
// schema (which has no place for per-thread counters: those are in the
// summary).

#include <cstdint>
#include <optional>
#include <string>
#include <chrono>
#include <mutex>

#include "engine/output/eve_writer.h"

#include "engine/pipeline/scanner.h"

namespace kagami::pipeline {

struct StatsContext {
  int64_t ts_ns = 0;            // the record's timestamp (wall clock)
  uint64_t uptime_seconds = 0;  // since the run started
  // Live capture: what the kernel saw and dropped (PACKET_STATISTICS).
  std::optional<uint64_t> kernel_packets, kernel_drops;
  std::string_view host;  // EVE "host" (the sensor's name); empty: omit
};

// Appends one stats record (no newline) to `out`.
void FormatStatsRecord(const ScanCounters& counters, const StatsContext& context, std::string& out);

// Writes stats records to an EVE writer, timestamped with the wall clock and
// the time since `start`: the PeriodicStats::emit of `kagami live`, and the
// final record of a run.
class StatsWriter {
 public:
  explicit StatsWriter(output::EveWriter* eve) : eve_(eve), start_(std::chrono::steady_clock::now()) {}
  void Write(const ScanCounters& counters);
  PeriodicStats Every(std::chrono::milliseconds interval) {
    return PeriodicStats{interval, [this](const ScanCounters& c) { Write(c); }};
  }
  // The last record written, without its newline (empty before the first),
  // for `kagami ctl stats`. Safe from any thread.
  std::string last() const {
    std::lock_guard<std::mutex> lock(last_mu_);
    return last_;
  }

 private:
  output::EveWriter* eve_;
  std::chrono::steady_clock::time_point start_;
  std::string line_;
  mutable std::mutex last_mu_;
  std::string last_;
};

}  // namespace kagami::pipeline
