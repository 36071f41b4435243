#include "engine/output/sinks/redis_transport.h"

#include <hiredis/hiredis.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kagami::output {
namespace {

constexpr timeval kTimeout{5, 0};

absl::string_view ModeCommand(RedisTransport::Mode mode) {
  switch (mode) {
    case RedisTransport::Mode::kLpush: return "LPUSH";
    case RedisTransport::Mode::kRpush: return "RPUSH";
    case RedisTransport::Mode::kPublish: return "PUBLISH";
    case RedisTransport::Mode::kXadd: return "XADD";
  }
  return "";
}

}  // namespace

std::string RedisEndpoint(const RedisTransport::Settings& s) {
  return absl::StrCat(s.path.empty() ? absl::StrCat(s.host, ":", s.port) : s.path,
                      s.db != 0 ? absl::StrCat(" db ", s.db) : std::string());
}

std::string RedisTransport::Describe() const {
  return absl::StrCat("redis ", RedisEndpoint(s_), " ", ModeCommand(s_.mode), " ", s_.key);
}

absl::Status RedisTransport::ConnectionError(absl::string_view what) const {
  return absl::UnavailableError(absl::StrCat(what, ": ", ctx_ != nullptr && ctx_->errstr[0] ? ctx_->errstr : "lost"));
}

absl::Status RedisTransport::Command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), argvlen.data()));
  if (reply == nullptr) return ConnectionError(absl::StrCat("redis ", args[0]));
  absl::Status s = reply->type == REDIS_REPLY_ERROR
                       ? absl::PermissionDeniedError(absl::StrCat("redis ", args[0], ": ", reply->str))
                       : absl::OkStatus();
  freeReplyObject(reply);
  return s;
}

absl::Status RedisTransport::Connect() {
  if (ctx_ != nullptr) return absl::OkStatus();
  ctx_ = s_.path.empty() ? redisConnectWithTimeout(s_.host.c_str(), s_.port, kTimeout)
                         : redisConnectUnixWithTimeout(s_.path.c_str(), kTimeout);
  if (ctx_ == nullptr) return absl::ResourceExhaustedError("redis: out of memory");
  if (ctx_->err != 0) {
    absl::Status s = ConnectionError(absl::StrCat("cannot connect to ", Describe()));
    Disconnect();
    return s;
  }
  redisSetTimeout(ctx_, kTimeout);
  if (s_.path.empty()) redisEnableKeepAlive(ctx_);
  absl::Status s;
  if (s_.auth) {
    s = s_.user.empty() ? Command({"AUTH", s_.password}) : Command({"AUTH", s_.user, s_.password});
  }
  if (s.ok() && s_.db != 0) s = Command({"SELECT", absl::StrCat(s_.db)});
  if (!s.ok()) Disconnect();
  return s;
}

void RedisTransport::Disconnect() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

int AppendRecordCommands(redisContext* ctx, const RedisTransport::Settings& s, std::string_view records, size_t max,
                         std::vector<size_t>* ends) {
  const absl::string_view name = ModeCommand(s.mode);
  const std::string_view command(name.data(), name.size());
  const std::string maxlen = absl::StrCat(s.maxlen);
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  int commands = 0;
  auto arg = [&](std::string_view a) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  };
  auto append = [&] {
    redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), argvlen.data());
    argv.clear();
    argvlen.clear();
    ++commands;
  };
  const bool one_command = s.mode == RedisTransport::Mode::kLpush || s.mode == RedisTransport::Mode::kRpush;
  if (one_command) {
    arg(command);
    arg(s.key);
  }
  size_t pos = 0;
  ends->clear();
  while (pos < records.size() && ends->size() < max) {
    const size_t end = records.find('\n', pos);
    const std::string_view record = records.substr(pos, end - pos);
    if (!one_command) {
      arg(command);
      arg(s.key);
      if (s.mode == RedisTransport::Mode::kXadd) {
        if (s.maxlen != 0) {
          arg("MAXLEN");
          arg("~");
          arg(maxlen);
        }
        arg("*");
        arg("eve");
      }
    }
    arg(record);
    if (!one_command) append();
    pos = end + 1;
    ends->push_back(pos);
  }
  if (one_command && !ends->empty()) append();
  return commands;
}

