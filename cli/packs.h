#pragma once
// The shipped detection packs (rules/packs/NAME: *.rules and intel/ feeds):
// where they are, when a command uses them, and the lines that tell the
// operator what was loaded from where.
//
// A command uses the packs, rules and feeds together, unless --rules names
// other rules (they replace the packs, as Suricata's -S replaces the rules
// of its configuration) or --no-default-packs is given; --default-packs
// keeps them beside --rules. --intel feeds are added to whatever rules run.

#include <cstdio>
#include <string>
#include <vector>

#include "cli/engine_setup.h"
#include "cli/intel_options.h"
#include "engine/output/scan_summary.h"

namespace kagami::cli {

// $KAGAMI_PACKS, else share/kagami/packs beside the binary's bin/ (an
// installed tree, or the link CMake makes in a build tree).
std::string ShippedPacksDir();

// Adds the packs to `rules` (their directory, remembered in
// rules.packs_dir) and their feeds to `intel` when the options say the
// packs are used. False, with `error`, when they are used but missing: a
// sensor must not start without the rules its operator expects.
bool AddDefaultPacks(RuleOptions& rules, IntelArgs& intel, std::string* error);

// "pack tick: 61 rules, 194 indicators (DIR)" for each pack, then one line
// per other rule path and feed, each with what failed to load.
std::vector<std::string> DescribeSources(const RuleOptions& rules, const LoadedEngine& engine,
                                         const LoadedIntel& intel);

// What scan and live load before they run: the packs when used (into
// `rules` and `intel`), the rules, the feeds; then the warnings about
// threshold entries for indicators and, unless `quiet`, the "what was
// loaded from where" lines. False (said on stderr) when nothing can run.
bool LoadRulesAndFeeds(RuleOptions& rules, IntelArgs& intel, LoadedEngine& engine, LoadedIntel& feeds,
                       bool quiet);

// A warning on stderr for each gen_id 9000 threshold-file entry whose sid
// no loaded indicator has (known only once rules and feeds are both loaded).
void WarnAboutIndicatorEntries(const LoadedEngine& engine, const LoadedIntel& intel);

// The summary's "rules: 61 loaded, 2 failed" and "indicators: 194 loaded,
// 1 feed, 3 skipped" lines.
void AddLoadCounters(const LoadedEngine& engine, const LoadedIntel& intel, output::ScanSummary& summary);

}  // namespace kagami::cli
