#pragma once
// Records to Redis (hiredis): a list (LPUSH, Suricata's "list", or RPUSH),
// a channel (PUBLISH) or a stream (XADD with an optional approximate
// MAXLEN, the record in field "eve"). Commands are pipelined in batches:
// a list takes a batch in one LPUSH/RPUSH; a channel or stream sends one
// command per record and reads the replies after the batch. Records count
// as delivered once their reply says so, so a connection lost mid-batch
// sends only the unanswered ones again (Redis may have run some of those:
// delivery is at least once). AUTH (with an ACL user) and SELECT are sent
// on every connection.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/output/sinks/output_spec.h"
#include "engine/output/sinks/transport.h"

struct redisContext;

namespace kagami::output {

class RedisTransport final : public Transport {
 public:
  enum class Mode { kLpush, kRpush, kPublish, kXadd };
  struct Settings {
    std::string path;  // a unix socket, or empty for host:port
    std::string host;
    uint16_t port = 6379;
    std::string user, password;
    bool auth = false;
    uint32_t db = 0;
    Mode mode = Mode::kLpush;
    std::string key = "kagami";
    uint64_t maxlen = 0;  // streams: 0 = unbounded
    uint32_t batch = 512;
  };
  explicit RedisTransport(Settings settings) : s_(std::move(settings)) {}
  ~RedisTransport() override { Disconnect(); }
  std::string Describe() const override;
  absl::Status Connect() override;
  DeliverResult Deliver(std::string_view records) override;
  void Disconnect() override;
  // The connection (after Connect), for callers that send their own
  // commands on it (the archive job queue).
  redisContext* context() const { return ctx_; }
  const Settings& settings() const { return s_; }

 private:
  absl::Status Command(const std::vector<std::string>& args);
  absl::Status ConnectionError(absl::string_view what) const;

  const Settings s_;
  redisContext* ctx_ = nullptr;
};

// Where a Redis connection goes: "HOST:PORT" or the socket path, with
// " db N" when not 0.
std::string RedisEndpoint(const RedisTransport::Settings& s);

// Appends to `ctx`'s pipeline (redisAppendCommandArgv) the commands that
// store up to `max` records from the front of `records` as `s` says, and
// returns how many commands that is; `ends` gets the end of each record
// taken.
int AppendRecordCommands(redisContext* ctx, const RedisTransport::Settings& s, std::string_view records, size_t max,
                         std::vector<size_t>* ends);

// The settings a redis:// or redis+unix:// URL asks for (errors as
// MakeRedisTransport's).
absl::StatusOr<RedisTransport::Settings> RedisSettingsFrom(OutputSpec& spec);

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] and
// redis+unix://[[USER]:PASSWORD@]/PATH with ?mode=list|lpush|rpush|
// channel|publish|stream|xadd&key=K&maxlen=N&batch=N&db=N.
absl::StatusOr<std::unique_ptr<Transport>> MakeRedisTransport(OutputSpec& spec);

}  // namespace kagami::output