DeliverResult RedisTransport::Deliver(std::string_view records) {
  DeliverResult r;
  const absl::string_view command_name = ModeCommand(s_.mode);
  const bool one_command = s_.mode == Mode::kLpush || s_.mode == Mode::kRpush;
  std::vector<size_t> ends;
  while (r.bytes < records.size()) {
    const size_t base = r.bytes;
    const int commands = AppendRecordCommands(ctx_, s_, records.substr(base), s_.batch, &ends);
    for (size_t& e : ends) e += base;
    // Replies in order: a list's one reply covers the batch.
    absl::Status failed;
    size_t answered = 0;
    for (int i = 0; i < commands; ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
        r.status = ConnectionError(absl::StrCat("redis ", command_name));
        if (answered > 0) r.bytes = ends[answered - 1];
        return r;
      }
      auto* reply = static_cast<redisReply*>(raw);
      if (reply->type == REDIS_REPLY_ERROR && failed.ok()) {
        failed = absl::UnavailableError(absl::StrCat("redis ", command_name, ": ", reply->str));
      }
      if (failed.ok()) answered = one_command ? ends.size() : answered + 1;
      freeReplyObject(reply);
    }
    if (answered > 0) r.bytes = ends[answered - 1];
    if (!failed.ok()) {
      r.status = failed;
      return r;
    }
  }
  return r;
}

absl::StatusOr<RedisTransport::Settings> RedisSettingsFrom(OutputSpec& spec) {
  RedisTransport::Settings s;
  if (spec.scheme == "redis+unix") {
    if (!spec.host.empty() || spec.url_path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("output '", spec.url, "': expected redis+unix:///PATH"));
    }
    s.path = spec.url_path;
  } else {
    if (spec.host.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("output '", spec.url, "': expected redis://HOST[:PORT][/DB]"));
    }
    s.host = spec.host;
    if (spec.port != 0) s.port = spec.port;
    if (!spec.url_path.empty() && spec.url_path != "/" && !absl::SimpleAtoi(spec.url_path.substr(1), &s.db)) {
      return absl::InvalidArgumentError(
          absl::StrCat("output '", spec.url, "': the path is the database number, got '", spec.url_path, "'"));
    }
  }
  s.user = spec.user;
  s.password = spec.password;
  s.auth = spec.has_password;
  if (const OutputParam* p = TakeParam(spec, "db")) {
    if (!absl::SimpleAtoi(p->value, &s.db)) return ParamError(spec, *p, "db: expected a database number");
  }
  if (const OutputParam* p = TakeParam(spec, "mode")) {
    const std::string& m = p->value;
    if (m == "list" || m == "lpush") s.mode = RedisTransport::Mode::kLpush;
    else if (m == "rpush") s.mode = RedisTransport::Mode::kRpush;
    else if (m == "channel" || m == "publish") s.mode = RedisTransport::Mode::kPublish;
    else if (m == "stream" || m == "xadd") s.mode = RedisTransport::Mode::kXadd;
    else return ParamError(spec, *p, "mode: expected list (lpush), rpush, channel (publish) or stream (xadd)");
  }
  if (const OutputParam* p = TakeParam(spec, "key")) {
    if (p->value.empty()) return ParamError(spec, *p, "key: must not be empty");
    s.key = p->value;
  }
  if (const OutputParam* p = TakeParam(spec, "maxlen")) {
    if (!absl::SimpleAtoi(p->value, &s.maxlen) || s.maxlen == 0) {
      return ParamError(spec, *p, "maxlen: expected a number of entries");
    }
    if (s.mode != RedisTransport::Mode::kXadd) return ParamError(spec, *p, "maxlen: only for mode=stream");
  }
  if (const OutputParam* p = TakeParam(spec, "batch")) {
    if (!absl::SimpleAtoi(p->value, &s.batch) || s.batch == 0 || s.batch > 100000) {
      return ParamError(spec, *p, "batch: expected 1 to 100000 records");
    }
  }
  if (absl::Status st = CheckAllParamsUsed(spec, "mode, key, maxlen, batch, db"); !st.ok()) return st;
  return s;
}

absl::StatusOr<std::unique_ptr<Transport>> MakeRedisTransport(OutputSpec& spec) {
  absl::StatusOr<RedisTransport::Settings> s = RedisSettingsFrom(spec);
  if (!s.ok()) return s.status();
  return std::unique_ptr<Transport>(new RedisTransport(std::move(*s)));
}

}  // namespace kagami::output
