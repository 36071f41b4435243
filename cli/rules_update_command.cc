// kagami rules update: downloads rule sources (fetch/), merges them and
// applies Suricata's rule management files (rules/update/), checks the
// result with Kagami's own loader and installs it atomically, optionally
// asking a running sensor to reload.
//
// Exit status, as for every command: 0 installed (or unchanged) with
// nothing to report, 1 installed but something needs a look (rule lines
// that could not be read, management lines that matched nothing, a
// threshold file not installed), 2 nothing installed (a download failed, a
// management file has errors, the new set was refused).
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/config_options.h"
#include "cli/control_socket.h"
#include "cli/engine_setup.h"
#include "common/read_file.h"
#include "engine/detect/hs_cache.h"
#include "fetch/checksum.h"
#include "fetch/fetcher.h"
#include "fetch/tar_gz.h"
#include "rules/update/acceptance.h"
#include "rules/update/atomic_write.h"
#include "rules/update/rule_update.h"
#include "rules/update/threshold_passthrough.h"

namespace kagami::cli {
namespace {

namespace upd = rules::update;

struct UpdateArgs {
  std::vector<std::string> sources;
  std::string output;
  std::vector<std::string> enable_conf, disable_conf, drop_conf, modify_conf;
  std::string threshold_in, threshold_out;
  std::string cache_dir;
  bool no_cache = false;
  std::string ca_file;
  int timeout = 120;
  int retries = 3;
  double max_failed_share = 0.05;
  double min_previous_share = 0.5;
  std::string report;
  std::vector<std::string> vars;
  bool reload = false;
  std::string control_socket;
  std::string config;
};

// A --source value: URL, optionally followed by "#md5=CHECKSUM_URL" or
// "#md5=auto" (URL + ".md5", as Emerging Threats publishes). The fragment
// is never sent to a server, so it is free for the client's own use.
struct SourceSpec {
  std::string url;
  std::string md5_url;  // empty: no checksum
};

bool ParseSource(const std::string& text, SourceSpec* out, std::string* error) {
  const size_t hash = text.find("#md5=");
  out->url = text.substr(0, hash);
  if (out->url.empty()) {
    *error = "--source: expected a URL, got '" + text + "'";
    return false;
  }
  if (hash != std::string::npos) {
    const std::string md5 = text.substr(hash + 5);
    out->md5_url = md5 == "auto" ? out->url + ".md5" : md5;
    if (out->md5_url.empty()) {
      *error = "--source " + text + ": #md5= needs a URL or 'auto'";
      return false;
    }
  }
  return true;
}

std::string BaseName(std::string_view path) {
  const size_t q = path.find_first_of("?#");
  if (q != std::string_view::npos) path = path.substr(0, q);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// A file's bytes, or false when it cannot be read (a missing installed file
// or cache entry is no error).
bool ReadIfThere(const std::string& path, std::string* out) {
  std::string error;
  return ReadWholeFile(path, out, &error);
}

// The download cache: each URL's last good body with the validators its
// server sent, so an unchanged source costs a 304 and no download.
class DownloadCache {
 public:
  explicit DownloadCache(std::string dir) : dir_(std::move(dir)) {}
  bool enabled() const { return !dir_.empty(); }

  struct Entry {
    std::string body, etag, last_modified;
  };
  bool Load(const std::string& url, Entry* e) const {
    if (!enabled()) return false;
    std::string meta;
    if (!ReadIfThere(Path(url, ".meta"), &meta) || !ReadIfThere(Path(url, ".body"), &e->body)) return false;
    // meta: etag, last-modified, md5 of the body (a damaged body is not used).
    std::vector<std::string> lines;
    std::istringstream in(meta);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.size() < 3 || fetch::Md5Hex(e->body) != lines[2]) return false;
    e->etag = lines[0];
    e->last_modified = lines[1];
    return true;
  }
  void Store(const std::string& url, const Entry& e) const {
    if (!enabled()) return;
    ::mkdir(dir_.c_str(), 0755);  // its parent is the cache directory, made by the caller
    std::string error;
    if (!upd::WriteFileAtomically(Path(url, ".body"), e.body, &error) ||
        !upd::WriteFileAtomically(Path(url, ".meta"),
                                  absl::StrCat(e.etag, "\n", e.last_modified, "\n", fetch::Md5Hex(e.body), "\n"),
                                  &error)) {
      std::fprintf(stderr, "kagami: rules update: warning: download cache: %s\n", error.c_str());
    }
  }

 private:
  std::string Path(const std::string& url, const char* suffix) const {
    return absl::StrCat(dir_, "/", fetch::Sha256Hex(url).substr(0, 32), suffix);
  }
  std::string dir_;
};

// Downloads one source (or takes it from the cache when the server says it
// has not changed), verifies its checksum and splits it into rule files.
bool FetchSource(fetch::Fetcher& fetcher, const DownloadCache& cache, const SourceSpec& spec,
                 std::vector<upd::RuleFile>* files) {
  fetch::Request request;
  request.url = spec.url;
  DownloadCache::Entry cached;
  const bool have_cached = cache.Load(spec.url, &cached);
  if (have_cached) {
    request.etag = cached.etag;
    request.last_modified = cached.last_modified;
  }
  auto response = fetcher.Fetch(request);
  if (!response.ok()) {
    std::fprintf(stderr, "kagami: rules update: %s\n", std::string(response.status().message()).c_str());
    return false;
  }
  std::string body;
  if (response->not_modified && have_cached) {
    std::fprintf(stderr, "%s: not modified, using the cached copy\n", spec.url.c_str());
    body = std::move(cached.body);
  } else {
    body = std::move(response->body);
    std::fprintf(stderr, "%s: downloaded %zu bytes\n", spec.url.c_str(), body.size());
  }
  if (!spec.md5_url.empty()) {
    fetch::Request md5_request;
    md5_request.url = spec.md5_url;
    auto md5 = fetcher.Fetch(md5_request);
    if (!md5.ok()) {
      std::fprintf(stderr, "kagami: rules update: %s\n", std::string(md5.status().message()).c_str());
      return false;
    }
    auto expected = fetch::ParseMd5File(md5->body);
    if (!expected.ok()) {
      std::fprintf(stderr, "kagami: rules update: %s: %s\n", spec.md5_url.c_str(),
                   std::string(expected.status().message()).c_str());
      return false;
    }
    if (const std::string got = fetch::Md5Hex(body); got != *expected) {
      std::fprintf(stderr, "kagami: rules update: %s: corrupt download: md5 %s, but %s says %s\n", spec.url.c_str(),
                   got.c_str(), spec.md5_url.c_str(), expected->c_str());
      return false;
    }
  }
  // Only a verified download replaces the cached copy.
  if (!response->not_modified) cache.Store(spec.url, {body, response->etag, response->last_modified});
  const std::string name = BaseName(spec.url);
  const bool gzip = body.size() >= 2 && static_cast<uint8_t>(body[0]) == 0x1f && static_cast<uint8_t>(body[1]) == 0x8b;
  const bool archive = gzip || absl::EndsWith(name, ".tar") || absl::EndsWith(name, ".tar.gz") ||
                       absl::EndsWith(name, ".tgz");
  if (archive) {
    // A rule tarball is a few tens of MB unpacked (ET Open: about 40 MB).
    auto entries = fetch::ReadTarGz(body, size_t{1} << 30);
    if (!entries.ok()) {
      std::fprintf(stderr, "kagami: rules update: %s: %s\n", spec.url.c_str(),
                   std::string(entries.status().message()).c_str());
      return false;
    }
    size_t taken = 0;
    for (fetch::TarEntry& e : *entries) {
      if (!absl::EndsWith(e.path, ".rules")) continue;
      files->push_back({BaseName(e.path), std::move(e.contents)});
      ++taken;
    }
    if (taken == 0) {
      std::fprintf(stderr, "kagami: rules update: %s: the archive holds no .rules file\n", spec.url.c_str());
      return false;
    }
  } else {
    files->push_back({name.empty() ? "source.rules" : name, std::move(body)});
  }
  return true;
}

void PrintDiagnostics(const std::vector<rules::Diagnostic>& diagnostics) {
  for (const rules::Diagnostic& d : diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
}

int RunUpdate(const UpdateArgs& a) {
  if (a.sources.empty() || a.output.empty()) {
    std::fprintf(stderr, "kagami: rules update: name at least one --source URL and -o FILE\n");
    return 2;
  }
  if (a.threshold_in.empty() != a.threshold_out.empty()) {
    std::fprintf(stderr, "kagami: rules update: --threshold-in and --threshold-out go together\n");
    return 2;
  }
  rules::LoadOptions load;
  if (!ReadVariables(a.vars, load)) return 2;

  upd::UpdateInput input;
  for (const auto& [kind, paths] : {std::pair{upd::ManagementKind::kDisable, &a.disable_conf},
                                    std::pair{upd::ManagementKind::kEnable, &a.enable_conf},
                                    std::pair{upd::ManagementKind::kDrop, &a.drop_conf},
                                    std::pair{upd::ManagementKind::kModify, &a.modify_conf}}) {
    for (const std::string& path : *paths) {
      upd::ManagementText m{kind, path, {}};
      if (std::string error; !ReadWholeFile(path, &m.text, &error)) {
        std::fprintf(stderr, "kagami: rules update: cannot read %s: %s\n", path.c_str(), error.c_str());
        return 2;
      }
      input.management.push_back(std::move(m));
    }
  }

  fetch::FetchOptions fetch_options;
  fetch_options.ca_file = a.ca_file;
  fetch_options.timeout = std::chrono::seconds(a.timeout);
  fetch_options.retries = a.retries;
  fetch::Fetcher fetcher(fetch_options);
  std::string cache_dir;
  if (!a.no_cache) {
    const std::string base = a.cache_dir.empty() ? detect::HsCache::DefaultDir() : a.cache_dir;
    if (!base.empty()) {
      ::mkdir(base.c_str(), 0755);
      cache_dir = base + "/rules-update";
    }
  }
  const DownloadCache cache(cache_dir);
  for (const std::string& text : a.sources) {
    SourceSpec spec;
    std::string error;
    if (!ParseSource(text, &spec, &error)) {
      std::fprintf(stderr, "kagami: rules update: %s\n", error.c_str());
      return 2;
    }
    if (!FetchSource(fetcher, cache, spec, &input.files)) {
      std::fprintf(stderr, "kagami: rules update: nothing installed; %s is unchanged\n", a.output.c_str());
      return 2;
    }
    input.sources.push_back(spec.url);
  }
  if (std::string previous; ReadIfThere(a.output, &previous)) input.previous_merged = std::move(previous);
  const bool had_previous = input.previous_merged.has_value();
  const std::string previous_text = had_previous ? *input.previous_merged : std::string();

  upd::UpdateResult result = upd::BuildUpdate(std::move(input));
  PrintDiagnostics(result.diagnostics);
  if (result.management_errors > 0) {
    std::fprintf(stderr,
                 "kagami: rules update: %zu error(s) in the management files; nothing installed, %s is unchanged\n",
                 result.management_errors, a.output.c_str());
    return 2;
  }

  const upd::AcceptanceCheck check = upd::CheckMergedRules(result.merged, a.output, load);
  PrintDiagnostics(check.first_errors);
  upd::RefusalPolicy policy;
  policy.max_failed_share = a.max_failed_share;
  policy.min_previous_share = a.min_previous_share;
  std::optional<size_t> previous_enabled;
  if (result.report.has_previous) previous_enabled = result.report.previous_enabled;
  const upd::RefusalDecision decision = upd::DecideRefusal(check, result.report.enabled, previous_enabled, policy);
  std::fprintf(stderr, "check: %zu rules loaded, %zu failed\n", check.loaded, check.failed);
  if (decision.refuse) {
    std::fprintf(stderr, "kagami: rules update: refused: %s; %s is unchanged\n", decision.reason.c_str(),
                 a.output.c_str());
    return 2;
  }

  const bool changed = !had_previous || previous_text != result.merged;
  if (changed) {
    std::string error;
    if (!upd::WriteFileAtomically(a.output, result.merged, &error)) {
      std::fprintf(stderr, "kagami: rules update: %s\n", error.c_str());
      return 2;
    }
  }
  for (const std::string& line : result.report.TextLines()) std::printf("%s\n", line.c_str());
  std::printf("%s: %s\n", a.output.c_str(), changed ? "installed" : "unchanged");

  int status = 0;
  bool threshold_changed = false;
  if (!a.threshold_in.empty()) {
    std::string before, error;
    const bool had = ReadIfThere(a.threshold_out, &before);
    upd::ThresholdCheck tc;
    if (!upd::CopyThresholdFile(a.threshold_in, a.threshold_out, load.variables, &tc, &error)) {
      PrintDiagnostics(tc.diagnostics);
      std::fprintf(stderr, "kagami: rules update: threshold file not installed: %s\n",
                   error.empty() ? absl::StrCat(tc.errors, " error(s) in ", a.threshold_in).c_str() : error.c_str());
      status = 1;
    } else {
      PrintDiagnostics(tc.diagnostics);
      std::string after;
      threshold_changed = !had || (ReadIfThere(a.threshold_out, &after) && after != before);
    }
  }
  if (!a.report.empty()) {
    std::string error;
    if (!upd::WriteFileAtomically(a.report, result.report.Json() + "\n", &error)) {
      std::fprintf(stderr, "kagami: rules update: report: %s\n", error.c_str());
      status = 1;
    }
  }
  if (result.source_errors > 0 || check.failed > 0) status = 1;
  for (const rules::Diagnostic& d : result.report.management.diagnostics) {
    if (d.severity == rules::Diagnostic::Severity::kWarning) status = 1;
  }

  if (a.reload) {
    if (!changed && !threshold_changed) {
      std::printf("reload: not needed, nothing changed\n");
    } else {
      const std::string path = a.control_socket.empty() ? DefaultControlSocket() : a.control_socket;
      auto answer = ControlRequest(path, "reload", 600);
      if (!answer.ok()) {
        std::fprintf(stderr, "kagami: rules update: reload: %s\n", std::string(answer.status().message()).c_str());
        return 1;
      }
      std::printf("reload: %s\n", answer->c_str());
      if (answer->rfind("{\"ok\":true", 0) != 0) return 1;
    }
  }
  return status;
}

}  // namespace

void AddRulesUpdateCommand(CLI::App* rules, std::function<void(int)> set_exit) {
  auto a = std::make_shared<UpdateArgs>();
  CLI::App* cmd = rules->add_subcommand(
      "update", "Download rule sources, apply enable/disable/drop/modify.conf, check and install one rules file");
  cmd->add_option("--source", a->sources,
                  "Rule source URL (http, https, file): a .rules file or a .tar.gz of them; append #md5=URL or "
                  "#md5=auto (URL.md5) to verify the download (repeatable)");
  cmd->add_option("-o,--output", a->output, "The merged rules file to install (replaced atomically)");
  cmd->add_option("--enable-conf", a->enable_conf, "enable.conf (suricata-update syntax; repeatable)");
  cmd->add_option("--disable-conf", a->disable_conf, "disable.conf (repeatable)");
  cmd->add_option("--drop-conf", a->drop_conf, "drop.conf (repeatable)");
  cmd->add_option("--modify-conf", a->modify_conf, "modify.conf (repeatable)");
  cmd->add_option("--threshold-in", a->threshold_in, "threshold.in: checked, then installed as --threshold-out");
  cmd->add_option("--threshold-out", a->threshold_out, "Where threshold.in is installed");
  cmd->add_option("--cache-dir", a->cache_dir,
                  "Where downloads are kept for conditional requests (default: the cache directory, "
                  "subdirectory rules-update)");
  cmd->add_flag("--no-cache", a->no_cache, "Download every source in full and keep nothing");
  cmd->add_option("--ca-file", a->ca_file, "CA certificates for HTTPS (default: the system store)");
  cmd->add_option("--timeout", a->timeout, "Seconds allowed for each download")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_option("--retries", a->retries, "Further attempts after a download failure that may pass")
      ->check(CLI::Range(0, 20))
      ->capture_default_str();
  cmd->add_option("--max-failed-share", a->max_failed_share,
                  "Refuse the new set when more than this share of its rules fail to load")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--min-previous-share", a->min_previous_share,
                  "Refuse the new set when it has fewer enabled rules than this share of the installed one")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--report", a->report, "Write the report (added, removed, changed, managed sids) as JSON");
  cmd->add_option("--var", a->vars, "Rule variable NAME=VALUE for the load check (repeatable)");
  cmd->add_flag("--reload", a->reload, "Ask the running sensor to reload once a changed file is installed");
  cmd->add_option("--control-socket", a->control_socket, "The sensor's control socket (for --reload)");
  cmd->add_option("--config", a->config, "YAML file whose keys are these options (flags given here win)");
  cmd->callback([cmd, a, set_exit] {
    if (!a->config.empty() && !ApplyConfigFile(*cmd, a->config, nullptr)) {
      set_exit(2);
      return;
    }
    set_exit(RunUpdate(*a));
  });
}

}  // namespace kagami::cli
