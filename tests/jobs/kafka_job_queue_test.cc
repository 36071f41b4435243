// KafkaJobQueue against librdkafka's mock cluster: URLs, submit, take,
// commit with the records and the status, the counts, and a commit refused
// because the worker lost its partition. What the mock cannot check by
// itself (offsets sent in a transaction, generations) is said at each test.
#include "jobs/kafka_job_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/jobs/kafka_mock.h"

namespace kagami::jobs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing::KafkaMock;
using testing::KafkaRecord;

// librdkafka's protocol numbers (not in its public headers).
constexpr int kHeartbeat = 12;
constexpr int kTxnOffsetCommit = 28;

// Over the mock's 3 s hold of a group's first join.
constexpr std::chrono::milliseconds kSession{6000};

std::string Record(const std::string& type, int flow, int n) {
  return "{\"timestamp\":\"2026-12-07T10:00:00.000000+0000\",\"event_type\":\"" + type +
         "\",\"community_id\":\"1:flow" + std::to_string(flow) + "\",\"n\":" + std::to_string(n) + "}\n";
}

std::vector<std::string> States(const std::vector<KafkaRecord>& status) {
  std::vector<std::string> out;
  for (const KafkaRecord& r : status) out.push_back(r.state + " " + r.key);
  return out;
}

class KafkaJobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(mock_.ok());
    ASSERT_TRUE(mock_.CreateTopic("jobs", 2));
    ASSERT_TRUE(mock_.CreateTopic("jobs.status", 1));
    ASSERT_TRUE(mock_.CreateTopic("eve", 3));
  }
  std::string Url(const std::string& query = "") {
    return "kafka://" + mock_.bootstraps() + "/jobs?prop.log_level=0" + query;
  }
  std::unique_ptr<KafkaJobQueue> Open(const std::string& name, const std::string& query = "") {
    auto q = KafkaJobQueue::Open(Url(query), name);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? std::move(*q) : nullptr;
  }
  // The next job, waiting for the group to form.
  std::optional<Job> Take(JobQueue& q) {
    for (int i = 0; i < 40; ++i) {
      auto job = q.Next(kSession, std::chrono::milliseconds(500));
      EXPECT_TRUE(job.ok()) << job.status();
      if (job.ok() && job->has_value()) return *job;
    }
    return std::nullopt;
  }
  JobOutput Eve(JobQueue& q, const std::string& query = "") {
    auto o = q.CommittedOutput("kafka://" + mock_.bootstraps() + "/eve" + query, output::kEventAlert);
    EXPECT_TRUE(o.ok() && o->has_value());
    return o.ok() && o->has_value() ? **o : JobOutput{};
  }

  KafkaMock mock_;
};

TEST_F(KafkaJobQueueTest, UrlErrorsNameTheColumn) {
  auto no_group = KafkaJobQueue::ParseUrl("kafka://b1:9092/jobs?group=");
  EXPECT_EQ(no_group.status().message(),
            "--jobs: output 'kafka://b1:9092/jobs?group=': column 22: group: must not be empty");
  auto bad = KafkaJobQueue::ParseUrl("kafka://b1:9092,b2/jobs?group=g&prop.acks=sometimes");
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("column 33: prop.acks: Invalid value for configuration property \"request.required.acks\""));
  auto reserved = KafkaJobQueue::ParseUrl("kafka://b1/jobs?prop.enable.auto.commit=true");
  EXPECT_THAT(std::string(reserved.status().message()),
              HasSubstr("column 17: prop.enable.auto.commit: set by the job queue itself"));
  auto unknown = KafkaJobQueue::ParseUrl("kafka://b1/jobs?key=x");
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("column 17: unknown parameter 'key' for a kafka job queue (it takes group, prop.NAME)"));
  EXPECT_THAT(std::string(KafkaJobQueue::ParseUrl("kafka://b1:9092").status().message()),
              HasSubstr("expected kafka://BROKER[:PORT][,BROKER...]/TOPIC"));
  auto good = KafkaJobQueue::ParseUrl("kafka://b1:9092,b2/jobs?prop.session.timeout.ms=10000");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->brokers, "b1:9092,b2");
  EXPECT_EQ(good->topic, "jobs");
  EXPECT_EQ(good->group, "kagami");
  EXPECT_THAT(good->properties, ElementsAre(std::pair<std::string, std::string>("session.timeout.ms", "10000")));
  EXPECT_THAT(std::string(OpenJobQueue("ftp://h/x", "w").status().message()),
              HasSubstr("expected redis://HOST[:PORT]?key=STREAM, redis+unix:///PATH?key=STREAM or kafka://"));
  // Open's check that both topics exist cannot be seen here: the mock
  // makes any topic asked for.
}

