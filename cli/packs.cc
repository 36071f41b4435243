#include "cli/packs.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/pipeline/intel_matcher.h"

namespace kagami::cli {
namespace {

bool Under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// "1 rule" / "2 rules", with thousands separators.
std::string Count(uint64_t n, const char* one, const char* many) {
  return absl::StrCat(output::FormatCount(n), " ", n == 1 ? one : many);
}

}  // namespace

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

bool AddDefaultPacks(RuleOptions& rules, IntelArgs& intel, std::string* error) {
  if (!rules.packs_dir.empty() || !rules.default_packs.value_or(rules.rule_paths.empty())) return true;
  const std::string dir = ShippedPacksDir();
  std::error_code ec;
  std::vector<std::string> rule_files, feeds;
  for (const auto& pack : std::filesystem::directory_iterator(dir, ec)) {
    if (!pack.is_directory(ec)) continue;
    for (const auto& f : std::filesystem::directory_iterator(pack.path(), ec)) {
      if (f.path().extension() == ".rules" && f.is_regular_file(ec)) rule_files.push_back(f.path().string());
    }
    for (const auto& f : std::filesystem::directory_iterator(pack.path() / "intel", ec)) {
      if (f.is_regular_file(ec)) feeds.push_back(f.path().string());
    }
  }
  if (rule_files.empty() && feeds.empty()) {
    *error = absl::StrCat("no shipped packs in ", dir,
                          " (a pack is a directory of *.rules and intel/ feeds): set KAGAMI_PACKS to the "
                          "packs' directory, or give --rules (and --intel) with --no-default-packs");
    return false;
  }
  std::sort(feeds.begin(), feeds.end());
  rules.packs_dir = dir;
  if (!rule_files.empty()) rules.rule_paths.insert(rules.rule_paths.begin(), dir);
  intel.feeds.insert(intel.feeds.begin(), feeds.begin(), feeds.end());
  return true;
}

std::vector<std::string> DescribeSources(const RuleOptions& rules, const LoadedEngine& engine,
                                         const LoadedIntel& intel) {
  struct Pack {
    std::string dir;
    size_t rules = 0, failed = 0, indicators = 0, skipped = 0;
  };
  std::vector<Pack> packs;
  auto pack_of = [&](const std::string& path) -> Pack* {
    if (rules.packs_dir.empty() || !Under(path, rules.packs_dir)) return nullptr;
    const size_t end = path.find('/', rules.packs_dir.size() + 1);
    const std::string dir = end == std::string::npos ? path : path.substr(0, end);
    for (Pack& p : packs) {
      if (p.dir == dir) return &p;
    }
    packs.push_back({dir});
    return &packs.back();
  };
  std::vector<std::string> lines;
  for (const RuleSourceCount& s : engine.sources) {
    if (Pack* p = pack_of(s.path)) {
      p->rules += s.loaded;
      p->failed += s.failed;
      continue;
    }
    lines.push_back(absl::StrCat("rules ", s.path, ": ", Count(s.loaded, "rule", "rules"),
                                 s.failed ? absl::StrCat(", ", output::FormatCount(s.failed), " failed") : ""));
  }
  for (const feeds::FeedReport& r : intel.reports) {
    const size_t bad = r.skipped;
    if (Pack* p = pack_of(r.path)) {
      p->indicators += r.indicators;
      p->skipped += bad;
      continue;
    }
    lines.push_back(absl::StrCat("feed ", r.path, ": ", Count(r.indicators, "indicator", "indicators"),
                                 bad ? absl::StrCat(", ", output::FormatCount(bad), " skipped") : ""));
  }
  std::vector<std::string> out;
  for (const Pack& p : packs) {
    const std::string name = p.dir.substr(rules.packs_dir.size() + 1);
    out.push_back(absl::StrCat("pack ", name, ": ", Count(p.rules, "rule", "rules"),
                               p.failed ? absl::StrCat(" (", output::FormatCount(p.failed), " failed)") : "", ", ",
                               Count(p.indicators, "indicator", "indicators"),
                               p.skipped ? absl::StrCat(" (", output::FormatCount(p.skipped), " skipped)") : "",
                               " from ", p.dir));
  }
  out.insert(out.end(), lines.begin(), lines.end());  // rule files, then feeds
  if (out.empty()) out.push_back("no rules and no indicators");
  return out;
}

bool LoadRulesAndFeeds(RuleOptions& rules, IntelArgs& intel, LoadedEngine& engine, LoadedIntel& feeds,
                       bool quiet) {
  if (std::string error; !AddDefaultPacks(rules, intel, &error)) {
    std::fprintf(stderr, "kagami: %s\n", error.c_str());
    return false;
  }
  if (!LoadEngine(rules, engine) || !LoadIntel(intel, feeds)) return false;
  WarnAboutIndicatorEntries(engine, feeds);
  if (!quiet) {
    for (const std::string& line : DescribeSources(rules, engine, feeds)) {
      std::fprintf(stderr, "kagami: %s\n", line.c_str());
    }
  }
  return true;
}

void WarnAboutIndicatorEntries(const LoadedEngine& engine, const LoadedIntel& intel) {
  if (!engine.engine || engine.engine->indicator_tuning() == nullptr) return;
  for (const rules::Diagnostic& d : pipeline::CheckIndicatorSids(*engine.engine->indicator_tuning(),
                                                                  intel.store.get())) {
    std::fprintf(stderr, "%s\n", d.ToString().c_str());
  }
}

void AddLoadCounters(const LoadedEngine& engine, const LoadedIntel& intel, output::ScanSummary& summary) {
  summary.AddCounters("rules", {{"loaded", engine.rules}, {"failed", engine.errors}}, /*first_always=*/true);
  if (intel.reports.empty()) return;
  uint64_t skipped = 0, expired = 0;
  for (const feeds::FeedReport& r : intel.reports) {
    skipped += r.skipped;
    expired += r.expired;
  }
  summary.AddCounters("indicators", {{"loaded", intel.store ? intel.store->size() : 0},
                                     {"feed[s]", intel.reports.size()},
                                     {"skipped", skipped},
                                     {"expired or revoked", expired}},
                      /*first_always=*/true);
}

}  // namespace kagami::cli
