#include "engine/output/sinks/transport_registry.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "engine/output/sinks/fast_transport.h"
#include "engine/output/sinks/file_transport.h"
#include "engine/output/sinks/kafka_transport.h"
#include "engine/output/sinks/redis_transport.h"
#include "engine/output/sinks/socket_transport.h"

namespace kagami::output {
namespace {

struct Scheme {
  absl::string_view name;
  absl::string_view form;
  absl::StatusOr<std::unique_ptr<Transport>> (*make)(OutputSpec&);
  bool local;  // a file: must open at start
};

constexpr std::array<Scheme, 11> kSchemes{{
    {"stdout", "- (standard output)", &MakeFileTransport, true},
    {"file", "file:PATH[?rotate=SIZE&keep=N]", &MakeFileTransport, true},
    {"unix-dgram", "unix-dgram:PATH", &MakeSocketTransport, false},
    {"unix-stream", "unix-stream:PATH", &MakeSocketTransport, false},
    {"syslog", "syslog:[PATH] (RFC 5424 to /dev/log or PATH)[?facility=local5&hostname=H&app=kagami]",
     &MakeSocketTransport, false},
    {"syslog+udp", "syslog+udp://HOST:PORT", &MakeSocketTransport, false},
    {"syslog+tcp", "syslog+tcp://HOST:PORT (octet-counted)", &MakeSocketTransport, false},
    {"redis", "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?mode=list|rpush|channel|stream&key=K&maxlen=N]",
     &MakeRedisTransport, false},
    {"redis+unix", "redis+unix://[[USER]:PASSWORD@]/PATH[?db=N&mode=...&key=K]", &MakeRedisTransport, false},
    {"kafka", "kafka://BROKER[:PORT][,BROKER...]/TOPIC[?prop.NAME=VALUE]", &MakeKafkaTransport, false},
    {"fast", "fast:PATH or fast:- (Suricata fast.log lines, alerts only)[?rotate=SIZE&keep=N]", &MakeFastTransport,
     true},
}};

const Scheme* Find(absl::string_view name) {
  for (const Scheme& s : kSchemes) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(OutputSpec& spec) {
  const Scheme* scheme = Find(spec.scheme);
  if (scheme == nullptr) {
    std::string names;
    for (const Scheme& s : kSchemes) absl::StrAppend(&names, names.empty() ? "" : ", ", s.name);
    return absl::InvalidArgumentError(
        absl::StrCat("output '", spec.url, "': unknown scheme '", spec.scheme, "' (known: ", names, ")"));
  }
  return scheme->make(spec);
}

bool MustConnectAtStart(const OutputSpec& spec) {
  const Scheme* scheme = Find(spec.scheme);
  return scheme != nullptr && scheme->local;
}

std::string OutputSchemesHelp() {
  std::string out;
  for (const Scheme& s : kSchemes) absl::StrAppend(&out, "  ", s.form, "\n");
  return out;
}

}  // namespace kagami::output
