#pragma once
// Scanner: the single-threaded packet path shared by `kagami scan` and
// `kagami live`: source -> decode -> detect -> EVE. It owns the per-thread
// state (decoder counters, detect scratch) and reuses every buffer, so the
// steady state allocates nothing per packet.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "capture/packet_source.h"
#include "engine/decode/decoder.h"
#include "engine/detect/detect_engine.h"
#include "engine/output/eve_writer.h"
#include "engine/output/scan_summary.h"

namespace kagami::pipeline {

enum class ChecksumMode {
  kIgnore,  // never validate (Suricata -k none)
  kVerify,  // validate; like Suricata's "auto" for pcaps, stop validating when
            // more than 1 in 10 of the first 1000 packets is bad (offloading)
};

struct ScannerOptions {
  ChecksumMode checksums = ChecksumMode::kVerify;
  bool midstream = false;  // TCP midstream pick-up, used once reassembly exists
  // Flush EVE after every packet that alerted, so a live sensor's alerts reach
  // the SIEM at once; offline scans leave it to stdio buffering.
  bool flush_alerts = false;
};

// Flags a signal handler may set; the scanner polls them between packets.
struct RunControl {
  std::atomic<bool> stop{false};
  std::atomic<bool> reopen_output{false};
};

class Scanner {
 public:
  Scanner(std::shared_ptr<const detect::DetectEngine> engine, const ScannerOptions& options,
          output::EveWriter* eve, output::ScanSummary* summary);

  // Reads `source` to its end (or until control->stop). A read error of the
  // source is returned after every packet before it was processed.
  absl::Status Run(capture::PacketSource& source, RunControl* control);

  // A terminal progress line redrawn as packets go by (optional).
  void set_progress(output::ProgressLine* progress) { progress_ = progress; }

  // Processes one packet (exposed for benchmarks and tests).
  void ProcessPacket(const capture::PacketView& view, std::string_view source_name);

  const decode::DecoderCounters& decoder_counters() const { return decoder_.counters(); }
  const std::vector<uint64_t>& rule_hits() const { return detect_->rule_hits(); }
  uint64_t alerts() const { return alerts_; }
  bool checksum_validation_active() const { return verify_checksums_; }

 private:
  void UpdateChecksumPolicy(const decode::Packet& packet);

  std::shared_ptr<const detect::DetectEngine> engine_;
  ScannerOptions options_;
  output::EveWriter* eve_;
  output::ScanSummary* summary_;
  output::ProgressLine* progress_ = nullptr;
  decode::Decoder decoder_;
  std::unique_ptr<detect::DetectContext> detect_;
  std::vector<detect::Alert> alerts_buffer_;
  bool verify_checksums_ = false;
  uint64_t checksum_sampled_ = 0, checksum_bad_ = 0;
  uint64_t alerts_ = 0;
};

// A flow identifier for EVE: the same for both directions of a 5-tuple
// (and VLAN), non-zero, and below 2^53 so JSON consumers keep it exact.
uint64_t FlowIdOf(const decode::Packet& packet);

}  // namespace kagami::pipeline
