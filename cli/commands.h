#pragma once
// Each subcommand registers itself on the top-level app; its callback reports
// the process exit status through `set_exit`.

#include <functional>

#include "CLI/CLI.hpp"

namespace kagami::cli {

void AddScanCommand(CLI::App& app, std::function<void(int)> set_exit);
void AddLiveCommand(CLI::App& app, std::function<void(int)> set_exit);
void AddRulesCommand(CLI::App& app, std::function<void(int)> set_exit);
void AddIntelCommand(CLI::App& app, std::function<void(int)> set_exit);
// kagami ctl: talks to a running sensor through its control socket.
void AddCtlCommand(CLI::App& app, std::function<void(int)> set_exit);
void AddJobsCommand(CLI::App& app, std::function<void(int)> set_exit);
// `rules test`, registered by AddRulesCommand on its `rules` subcommand.
void AddRulesTestCommand(CLI::App* rules, std::function<void(int)> set_exit);
// `rules update`, likewise.
void AddRulesUpdateCommand(CLI::App* rules, std::function<void(int)> set_exit);
void AddIntelPullCommand(CLI::App* intel, std::function<void(int)> set_exit);

}  // namespace kagami::cli
