#pragma once
// RedisJobQueue: capture paths to scan, as entries of a Redis stream read
// by a consumer group, so many `kagami scan --jobs` workers on many
// machines share an archive. A worker takes a new job (XREADGROUP) or one
// whose worker went quiet for longer than the job timeout (XAUTOCLAIM),
// keeps it claimed while it scans (Touch, from a heartbeat thread with its
// own connection), and then commits it: in one Lua script on the server,
// it checks that it still owns the job, stores the job's records in every
// Redis output on the same server, acknowledges the job (XACK) and counts
// it. A worker killed mid-job commits nothing; the job is redone by
// another; a worker that lost its job to another while it was stopped
// finds out at commit and drops its records. So each capture reaches
// those outputs exactly once.
//
// Keys: STREAM (the jobs: field "path"), STREAM:stats (a hash: done,
// failed, worker:NAME:done, worker:NAME:failed), STREAM:failed (a list of
// "ID PATH: error").

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/output/event_types.h"
#include "engine/output/sinks/redis_transport.h"

namespace kagami::jobs {

struct Job {
  std::string id;  // the stream entry id
  std::string path;
};

// A Redis output committed with each job: where, and which event types.
struct JobOutput {
  output::RedisTransport::Settings settings;
  output::EventTypes types = 0;
};

struct JobsStatus {
  uint64_t submitted = 0, done = 0, failed = 0, running = 0, waiting = 0;
  struct Worker {
    std::string name;
    uint64_t done = 0, failed = 0, running = 0;
  };
  std::vector<Worker> workers;
  std::vector<std::string> failures;  // "ID PATH: error"
};

class RedisJobQueue {
 public:
  // redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]?key=STREAM[&group=G] or
  // redis+unix://[[USER]:PASSWORD@]/PATH?key=STREAM[&db=N&group=G]; makes
  // the consumer group (group "kagami" unless given) when it is missing.
  // `consumer` names this worker.
  static absl::StatusOr<std::unique_ptr<RedisJobQueue>> Open(std::string_view url, std::string consumer);

  absl::Status Submit(const std::vector<std::string>& paths, std::vector<std::string>* ids);
  // A job whose worker has been quiet for `timeout`, else a new one within
  // `block`; nullopt when there is none.
  absl::StatusOr<std::optional<Job>> Next(std::chrono::milliseconds timeout, std::chrono::milliseconds block);
  // Keeps `job` claimed by this worker (resets its idle time).
  absl::Status Touch(const Job& job);
  // Commits `job`: `records` (EVE lines) into each of `outputs` (Redis
  // outputs on this queue's server and database), XACK, counters; with an
  // `error`, counts the job as failed and keeps the message. False when
  // the job is no longer this worker's (nothing was written).
  absl::StatusOr<bool> Complete(const Job& job, std::string_view records, const std::vector<JobOutput>& outputs,
                                const std::string& error);
  absl::StatusOr<JobsStatus> Status();
  // Nothing waiting and nothing running: the archive is done.
  absl::StatusOr<bool> Idle();
  // Whether a Redis output writes to this queue's server and database
  // (and so can be committed with the job).
  bool SameServer(const output::RedisTransport::Settings& s) const;
  std::string Describe() const;
  const std::string& consumer() const { return consumer_; }

 private:
  RedisJobQueue(output::RedisTransport::Settings settings, std::string group, std::string consumer)
      : transport_(settings), group_(std::move(group)), consumer_(std::move(consumer)) {}
  absl::Status EnsureConnected();

  output::RedisTransport transport_;  // the connection, AUTH and SELECT
  std::string group_, consumer_;
};

}  // namespace kagami::jobs
