#include "cli/engine_setup.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "rules/rule_loader.h"
#include "rules/threshold_config.h"

namespace kagami::cli {

void AddRuleOptions(CLI::App& app, RuleOptions& o) {
  app.add_option("--rules,-r", o.rule_paths,
                 "Rule file or directory of *.rules (repeatable; default: the shipped packs)");
  app.add_option("--var", o.vars, "Set a rule variable, e.g. --var HOME_NET=[10.0.0.0/8] (repeatable)");
  app.add_option("--classification", o.classification,
                 "classification.config to use (default: the shipped one)");
  AddThresholdFileOption(app, o);
  app.add_flag("--strict", o.strict, "Treat any rule error as fatal");
  AddCacheOptions(app, o);
}

void AddCacheOptions(CLI::App& app, RuleOptions& o) {
  app.add_option("--cache-dir", o.cache_dir,
                 "Directory for compiled Hyperscan databases (default: $XDG_CACHE_HOME/kagami, "
                 "/var/cache/kagami for root, else ~/.cache/kagami)");
  app.add_flag("--no-cache", o.no_cache, "Compile every Hyperscan database; read and write no cache");
}

void AddThresholdFileOption(CLI::App& app, RuleOptions& o) {
  app.add_option("--threshold-file", o.threshold_file,
                 "Suricata threshold.config: suppress, threshold/event_filter entries (rate_filter ignored)");
}

std::string ShippedPacksDir() {
  if (const char* env = std::getenv("KAGAMI_PACKS"); env && *env) return env;
  // Found from the binary, never from a path compiled in: installed as
  // PREFIX/bin/kagami, the packs are PREFIX/share/kagami/packs; in a build
  // tree (build/PRESET/cli/kagami) CMake links build/PRESET/share/kagami/packs
  // to the source's rules/packs.
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "share/kagami/packs";
  return (exe.parent_path().parent_path() / "share" / "kagami" / "packs").string();
}

bool LoadEngine(const RuleOptions& o, LoadedEngine& out, bool quiet_diagnostics) {
  rules::LoadOptions load;
  load.strict = o.strict;
  load.classification_file = o.classification;
  for (const std::string& v : o.vars) {
    size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "kagami: --var %s: expected NAME=VALUE, e.g. --var HOME_NET=10.0.0.0/8\n",
                   v.c_str());
      return false;
    }
    std::string name = v.substr(0, eq);
    if (name[0] == '$') name.erase(0, 1);
    load.variables[name] = v.substr(eq + 1);
  }
  std::vector<std::string> paths = o.rule_paths;
  if (paths.empty()) paths.push_back(ShippedPacksDir());

  const auto t0 = std::chrono::steady_clock::now();
  rules::RuleSet set = rules::LoadRules(paths, load);
  std::vector<rules::Diagnostic> diagnostics = set.diagnostics;
  if (!o.threshold_file.empty()) {
    // A threshold file error is fatal whatever --strict says: a half-applied
    // suppress list would silently let through what it was written to hold.
    rules::ThresholdConfig thresholds = rules::LoadThresholdConfig(o.threshold_file, load.variables);
    if (const size_t bad = thresholds.error_count(); bad > 0) {
      if (!quiet_diagnostics) {
        for (const rules::Diagnostic& d : diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
      }
      for (const rules::Diagnostic& d : thresholds.diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
      std::fprintf(stderr, "kagami: %zu error%s in threshold file %s; stopping\n", bad, bad == 1 ? "" : "s",
                   o.threshold_file.c_str());
      return false;
    }
    diagnostics.insert(diagnostics.end(), thresholds.diagnostics.begin(), thresholds.diagnostics.end());
    rules::ApplyThresholdConfig(set, thresholds, &diagnostics);
  }
  const auto t1 = std::chrono::steady_clock::now();
  out.parse_seconds = std::chrono::duration<double>(t1 - t0).count();
  detect::HsCache cache(o.no_cache ? "" : o.cache_dir.empty() ? detect::HsCache::DefaultDir() : o.cache_dir);
  detect::DetectOptions detect_options;
  detect_options.hs_cache = &cache;
  auto compiled = detect::DetectEngine::Compile(std::move(set), detect_options, &diagnostics);
  out.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  out.cache_dir = cache.dir();
  out.cache = cache.stats();
  // A cache problem never stops a run (the databases were compiled), but it
  // is said: a cache that is never usable costs the compile every start.
  for (const std::string& w : cache.warnings()) std::fprintf(stderr, "kagami: warning: %s\n", w.c_str());
  size_t errors = 0;
  for (const rules::Diagnostic& d : diagnostics) {
    if (d.severity == rules::Diagnostic::Severity::kError) ++errors;
    if (!quiet_diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
  }
  if (!compiled.ok()) {
    std::fprintf(stderr, "kagami: cannot build the detection engine: %s\n",
                 std::string(compiled.status().message()).c_str());
    return false;
  }
  out.engine = *std::move(compiled);
  out.errors = errors;
  out.rules = out.engine->rules().size();
  if (o.strict && errors > 0) {
    std::fprintf(stderr, "kagami: %zu rule error%s and --strict given; stopping\n", errors,
                 errors == 1 ? "" : "s");
    return false;
  }
  return true;
}

}  // namespace kagami::cli
