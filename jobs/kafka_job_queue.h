#pragma once
// KafkaJobQueue: capture paths as messages of a Kafka topic read by a
// consumer group, so many `kagami scan --jobs kafka://...` workers share an
// archive, exactly once through Kafka transactions (KIP-98, KIP-447).
//
// A worker is a member of the group (offsets never committed by the
// consumer itself, read_committed) and owns a transactional producer
// (transactional.id GROUP:WORKER). It takes one job at a time from the
// partitions the group gave it, and commits it in one transaction: the
// job's offset + 1 with the group metadata of the moment it took the job
// (send_offsets_to_transaction), then the job's records to every Kafka
// output on the same cluster and a status message (done or failed) to
// TOPIC.status, then commit_transaction. The group coordinator refuses
// the offsets of a worker that is no longer the partition's owner (its
// generation is gone: it was removed after session.timeout.ms without a
// heartbeat, i.e. it died or was frozen), so that worker aborts and its
// records are never visible to read_committed readers; the new owner
// starts from the last committed offset and redoes the job.
//
// Partitions move between workers only inside Next (a rebalance callback
// served by the poll), never while a job is scanned; that is what makes
// "the generation of the moment the job was taken" the right one to
// commit with. Parallelism is per partition: the job topic needs at least
// as many partitions as workers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "jobs/job_queue.h"

struct rd_kafka_s;
struct rd_kafka_message_s;
struct rd_kafka_conf_s;
struct rd_kafka_consumer_group_metadata_s;

namespace kagami::jobs {

class KafkaJobQueue final : public JobQueue {
 public:
  struct Settings {
    std::string brokers;  // bootstrap.servers, as written
    std::string topic;    // the jobs; TOPIC.status gets what became of each
    std::string group = "kagami";
    // The URL's prop.NAME=VALUE, applied to every handle after ours.
    std::vector<std::pair<std::string, std::string>> properties;
  };
  // kafka://BROKER[:PORT][,BROKER...]/TOPIC[?group=G&prop.NAME=VALUE...];
  // errors name the column of the bad part.
  static absl::StatusOr<Settings> ParseUrl(std::string_view url);
  // Checks that both topics exist. Joins the group only at the first Next,
  // so `kagami jobs submit|status` never disturb the workers.
  static absl::StatusOr<std::unique_ptr<KafkaJobQueue>> Open(std::string_view url, std::string consumer);
  ~KafkaJobQueue() override;

  // One message per path (the value), from an idempotent producer; waits
  // for every delivery report. Ids are "TOPIC/PARTITION/OFFSET".
  absl::Status Submit(const std::vector<std::string>& paths, std::vector<std::string>* ids) override;
  // Joins the group (session.timeout.ms = `timeout`) at the first call,
  // then polls up to `block`. A job taken is announced as started on the
  // status topic (its own small transaction) for `kagami jobs status`.
  absl::StatusOr<std::optional<Job>> Next(std::chrono::milliseconds timeout, std::chrono::milliseconds block) override;
  // Nothing to do: librdkafka's background thread heartbeats for as long
  // as the process runs, so the group keeps a scanning worker's partitions;
  // a dead or SIGSTOPped worker stops heartbeating and is removed after
  // session.timeout.ms.
  absl::Status Touch(const Job&) override { return absl::OkStatus(); }
  // The transaction described above. False when the group coordinator
  // refused the offsets (this worker is no longer the partition's owner)
  // or the consumer already knows its assignment is lost.
  absl::StatusOr<bool> Complete(const Job& job, std::string_view records, const std::vector<JobOutput>& outputs,
                                const std::string& error) override;
  // submitted: the high watermarks; waiting + running: high watermark -
  // committed offset, per partition; done, failed, per worker and the
  // failures: the status topic read from its start (read_committed);
  // running: jobs announced as started and not yet done or failed.
  absl::StatusOr<JobsStatus> Status() override;
  // Every partition's committed offset is its high watermark.
  absl::StatusOr<bool> Idle() override;
  // A Kafka output sharing a bootstrap broker with the job topic, without
  // a queue= or spool= of its own.
  absl::StatusOr<std::optional<JobOutput>> CommittedOutput(const std::string& url,
                                                           output::EventTypes default_types) const override;
  std::string Describe() const override;
  const std::string& consumer() const override { return consumer_; }

  const Settings& settings() const { return s_; }
  std::string status_topic() const { return s_.topic + ".status"; }

 private:
  // The job being scanned: where it is, and the group generation it was
  // taken in.
  struct Taken {
    std::string id;
    int32_t partition = 0;
    int64_t offset = 0;
    rd_kafka_consumer_group_metadata_s* group = nullptr;
  };
  struct Offsets {
    int64_t submitted = 0, pending = 0;  // pending: not yet committed
  };

  KafkaJobQueue(Settings settings, std::string consumer) : s_(std::move(settings)), consumer_(std::move(consumer)) {}
  // A producer or consumer with `ours` then the URL's properties;
  // `setup` adds callbacks.
  absl::StatusOr<rd_kafka_s*> NewHandle(bool producer, const std::vector<std::pair<std::string, std::string>>& ours,
                                        const std::function<void(rd_kafka_conf_s*)>& setup = {});
  absl::StatusOr<int> PartitionCount(const std::string& topic);
  absl::Status StartWorker(std::chrono::milliseconds timeout);
  absl::StatusOr<Offsets> JobOffsets();
  absl::Status Announce(const Job& job);
  // Produces one status message (inside the open transaction).
  absl::Status ProduceStatus(const std::string& id, std::string_view state, const std::string& path,
                             const std::string& error);
  // Produces one record to an output topic (inside the open transaction).
  absl::Status Produce(const std::string& topic, std::string_view value, std::string_view key);
  // Sets the consumer back to the job's offset, so a job that was not
  // committed is not skipped (when the partition is still this worker's).
  void Rewind(const Taken& t);
  void DropProducer();
  static void OnSubmitted(rd_kafka_s* rk, const rd_kafka_message_s* message, void* opaque);

  const Settings s_;
  const std::string consumer_;
  int partitions_ = 0;
  rd_kafka_s* meta_ = nullptr;      // metadata, watermarks, committed offsets, status reads; never joins
  rd_kafka_s* submit_ = nullptr;    // idempotent producer for Submit
  rd_kafka_s* member_ = nullptr;    // the group member (workers)
  rd_kafka_s* txn_ = nullptr;       // the transactional producer (workers)
  std::chrono::milliseconds session_{0};
  std::optional<Taken> taken_;
  struct Report {
    int err = -1;  // -1: waiting
    int32_t partition = -1;
    int64_t offset = -1;
  };
  std::vector<Report> reports_;  // Submit's delivery reports, by path
};

}  // namespace kagami::jobs
