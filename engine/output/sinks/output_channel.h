#pragma once
// OutputChannel: one output's queue, spool and delivery thread around its
// Transport. The thread that writes records (the pipeline's writer) only
// appends to a bounded in-memory queue and never waits on the peer; the
// delivery thread takes the queue in batches, connects, reconnects with
// exponential backoff, and moves records to the disk spool while the peer
// is down or the queue is full. Order is kept throughout: the batch on its
// way is older than the spool, which is older than the queue. Records that
// fit nowhere (queue full and no spool, spool at its cap) are dropped and
// counted, never silently.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "engine/output/sinks/output_spec.h"
#include "engine/output/sinks/spool.h"
#include "engine/output/sinks/transport.h"

namespace kagami::output {

struct OutputCounters {
  uint64_t sent = 0;        // records the peer took
  uint64_t queued = 0;      // records in memory now (the queue and the batch on its way)
  uint64_t spooled = 0;     // records in the spool now
  uint64_t dropped = 0;     // records lost: no room, or refused by the peer
  uint64_t reconnects = 0;  // connections made after the first
  bool connected = false;
  std::string last_error;  // empty while none
};

class OutputChannel {
 public:
  OutputChannel(OutputSpec spec, std::unique_ptr<Transport> transport);
  ~OutputChannel();
  OutputChannel(const OutputChannel&) = delete;
  OutputChannel& operator=(const OutputChannel&) = delete;

  // Messages about the connection (lost, back, spool recovered), from the
  // delivery thread; set before Start.
  void set_event_handler(std::function<void(const std::string&)> handler) { on_event_ = std::move(handler); }
  // Opens the spool, connects once (the outcome in `first_connect`: the
  // caller decides whether a destination that does not work yet is fatal)
  // and starts the delivery thread, which retries. Fails only on a spool
  // that cannot be used.
  absl::Status Start(absl::Status* first_connect);
  // One whole record, ending with '\n'. Never blocks on the peer.
  void Write(std::string_view record);
  // Asks the delivery thread to reopen the destination (SIGHUP).
  void RequestReopen();
  // Delivers what is queued while the peer keeps taking records; once it
  // has made no progress for `grace`, what is left goes to the spool, or
  // without one is dropped and counted. Then the thread ends.
  void Stop(std::chrono::milliseconds grace);

  OutputCounters counters() const;
  const OutputSpec& spec() const { return spec_; }
  const std::string& description() const { return description_; }

 private:
  void Run();
  // The peer failed: note it, move what waits to the spool, sleep the
  // backoff. False once the thread is to end.
  bool AfterFailure(const absl::Status& status);
  void SpillQueueLocked();
  void Event(const std::string& text);

  const OutputSpec spec_;
  std::unique_ptr<Transport> transport_;
  const std::string description_;
  std::unique_ptr<Spool> spool_;
  std::function<void(const std::string&)> on_event_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string queue_;  // whole records, oldest first
  uint64_t queue_records_ = 0;
  bool stop_ = false;
  bool reopen_ = false;
  std::chrono::milliseconds grace_{0};
  std::string last_error_;

  // The delivery thread's own.
  std::string batch_;
  uint64_t batch_records_ = 0;  // only for a batch taken from the queue
  bool batch_from_spool_ = false;
  bool connected_ = false;
  bool ever_connected_ = false;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point last_progress_;

  std::atomic<uint64_t> sent_{0}, dropped_{0}, reconnects_{0};
  std::atomic<uint64_t> in_batch_{0};  // batch_records_, for counters()
  std::atomic<bool> connected_flag_{false};
};

}  // namespace kagami::output
