// The Redis output against a real redis-server on a unix socket in a
// scratch directory, read back with hiredis.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <thread>

#include "engine/output/sinks/output_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/output/sinks/records.h"
#include "tests/support/peers.h"

namespace kagami::output {
namespace {

using kagami::testing::HaveProgram;
using kagami::testing::RedisServer;
using kagami::testing::ScratchDir;
using kagami::testing::WaitFor;
using testing::Numbers;
using testing::Range;
using testing::Record;
using ::testing::HasSubstr;

constexpr auto kPatience = std::chrono::seconds(20);

class RedisOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveProgram("redis-server")) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps)";
  }
  // A client of our own, to read back what the output wrote.
  redisContext* Client(const RedisServer& server, const std::string& password = "") {
    redisContext* c = redisConnectUnix(server.socket().c_str());
    EXPECT_TRUE(c != nullptr && c->err == 0);
    if (!password.empty()) freeReplyObject(redisCommand(c, "AUTH %s", password.c_str()));
    clients_.push_back(c);
    return c;
  }
  void TearDown() override {
    for (redisContext* c : clients_) redisFree(c);
  }
  // Every element of a list, oldest first (LPUSH puts the newest first).
  std::string List(redisContext* c, const std::string& key, bool lpush) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "LRANGE %s 0 -1", key.c_str()));
    std::vector<std::string> items;
    for (size_t i = 0; r != nullptr && i < r->elements; ++i) items.emplace_back(r->element[i]->str, r->element[i]->len);
    if (r) freeReplyObject(r);
    if (lpush) std::reverse(items.begin(), items.end());
    std::string all;
    for (const std::string& s : items) all += s + "\n";
    return all;
  }
  std::vector<redisContext*> clients_;
};

void WriteRange(OutputSet& set, int from, int to) {
  for (int i = from; i < to; ++i) set.Write(Record(i));
}

TEST_F(RedisOutputTest, ListsInBothDirectionsAndDatabases) {
  ScratchDir dir;
  RedisServer server(dir.path());
  ASSERT_TRUE(server.Start());
  OutputSet set;
  ASSERT_TRUE(set.Add("redis+unix://" + server.socket() + "?key=l&batch=7", kEventAlert).ok());
  ASSERT_TRUE(set.Add("redis+unix://" + server.socket() + "?mode=rpush&key=r&db=3", kEventAlert).ok());
  WriteRange(set, 0, 100);
  set.Stop(std::chrono::seconds(5));
  redisContext* c = Client(server);
  EXPECT_EQ(Numbers(List(c, "l", true)), Range(0, 100));
  EXPECT_EQ(List(c, "r", false), "");  // in database 3
  freeReplyObject(redisCommand(c, "SELECT 3"));
  const std::string r = List(c, "r", false);
  EXPECT_EQ(Numbers(r), Range(0, 100));
  EXPECT_EQ(r.substr(0, r.find('\n') + 1), Record(0)) << "the record as written, without its newline";
  EXPECT_EQ(set.Snapshot()[0].counters.sent, 100u);
}

TEST_F(RedisOutputTest, ChannelReachesASubscriber) {
  ScratchDir dir;
  RedisServer server(dir.path());
  ASSERT_TRUE(server.Start());
  redisContext* sub = Client(server);
  freeReplyObject(redisCommand(sub, "SUBSCRIBE alerts"));
  OutputSet set;
  ASSERT_TRUE(set.Add("redis+unix://" + server.socket() + "?mode=channel&key=alerts", kEventAlert).ok());
  WriteRange(set, 0, 50);
  set.Stop(std::chrono::seconds(5));
  std::vector<int> got;
  while (got.size() < 50) {
    void* raw = nullptr;
    if (redisGetReply(sub, &raw) != REDIS_OK) break;
    auto* r = static_cast<redisReply*>(raw);
    ASSERT_EQ(r->elements, 3u);
    for (int n : Numbers(std::string(r->element[2]->str, r->element[2]->len))) got.push_back(n);
    freeReplyObject(r);
  }
  EXPECT_EQ(got, Range(0, 50));
}

TEST_F(RedisOutputTest, StreamWithMaxlenAndAuth) {
  ScratchDir dir;
  RedisServer server(dir.path(), "s3cret");
  ASSERT_TRUE(server.Start());
  OutputSet bad;
  ASSERT_TRUE(bad.Add("redis+unix://:wrong@" + server.socket() + "?mode=stream&key=s", kEventAlert).ok());
  bad.Write(Record(0));
  ASSERT_TRUE(WaitFor([&] { return !bad.Snapshot()[0].counters.last_error.empty(); }, kPatience));
  EXPECT_THAT(bad.Snapshot()[0].counters.last_error, HasSubstr("redis AUTH:"));
  bad.Stop(std::chrono::milliseconds(100));
  EXPECT_EQ(bad.dropped(), 1u);

  OutputSet set;
  ASSERT_TRUE(set.Add("redis+unix://:s3cret@" + server.socket() + "?mode=stream&key=s", kEventAlert).ok());
  ASSERT_TRUE(set.Add("redis+unix://:s3cret@" + server.socket() + "?mode=xadd&key=capped&maxlen=10", kEventAlert).ok());
  WriteRange(set, 0, 1000);
  set.Stop(std::chrono::seconds(5));
  redisContext* c = Client(server, "s3cret");
  auto* r = static_cast<redisReply*>(redisCommand(c, "XRANGE s - +"));
  ASSERT_NE(r, nullptr);
  std::vector<int> got;
  for (size_t i = 0; i < r->elements; ++i) {
    redisReply* fields = r->element[i]->element[1];
    ASSERT_EQ(std::string(fields->element[0]->str), "eve");
    for (int n : Numbers(fields->element[1]->str)) got.push_back(n);
  }
  freeReplyObject(r);
  EXPECT_EQ(got, Range(0, 1000));
  auto* len = static_cast<redisReply*>(redisCommand(c, "XLEN capped"));
  EXPECT_LT(len->integer, 1000) << "MAXLEN ~ trims the stream";
  freeReplyObject(len);
}

// The server goes away mid-run and comes back: what was written meanwhile
// waits in the spool and arrives once, in order.
TEST_F(RedisOutputTest, ServerStoppedAndRestartedMidRun) {
  ScratchDir dir;
  RedisServer server(dir.path());
  ASSERT_TRUE(server.Start());
  OutputSet set;
  ASSERT_TRUE(set.Add("redis+unix://" + server.socket() + "?mode=rpush&key=k&reconnect_max=200ms&spool=" + (dir / "spool"),
                      kEventAlert)
                  .ok());
  WriteRange(set, 0, 2000);
  ASSERT_TRUE(WaitFor([&] { return set.Snapshot()[0].counters.sent == 2000; }, kPatience));
  server.Stop();
  WriteRange(set, 2000, 4000);
  ASSERT_TRUE(WaitFor([&] { return set.Snapshot()[0].counters.spooled > 0; }, kPatience));
  ASSERT_TRUE(server.Start());
  WriteRange(set, 4000, 5000);
  set.Stop(std::chrono::seconds(10));
  const OutputCounters c = set.Snapshot()[0].counters;
  EXPECT_EQ(c.sent, 5000u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.spooled, 0u);
  EXPECT_GE(c.reconnects, 1u);
  EXPECT_EQ(Numbers(List(Client(server), "k", false)), Range(0, 5000));
}

}  // namespace
}  // namespace kagami::output
