#pragma once
// What every subcommand that matches traffic shares: the rule options on the
// command line, loading them with diagnostics, and compiling the engine.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "engine/detect/detect_engine.h"
#include "rules/rule.h"
#include "rules/rule_loader.h"

namespace kagami::cli {

struct RuleOptions {
  std::vector<std::string> rule_paths;  // the packs' directory among them when they are used (packs.h)
  std::optional<bool> default_packs;    // --default-packs / --no-default-packs; unset: unless --rules
  std::string packs_dir;                // set by AddDefaultPacks when the packs are used
  bool allow_rule_errors = false;       // --allow-rule-errors: rules that failed do not change the exit status
  std::vector<std::string> vars;        // NAME=VALUE
  std::string classification;
  std::string threshold_file;           // Suricata threshold.config; empty: none
  bool strict = false;
  std::string cache_dir;  // compiled Hyperscan databases; empty: detect::HsCache::DefaultDir()
  bool no_cache = false;
};

void AddRuleOptions(CLI::App& app, RuleOptions& options);
// Just --threshold-file (AddRuleOptions includes it), for `rules check`.
void AddThresholdFileOption(CLI::App& app, RuleOptions& options);
// --cache-dir and --no-cache (AddRuleOptions includes them).
void AddCacheOptions(CLI::App& app, RuleOptions& options);

// Rules loaded and rejected under one of RuleOptions::rule_paths.
struct RuleSourceCount {
  std::string path;  // as given; for the packs' directory, DIR/NAME per pack
  size_t loaded = 0, failed = 0;
};

struct LoadedEngine {
  std::shared_ptr<const detect::DetectEngine> engine;
  size_t errors = 0;    // rule diagnostics of error severity
  size_t warnings = 0;  // and of warning severity
  bool bad_options = false;  // LoadEngine failed on the command line itself (a --var), not on a file
  size_t rules = 0;
  std::vector<RuleSourceCount> sources;  // in rule_paths order
  // Where the time went (rules check --timing).
  double parse_seconds = 0;    // reading and parsing the rule files
  double compile_seconds = 0;  // building the engine, Hyperscan included
  std::string cache_dir;       // empty: no cache
  detect::HsCacheStats cache;
};

// Loads and compiles the rules, printing diagnostics to stderr. Fails (with
// a message already printed) when the options are bad (a --var whose name
// has a '$' or whose value is no address or port expression: said once,
// naming the flag, not once per rule that uses it), on any error in the
// threshold file (unreadable or a bad line), or on any rule error under
// --strict. A --var no loaded rule reads is a warning.
bool LoadEngine(const RuleOptions& options, LoadedEngine& out, bool quiet_diagnostics = false);

// --var NAME=VALUE values into load.variables, each checked once (a bad
// value is one error naming the flag, printed to stderr); false if any is bad.
bool ReadVariables(const std::vector<std::string>& vars, rules::LoadOptions& load);

}  // namespace kagami::cli