TEST_F(KafkaJobQueueTest, OutputsOnTheSameClusterAreCommitted) {
  auto q = Open("w1");
  ASSERT_NE(q, nullptr);
  const std::string first_broker = mock_.bootstraps().substr(0, mock_.bootstraps().find(','));
  auto same = q->CommittedOutput("kafka://" + first_broker + "/eve?types=alert,dns", output::kEventAlert);
  ASSERT_TRUE(same.ok() && same->has_value());
  EXPECT_EQ((*same)->topic, "eve");
  EXPECT_EQ((*same)->types, output::kEventAlert | output::kEventDns);
  EXPECT_FALSE(q->CommittedOutput("kafka://elsewhere:9092/eve", output::kEventAlert)->has_value());
  EXPECT_FALSE(q->CommittedOutput("kafka://" + first_broker + "/eve?spool=/tmp/s", output::kEventAlert)->has_value());
  EXPECT_FALSE(q->CommittedOutput("redis://localhost?key=k", output::kEventAlert)->has_value());
  auto wrong = q->CommittedOutput("kafka://" + first_broker + "/eve?prop.acks=sometimes", output::kEventAlert);
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("prop.acks: Invalid value"));
}

TEST_F(KafkaJobQueueTest, SubmitTakeAndCommitWithRecordsAndStatus) {
  auto client = Open("client");
  ASSERT_NE(client, nullptr);
  std::vector<std::string> ids;
  ASSERT_TRUE(client->Submit({"/a.pcap", "/b.pcap", "/c.pcap"}, &ids).ok());
  ASSERT_THAT(ids, SizeIs(3));
  for (const std::string& id : ids) EXPECT_THAT(id, ::testing::MatchesRegex("jobs/[01]/[0-9]+"));
  auto before = client->Status();
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->submitted, 3u);
  EXPECT_EQ(before->waiting, 3u);
  EXPECT_EQ(before->running, 0u);

  auto worker = Open("w1");
  ASSERT_NE(worker, nullptr);
  const JobOutput eve = Eve(*worker);
  std::set<std::string> paths;
  std::string failed_id;
  for (int i = 0; i < 3; ++i) {
    std::optional<Job> job = Take(*worker);
    ASSERT_TRUE(job.has_value());
    EXPECT_NE(std::find(ids.begin(), ids.end(), job->id), ids.end());
    paths.insert(job->path);
    // The status shows it running while it is scanned.
    auto running = client->Status();
    ASSERT_TRUE(running.ok());
    EXPECT_EQ(running->running, 1u);
    ASSERT_THAT(running->workers, ::testing::Contains(::testing::Field(&JobsStatus::Worker::running, 1u)));
    const std::string records = Record("alert", i, 2 * i) + Record("dns", i, 2 * i + 1);
    const std::string error = job->path == "/b.pcap" ? "not a pcap or pcapng file" : "";
    if (!error.empty()) failed_id = job->id;
    auto done = worker->Complete(*job, records, {eve}, error);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_TRUE(*done);
  }
  EXPECT_EQ(paths, (std::set<std::string>{"/a.pcap", "/b.pcap", "/c.pcap"}));

  // The alert records (the output takes alerts only), keyed by flow.
  std::vector<KafkaRecord> records = mock_.ReadAll("eve", 3);
  ASSERT_THAT(records, SizeIs(3));
  for (const KafkaRecord& r : records) {
    EXPECT_THAT(r.value, HasSubstr("\"event_type\":\"alert\""));
    EXPECT_THAT(r.value, HasSubstr("\"community_id\":\"" + r.key + "\""));
  }
  std::vector<KafkaRecord> status = mock_.ReadAll("jobs.status", 1);
  ASSERT_THAT(status, SizeIs(6));  // started and done (or failed) per job
  for (const KafkaRecord& r : status) EXPECT_EQ(r.worker, "w1");
  EXPECT_EQ(std::count_if(status.begin(), status.end(), [](const KafkaRecord& r) { return r.state == "failed"; }), 1);

  auto after = client->Status();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->submitted, 3u);
  EXPECT_EQ(after->done, 2u);
  EXPECT_EQ(after->failed, 1u);
  EXPECT_EQ(after->running, 0u);
  ASSERT_THAT(after->workers, SizeIs(1));
  EXPECT_EQ(after->workers[0].name, "w1");
  EXPECT_EQ(after->workers[0].done, 2u);
  EXPECT_EQ(after->workers[0].failed, 1u);
  EXPECT_THAT(after->failures, ElementsAre(failed_id + " /b.pcap: not a pcap or pcapng file"));
  // waiting and Idle come from the group's committed offsets, which the
  // mock does not keep for a transaction: see WaitingAndIdleFollowTheCommittedOffsets.
}

