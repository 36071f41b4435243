#pragma once
// Transport: how one kind of output moves records to its peer (a file, a
// socket, Redis). An OutputChannel owns one and calls it from its delivery
// thread only, so a transport needs no locking; queueing, spooling, retry
// and counting are the channel's, the same for every kind.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace kagami::output {

struct DeliverResult {
  // Bytes of `records` the peer took, always ending on a record boundary
  // (just after a '\n'): the channel keeps the rest and tries again.
  size_t bytes = 0;
  // Not ok: the connection is to be dropped and made again after a backoff.
  absl::Status status;
  // Records the peer refused for good (a datagram too large for it): they
  // are within `bytes`, counted as dropped, and not tried again.
  size_t rejected = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // "redis 127.0.0.1:6379 list kagami": for logs and `ctl stats`.
  virtual std::string Describe() const = 0;
  // Opens the file or connects; called before the first Deliver and after
  // every failure.
  virtual absl::Status Connect() = 0;
  // Delivers whole records: `records` is one or more records, each ending
  // with '\n'.
  virtual DeliverResult Deliver(std::string_view records) = 0;
  virtual void Disconnect() = 0;
  // Closes and opens the destination again (a file after logrotate moved
  // it); between deliveries. Does nothing for connections.
  virtual absl::Status Reopen() { return absl::OkStatus(); }
};

}  // namespace kagami::output
