#include "jobs/job_queue.h"

#include <hiredis/hiredis.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/output/event_types.h"
#include "engine/output/sinks/output_spec.h"
#include "jobs/kafka_job_queue.h"

namespace kagami::jobs {
namespace {

using Reply = std::unique_ptr<redisReply, void (*)(void*)>;

// The commit, run by the server as one step (see the header). KEYS: the
// stream, its stats hash, its failed list, then one key per output.
// ARGV: group, id, consumer, error ("" when none), the number of outputs,
// each output's command, MAXLEN ("0": none) and event types (",alert,dns,"),
// then each record as its event type and the record.
constexpr std::string_view kCommitScript = R"lua(
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 or p[1][2] ~= ARGV[3] then return 0 end
local n = tonumber(ARGV[5])
local first = 6 + 3 * n
for o = 1, n do
  local cmd, maxlen, types, key = ARGV[3 + 3 * o], ARGV[4 + 3 * o], ARGV[5 + 3 * o], KEYS[3 + o]
  for i = first, #ARGV - 1, 2 do
    if string.find(types, ',' .. ARGV[i] .. ',', 1, true) then
      local record = ARGV[i + 1]
      if cmd == 'XADD' then
        if maxlen ~= '0' then
          redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', 'eve', record, 'job', ARGV[2])
        else
          redis.call('XADD', key, '*', 'eve', record, 'job', ARGV[2])
        end
      else
        redis.call(cmd, key, record)
      end
    end
  end
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
local outcome = ARGV[4] == '' and 'done' or 'failed'
redis.call('HINCRBY', KEYS[2], outcome, 1)
redis.call('HINCRBY', KEYS[2], 'worker:' .. ARGV[3] .. ':' .. outcome, 1)
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[2] .. ' ' .. ARGV[4]) end
return 1
)lua";

std::string_view CommandOf(output::RedisTransport::Mode mode) {
  switch (mode) {
    case output::RedisTransport::Mode::kLpush: return "LPUSH";
    case output::RedisTransport::Mode::kRpush: return "RPUSH";
    case output::RedisTransport::Mode::kPublish: return "PUBLISH";
    case output::RedisTransport::Mode::kXadd: return "XADD";
  }
  return "";
}

std::string Text(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string(r->str, r->len)
                                                                                            : std::string();
}

uint64_t Number(const redisReply* r) {
  if (r == nullptr) return 0;
  if (r->type == REDIS_REPLY_INTEGER) return static_cast<uint64_t>(r->integer);
  uint64_t n = 0;
  if (r->type == REDIS_REPLY_STRING && absl::SimpleAtoi(absl::string_view(r->str, r->len), &n)) return n;
  return 0;
}

// The path of a stream entry [id, [field, value, ...]]; empty if none.
std::optional<Job> JobOf(const redisReply* entry) {
  if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) return std::nullopt;
  Job job;
  job.id = Text(entry->element[0]);
  const redisReply* fields = entry->element[1];
  if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY) return std::nullopt;  // deleted entry
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    if (Text(fields->element[i]) == "path") job.path = Text(fields->element[i + 1]);
  }
  return job;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobQueue>> OpenJobQueue(std::string_view url, std::string consumer) {
  if (url.starts_with("kafka:")) {
    auto q = KafkaJobQueue::Open(url, std::move(consumer));
    if (!q.ok()) return q.status();
    return std::unique_ptr<JobQueue>(std::move(*q));
  }
  if (url.starts_with("redis:") || url.starts_with("redis+unix:")) {
    auto q = RedisJobQueue::Open(url, std::move(consumer));
    if (!q.ok()) return q.status();
    return std::unique_ptr<JobQueue>(std::move(*q));
  }
  return absl::InvalidArgumentError(absl::StrCat("--jobs '", std::string(url),
                                                 "': expected redis://HOST[:PORT]?key=STREAM, "
                                                 "redis+unix:///PATH?key=STREAM or kafka://BROKER[,BROKER...]/TOPIC"));
}