// The mock keeps no offset sent in a transaction (TxnOffsetCommit is
// answered, not stored), so the committed offsets Status and Idle read are
// put there with a plain commit, as a broker does when a transaction
// commits.
TEST_F(KafkaJobQueueTest, WaitingAndIdleFollowTheCommittedOffsets) {
  ASSERT_TRUE(mock_.CreateTopic("one", 1));
  ASSERT_TRUE(mock_.CreateTopic("one.status", 1));
  auto client = KafkaJobQueue::Open("kafka://" + mock_.bootstraps() + "/one?group=g&prop.log_level=0", "client");
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<std::string> ids;
  ASSERT_TRUE((*client)->Submit({"/0", "/1", "/2", "/3"}, &ids).ok());
  EXPECT_THAT(ids, ElementsAre("one/0/0", "one/0/1", "one/0/2", "one/0/3"));
  ASSERT_TRUE(mock_.Commit("g", "one", 0, 2));
  auto st = (*client)->Status();
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->submitted, 4u);
  EXPECT_EQ(st->waiting, 2u);
  EXPECT_FALSE(*(*client)->Idle());
  // A worker of the group starts at the committed offset.
  auto worker = KafkaJobQueue::Open("kafka://" + mock_.bootstraps() + "/one?group=g&prop.log_level=0", "w1");
  ASSERT_TRUE(worker.ok());
  std::optional<Job> job = Take(**worker);
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->id, "one/0/2");
  EXPECT_EQ(job->path, "/2");
  st = (*client)->Status();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->running, 1u);
  EXPECT_EQ(st->waiting, 1u);

  ASSERT_TRUE(mock_.Commit("done", "one", 0, 4));
  auto idle = KafkaJobQueue::Open("kafka://" + mock_.bootstraps() + "/one?group=done&prop.log_level=0", "client");
  ASSERT_TRUE(idle.ok());
  EXPECT_TRUE(*(*idle)->Idle());
}

// The group coordinator refuses the offsets of a worker whose generation
// is gone. The mock does not check generations, so the refusal a broker
// gives (ILLEGAL_GENERATION) is pushed for the next TxnOffsetCommit.
TEST_F(KafkaJobQueueTest, RefusedOffsetsCommitNothing) {
  auto worker = Open("w1");
  ASSERT_NE(worker, nullptr);
  std::vector<std::string> ids;
  ASSERT_TRUE(worker->Submit({"/only.pcap"}, &ids).ok());
  std::optional<Job> job = Take(*worker);
  ASSERT_TRUE(job.has_value());
  const std::string records = Record("alert", 1, 1) + Record("alert", 2, 2);
  mock_.PushErrors(kTxnOffsetCommit, 1, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION);
  auto lost = worker->Complete(*job, records, {Eve(*worker)}, "");
  ASSERT_TRUE(lost.ok()) << lost.status();
  EXPECT_FALSE(*lost);
  // Not even a read_uncommitted reader sees any of it: the records are
  // produced only once the offsets were taken.
  EXPECT_THAT(mock_.ReadAll("eve", 3, "read_uncommitted"), IsEmpty());
  EXPECT_THAT(States(mock_.ReadAll("jobs.status", 1, "read_uncommitted")), ElementsAre("started " + job->id));

  // Still the partition's owner here (nothing else moved): the job comes
  // back and commits.
  std::optional<Job> again = Take(*worker);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, job->id);
  auto done = worker->Complete(*again, records, {Eve(*worker)}, "");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(*done);
  EXPECT_THAT(mock_.ReadAll("eve", 3), SizeIs(2));
  EXPECT_THAT(States(mock_.ReadAll("jobs.status", 1)),
              ElementsAre("started " + job->id, "started " + job->id, "done " + job->id));
}

// The consumer learns it is no longer a member (the coordinator answers a
// heartbeat UNKNOWN_MEMBER_ID, as it does once a frozen worker's session
// timed out): the assignment is lost, Complete sends nothing, and the job
// is taken again once the worker has rejoined.
TEST_F(KafkaJobQueueTest, LostAssignmentCommitsNothing) {
  auto worker = Open("w1");
  ASSERT_NE(worker, nullptr);
  std::vector<std::string> ids;
  ASSERT_TRUE(worker->Submit({"/only.pcap"}, &ids).ok());
  std::optional<Job> job = Take(*worker);
  ASSERT_TRUE(job.has_value());
  mock_.PushErrors(kHeartbeat, 1, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
  // Heartbeats go every session.timeout.ms / 3.
  std::this_thread::sleep_for(kSession / 3 * 2);
  auto lost = worker->Complete(*job, Record("alert", 1, 1), {Eve(*worker)}, "");
  ASSERT_TRUE(lost.ok()) << lost.status();
  EXPECT_FALSE(*lost);
  EXPECT_THAT(mock_.ReadAll("eve", 3, "read_uncommitted"), IsEmpty());
  std::optional<Job> again = Take(*worker);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, job->id);
  auto done = worker->Complete(*again, Record("alert", 1, 1), {Eve(*worker)}, "");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(*done);
  EXPECT_THAT(mock_.ReadAll("eve", 3), SizeIs(1));
}

}  // namespace
}  // namespace kagami::jobs
