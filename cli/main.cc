// kagami: the command-line front end. All logic lives in the libraries; each
// subcommand is one file in cli/.
#include <csignal>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "cli/commands.h"

namespace {

// Every repeatable option takes one value per occurrence (`--var A --var B`),
// as in Suricata: `rules check --var HOME_NET=... my.rules` must not take
// my.rules as a second variable. Applied to every subcommand, so a new
// option cannot forget it.
void OneValuePerFlag(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (!opt->get_positional() && opt->get_expected_max() > 1) opt->allow_extra_args(false);
  }
  for (CLI::App* sub : app.get_subcommands({})) OneValuePerFlag(*sub);
}

}  // namespace

int main(int argc, char** argv) {
  // A file-size limit reached must be a write error that is reported and
  // counted (EFBIG), not a signal that kills the run without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"Kagami: network indicator matching engine (Suricata rules, EVE JSON alerts)",
               "kagami"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kagami " KAGAMI_VERSION);
  int exit_code = 0;
  auto set_exit = [&exit_code](int code) { exit_code = code; };
  kagami::cli::AddScanCommand(app, set_exit);
  kagami::cli::AddLiveCommand(app, set_exit);
  kagami::cli::AddRulesCommand(app, set_exit);
  kagami::cli::AddIntelCommand(app, set_exit);
  kagami::cli::AddCtlCommand(app, set_exit);
  kagami::cli::AddJobsCommand(app, set_exit);
  OneValuePerFlag(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
