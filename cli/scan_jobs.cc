#include "cli/scan_jobs.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "capture/packet_source.h"
#include "cli/app_options.h"
#include "cli/signals.h"
#include "engine/output/eve_writer.h"
#include "engine/output/scan_summary.h"
#include "engine/output/sinks/output_spec.h"
#include "engine/pipeline/inspection.h"
#include "jobs/job_queue.h"

namespace kagami::cli {
namespace {

// A job's records, held until the job is committed.
class JobRecords final : public output::EveRecordSink {
 public:
  void Write(std::string_view record) override { records_.append(record); }
  const std::string& records() const { return records_; }
  void Clear() { records_.clear(); }

 private:
  std::string records_;
};

// Keeps the job being scanned claimed, on its own connection, so workers
// that are alive never lose their job (Redis: to XAUTOCLAIM; Kafka needs
// none: librdkafka heartbeats the group by itself).
class Heartbeat {
 public:
  Heartbeat(std::unique_ptr<jobs::JobQueue> queue, std::chrono::milliseconds every)
      : queue_(std::move(queue)), every_(every), thread_([this] { Run(); }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Set(std::optional<jobs::Job> job) {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = std::move(job);
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, every_, [this] { return stop_; })) {
      if (job_) (void)queue_->Touch(*job_);  // a failure shows at commit
    }
  }
  std::unique_ptr<jobs::JobQueue> queue_;
  const std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<jobs::Job> job_;
  bool stop_ = false;
  std::thread thread_;
};

std::string WorkerName() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return absl::StrCat(host, ":", ::getpid());
}

}  // namespace

int RunJobWorker(JobWorkerArgs args) {
  const std::string name = WorkerName();
  auto queue = jobs::OpenJobQueue(args.url, name);
  if (!queue.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(queue.status().message()).c_str());
    return 2;
  }
  auto beat_queue = jobs::OpenJobQueue(args.url, name);
  if (!beat_queue.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(beat_queue.status().message()).c_str());
    return 2;
  }
  // Outputs the queue can write with each job's acknowledgement (Redis
  // outputs on its server, Kafka outputs on its cluster) are committed
  // with the job; the others are an ordinary OutputSet.
  std::vector<jobs::JobOutput> committed;
  bool bad_url = false;
  auto take = [&](const std::string& url, output::EventTypes default_types) {
    absl::StatusOr<std::optional<jobs::JobOutput>> o = (*queue)->CommittedOutput(url, default_types);
    if (!o.ok()) {
      std::fprintf(stderr, "kagami: %s\n", std::string(o.status().message()).c_str());
      bad_url = true;
      return true;
    }
    if (!o->has_value()) return false;
    committed.push_back(std::move(**o));
    return true;
  };
  output::OutputSet outputs;
  if (!OpenOutputs(*args.output, args.eve_types, outputs, take) || bad_url) return 2;
  output::EventTypes all_types = outputs.types();
  for (const jobs::JobOutput& o : committed) all_types |= o.types;
  SetEventTypes(all_types, args.options);

  Heartbeat heartbeat(std::move(*beat_queue), std::max(std::chrono::milliseconds(args.job_timeout) / 3,
                                                       std::chrono::milliseconds(100)));
  pipeline::RunControl control;
  InstallSignalHandlers(&control);
  if (!args.quiet) {
    std::fprintf(stderr, "kagami: worker %s taking jobs from %s\n", name.c_str(), (*queue)->Describe().c_str());
  }
  uint64_t done = 0, failed = 0, lost = 0, commit_errors = 0;
  JobRecords records;
  while (!control.stop.load()) {
    absl::StatusOr<std::optional<jobs::Job>> next =
        (*queue)->Next(args.job_timeout, std::chrono::milliseconds(1000));
    if (!next.ok()) {
      std::fprintf(stderr, "kagami: %s; trying again\n", std::string(next.status().message()).c_str());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (!next->has_value()) {
      if (args.exit_when_idle) {
        absl::StatusOr<bool> idle = (*queue)->Idle();
        if (idle.ok() && *idle) break;
      }
      continue;
    }
    const jobs::Job job = **next;
    heartbeat.Set(job);
    records.Clear();
    output::EveWriter eve;
    eve.set_sink(&records);
    output::ScanSummary summary;
    std::string error;
    {
      pipeline::ParallelOptions parallel;
      parallel.workers = args.workers;
      pipeline::Inspection inspection(args.engine, args.options, parallel, &eve, &summary);
      inspection.set_intel(args.intel, args.digest_kinds);
      summary.AddFile();
      auto source = capture::OpenCaptureFile(job.path);
      if (!source.ok()) {
        error = std::string(source.status().message());
      } else if (absl::Status s = inspection.Run(**source, &control); !s.ok()) {
        error = std::string(s.message());
      }
      inspection.Finish();
      summary.Finish();
    }
    // The queue keeps "ID PATH: error"; the reader's error names the path already.
    if (error.rfind(job.path + ": ", 0) == 0) error.erase(0, job.path.size() + 2);
    if (control.stop.load()) {
      // Interrupted: nothing is committed; another worker redoes the job.
      heartbeat.Set(std::nullopt);
      break;
    }
    // The other outputs first (at least once), then the commit.
    for (size_t pos = 0; pos < records.records().size();) {
      const size_t end = records.records().find('\n', pos);
      outputs.Write(std::string_view(records.records()).substr(pos, end + 1 - pos));
      pos = end + 1;
    }
    outputs.WaitDelivered(std::chrono::seconds(30));
    absl::StatusOr<bool> ok = (*queue)->Complete(job, records.records(), committed, error);
    heartbeat.Set(std::nullopt);
    if (!ok.ok()) {
      ++commit_errors;
      std::fprintf(stderr, "kagami: job %s %s: %s (another worker will take it)\n", job.id.c_str(),
                   job.path.c_str(), std::string(ok.status().message()).c_str());
      continue;
    }
    if (!*ok) {
      ++lost;
      if (!args.quiet) {
        std::fprintf(stderr, "kagami: job %s %s: taken over by another worker; its result stands\n",
                     job.id.c_str(), job.path.c_str());
      }
      continue;
    }
    error.empty() ? ++done : ++failed;
    if (!args.quiet) {
      if (error.empty()) {
        std::fprintf(stderr, "kagami: job %s %s: %s packets, %s alerts in %.2f s\n", job.id.c_str(),
                     job.path.c_str(), output::FormatCount(summary.packets()).c_str(),
                     output::FormatCount(summary.alerts()).c_str(), summary.elapsed_seconds());
      } else {
        std::fprintf(stderr, "kagami: job %s %s failed: %s\n", job.id.c_str(), job.path.c_str(), error.c_str());
      }
    }
  }
  outputs.Stop(kOutputGrace);
  output::ScanSummary totals;
  const uint64_t dropped = ReportOutputs(outputs, totals);
  if (!args.quiet) {
    std::fprintf(stderr, "kagami: worker %s: %llu jobs done, %llu failed, %llu taken over by others\n", name.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(failed),
                 static_cast<unsigned long long>(lost));
  }
  return dropped > 0 || commit_errors > 0 ? 1 : 0;
}

}  // namespace kagami::cli
