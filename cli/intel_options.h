#pragma once
// Indicator feeds on the command line (--intel, --intel-exact-domains) and
// loading them into one engine/intel store, with diagnostics on stderr.

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "engine/intel/intel_builder.h"
#include "engine/intel/intel_store.h"
#include "rules/feeds/indicator.h"

namespace kagami::cli {

struct IntelArgs {
  std::vector<std::string> feeds;        // domains also match their subdomains
  std::vector<std::string> exact_feeds;  // domains match only themselves
  std::string format = "auto";           // auto, stix, zeek, csv
  bool file_digests = true;              // hash HTTP bodies for file indicators
};

// The body digest kinds a Scanner may compute (Scanner::set_intel).
uint8_t DigestKinds(const IntelArgs& args);

void AddIntelOptions(CLI::App& app, IntelArgs& args);

struct LoadedIntel {
  std::shared_ptr<const intel::IntelStore> store;  // null when no feed was named
  std::vector<feeds::FeedReport> reports;          // one per feed, in order
  size_t errors = 0, warnings = 0;
  double seconds = 0;                              // reading and building
};

// Reads every feed. Diagnostics go to stderr (at most a screenful per feed,
// then a count). Fails only when a feed cannot be read at all or --intel-format
// is unknown; a feed with bad entries loads its good ones.
bool LoadIntel(const IntelArgs& args, LoadedIntel& out, bool quiet_diagnostics = false);

// "1,234 indicators: 800 domain, 400 ip, ..." for one report.
std::string DescribeFeed(const feeds::FeedReport& report);

}  // namespace kagami::cli
