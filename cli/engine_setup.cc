#include "cli/engine_setup.h"

#include <chrono>
#include <cstdio>
#include <utility>

#include "engine/detect/threshold.h"
#include "rules/rule_loader.h"
#include "rules/threshold_config.h"

namespace kagami::cli {

void AddRuleOptions(CLI::App& app, RuleOptions& o) {
  // -S as in Suricata (rules that replace the configured ones); -r is
  // Suricata's, Snort's and tcpdump's "read this capture".
  app.add_option("--rules,-S", o.rule_paths,
                 "Rule file or directory of *.rules (repeatable); replaces the shipped packs unless "
                 "--default-packs");
  // A function, not a flag bound to the optional: unset must stay unset.
  app.add_flag_function("--default-packs,!--no-default-packs",
                        [&o](int64_t n) { o.default_packs = n > 0; },
               "Use the shipped packs (their rules and intel/ feeds): on unless --rules is given; --intel feeds "
               "are added to them");
  app.add_option("--var", o.vars, "Set a rule variable, e.g. --var HOME_NET=[10.0.0.0/8] (repeatable)");
  app.add_option("--classification", o.classification,
                 "classification.config to use (default: the shipped one)");
  AddThresholdFileOption(app, o);
  app.add_flag("--strict", o.strict, "Stop before scanning when any rule has an error (all errors are listed)");
  app.add_flag("--allow-rule-errors", o.allow_rule_errors,
               "Exit 0 even when some rules failed to load (they are still listed and counted)");
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

namespace {

// Which given path a rule file came from: the path itself, a file under a
// directory, or (the packs) the pack's own directory under it.
size_t SourceOf(const std::vector<std::string>& paths, const std::string& packs_dir, const std::string& file,
                std::vector<RuleSourceCount>& sources) {
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& p = paths[i];
    if (file != p && !(file.size() > p.size() && file.compare(0, p.size(), p) == 0 && file[p.size()] == '/')) {
      continue;
    }
    std::string label = p;
    if (p == packs_dir && file.size() > p.size()) {
      const size_t end = file.find('/', p.size() + 1);
      if (end != std::string::npos) label = file.substr(0, end);
    }
    for (size_t j = 0; j < sources.size(); ++j) {
      if (sources[j].path == label) return j;
    }
    sources.push_back({label, 0, 0});
    return sources.size() - 1;
  }
  // An included file elsewhere: counted under the first path.
  if (sources.empty()) sources.push_back({paths.empty() ? file : paths[0], 0, 0});
  return 0;
}

}  // namespace

// --var NAME=VALUE into load.variables, each checked once here, so a bad
// value is one error naming the flag rather than one per rule using it.
bool ReadVariables(const std::vector<std::string>& vars, rules::LoadOptions& load) {
  for (const std::string& v : vars) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "kagami: --var %s: expected NAME=VALUE, e.g. --var HOME_NET=10.0.0.0/8\n", v.c_str());
      return false;
    }
    const std::string name = v.substr(0, eq);
    if (name[0] == '$') {
      std::fprintf(stderr, "kagami: --var %s: write the name without '$', e.g. --var %s\n", v.c_str(),
                   v.c_str() + 1);
      return false;
    }
    load.variables[name] = v.substr(eq + 1);
  }
  for (const auto& [name, value] : load.variables) {
    if (std::string why = rules::CheckVariable(name, load.variables); !why.empty()) {
      std::fprintf(stderr, "kagami: --var %s=%s: %s\n", name.c_str(), value.c_str(), why.c_str());
      return false;
    }
  }
  return true;
}

bool LoadEngine(const RuleOptions& o, LoadedEngine& out, bool quiet_diagnostics) {
  rules::LoadOptions load;
  load.strict = o.strict;
  load.classification_file = o.classification;
  if (!ReadVariables(o.vars, load)) {
    out.bad_options = true;
    return false;
  }
  const std::vector<std::string>& paths = o.rule_paths;

  const auto t0 = std::chrono::steady_clock::now();
  rules::RuleSet set = rules::LoadRules(paths, load);
  out.sources.clear();
  // Every path named is listed, even one that gave no rule.
  for (const std::string& p : paths) {
    if (p != o.packs_dir) out.sources.push_back({p, 0, 0});
  }
  for (const rules::Rule& r : set.rules) ++out.sources[SourceOf(paths, o.packs_dir, r.location.file, out.sources)].loaded;
  for (const rules::Diagnostic& d : set.diagnostics) {
    if (d.severity == rules::Diagnostic::Severity::kError) {
      ++out.sources[SourceOf(paths, o.packs_dir, d.location.file, out.sources)].failed;
    }
  }
  for (const std::string& v : o.vars) {
    const std::string name = v.substr(0, v.find('='));
    if (!set.variables_used.contains(name) && !set.rules.empty()) {
      std::fprintf(stderr, "kagami: warning: --var %s: no loaded rule uses $%s\n", name.c_str(), name.c_str());
    }
  }
  std::vector<rules::Diagnostic> diagnostics = set.diagnostics;
  // The file's entries for indicator alerts (gen_id 9000): carried by the
  // engine to every scanner (RuleSet::indicator_tuning).
  auto indicator_tuning = std::make_shared<rules::IndicatorTuning>();
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
    rules::ApplyThresholdConfig(set, thresholds, &diagnostics, indicator_tuning.get());
    if (!indicator_tuning->empty()) set.indicator_tuning = std::move(indicator_tuning);
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
    if (d.severity == rules::Diagnostic::Severity::kWarning) ++out.warnings;
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
