#pragma once
// OutputSet: every output of a run (--output URL, repeatable), each with its
// own event types. It is the EveRecordSink the pipeline's writer writes
// formatted records to; a record goes to each output that wants its event
// type, through that output's own queue (OutputChannel), so a slow or dead
// output never holds up the others or the packets.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "engine/output/eve_writer.h"
#include "engine/output/event_types.h"
#include "engine/output/sinks/output_channel.h"

namespace kagami::output {

class OutputSet final : public EveRecordSink {
 public:
  struct Status {
    std::string name, description;
    EventTypes types = 0;
    OutputCounters counters;
  };

  OutputSet() = default;
  ~OutputSet() override;
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // Connection news from the outputs (lost, back, spool found); set first.
  void set_event_handler(std::function<void(const std::string&)> handler) { on_event_ = std::move(handler); }
  // Parses `url`, makes its transport and starts it. Without ?types= it
  // takes `default_types`. Errors: a bad URL (with its column), a duplicate
  // name, a spool in use, a file that cannot be opened.
  absl::Status Add(std::string_view url, EventTypes default_types);

  void Write(std::string_view record) override;
  absl::Status Reopen() override;
  // Waits until every output has handed what it was given to its peer or
  // its spool, or `limit` passes; false then.
  bool WaitDelivered(std::chrono::milliseconds limit) const;
  // Ends every output (OutputChannel::Stop); idempotent.
  void Stop(std::chrono::milliseconds grace);

  // The union of the outputs' event types: what the scanner must format.
  EventTypes types() const;
  bool empty() const { return channels_.empty(); }
  std::vector<Status> Snapshot() const;
  uint64_t dropped() const;
  // {"NAME":{"sent":N,"queued":N,"spooled":N,"dropped":N,"reconnects":N,
  // "connected":B,"last_error":"..."},...}: for `kagami ctl stats`.
  std::string CountersJson() const;

 private:
  struct Entry {
    EventTypes types;
    std::unique_ptr<OutputChannel> channel;
  };
  std::vector<Entry> channels_;
  bool all_types_ = true;  // every output takes every type: no need to look
  std::function<void(const std::string&)> on_event_;
};

}  // namespace kagami::output
