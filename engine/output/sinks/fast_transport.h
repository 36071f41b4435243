#pragma once
// The `fast:` output: alert records as Suricata's fast.log lines
// (fast_format.h), written by a file output (file_transport.h) so that it
// appends, rotates, reopens on SIGHUP and writes standard output (`fast:-`)
// exactly as `file:` and `-` do. It only takes alerts: without ?types= it
// takes alert, and any other ?types= is an error.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/output/sinks/output_spec.h"
#include "engine/output/sinks/transport.h"

namespace kagami::output {

// Turns each EVE record into its fast.log line and hands the lines to the
// file transport it wraps; what that took is reported back in bytes of the
// EVE records, as the channel counts and retries those.
class FastTransport final : public Transport {
 public:
  explicit FastTransport(std::unique_ptr<Transport> file) : file_(std::move(file)) {}
  std::string Describe() const override { return "fast " + file_->Describe(); }
  absl::Status Connect() override { return file_->Connect(); }
  DeliverResult Deliver(std::string_view records) override;
  void Disconnect() override { file_->Disconnect(); }
  absl::Status Reopen() override { return file_->Reopen(); }

 private:
  // Where one record's line ends in lines_, and where the record ends in
  // the batch; `refused`: it had no line (not an alert, or broken).
  struct Mark {
    size_t line_end, record_end;
    bool refused;
  };
  std::unique_ptr<Transport> file_;
  std::string lines_;        // kept between batches: no allocation once grown
  std::vector<Mark> marks_;  // likewise
};

// fast:PATH?rotate=SIZE&keep=N, and fast:- (standard output).
absl::StatusOr<std::unique_ptr<Transport>> MakeFastTransport(OutputSpec& spec);

}  // namespace kagami::output
