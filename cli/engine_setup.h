#pragma once
// What every subcommand that matches traffic shares: the rule options on the
// command line, loading them with diagnostics, and compiling the engine.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "engine/detect/detect_engine.h"
#include "rules/rule.h"

namespace kagami::cli {

struct RuleOptions {
  std::vector<std::string> rule_paths;  // empty: the shipped packs
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

// Where the shipped detection packs live: $KAGAMI_PACKS, else
// share/kagami/packs beside the binary's bin/ (an installed tree, or the
// link CMake makes in a build tree).
std::string ShippedPacksDir();

struct LoadedEngine {
  std::shared_ptr<const detect::DetectEngine> engine;
  size_t errors = 0;  // rule diagnostics of error severity
  size_t rules = 0;
  // Where the time went (rules check --timing).
  double parse_seconds = 0;    // reading and parsing the rule files
  double compile_seconds = 0;  // building the engine, Hyperscan included
  std::string cache_dir;       // empty: no cache
  detect::HsCacheStats cache;
};

// Loads and compiles the rules, printing diagnostics to stderr. Fails (with
// a message already printed) when the options are bad, on any error in the
// threshold file (unreadable or a bad line), or on any rule error under
// --strict.
bool LoadEngine(const RuleOptions& options, LoadedEngine& out, bool quiet_diagnostics = false);

}  // namespace kagami::cli
