// kagami intel pull: fetches indicators from a TAXII 2.1 collection, a MISP
// instance (REST API) or a MISP static feed into a STIX 2.1 bundle that
// --intel loads, keeping a state file beside it so the next pull asks only
// for what changed. The work is rules/feeds/pull's; this file turns the
// command line into its options and its result into a summary.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "rules/feeds/pull/pull.h"

namespace kagami::cli {
namespace {

struct PullArgs {
  std::string taxii, collection, misp, misp_feed;
  std::string user, password_file, token_file, key_file;
  std::string output, state;
  int limit = 1000;
  int max_age_days = 0;
  double timeout_seconds = 60;
  int retries = 2;
  std::string ca_file;
};

// A secret kept in a file (not on the command line, where `ps` shows it):
// its first line, without the line break or surrounding blanks.
bool ReadSecretFile(const std::string& option, const std::string& path, std::string* secret) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "kagami: %s %s: %s\n", option.c_str(), path.c_str(), std::strerror(errno));
    return false;
  }
  std::string text;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() < (1 << 16);) text.append(buf, n);
  std::fclose(f);
  text = text.substr(0, text.find_first_of("\r\n"));
  const size_t begin = text.find_first_not_of(" \t");
  const size_t end = text.find_last_not_of(" \t");
  *secret = begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
  if (secret->empty()) {
    std::fprintf(stderr, "kagami: %s %s: the file's first line is empty\n", option.c_str(), path.c_str());
    return false;
  }
  return true;
}

int RunPull(const PullArgs& args) {
  using feeds::pull::SourceKind;
  const int sources = !args.taxii.empty() + !args.misp.empty() + !args.misp_feed.empty();
  if (sources != 1) {
    std::fprintf(stderr, "kagami: intel pull: give exactly one of --taxii, --misp, --misp-feed\n");
    return 2;
  }
  feeds::pull::PullOptions o;
  if (!args.taxii.empty()) {
    if (args.collection.empty()) {
      std::fprintf(stderr, "kagami: intel pull: --taxii needs --collection ID\n");
      return 2;
    }
    o.kind = SourceKind::kTaxii;
    o.url = args.taxii;
    o.collection = args.collection;
  } else if (!args.misp.empty()) {
    if (args.key_file.empty()) {
      std::fprintf(stderr, "kagami: intel pull: --misp needs --key-file FILE (the API key)\n");
      return 2;
    }
    o.kind = SourceKind::kMispRest;
    o.url = args.misp;
  } else {
    o.kind = SourceKind::kMispFeed;
    o.url = args.misp_feed;
  }
  const bool taxii = o.kind == SourceKind::kTaxii;
  if (!taxii && (!args.user.empty() || !args.password_file.empty() || !args.token_file.empty())) {
    std::fprintf(stderr, "kagami: intel pull: --user, --password-file and --token-file are for --taxii\n");
    return 2;
  }
  if (args.user.empty() != args.password_file.empty()) {
    std::fprintf(stderr, "kagami: intel pull: --user and --password-file go together\n");
    return 2;
  }
  if (!args.user.empty() && !args.token_file.empty()) {
    std::fprintf(stderr, "kagami: intel pull: --user/--password-file or --token-file, not both\n");
    return 2;
  }
  if (!args.key_file.empty() && o.kind != SourceKind::kMispRest) {
    std::fprintf(stderr, "kagami: intel pull: --key-file is for --misp\n");
    return 2;
  }
  if (!args.password_file.empty() && !ReadSecretFile("--password-file", args.password_file, &o.password)) return 2;
  if (!args.token_file.empty() && !ReadSecretFile("--token-file", args.token_file, &o.token)) return 2;
  if (!args.key_file.empty() && !ReadSecretFile("--key-file", args.key_file, &o.misp_key)) return 2;
  o.user = args.user;
  o.output = args.output;
  o.state_path = args.state;
  o.limit = args.limit;
  o.max_age_days = args.max_age_days;
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(args.timeout_seconds * 1000));
  o.fetch.timeout = timeout;
  o.fetch.connect_timeout = std::min(timeout, o.fetch.connect_timeout);
  o.fetch.retries = args.retries;
  o.fetch.ca_file = args.ca_file;

  absl::StatusOr<feeds::pull::PullResult> result = feeds::pull::RunPull(o);
  if (!result.ok()) {
    std::fprintf(stderr, "kagami: intel pull: %s\n", std::string(result.status().message()).c_str());
    std::fprintf(stderr, "kagami: intel pull: nothing written; %s and its state are as they were\n",
                 args.output.c_str());
    return 2;
  }
  for (const std::string& w : result->stats.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (result->stats.more_warnings > 0) {
    std::fprintf(stderr, "warning: %zu more not shown\n", result->stats.more_warnings);
  }
  std::fprintf(stderr, "%s\n", feeds::pull::PullSummary(o, *result).c_str());
  return 0;
}

}  // namespace

void AddIntelPullCommand(CLI::App* intel, std::function<void(int)> set_exit) {
  auto args = std::make_shared<PullArgs>();
  CLI::App* pull = intel->add_subcommand(
      "pull", "Fetch indicators from a TAXII 2.1 collection or MISP into a STIX 2.1 bundle for --intel; "
              "incremental, with a state file beside the output");
  pull->add_option("--taxii", args->taxii, "TAXII 2.1 discovery URL or API root URL");
  pull->add_option("--collection", args->collection, "TAXII collection id (must be readable)");
  pull->add_option("--misp", args->misp, "MISP instance URL (REST API: attributes/restSearch)");
  pull->add_option("--key-file", args->key_file, "File holding the MISP API key (first line)");
  pull->add_option("--misp-feed", args->misp_feed, "MISP static feed URL (the folder of manifest.json)");
  pull->add_option("--user", args->user, "TAXII basic authentication user");
  pull->add_option("--password-file", args->password_file, "File holding the TAXII password (first line)");
  pull->add_option("--token-file", args->token_file, "File holding a TAXII bearer token (first line)");
  pull->add_option("-o,--output", args->output, "The STIX 2.1 bundle to write (replaced atomically)")->required();
  pull->add_option("--state", args->state, "State file: cursor and pulled objects (default OUTPUT.state.json)");
  pull->add_option("--limit", args->limit, "Objects or attributes asked for per page")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  pull->add_option("--max-age", args->max_age_days,
                   "Drop indicators not modified for this many days (0: keep them until revoked or expired)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  pull->add_option("--timeout", args->timeout_seconds, "Seconds one request may take")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  pull->add_option("--retries", args->retries, "Further attempts after a timeout, connection failure, 429 or 5xx")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  pull->add_option("--ca-file", args->ca_file, "CA certificates to verify the server with (PEM), not the system's")
      ->check(CLI::ExistingFile);
  pull->callback([args, set_exit] { set_exit(RunPull(*args)); });
}

}  // namespace kagami::cli
