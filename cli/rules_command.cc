// kagami rules check: parse and compile rules, report every problem with its
// position, and say what loaded.
#include <cstdio>
#include <map>
#include <string>

#include "cli/commands.h"
#include "cli/engine_setup.h"
#include "cli/intel_options.h"

namespace kagami::cli {
namespace {

// Feeds: counts per indicator type, problems, and what loading cost.
int CheckIntel(const IntelArgs& args) {
  LoadedIntel intel;
  const bool ok = LoadIntel(args, intel);
  for (size_t i = 0; i < intel.reports.size(); ++i) {
    const feeds::FeedReport& r = intel.reports[i];
    std::printf("%s (%s): %s\n", r.path.c_str(), r.format.c_str(), DescribeFeed(r).c_str());
  }
  if (intel.store) {
    std::printf("intel: %zu indicators from %zu feed%s, %zu errors, %zu warnings, loaded in %.3f s, %.1f MiB\n",
                intel.store->size(), intel.reports.size(), intel.reports.size() == 1 ? "" : "s", intel.errors,
                intel.warnings, intel.seconds, static_cast<double>(intel.store->memory_bytes()) / (1024.0 * 1024.0));
  }
  return ok && intel.errors == 0 ? 0 : 1;
}

int RunCheck(const RuleOptions& options, const IntelArgs& intel, bool timing, bool warnings_fail) {
  const bool has_intel = !intel.feeds.empty() || !intel.exact_feeds.empty();
  int intel_status = has_intel ? CheckIntel(intel) : 0;
  if (has_intel && options.rule_paths.empty()) return intel_status;
  LoadedEngine loaded;
  bool ok = LoadEngine(options, loaded);
  if (!loaded.engine) return loaded.bad_options ? 2 : 1;
  std::map<std::string, size_t> per_protocol;
  for (const rules::Rule& r : loaded.engine->rules()) ++per_protocol[r.protocol];
  const detect::CompileStats& stats = loaded.engine->stats();
  std::printf("%zu %s loaded, %zu %s, %zu %s\n", loaded.rules, loaded.rules == 1 ? "rule" : "rules", loaded.errors,
              loaded.errors == 1 ? "error" : "errors", loaded.warnings, loaded.warnings == 1 ? "warning" : "warnings");
  for (const auto& [proto, count] : per_protocol) std::printf("  %-8s %zu\n", proto.c_str(), count);
  std::printf("prefilter patterns: %zu, header-only rules: %zu, compiled in %.2f s\n",
              stats.prefilter_patterns, stats.header_only_rules, stats.compile_seconds);
  std::printf("transaction rules: %zu (%zu also match stream bytes), waiting for an app layer Kagami lacks: %zu\n",
              stats.tx_rules, stats.tx_stream_rules, stats.rules_waiting_for_app_layer);
  if (timing) {
    const detect::HsCacheStats& c = loaded.cache;
    std::printf("timing: parse %.3f s, compile %.3f s (Hyperscan %.3f s, %zu databases)\n", loaded.parse_seconds,
                loaded.compile_seconds, stats.hyperscan_seconds, stats.hyperscan_databases);
    if (loaded.cache_dir.empty()) {
      std::printf("cache: off\n");
    } else {
      std::printf("cache: %s: %llu loaded, %llu compiled, %llu rejected, %llu written, %.3f s reading and writing\n",
                  loaded.cache_dir.c_str(), static_cast<unsigned long long>(c.hits),
                  static_cast<unsigned long long>(c.misses), static_cast<unsigned long long>(c.rejected),
                  static_cast<unsigned long long>(c.writes), c.seconds);
    }
  }
  if (warnings_fail && loaded.warnings > 0) return 1;
  return ok && loaded.errors == 0 && intel_status == 0 ? 0 : 1;
}

}  // namespace

void AddRulesCommand(CLI::App& app, std::function<void(int)> set_exit) {
  CLI::App* rules = app.add_subcommand("rules", "Work with rule files");
  rules->require_subcommand(1);
  auto options = std::make_shared<RuleOptions>();
  auto intel = std::make_shared<IntelArgs>();
  CLI::App* check = rules->add_subcommand("check", "Parse and compile rules; print diagnostics");
  check->add_option("paths", options->rule_paths, "Rule files or directories (optional with --intel)");
  AddIntelOptions(*check, *intel);
  check->add_option("--var", options->vars, "Set a rule variable NAME=VALUE (repeatable)");
  check->add_option("--classification", options->classification, "classification.config to use");
  AddThresholdFileOption(*check, *options);
  auto warnings_fail = std::make_shared<bool>(false);
  check->add_flag("--strict", *warnings_fail,
                  "Fail (exit 1) on warnings too, as on errors; every problem is listed either way");
  AddCacheOptions(*check, *options);
  auto timing = std::make_shared<bool>(false);
  check->add_flag("--timing", *timing, "Print parse, compile and Hyperscan cache times");
  check->callback([options, intel, timing, warnings_fail, set_exit] {
    if (options->rule_paths.empty() && intel->feeds.empty() && intel->exact_feeds.empty()) {
      std::fprintf(stderr, "kagami: rules check: name rule files or directories, or --intel feeds\n");
      set_exit(2);
      return;
    }
    set_exit(RunCheck(*options, *intel, *timing, *warnings_fail));
  });
  AddRulesTestCommand(rules, set_exit);
  AddRulesUpdateCommand(rules, set_exit);
}

}  // namespace kagami::cli
