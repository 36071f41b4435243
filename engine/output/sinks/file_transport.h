#pragma once
// Records to a file (appended; reopened on SIGHUP for logrotate; rotated by
// size when asked) or to standard output. A write that fails part way is
// cut back to the last whole record, so the file never holds a torn line.
// A FIFO is opened without blocking: with no reader it is retried like a
// peer that is down. Standard output whose reader has gone (EPIPE) drops
// and counts what follows instead of retrying.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/output/sinks/output_spec.h"
#include "engine/output/sinks/transport.h"

namespace kagami::output {

class FileTransport final : public Transport {
 public:
  // `rotate`: start a new file when this one reaches the size (0: never);
  // the full one becomes PATH.1, older ones PATH.2 ... PATH.<keep>.
  FileTransport(std::string path, uint64_t rotate, uint32_t keep)
      : path_(std::move(path)), rotate_(rotate), keep_(keep) {}
  ~FileTransport() override { Disconnect(); }
  std::string Describe() const override;
  absl::Status Connect() override;
  DeliverResult Deliver(std::string_view records) override;
  void Disconnect() override;
  absl::Status Reopen() override;

 private:
  absl::Status Rotate();

  const std::string path_;  // "-": standard output
  const uint64_t rotate_;
  const uint32_t keep_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// file:PATH?rotate=SIZE&keep=N, and "-".
absl::StatusOr<std::unique_ptr<Transport>> MakeFileTransport(OutputSpec& spec);

}  // namespace kagami::output
