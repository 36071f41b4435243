// kagami ctl: asks a running sensor (kagami live) something through its
// control socket and prints the JSON answer; exit 0 when it says "ok":true,
// 1 when it answered otherwise, 2 when it could not be reached.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/control_socket.h"

namespace kagami::cli {
namespace {

struct CtlArgs {
  std::string socket;
  std::string command;
  int timeout = 600;
};

int RunCtl(const CtlArgs& args) {
  const std::string path = args.socket.empty() ? DefaultControlSocket() : args.socket;
  auto answer = ControlRequest(path, args.command, args.timeout);
  if (!answer.ok()) {
    std::fprintf(stderr, "kagami ctl: %s\n", std::string(answer.status().message()).c_str());
    return 2;
  }
  std::printf("%s\n", answer->c_str());
  return answer->rfind("{\"ok\":true", 0) == 0 ? 0 : 1;
}

}  // namespace

void AddCtlCommand(CLI::App& app, std::function<void(int)> set_exit) {
  auto args = std::make_shared<CtlArgs>();
  CLI::App* cmd = app.add_subcommand("ctl", "Control a running sensor (kagami live) through its control socket");
  cmd->add_option("--socket", args->socket,
                  "The sensor's --control-socket (default: /run/kagami/kagami.sock for root, else "
                  "$XDG_RUNTIME_DIR/kagami.sock)");
  cmd->add_option("--timeout", args->timeout, "Seconds to wait for the answer (a reload compiles the rules)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_option("command", args->command,
                  "reload (rules, thresholds and feeds, without a gap), stats (the latest counters), ruleset (what "
                  "is loaded), version, shutdown (as SIGTERM)")
      ->required()
      ->check(CLI::IsMember({"reload", "stats", "ruleset", "version", "shutdown"}));
  cmd->callback([args, set_exit] { set_exit(RunCtl(*args)); });
}

}  // namespace kagami::cli
