// kagami jobs submit|status: fill and watch the shared job queue that
// `kagami scan --jobs` workers take captures from (jobs/job_queue.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capture/packet_source.h"
#include "cli/commands.h"
#include "engine/output/scan_summary.h"
#include "jobs/job_queue.h"

namespace kagami::cli {
namespace {

struct JobsArgs {
  std::string url;
  std::vector<std::string> paths;
};

// Queue URLs, for --help.
constexpr char kJobsUrls[] =
    "redis://HOST[:PORT]?key=STREAM, redis+unix:///PATH?key=STREAM or kafka://BROKER[,BROKER...]/TOPIC[?group=G]";

std::unique_ptr<jobs::JobQueue> OpenQueue(const std::string& url) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  auto queue = jobs::OpenJobQueue(url, absl::StrCat(host, ":", ::getpid(), ":client"));
  if (!queue.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(queue.status().message()).c_str());
    return nullptr;
  }
  return std::move(*queue);
}

int Submit(const JobsArgs& args) {
  // Directories become their capture files; every path is made absolute,
  // as workers may run elsewhere (with the archive mounted at the same place).
  auto files = capture::ExpandInputs(args.paths);
  if (!files.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(files.status().message()).c_str());
    return 2;
  }
  std::vector<std::string> paths;
  for (const std::string& f : *files) paths.push_back(std::filesystem::absolute(f).lexically_normal().string());
  auto queue = OpenQueue(args.url);
  if (!queue) return 2;
  std::vector<std::string> ids;
  if (absl::Status s = queue->Submit(paths, &ids); !s.ok()) {
    std::fprintf(stderr, "kagami: %s (%zu of %zu submitted)\n", std::string(s.message()).c_str(), ids.size(),
                 paths.size());
    return 1;
  }
  for (size_t i = 0; i < ids.size(); ++i) std::printf("%s %s\n", ids[i].c_str(), paths[i].c_str());
  std::fprintf(stderr, "kagami: %zu %s submitted to %s\n", ids.size(), ids.size() == 1 ? "job" : "jobs",
               queue->Describe().c_str());
  return 0;
}

int Status(const JobsArgs& args) {
  auto queue = OpenQueue(args.url);
  if (!queue) return 2;
  absl::StatusOr<jobs::JobsStatus> st = queue->Status();
  if (!st.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(st.status().message()).c_str());
    return 2;
  }
  using output::FormatCount;
  std::printf("jobs: %s submitted, %s done, %s failed, %s running, %s waiting\n", FormatCount(st->submitted).c_str(),
              FormatCount(st->done).c_str(), FormatCount(st->failed).c_str(), FormatCount(st->running).c_str(),
              FormatCount(st->waiting).c_str());
  for (const jobs::JobsStatus::Worker& w : st->workers) {
    std::printf("  worker %s: %s done, %s failed, %s running\n", w.name.c_str(), FormatCount(w.done).c_str(),
                FormatCount(w.failed).c_str(), FormatCount(w.running).c_str());
  }
  if (!st->failures.empty()) std::printf("failed:\n");
  for (const std::string& f : st->failures) std::printf("  %s\n", f.c_str());
  return 0;
}

}  // namespace

void AddJobsCommand(CLI::App& app, std::function<void(int)> set_exit) {
  auto args = std::make_shared<JobsArgs>();
  CLI::App* jobs = app.add_subcommand("jobs", "Share an archive between many `kagami scan --jobs` workers");
  jobs->require_subcommand(1);
  CLI::App* submit = jobs->add_subcommand("submit", "Queue capture files (directories: their captures) as jobs");
  submit->add_option("--jobs", args->url, kJobsUrls)->required();
  submit->add_option("paths", args->paths, "Capture files or directories")->required();
  submit->callback([args, set_exit] { set_exit(Submit(*args)); });
  CLI::App* status = jobs->add_subcommand("status", "Jobs submitted, done, failed, running and waiting, per worker");
  status->add_option("--jobs", args->url, kJobsUrls)->required();
  status->callback([args, set_exit] { set_exit(Status(*args)); });
}

}  // namespace kagami::cli
