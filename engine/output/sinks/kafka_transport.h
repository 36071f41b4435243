#pragma once
// Records to a Kafka topic through librdkafka: an idempotent producer
// (ordered, no duplicates from its own retries), lz4 compression unless
// told otherwise, each record keyed by its community_id so a flow's events
// stay in one partition, in order. A batch counts as delivered record by
// record from librdkafka's delivery reports: the longest run of reported
// successes from the batch's start, so whatever failed (a broker down past
// message.timeout.ms) is sent again from there, whole.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/output/sinks/output_spec.h"
#include "engine/output/sinks/transport.h"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace kagami::output {

class KafkaTransport final : public Transport {
 public:
  struct Settings {
    std::string brokers;  // bootstrap.servers
    std::string topic;
    // librdkafka properties, ours first, then the URL's prop.NAME=VALUE.
    std::vector<std::pair<std::string, std::string>> properties;
    uint32_t batch = 10000;  // records produced before waiting for their reports
  };
  explicit KafkaTransport(Settings settings) : s_(std::move(settings)) {}
  ~KafkaTransport() override;
  std::string Describe() const override;
  absl::Status Connect() override;
  DeliverResult Deliver(std::string_view records) override;
  void Disconnect() override;

 private:
  static void OnDelivery(rd_kafka_s* rk, const rd_kafka_message_s* message, void* opaque);
  void Destroy();

  const Settings s_;
  rd_kafka_s* rk_ = nullptr;
  std::vector<int> report_;  // per record of the chunk: -1 waiting, else the error code (0: delivered)
  size_t waiting_ = 0;
};

// kafka://BROKER[:PORT][,BROKER...]/TOPIC[?prop.NAME=VALUE&batch=N]
absl::StatusOr<std::unique_ptr<Transport>> MakeKafkaTransport(OutputSpec& spec);

// librdkafka's own check of one property; empty when it takes it.
std::string CheckKafkaProperty(const std::string& name, const std::string& value);

}  // namespace kagami::output
