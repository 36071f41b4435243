// kagami: the command-line front end. All logic lives in the libraries; each
// subcommand is one file in cli/.
#include <cstdio>

#include "CLI/CLI.hpp"
#include "cli/commands.h"

int main(int argc, char** argv) {
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
