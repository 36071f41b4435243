#pragma once
// OutputSpec: one `--output URL` (or `output:` list entry of the config
// file) taken apart. The URL forms are in README.md; this file only knows
// their grammar and the settings every output shares (name, event types,
// queue, spool, reconnect backoff). What a scheme does with its own
// parameters is its transport's business (transport_registry.cc).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/output/event_types.h"

namespace kagami::output {

struct OutputParam {
  std::string key, value;  // percent-decoded
  size_t column = 0;       // 1-based, where the key starts in the URL
  bool used = false;
};

struct OutputSpec {
  std::string url;     // as written
  std::string scheme;  // "file", "stdout", "unix-dgram", "syslog+tcp", "redis", ...
  std::string name;    // ?name=, else the scheme (made unique by OutputSet)
  bool name_given = false;

  // Where to: a filesystem path (file, unix sockets, syslog's local socket,
  // redis+unix) or a host and port (network schemes; host without the
  // brackets of an IPv6 literal).
  std::string path;
  std::string host;
  uint16_t port = 0;
  std::string user, password;  // redis://user:password@host
  bool has_password = false;
  std::string url_path;  // what follows host[:port]/ (redis: the database)
  // The authority as written (after "//", before the path): a list of
  // brokers ("b1:9092,b2:9092") is left here for its scheme to read, as
  // host and port cannot hold it.
  std::string authority;

  // Settings every output has.
  EventTypes types = 0;  // valid when types_given
  bool types_given = false;
  uint64_t queue_max = uint64_t{16} << 20;    // ?queue=SIZE: records held in memory
  std::string spool_dir;                      // ?spool=DIR
  uint64_t spool_max = uint64_t{1} << 30;     // ?spool_max=SIZE
  std::chrono::milliseconds reconnect_max{5000};  // ?reconnect_max=DURATION: the backoff's ceiling

  std::vector<OutputParam> params;  // the scheme's own, in URL order
};

// Takes a URL apart. Errors name the URL and the 1-based column of the
// offending part: "output 'redis://h:99999': column 11: port ...".
absl::StatusOr<OutputSpec> ParseOutputUrl(std::string_view url);

// A scheme parameter, marked used; nullptr when the URL has none.
const OutputParam* TakeParam(OutputSpec& spec, std::string_view key);
// An error for the first parameter no one took ("unknown parameter").
absl::Status CheckAllParamsUsed(const OutputSpec& spec, absl::string_view known);
// An error about `param`, in the same form as the parser's.
absl::Status ParamError(const OutputSpec& spec, const OutputParam& param, absl::string_view what);

// "250ms", "2s", "1m": a duration for reconnect_max and the like.
bool ParseDuration(std::string_view text, std::chrono::milliseconds* out);

}  // namespace kagami::output