absl::StatusOr<std::unique_ptr<RedisJobQueue>> RedisJobQueue::Open(std::string_view url_text, std::string consumer) {
  const std::string url(url_text);
  absl::StatusOr<output::OutputSpec> spec = output::ParseOutputUrl(url);
  if (!spec.ok()) return absl::InvalidArgumentError(absl::StrCat("--jobs: ", spec.status().message()));
  if (spec->scheme != "redis" && spec->scheme != "redis+unix") {
    return absl::InvalidArgumentError(absl::StrCat("--jobs '", url,
                                                   "': expected redis://HOST[:PORT]?key=STREAM or "
                                                   "redis+unix:///PATH?key=STREAM"));
  }
  std::string group = "kagami";
  if (const output::OutputParam* p = output::TakeParam(*spec, "group")) group = p->value;
  if (const output::OutputParam* p = output::TakeParam(*spec, "mode")) {
    return output::ParamError(*spec, *p, "mode: a job queue is a stream");
  }
  bool has_key = false;
  for (const output::OutputParam& p : spec->params) has_key = has_key || p.key == "key";
  if (!has_key) return absl::InvalidArgumentError(absl::StrCat("--jobs '", url, "': needs ?key=STREAM"));
  absl::StatusOr<output::RedisTransport::Settings> settings = output::RedisSettingsFrom(*spec);
  if (!settings.ok()) return absl::InvalidArgumentError(absl::StrCat("--jobs: ", settings.status().message()));
  std::unique_ptr<RedisJobQueue> q(new RedisJobQueue(*settings, group, std::move(consumer)));
  if (absl::Status s = q->EnsureConnected(); !s.ok()) return s;
  Reply r(static_cast<redisReply*>(redisCommand(q->transport_.context(), "XGROUP CREATE %b %b 0 MKSTREAM",
                                                settings->key.data(), settings->key.size(), group.data(),
                                                group.size())),
          freeReplyObject);
  if (r == nullptr) return absl::UnavailableError(absl::StrCat(q->Describe(), ": connection lost"));
  if (r->type == REDIS_REPLY_ERROR && !absl::StartsWith(r->str, "BUSYGROUP")) {
    return absl::FailedPreconditionError(absl::StrCat(q->Describe(), ": ", r->str));
  }
  return q;
}

std::string RedisJobQueue::Describe() const {
  return absl::StrCat("job queue redis ", output::RedisEndpoint(transport_.settings()), " ",
                      transport_.settings().key, " group ", group_);
}

absl::Status RedisJobQueue::EnsureConnected() {
  if (transport_.context() != nullptr && transport_.context()->err == 0) return absl::OkStatus();
  transport_.Disconnect();
  return transport_.Connect();
}

bool RedisJobQueue::SameServer(const output::RedisTransport::Settings& s) const {
  const output::RedisTransport::Settings& q = transport_.settings();
  return s.path == q.path && s.host == q.host && s.port == q.port && s.db == q.db;
}

absl::StatusOr<std::optional<JobOutput>> RedisJobQueue::CommittedOutput(const std::string& url,
                                                                       output::EventTypes default_types) const {
  absl::StatusOr<output::OutputSpec> spec = output::ParseOutputUrl(url);
  if (!spec.ok() || (spec->scheme != "redis" && spec->scheme != "redis+unix")) return std::nullopt;
  if (output::TakeParam(*spec, "spool") || output::TakeParam(*spec, "queue")) {
    // A queue or spool of its own would break the job's all-or-nothing
    // write; such an output is delivered like any other.
    return std::nullopt;
  }
  absl::StatusOr<output::RedisTransport::Settings> s = output::RedisSettingsFrom(*spec);
  if (!s.ok()) return s.status();
  if (!SameServer(*s)) return std::nullopt;
  JobOutput o;
  o.url = url;
  o.settings = *s;
  o.types = spec->types_given ? spec->types : default_types;
  return o;
}

