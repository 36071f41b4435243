// kagami intel export: reads indicator feeds (CSV, Zeek Intel, STIX) and
// writes them as one STIX 2.1 bundle, so a detection pack's STIX feed is
// generated from a reviewed source file and never edited by hand.
// kagami intel sid / sids: the sids indicator alerts carry (gen_id 9000), for
// threshold.config lines that suppress or limit an indicator or a whole feed
// (threshold.config itself names signatures only by gen_id and sig_id).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/intel_options.h"
#include "engine/intel/indicator_sid.h"
#include "engine/intel/intel_builder.h"
#include "engine/intel/intel_store.h"
#include "engine/pipeline/intel_matcher.h"
#include "rules/feeds/collecting_sink.h"
#include "rules/feeds/csv_reader.h"
#include "rules/feeds/feed_reader.h"
#include "rules/feeds/stix_writer.h"
#include "rules/threshold_config.h"

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

// ---- sid / sids ----

struct SidArgs {
  std::string value;
  std::string type;  // a CSV feed type (csv_reader.h); empty: guessed
  bool suppress = false;
};

struct SidsArgs {
  std::vector<std::string> feeds;
  std::string format = "auto";
  bool suppress = false;
  std::string threshold_file;
};

// A value as one printable line: control bytes (a user agent may hold any)
// as \xNN, so a listing stays one line per indicator.
std::string Printable(std::string_view v) {
  std::string out;
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) {
      char buf[12];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// One indicator as a listing line, or as a threshold.config line that
// suppresses it (the rest of the line a comment naming it).
void PrintSid(uint32_t sid, std::string_view what, std::string_view feed, bool suppress) {
  const std::string text = Printable(what);
  if (suppress) {
    std::printf("suppress gen_id %u, sig_id %u  # %s%s%s%s\n", intel::kIntelGid, sid, text.c_str(),
                feed.empty() ? "" : " (", std::string(feed).c_str(), feed.empty() ? "" : ")");
  } else if (feed.empty()) {
    std::printf("%u\t%s\n", sid, text.c_str());
  } else {
    std::printf("%u\t%s\t%s\n", sid, text.c_str(), std::string(feed).c_str());
  }
}

// The type of a value given without --type, when it can only be one: an
// address or CIDR, an http(s) URL, or a host name. Empty: ask for --type
// (32 hex digits are a JA3 or a file MD5, a user agent can look like a URL).
std::string GuessType(std::string_view v) {
  rules::IpRange range;
  std::string error;
  if (feeds::ParseIpValue(v, /*allow_prefix=*/true, &range, &error)) return "ip";
  auto starts = [&](std::string_view p) {
    return v.size() > p.size() && std::equal(p.begin(), p.end(), v.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  if ((starts("http://") || starts("https://")) && v.find_first_of(" \t") == std::string_view::npos) return "url";
  const bool name_chars = std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
  if (name_chars && v.find('.') != std::string_view::npos) return "domain";
  return "";
}

// The sid of one value, as the store gives it: the value goes through the
// CSV reader and the store builder (the normalisation every feed's values
// get: case, trailing dots, URL keys, CIDR printing), then the store's view.
int RunSid(const SidArgs& args) {
  if (args.value.rfind("indicator--", 0) == 0) {
    // A STIX indicator's sid comes from its id alone.
    PrintSid(intel::IndicatorSid(args.value, feeds::IndicatorType::kIp, ""), args.value, "", args.suppress);
    return 0;
  }
  if (args.value.find_first_of("\r\n") != std::string::npos) {
    std::fprintf(stderr, "kagami: an indicator value is one line\n");
    return 2;
  }
  const std::string type = args.type.empty() ? GuessType(args.value) : args.type;
  if (type.empty()) {
    std::fprintf(stderr,
                 "kagami: cannot tell the type of '%s': give --type (ip, domain, url, user_agent, ja3, ja3s, ja4, "
                 "cert_sha1, cert_sha256, file_md5, file_sha1, file_sha256)\n",
                 args.value.c_str());
    return 2;
  }
  std::string quoted = "\"";
  for (char c : args.value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  quoted += '"';
  intel::IntelStoreBuilder builder;
  builder.BeginFeed("value", feeds::FeedOptions());
  feeds::FeedReport report;
  feeds::ReadCsvString("type,value\n" + type + "," + quoted + "\n", "value", feeds::FeedOptions(), &builder, &report);
  std::shared_ptr<const intel::IntelStore> store = builder.Build();
  if (report.indicators == 0 || store->empty()) {
    for (const rules::Diagnostic& d : report.diagnostics) std::fprintf(stderr, "%s\n", d.message.c_str());
    std::fprintf(stderr, "kagami: '%s' is not a %s indicator\n", args.value.c_str(), type.c_str());
    return 2;
  }
  const intel::IntelStore::View v = store->view(0);
  PrintSid(v.sid, std::string(feeds::IndicatorTypeName(v.type)) + ":" + std::string(v.value), "", args.suppress);
  return 0;
}

// gen_id 9000 entries of a threshold file that name no indicator of the
// feeds, as a scan with them reports: warnings on stderr. False when the
// file does not parse.
bool CheckThresholdFile(const std::string& path, const intel::IntelStore* store) {
  rules::ThresholdConfig config = rules::LoadThresholdConfig(path);
  for (const rules::Diagnostic& d : config.diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
  if (config.error_count() > 0) return false;
  // Only the indicator entries: no rules are loaded here to check the rest.
  std::erase_if(config.entries, [](const rules::ThresholdEntry& e) { return e.gid != rules::kIndicatorGid; });
  rules::RuleSet no_rules;
  rules::IndicatorTuning tuning;
  std::vector<rules::Diagnostic> diagnostics;
  rules::ApplyThresholdConfig(no_rules, config, &diagnostics, &tuning);
  for (rules::Diagnostic& d : pipeline::CheckIndicatorSids(tuning, store)) diagnostics.push_back(std::move(d));
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const rules::Diagnostic& a, const rules::Diagnostic& b) {
    return a.location.line < b.location.line;  // one file: in line order
  });
  for (const rules::Diagnostic& d : diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
  return true;
}

int RunSids(const SidsArgs& args) {
  IntelArgs intel;
  intel.feeds = args.feeds;
  intel.format = args.format;
  LoadedIntel loaded;
  if (!LoadIntel(intel, loaded)) return 2;
  const intel::IntelStore* store = loaded.store.get();
  // The same value in two feeds is two indicators with one sid: one
  // suppress line is enough for both.
  std::set<uint32_t> printed;
  for (uint32_t i = 0; store && i < store->size(); ++i) {
    const intel::IntelStore::View v = store->view(i);
    if (args.suppress && !printed.insert(v.sid).second) continue;
    PrintSid(v.sid, std::string(feeds::IndicatorTypeName(v.type)) + ":" + std::string(v.value), v.feed,
             args.suppress);
  }
  if (std::fflush(stdout) != 0) return 2;
  if (!args.threshold_file.empty() && !CheckThresholdFile(args.threshold_file, store)) return 2;
  return loaded.errors > 0 ? 1 : 0;
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

  auto sid_args = std::make_shared<SidArgs>();
  CLI::App* sid = intel->add_subcommand(
      "sid", "Print the sid (gen_id 9000) alerts for an indicator value carry, for threshold.config lines");
  sid->add_option("value", sid_args->value, "Indicator value (an address or CIDR, a domain, a URL, a hash...), or "
                                            "a STIX id (indicator--...)")
      ->required();
  sid->add_option("--type", sid_args->type,
                  "Indicator type as in a CSV feed (ip, domain, url, user_agent, ja3, ja3s, ja4, cert_sha1, "
                  "cert_sha256, file_md5, file_sha1, file_sha256); guessed for addresses, http(s) URLs and names");
  sid->add_flag("--suppress", sid_args->suppress, "Print a threshold.config suppress line for it");
  sid->callback([sid_args, set_exit] { set_exit(RunSid(*sid_args)); });

  auto sids_args = std::make_shared<SidsArgs>();
  CLI::App* sids = intel->add_subcommand(
      "sids", "List every indicator of feeds with its sid (\"sid<TAB>type:value<TAB>feed\"), or as suppress lines");
  sids->add_option("feeds", sids_args->feeds, "Indicator feeds to read")->required()->check(CLI::ExistingFile);
  sids->add_option("--format", sids_args->format, "Feed format: auto, stix, zeek or csv")
      ->check(CLI::IsMember({"auto", "stix", "zeek", "csv"}))
      ->capture_default_str();
  sids->add_flag("--suppress", sids_args->suppress,
                 "Print threshold.config lines suppressing every indicator listed (one per sid)");
  sids->add_option("--threshold-file", sids_args->threshold_file,
                   "Also check a threshold.config: warn for each gen_id 9000 entry no indicator of these feeds has")
      ->check(CLI::ExistingFile);
  sids->callback([sids_args, set_exit] { set_exit(RunSids(*sids_args)); });
  AddIntelPullCommand(intel, set_exit);
}

}  // namespace kagami::cli
