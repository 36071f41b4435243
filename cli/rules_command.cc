// kagami rules check: parse and compile rules, report every problem with its
// position, and say what loaded.
#include <cstdio>
#include <map>
#include <string>

#include "cli/commands.h"
#include "cli/engine_setup.h"

namespace kagami::cli {
namespace {

int RunCheck(const RuleOptions& options) {
  LoadedEngine loaded;
  bool ok = LoadEngine(options, loaded);
  if (!loaded.engine) return 1;
  std::map<std::string, size_t> per_protocol;
  for (const rules::Rule& r : loaded.engine->rules()) ++per_protocol[r.protocol];
  const detect::CompileStats& stats = loaded.engine->stats();
  std::printf("%zu rules loaded, %zu errors\n", loaded.rules, loaded.errors);
  for (const auto& [proto, count] : per_protocol) std::printf("  %-8s %zu\n", proto.c_str(), count);
  std::printf("prefilter patterns: %zu, header-only rules: %zu, compiled in %.2f s\n",
              stats.prefilter_patterns, stats.header_only_rules, stats.compile_seconds);
  return ok && loaded.errors == 0 ? 0 : 1;
}

}  // namespace

void AddRulesCommand(CLI::App& app, std::function<void(int)> set_exit) {
  CLI::App* rules = app.add_subcommand("rules", "Work with rule files");
  rules->require_subcommand(1);
  auto options = std::make_shared<RuleOptions>();
  CLI::App* check = rules->add_subcommand("check", "Parse and compile rules; print diagnostics");
  check->add_option("paths", options->rule_paths, "Rule files or directories")->required();
  check->add_option("--var", options->vars, "Set a rule variable NAME=VALUE (repeatable)");
  check->add_option("--classification", options->classification, "classification.config to use");
  AddThresholdFileOption(*check, *options);
  check->add_flag("--strict", options->strict, "Exit at the first rule error");
  check->callback([options, set_exit] { set_exit(RunCheck(*options)); });
}

}  // namespace kagami::cli