absl::Status RedisJobQueue::Submit(const std::vector<std::string>& paths, std::vector<std::string>* ids) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string& key = transport_.settings().key;
  for (const std::string& path : paths) {
    Reply r(static_cast<redisReply*>(redisCommand(transport_.context(), "XADD %b * path %b", key.data(), key.size(),
                                                  path.data(), path.size())),
            freeReplyObject);
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": XADD: ", r ? r->str : "connection lost"));
    }
    ids->push_back(Text(r.get()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Job>> RedisJobQueue::Next(std::chrono::milliseconds timeout,
                                                       std::chrono::milliseconds block) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string& key = transport_.settings().key;
  const std::string idle = absl::StrCat(timeout.count());
  // A job a quiet worker held: [cursor, [entries], [deleted ids]].
  Reply claimed(static_cast<redisReply*>(redisCommand(transport_.context(), "XAUTOCLAIM %b %b %b %b 0-0 COUNT 1",
                                                      key.data(), key.size(), group_.data(), group_.size(),
                                                      consumer_.data(), consumer_.size(), idle.data(), idle.size())),
                freeReplyObject);
  if (claimed == nullptr) return absl::UnavailableError(absl::StrCat(Describe(), ": connection lost"));
  if (claimed->type == REDIS_REPLY_ERROR) return absl::UnavailableError(absl::StrCat(Describe(), ": ", claimed->str));
  if (claimed->type == REDIS_REPLY_ARRAY && claimed->elements >= 2 && claimed->element[1]->elements > 0) {
    if (std::optional<Job> job = JobOf(claimed->element[1]->element[0])) return job;
  }
  const std::string wait = absl::StrCat(block.count());
  Reply read(static_cast<redisReply*>(redisCommand(
                 transport_.context(), "XREADGROUP GROUP %b %b COUNT 1 BLOCK %b STREAMS %b >", group_.data(),
                 group_.size(), consumer_.data(), consumer_.size(), wait.data(), wait.size(), key.data(), key.size())),
             freeReplyObject);
  if (read == nullptr) return absl::UnavailableError(absl::StrCat(Describe(), ": connection lost"));
  if (read->type == REDIS_REPLY_ERROR) return absl::UnavailableError(absl::StrCat(Describe(), ": ", read->str));
  // [[key, [[id, [fields]]]]], or nil when nothing came.
  if (read->type != REDIS_REPLY_ARRAY || read->elements == 0) return std::optional<Job>();
  const redisReply* entries = read->element[0]->element[1];
  if (entries == nullptr || entries->elements == 0) return std::optional<Job>();
  return JobOf(entries->element[0]);
}

absl::Status RedisJobQueue::Touch(const Job& job) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string& key = transport_.settings().key;
  Reply r(static_cast<redisReply*>(redisCommand(transport_.context(), "XCLAIM %b %b %b 0 %b JUSTID", key.data(),
                                                key.size(), group_.data(), group_.size(), consumer_.data(),
                                                consumer_.size(), job.id.data(), job.id.size())),
          freeReplyObject);
  if (r == nullptr) return absl::UnavailableError(absl::StrCat(Describe(), ": connection lost"));
  return absl::OkStatus();
}

absl::StatusOr<bool> RedisJobQueue::Complete(const Job& job, std::string_view records,
                                             const std::vector<JobOutput>& outputs, const std::string& error) {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string& key = transport_.settings().key;
  std::vector<std::string> args = {"EVAL", std::string(kCommitScript), absl::StrCat(3 + outputs.size()), key,
                                   key + ":stats", key + ":failed"};
  for (const JobOutput& o : outputs) args.push_back(o.settings.key);
  args.insert(args.end(), {group_, job.id, consumer_, error.empty() ? "" : job.path + ": " + error,
                           absl::StrCat(outputs.size())});
  for (const JobOutput& o : outputs) {
    args.emplace_back(CommandOf(o.settings.mode));
    args.push_back(absl::StrCat(o.settings.mode == output::RedisTransport::Mode::kXadd ? o.settings.maxlen : 0));
    args.push_back("," + output::EventTypesList(o.types) + ",");
  }
  if (!outputs.empty()) {
    for (size_t pos = 0; pos < records.size();) {
      const size_t end = records.find('\n', pos);
      const std::string_view record = records.substr(pos, end - pos);
      // The type as the record spells it, for the script to filter on.
      args.emplace_back(output::RecordStringField(record, "event_type"));
      args.emplace_back(record);
      pos = end + 1;
    }
  }
  std::vector<const char*> argv;
  std::vector<size_t> len;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    len.push_back(a.size());
  }
  Reply r(static_cast<redisReply*>(
              redisCommandArgv(transport_.context(), static_cast<int>(argv.size()), argv.data(), len.data())),
          freeReplyObject);
  if (r == nullptr) return absl::UnavailableError(absl::StrCat(Describe(), ": connection lost"));
  if (r->type == REDIS_REPLY_ERROR) return absl::UnavailableError(absl::StrCat(Describe(), ": commit: ", r->str));
  return r->type == REDIS_REPLY_INTEGER && r->integer == 1;
}

