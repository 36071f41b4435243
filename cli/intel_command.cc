// kagami intel export: reads indicator feeds (CSV, Zeek Intel, STIX) and
// writes them as one STIX 2.1 bundle, so a detection pack's STIX feed is
// generated from a reviewed source file and never edited by hand.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "rules/feeds/collecting_sink.h"
#include "rules/feeds/feed_reader.h"
#include "rules/feeds/stix_writer.h"

namespace kagami::cli {
namespace {

// Diagnostics printed per feed (and for the export) before the rest is only
// counted, as when loading --intel feeds.
constexpr size_t kMaxDiagnosticsShown = 20;

struct ExportArgs {
  std::vector<std::string> feeds;
  std::string to = "stix";
  std::string format = "auto";
  std::string output;
  feeds::StixWriterOptions writer;
};

// Prints the first diagnostics of one input; returns how many are errors.
size_t PrintDiagnostics(const std::string& what, const std::vector<rules::Diagnostic>& diagnostics) {
  size_t errors = 0, shown = 0;
  for (const rules::Diagnostic& d : diagnostics) {
    if (d.severity == rules::Diagnostic::Severity::kError) ++errors;
    if (shown < kMaxDiagnosticsShown) {
      std::fprintf(stderr, "%s\n", d.ToString().c_str());
      ++shown;
    }
  }
  if (diagnostics.size() > shown) {
    std::fprintf(stderr, "%s: %zu more diagnostics not shown\n", what.c_str(), diagnostics.size() - shown);
  }
  return errors;
}

bool WriteOutput(const std::string& path, const std::string& text) {
  const bool to_stdout = path.empty() || path == "-";
  FILE* f = to_stdout ? stdout : std::fopen(path.c_str(), "wb");
  if (!f) {
    std::fprintf(stderr, "kagami: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (to_stdout ? std::fflush(f) == 0 : std::fclose(f) == 0) && ok;
  if (!ok) std::fprintf(stderr, "kagami: cannot write %s: %s\n", to_stdout ? "stdout" : path.c_str(), std::strerror(errno));
  return ok;
}

int RunExport(const ExportArgs& args) {
  const std::optional<feeds::FeedFormat> format = feeds::ParseFeedFormat(args.format);
  if (!format) {
    std::fprintf(stderr, "kagami: --format %s: expected auto, stix, zeek or csv\n", args.format.c_str());
    return 2;
  }
  std::string error;
  if (!feeds::ValidateStixWriterOptions(args.writer, &error)) {
    std::fprintf(stderr, "kagami: %s\n", error.c_str());
    return 2;
  }
  feeds::CollectingSink sink;
  size_t errors = 0;
  bool read_all = true;
  for (const std::string& path : args.feeds) {
    feeds::FeedReport report;
    const bool read = feeds::ReadFeedFile(path, *format, feeds::FeedOptions(), &sink, &report);
    errors += PrintDiagnostics(path, report.diagnostics);
    if (!read) {
      std::fprintf(stderr, "kagami: cannot read indicator feed %s\n", path.c_str());
      read_all = false;
    }
  }
  // A pack's feed must hold everything its source says: nothing is written
  // from a source that did not read cleanly.
  if (!read_all || errors > 0) {
    std::fprintf(stderr, "kagami: nothing written: the feeds have errors\n");
    return 1;
  }
  std::string bundle;
  feeds::StixWriteReport report;
  if (!feeds::WriteStixBundle(sink.indicators, args.writer, &bundle, &report, &error)) {
    std::fprintf(stderr, "kagami: %s\n", error.c_str());
    return 2;
  }
  PrintDiagnostics("export", report.diagnostics);
  if (!WriteOutput(args.output, bundle)) return 2;
  std::fprintf(stderr, "%zu indicators written, %zu skipped (no STIX object for ja3/ja3s/ja4)", report.written,
               report.skipped_fingerprints);
  if (report.skipped_other) std::fprintf(stderr, ", %zu skipped (not expressible, see above)", report.skipped_other);
  std::fprintf(stderr, "\n");
  return 0;
}

}  // namespace

void AddIntelCommand(CLI::App& app, std::function<void(int)> set_exit) {
  CLI::App* intel = app.add_subcommand("intel", "Work with indicator feeds");
  intel->require_subcommand(1);
  auto args = std::make_shared<ExportArgs>();
  CLI::App* exp = intel->add_subcommand(
      "export", "Convert indicator feeds (CSV, Zeek Intel, STIX) into one STIX 2.1 bundle; same input, same bytes");
  exp->add_option("feeds", args->feeds, "Indicator feeds to read, in order")->required()->check(CLI::ExistingFile);
  exp->add_option("--to", args->to, "Output format")->required()->check(CLI::IsMember({"stix"}));
  exp->add_option("--format", args->format, "Input format of the feeds: auto, stix, zeek or csv")
      ->check(CLI::IsMember({"auto", "stix", "zeek", "csv"}))
      ->capture_default_str();
  exp->add_option("--created", args->writer.created,
                  "created/modified/valid_from of every object (RFC 3339, UTC); fixed so output is reproducible, "
                  "and a reader ignores indicators valid from a time still to come")
      ->capture_default_str();
  exp->add_option("--identity", args->writer.identity_name,
                  "Name of the producing identity (created_by_ref of indicators without a source)")
      ->capture_default_str();
  exp->add_option("-o,--output", args->output, "Output file ('-' or absent: stdout)");
  exp->callback([args, set_exit] { set_exit(RunExport(*args)); });
}

}  // namespace kagami::cli
