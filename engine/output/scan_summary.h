#pragma once
// ScanSummary: what `kagami scan` tells a person at the end of a run (files,
// packets, bytes, throughput, alerts per signature, decode anomalies,
// errors), and ProgressLine: the live one-line status it shows meanwhile on
// a terminal. The per-packet and per-alert calls only bump counters; the
// first alert of a rule adds one map entry, nothing else allocates.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "rules/rule.h"

namespace kagami::output {

class ScanSummary {
 public:
  ScanSummary() { Start(); }

  // (Re)starts the wall clock; the constructor already did.
  void Start();
  // Stops the wall clock; Print() before Finish() measures up to "now".
  void Finish();
  // Fixes the elapsed time (tests, or a caller that measured it itself).
  void set_elapsed_seconds(double s) { elapsed_override_ = s; }

  void AddFile() { ++files_; }
  // A file given that could not be opened or read as a capture: not
  // counted as scanned, named in the headline (its error goes to AddError).
  void AddUnreadFile() { ++unread_files_; }
  // Live capture: the first line says what was captured on `interface`
  // rather than counting files.
  void set_interface(std::string interface) { interface_ = std::move(interface); }
  void AddPacket(uint32_t wirelen) {
    ++packets_;
    bytes_ += wirelen;
  }
  // Keyed by the rule object: one map insert on a rule's first alert.
  void AddAlert(const rules::Rule& rule) {
    ++alerts_;
    ++per_rule_[&rule];
  }
  // An indicator-feed alert (engine/intel): keyed by sid; the signature text
  // is copied on the indicator's first alert only.
  void AddIntelAlert(uint32_t gid, uint32_t sid, std::string_view signature) {
    ++alerts_;
    auto [it, inserted] = per_indicator_.try_emplace(sid);
    if (inserted) {
      it->second.gid = gid;
      it->second.signature.assign(signature);
    }
    ++it->second.count;
  }
  // Adds another summary's alerts (per signature and indicator): each
  // worker thread counts its own, the run's summary adds them up at the end.
  void MergeAlerts(const ScanSummary& other);
  // Before the rules counted so far may be destroyed (a rule reload): keeps
  // their counts under a copy of their gid, sid and message, so the rule
  // objects are no longer referred to. Not per alert: once per reload.
  void ForgetRules();
  // Adds another summary's packets and bytes (workers that read their own
  // capture sockets count what they read).
  void MergePackets(const ScanSummary& other) {
    packets_ += other.packets_;
    bytes_ += other.bytes_;
  }
  // Decoder anomaly counters by name; zero counts are left out when printed.
  void SetAnomalies(std::vector<std::pair<std::string, uint64_t>> anomalies) {
    anomalies_ = std::move(anomalies);
  }
  void AddError(std::string message) { errors_.push_back(std::move(message)); }
  // A line of layer counters, e.g. "flows: 12 created, 3 timed out";
  // zero counts are left out, and a group whose counts are all zero too.
  // A name marks its plural: "gap[s]" (1 gap, 2 gaps), "entr[y|ies]".
  // `first_always`: the first count is shown even when zero ("0 records sent").
  void AddCounters(std::string group, std::vector<std::pair<std::string, uint64_t>> counts,
                   bool first_always = false) {
    counters_.push_back({std::move(group), std::move(counts), first_always});
  }

  uint64_t files() const { return files_; }
  uint64_t unread_files() const { return unread_files_; }
  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t alerts() const { return alerts_; }
  size_t errors() const { return errors_.size(); }
  double elapsed_seconds() const;

  // The human summary, e.g.
  //   kagami: scanned 3 files, 142,998 packets, 72.5 MB in 1.23 s (116,258 packets/s, 471.5 Mbit/s)
  //   alerts: 12 from 3 signatures
  //       count      sid  signature
  //           7  2000001  ET MALWARE ...
  // then anomalies and errors when there were any. Signatures are merged by
  // (gid, sid, msg), sorted by count (most first), top 20 shown.
  void Print(FILE* out) const;

  static constexpr size_t kTopSignatures = 20;
  static constexpr size_t kMaxErrorsShown = 10;

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
  Clock::time_point end_;
  bool finished_ = false;
  double elapsed_override_ = -1;

  uint64_t files_ = 0;
  uint64_t unread_files_ = 0;
  std::string interface_;  // live capture; empty for files
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  uint64_t alerts_ = 0;
  absl::flat_hash_map<const rules::Rule*, uint64_t> per_rule_;
  struct IndicatorCount {
    uint32_t gid = 0;
    std::string signature;
    uint64_t count = 0;
  };
  absl::flat_hash_map<uint32_t, IndicatorCount> per_indicator_;
  // Rules of engines replaced by a reload (ForgetRules), by signature.
  struct RetiredRule {
    uint32_t gid = 0, sid = 0;
    std::string msg;
    uint64_t count = 0;
  };
  std::vector<RetiredRule> retired_;
  std::vector<std::pair<std::string, uint64_t>> anomalies_;
  struct CounterGroup {
    std::string group;
    std::vector<std::pair<std::string, uint64_t>> counts;
    bool first_always = false;
  };
  std::vector<CounterGroup> counters_;
  std::vector<std::string> errors_;
};

// A carriage-return status line on stderr-like terminals:
//   file 2/3  packets 12,345  bytes 10.2 MB  alerts 7
// Does nothing unless `out` is a TTY (or `force` is set). Update() may be
// called per packet: it looks at the clock only every few calls and redraws
// at most four times a second.
class ProgressLine {
 public:
  explicit ProgressLine(FILE* out, uint64_t total_files = 0, bool force = false);
  ~ProgressLine() { Clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }
  void Update(const ScanSummary& s) {
    if (!enabled_ || --countdown_ > 0) return;
    MaybeDraw(s);
  }
  // Draws now regardless of the rate limit (e.g. when a new file starts).
  void Draw(const ScanSummary& s);
  // Erases the line, so that the summary starts on a clean line.
  void Clear();

  static constexpr std::chrono::milliseconds kInterval{250};

 private:
  void MaybeDraw(const ScanSummary& s);

  FILE* out_;
  uint64_t total_files_;
  bool enabled_;
  bool drawn_ = false;
  uint32_t countdown_ = 1;
  std::chrono::steady_clock::time_point last_{};
};

// 1234567 -> "1,234,567".
std::string FormatCount(uint64_t v);
// Decimal units, one decimal: 512 -> "512 B", 72'500'000 -> "72.5 MB".
std::string FormatBytes(uint64_t v);

}  // namespace kagami::output