absl::StatusOr<JobsStatus> RedisJobQueue::Status() {
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  const std::string& key = transport_.settings().key;
  redisContext* c = transport_.context();
  JobsStatus st;
  auto call = [&](const char* format, auto... a) {
    return Reply(static_cast<redisReply*>(redisCommand(c, format, a...)), freeReplyObject);
  };
  Reply len = call("XLEN %b", key.data(), key.size());
  if (len == nullptr) return absl::UnavailableError(absl::StrCat(Describe(), ": connection lost"));
  st.submitted = Number(len.get());
  std::map<std::string, JobsStatus::Worker> workers;
  const std::string stats_key = key + ":stats";
  Reply stats = call("HGETALL %b", stats_key.data(), stats_key.size());
  for (size_t i = 0; stats && stats->type == REDIS_REPLY_ARRAY && i + 1 < stats->elements; i += 2) {
    const std::string field = Text(stats->element[i]);
    const uint64_t n = Number(stats->element[i + 1]);
    if (field == "done") st.done = n;
    else if (field == "failed") st.failed = n;
    else if (absl::StartsWith(field, "worker:")) {
      const size_t colon = field.rfind(':');
      const std::string name = field.substr(7, colon - 7);
      workers[name].name = name;
      (field.substr(colon + 1) == "done" ? workers[name].done : workers[name].failed) = n;
    }
  }
  // [count, min id, max id, [[consumer, count], ...]]
  Reply pending = call("XPENDING %b %b", key.data(), key.size(), group_.data(), group_.size());
  if (pending && pending->type == REDIS_REPLY_ARRAY && pending->elements == 4) {
    st.running = Number(pending->element[0]);
    const redisReply* per = pending->element[3];
    for (size_t i = 0; per && per->type == REDIS_REPLY_ARRAY && i < per->elements; ++i) {
      const std::string name = Text(per->element[i]->element[0]);
      workers[name].name = name;
      workers[name].running = Number(per->element[i]->element[1]);
    }
  }
  // Entries no worker has read yet: the group's lag.
  Reply groups = call("XINFO GROUPS %b", key.data(), key.size());
  for (size_t g = 0; groups && groups->type == REDIS_REPLY_ARRAY && g < groups->elements; ++g) {
    const redisReply* info = groups->element[g];
    bool ours = false;
    uint64_t lag = 0;
    for (size_t i = 0; i + 1 < info->elements; i += 2) {
      const std::string field = Text(info->element[i]);
      if (field == "name") ours = Text(info->element[i + 1]) == group_;
      if (field == "lag") lag = Number(info->element[i + 1]);
    }
    if (ours) st.waiting = lag;
  }
  const std::string failed_key = key + ":failed";
  Reply failed = call("LRANGE %b 0 -1", failed_key.data(), failed_key.size());
  for (size_t i = 0; failed && failed->type == REDIS_REPLY_ARRAY && i < failed->elements; ++i) {
    st.failures.push_back(Text(failed->element[i]));
  }
  for (auto& [name, w] : workers) st.workers.push_back(w);
  return st;
}

absl::StatusOr<bool> RedisJobQueue::Idle() {
  absl::StatusOr<JobsStatus> st = Status();
  if (!st.ok()) return st.status();
  return st->waiting == 0 && st->running == 0;
}

}  // namespace kagami::jobs
