#pragma once
// The control socket of a running sensor (`kagami live --control-socket
// PATH`) and its client (`kagami ctl`). A unix stream socket, owner-only
// (mode 0600): one request line per connection ("reload", "stats",
// "ruleset", "version", "shutdown"), one JSON line back, then close.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace kagami::cli {

// /run/kagami/kagami.sock for root; else $XDG_RUNTIME_DIR/kagami.sock, or
// /tmp/kagami-UID.sock without one.
std::string DefaultControlSocket();

class ControlServer {
 public:
  // Answers one request line with one JSON line; runs on the server thread.
  using Handler = std::function<std::string(const std::string& request)>;

  // Binds PATH (creating its directory if missing; a stale socket file is
  // replaced, one a running sensor answers on is an error) and starts
  // answering on a thread of its own.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Open(const std::string& path, Handler handler);
  // Stops answering and removes the socket file (when it still can).
  ~ControlServer();

  const std::string& path() const { return path_; }

 private:
  ControlServer(std::string path, int fd, Handler handler);
  void Loop();

  std::string path_;
  int fd_;
  Handler handler_;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

// Sends `request` to the sensor at `path` and returns its answer (one JSON
// line), waiting up to `timeout_seconds` (a reload of a large ruleset takes
// a while). Errors say what failed ("cannot connect to PATH: ...").
absl::StatusOr<std::string> ControlRequest(const std::string& path, const std::string& request, int timeout_seconds);

}  // namespace kagami::cli
