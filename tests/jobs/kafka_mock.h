#pragma once
// librdkafka's in-process mock cluster for the Kafka job queue tests (unit
// and end-to-end): its brokers listen on loopback TCP, so kagami processes
// started by a test reach them too.
//
// What librdkafka 2.0.2's mock does not do, and the tests work around in
// the open (see jobs/README.md, "Testing"):
// - TxnOffsetCommit is answered but not stored: offsets sent in a
//   transaction never become the group's committed offsets.
// - TxnOffsetCommit does not check the generation or the member: a
//   worker that lost its partition is not refused (a refusal is pushed
//   with rd_kafka_mock_push_request_errors instead).
// - Fetch has no last stable offset and no aborted transactions:
//   read_committed readers see aborted and open transactions' records.
// - No ListGroups / DescribeGroups.
// - A group's first JoinGroup is held 3 s, so session.timeout.ms must be
//   over about 4 s or the joining member times out meanwhile.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <string>
#include <vector>

namespace kagami::testing {

struct KafkaRecord {
  std::string key, value;
  std::string state, worker;  // the status topic's headers
};

class KafkaMock {
 public:
  KafkaMock() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (handle_ != nullptr) cluster_ = rd_kafka_mock_cluster_new(handle_, 3);
    if (cluster_ != nullptr) bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~KafkaMock() {
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
    if (handle_ != nullptr) rd_kafka_destroy(handle_);
  }
  KafkaMock(const KafkaMock&) = delete;
  KafkaMock& operator=(const KafkaMock&) = delete;

  bool ok() const { return cluster_ != nullptr; }
  const std::string& bootstraps() const { return bootstraps_; }
  rd_kafka_mock_cluster_t* cluster() { return cluster_; }
  bool CreateTopic(const std::string& topic, int partitions) {
    return rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 3) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  // The next `count` requests of type `api` (RD_KAFKAP_*) are answered `err`.
  void PushErrors(int api, size_t count, rd_kafka_resp_err_t err) {
    std::vector<rd_kafka_resp_err_t> errors(count, err);
    rd_kafka_mock_push_request_errors_array(cluster_, static_cast<int16_t>(api), errors.size(), errors.data());
  }

  // Every record of `topic` (all its partitions, from the start), read
  // without joining a group.
  std::vector<KafkaRecord> ReadAll(const std::string& topic, int partitions,
                                   const std::string& isolation = "read_committed") {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "kagami-test-reader", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "isolation.level", isolation.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    std::vector<KafkaRecord> out;
    if (c == nullptr) return out;
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
    int empty = 0;
    for (int p = 0; p < partitions; ++p) {
      int64_t low = 0, high = 0;
      rd_kafka_query_watermark_offsets(c, topic.c_str(), p, &low, &high, 5000);
      if (high == low) {
        ++empty;
        continue;
      }
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(c, parts);
    int at_end = empty;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (at_end < partitions && std::chrono::steady_clock::now() < end) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        ++at_end;
      } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        KafkaRecord r;
        if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
        r.value.assign(static_cast<const char*>(m->payload), m->len);
        r.state = Header(m, "state");
        r.worker = Header(m, "worker");
        out.push_back(std::move(r));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(c);
    return out;
  }

  // Stores `offset` as group `group`'s committed offset of topic/partition
  // with a plain OffsetCommit from outside the group (the mock takes it
  // while no member has joined).
  bool Commit(const std::string& group, const std::string& topic, int partition, int64_t offset) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (c == nullptr) return false;
    rd_kafka_topic_partition_list_t* at = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(at, topic.c_str(), partition)->offset = offset;
    const rd_kafka_resp_err_t e = rd_kafka_commit(c, at, 0);
    rd_kafka_topic_partition_list_destroy(at);
    rd_kafka_destroy(c);
    return e == RD_KAFKA_RESP_ERR_NO_ERROR;
  }

 private:
  static std::string Header(rd_kafka_message_t* m, const char* name) {
    rd_kafka_headers_t* headers = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || value == nullptr) {
      return "";
    }
    return std::string(static_cast<const char*>(value), size);
  }

  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

}  // namespace kagami::testing
