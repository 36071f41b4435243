// The Kafka output against librdkafka's in-process mock cluster, read back
// with a librdkafka consumer.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <map>
#include <set>
#include <string>
#include <thread>

#include "engine/output/sinks/output_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/output/sinks/records.h"
#include "tests/support/peers.h"

namespace kagami::output {
namespace {

using kagami::testing::WaitFor;
using testing::Numbers;
using ::testing::HasSubstr;

constexpr int kBrokers = 3;
constexpr int kFlows = 20;

// A record of flow `i % kFlows`, numbered i.
std::string FlowRecord(int i) {
  return "{\"timestamp\":\"2026-12-07T10:00:00.000000+0000\",\"event_type\":\"alert\",\"community_id\":\"1:flow" +
         std::to_string(i % kFlows) + "\",\"n\":" + std::to_string(i) + "}\n";
}

class KafkaOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ASSERT_NE(handle_, nullptr) << err;
    cluster_ = rd_kafka_mock_cluster_new(handle_, kBrokers);
    ASSERT_NE(cluster_, nullptr);
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, "eve", 4, kBrokers), RD_KAFKA_RESP_ERR_NO_ERROR);
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  void TearDown() override {
    if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
    if (handle_) rd_kafka_destroy(handle_);
  }
  void SetBrokers(bool up) {
    for (int b = 1; b <= kBrokers; ++b) {
      if (up) rd_kafka_mock_broker_set_up(cluster_, b);
      else rd_kafka_mock_broker_set_down(cluster_, b);
    }
  }
  // Every message of the topic: key -> the records' numbers in the order
  // the partition holds them.
  std::map<std::string, std::vector<int>> Consume(size_t expected) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "verify", err, sizeof err);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, "eve", RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(c, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    std::map<std::string, std::vector<int>> by_key;
    size_t got = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (got < expected && std::chrono::steady_clock::now() < end) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 200);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const std::string key(static_cast<const char*>(m->key), m->key_len);
        const std::string value(static_cast<const char*>(m->payload), m->len);
        for (int n : Numbers(value)) by_key[key].push_back(n);
        ++got;
      }
      rd_kafka_message_destroy(m);
    }
    // A moment more: anything beyond `expected` is a duplicate.
    for (int i = 0; i < 5; ++i) {
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 100)) {
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const std::string key(static_cast<const char*>(m->key), m->key_len);
          for (int n : Numbers(std::string(static_cast<const char*>(m->payload), m->len))) by_key[key].push_back(n);
        }
        rd_kafka_message_destroy(m);
      }
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return by_key;
  }
  // Each flow's records arrived once each, in the order written.
  static void ExpectEachOnceInOrder(const std::map<std::string, std::vector<int>>& by_key, int total) {
    ASSERT_EQ(by_key.size(), static_cast<size_t>(kFlows));
    for (const auto& [key, numbers] : by_key) {
      const int flow = std::stoi(key.substr(6));
      std::vector<int> want;
      for (int i = flow; i < total; i += kFlows) want.push_back(i);
      EXPECT_EQ(numbers, want) << key;
    }
  }

  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

TEST_F(KafkaOutputTest, KeyedByCommunityIdInOrder) {
  OutputSet set;
  ASSERT_TRUE(set.Add("kafka://" + bootstraps_ + "/eve?prop.log_level=0", kEventAlert).ok());
  for (int i = 0; i < 2000; ++i) set.Write(FlowRecord(i));
  set.Stop(std::chrono::seconds(10));
  EXPECT_EQ(set.Snapshot()[0].counters.sent, 2000u);
  ExpectEachOnceInOrder(Consume(2000), 2000);
}

// Every broker goes down mid-run and comes back: librdkafka and the
// channel hold the records, and each arrives once, in order.
TEST_F(KafkaOutputTest, BrokersDownAndUp) {
  OutputSet set;
  ASSERT_TRUE(set.Add("kafka://" + bootstraps_ + "/eve?prop.log_level=0&reconnect_max=200ms", kEventAlert).ok());
  for (int i = 0; i < 1000; ++i) set.Write(FlowRecord(i));
  ASSERT_TRUE(WaitFor([&] { return set.Snapshot()[0].counters.sent == 1000; }, std::chrono::seconds(20)));
  SetBrokers(false);
  for (int i = 1000; i < 2000; ++i) set.Write(FlowRecord(i));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_LT(set.Snapshot()[0].counters.sent, 2000u) << "nothing can be delivered while every broker is down";
  SetBrokers(true);
  set.Stop(std::chrono::seconds(30));
  const OutputCounters c = set.Snapshot()[0].counters;
  EXPECT_EQ(c.sent, 2000u);
  EXPECT_EQ(c.dropped, 0u);
  ExpectEachOnceInOrder(Consume(2000), 2000);
}

TEST_F(KafkaOutputTest, PropertiesAreCheckedByLibrdkafka) {
  OutputSet set;
  absl::Status bad = set.Add("kafka://" + bootstraps_ + "/eve?prop.acks=sometimes", kEventAlert);
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.message()), HasSubstr(": prop.acks: Invalid value for configuration property \"request.required.acks\""));
  absl::Status unknown = set.Add("kafka://" + bootstraps_ + "/eve?prop.no.such.thing=1", kEventAlert);
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("No such configuration property: \"no.such.thing\""));
  EXPECT_THAT(std::string(set.Add("kafka://b1:9092,b2:9092", kEventAlert).message()),
              HasSubstr("expected kafka://BROKER[:PORT][,BROKER...]/TOPIC"));
}

}  // namespace
}  // namespace kagami::output
