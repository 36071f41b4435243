#include "cli/intel_options.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "rules/feeds/feed_reader.h"
#include "rules/feeds/pipelined_sink.h"

namespace kagami::cli {
namespace {

// Diagnostics printed per feed before the rest is only counted: a feed of a
// million lines with a systematic problem must not flood the terminal.
constexpr size_t kMaxDiagnosticsShown = 20;

std::string Basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void AddIntelOptions(CLI::App& app, IntelArgs& args) {
  app.add_option("--intel", args.feeds,
                 "Indicator feed to match (STIX 2.1 JSON, Zeek Intel, CSV; repeatable); "
                 "a domain also matches its subdomains")
      ->check(CLI::ExistingFile);
  app.add_option("--intel-exact-domains", args.exact_feeds,
                 "Indicator feed whose domains match only themselves, not subdomains (repeatable)")
      ->check(CLI::ExistingFile);
  app.add_option("--intel-format", args.format, "Feed format: auto, stix, zeek or csv")
      ->check(CLI::IsMember({"auto", "stix", "zeek", "csv"}))
      ->capture_default_str();
  app.add_flag("!--no-file-digests", args.file_digests,
               "Do not hash HTTP bodies: file digest indicators are loaded but never match (each digest kind a "
               "feed names costs a pass over every body)");
}

uint8_t DigestKinds(const IntelArgs& args) { return args.file_digests ? 0xff : 0; }

std::string DescribeFeed(const feeds::FeedReport& r) {
  std::string text = absl::StrCat(r.indicators, r.indicators == 1 ? " indicator" : " indicators");
  bool first = true;
  for (int t = 0; t < feeds::kIndicatorTypeCount; ++t) {
    if (r.counts[t] == 0) continue;
    absl::StrAppend(&text, first ? ": " : ", ", r.counts[t], " ",
                    std::string(feeds::IndicatorTypeName(static_cast<feeds::IndicatorType>(t))));
    first = false;
  }
  if (r.skipped) absl::StrAppend(&text, "; ", r.skipped, " skipped");
  if (r.expired) absl::StrAppend(&text, "; ", r.expired, " expired or revoked");
  return text;
}

bool LoadIntel(const IntelArgs& args, LoadedIntel& out, bool quiet_diagnostics) {
  out = LoadedIntel{};
  if (args.feeds.empty() && args.exact_feeds.empty()) return true;
  const std::optional<feeds::FeedFormat> format = feeds::ParseFeedFormat(args.format);
  if (!format) {
    std::fprintf(stderr, "kagami: --intel-format %s: expected auto, stix, zeek or csv\n", args.format.c_str());
    return false;
  }
  const auto start = std::chrono::steady_clock::now();
  intel::IntelStoreBuilder builder;
  bool ok = true;
  auto load = [&](const std::string& path, bool subdomains) {
    feeds::FeedOptions options;
    options.match_subdomains = subdomains;
    builder.BeginFeed(Basename(path), options);
    feeds::FeedReport report;
    // The reader parses on this thread while the builder stores on another.
    feeds::PipelinedSink pipe(&builder);
    const bool read = feeds::ReadFeedFile(path, *format, options, &pipe, &report);
    pipe.Finish();
    size_t shown = 0;
    for (const rules::Diagnostic& d : report.diagnostics) {
      if (d.severity == rules::Diagnostic::Severity::kError) ++out.errors;
      if (d.severity == rules::Diagnostic::Severity::kWarning) ++out.warnings;
      if (!quiet_diagnostics && shown < kMaxDiagnosticsShown) {
        std::fprintf(stderr, "%s\n", d.ToString().c_str());
        ++shown;
      }
    }
    if (!quiet_diagnostics && report.diagnostics.size() > shown) {
      std::fprintf(stderr, "%s: %zu more diagnostics not shown\n", path.c_str(), report.diagnostics.size() - shown);
    }
    if (!read && report.indicators == 0) {
      std::fprintf(stderr, "kagami: cannot load indicator feed %s\n", path.c_str());
      ok = false;
    }
    out.reports.push_back(std::move(report));
  };
  for (const std::string& path : args.feeds) load(path, true);
  for (const std::string& path : args.exact_feeds) load(path, false);
  out.store = builder.Build();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return ok;
}

}  // namespace kagami::cli
