#pragma once
// JobQueue: capture paths to scan, shared by many `kagami scan --jobs`
// workers on many machines. A worker takes a job (Next), scans it, and
// commits it (Complete): the job's records go to the outputs that can be
// written in the same step as the job's acknowledgement, all or nothing,
// so each capture reaches those outputs exactly once; a worker killed
// mid-job commits nothing and the job is redone by another. Two kinds:
// RedisJobQueue (below) and KafkaJobQueue (kafka_job_queue.h);
// OpenJobQueue picks one by the URL's scheme.
//
// RedisJobQueue: entries of a Redis stream read by a consumer group. A
// worker takes a new job (XREADGROUP) or one whose worker went quiet for
// longer than the job timeout (XAUTOCLAIM), keeps it claimed while it
// scans (Touch, from a heartbeat thread with its own connection), and then
// commits it: in one Lua script on the server, it checks that it still
// owns the job, stores the job's records in every Redis output on the same
// server, acknowledges the job (XACK) and counts it. A worker that lost
// its job to another while it was stopped finds out at commit and drops
// its records.
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
  std::string id;  // Redis: the stream entry id; Kafka: "TOPIC/PARTITION/OFFSET"
  std::string path;
};

// An output committed with each job: where, and which event types.
struct JobOutput {
  std::string url;                           // as given, for messages
  output::RedisTransport::Settings settings;  // a Redis output: key, mode, maxlen
  std::string topic;                          // a Kafka output: its topic
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

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // Adds one job per path; `ids` gets each job's id, in order.
  virtual absl::Status Submit(const std::vector<std::string>& paths, std::vector<std::string>* ids) = 0;
  // The next job for this worker, waiting up to `block`; nullopt when there
  // is none. `timeout` is --job-timeout: how long a worker may be quiet
  // before its job is another's.
  virtual absl::StatusOr<std::optional<Job>> Next(std::chrono::milliseconds timeout,
                                                  std::chrono::milliseconds block) = 0;
  // Keeps `job` this worker's while it scans (called from a heartbeat
  // thread on a queue of its own).
  virtual absl::Status Touch(const Job& job) = 0;
  // Commits `job`: `records` (EVE lines) into each of `outputs` (each one
  // CommittedOutput gave), the acknowledgement and the counts, all or
  // nothing; with an `error`, the job counts as failed and the message is
  // kept. False when the job is no longer this worker's (nothing was
  // written).
  virtual absl::StatusOr<bool> Complete(const Job& job, std::string_view records,
                                        const std::vector<JobOutput>& outputs, const std::string& error) = 0;
  virtual absl::StatusOr<JobsStatus> Status() = 0;
  // Nothing waiting and nothing running: the archive is done.
  virtual absl::StatusOr<bool> Idle() = 0;
  // Whether output `url` can be written in the same step as a job's
  // acknowledgement: then what to pass to Complete. nullopt when it is to
  // be delivered like any other output (at least once, before the commit);
  // an error when the URL is meant for this queue but wrong.
  virtual absl::StatusOr<std::optional<JobOutput>> CommittedOutput(const std::string& url,
                                                                   output::EventTypes default_types) const = 0;
  virtual std::string Describe() const = 0;
  virtual const std::string& consumer() const = 0;
};

// The queue a --jobs URL names: redis://, redis+unix:// or kafka://.
// `consumer` names this worker (or client).
absl::StatusOr<std::unique_ptr<JobQueue>> OpenJobQueue(std::string_view url, std::string consumer);

class RedisJobQueue final : public JobQueue {
 public:
  // redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]?key=STREAM[&group=G] or
  // redis+unix://[[USER]:PASSWORD@]/PATH?key=STREAM[&db=N&group=G]; makes
  // the consumer group (group "kagami" unless given) when it is missing.
  // `consumer` names this worker.
  static absl::StatusOr<std::unique_ptr<RedisJobQueue>> Open(std::string_view url, std::string consumer);

  absl::Status Submit(const std::vector<std::string>& paths, std::vector<std::string>* ids) override;
  // A job whose worker has been quiet for `timeout`, else a new one within
  // `block`; nullopt when there is none.
  absl::StatusOr<std::optional<Job>> Next(std::chrono::milliseconds timeout, std::chrono::milliseconds block) override;
  // Keeps `job` claimed by this worker (resets its idle time).
  absl::Status Touch(const Job& job) override;
  // One Lua script: ownership check (XPENDING), the records into each of
  // `outputs` (Redis outputs on this queue's server and database), XACK,
  // counters.
  absl::StatusOr<bool> Complete(const Job& job, std::string_view records, const std::vector<JobOutput>& outputs,
                                const std::string& error) override;
  absl::StatusOr<JobsStatus> Status() override;
  absl::StatusOr<bool> Idle() override;
  // A Redis output on this queue's server and database, without a queue=
  // or spool= of its own.
  absl::StatusOr<std::optional<JobOutput>> CommittedOutput(const std::string& url,
                                                           output::EventTypes default_types) const override;
  // Whether a Redis output writes to this queue's server and database.
  bool SameServer(const output::RedisTransport::Settings& s) const;
  std::string Describe() const override;
  const std::string& consumer() const override { return consumer_; }

 private:
  RedisJobQueue(output::RedisTransport::Settings settings, std::string group, std::string consumer)
      : transport_(settings), group_(std::move(group)), consumer_(std::move(consumer)) {}
  absl::Status EnsureConnected();

  output::RedisTransport transport_;  // the connection, AUTH and SELECT
  std::string group_, consumer_;
};

}  // namespace kagami::jobs
