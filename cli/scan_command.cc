// kagami scan: offline analysis of capture files.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "cli/commands.h"
#include "cli/engine_setup.h"
#include "cli/signals.h"
#include "cli/app_options.h"
#include "cli/intel_options.h"
#include "cli/output_options.h"
#include "cli/scan_jobs.h"
#include "cli/traffic_options.h"
#include "engine/output/eve_writer.h"
#include "engine/output/scan_summary.h"
#include "engine/pipeline/inspection.h"
#include "engine/pipeline/scanner.h"
#include "engine/pipeline/stats_record.h"

namespace kagami::cli {
namespace {

struct ScanArgs {
  RuleOptions rules;
  OutputArgs output;
  std::string checksums = "verify";
  TrafficArgs traffic;
  AppArgs app;
  IntelArgs intel;
  bool quiet = false;
  uint32_t workers = 0;  // 0: one per online CPU
  uint32_t stats_interval = 0;
  std::vector<std::string> inputs;
  std::string jobs;  // --jobs URL: a worker on a shared job queue instead of inputs
  uint32_t job_timeout = 60;
  bool exit_when_idle = false;
};

std::vector<std::pair<std::string, uint64_t>> AnomalyCounts(const decode::DecoderCounters& c) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (size_t i = 0; i < c.anomalies.size(); ++i) {
    if (c.anomalies[i]) {
      out.emplace_back(std::string(decode::AnomalyName(static_cast<decode::Anomaly>(i))),
                       c.anomalies[i]);
    }
  }
  return out;
}

int RunScan(const ScanArgs& args) {
  LoadedEngine loaded;
  if (!LoadEngine(args.rules, loaded)) return 2;
  IntelArgs intel_args = args.intel;
  UseShippedFeedsIfNoneGiven(args.rules.rule_paths, intel_args);
  LoadedIntel intel;
  if (!LoadIntel(intel_args, intel)) return 2;

  if (args.jobs.empty() == args.inputs.empty()) {
    std::fprintf(stderr, "kagami: scan: give capture files or directories, or --jobs URL (not both)\n");
    return 2;
  }
  auto inputs = capture::ExpandInputs(args.inputs);
  if (!inputs.ok() && args.jobs.empty()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(inputs.status().message()).c_str());
    return 2;
  }
  pipeline::ScannerOptions options;
  options.checksums = args.checksums == "ignore" ? pipeline::ChecksumMode::kIgnore
                                                 : pipeline::ChecksumMode::kVerify;
  if (std::string error; !ApplyTrafficArgs(args.traffic, options, &error)) {
    std::fprintf(stderr, "kagami: %s\n", error.c_str());
    return 2;
  }
  if (std::string error; !ApplyAppArgs(args.app, options, &error)) {
    std::fprintf(stderr, "kagami: %s\n", error.c_str());
    return 2;
  }
  if (!args.jobs.empty()) {
    JobWorkerArgs w;
    w.url = args.jobs;
    w.job_timeout = std::chrono::seconds(args.job_timeout);
    w.exit_when_idle = args.exit_when_idle;
    w.workers = WorkerCount(args.workers);
    w.quiet = args.quiet;
    w.output = &args.output;
    w.eve_types = args.app.eve_types;
    w.engine = loaded.engine;
    w.intel = intel.store;
    w.digest_kinds = DigestKinds(intel_args);
    w.options = options;
    return RunJobWorker(std::move(w));
  }
  output::OutputSet outputs;
  if (!OpenOutputs(args.output, args.app.eve_types, outputs)) return 2;
  // The scanner formats what any output takes.
  SetEventTypes(outputs.types(), options);
  output::EveWriter eve;
  eve.set_sink(&outputs);
  output::ScanSummary summary;
  // One worker runs in this thread with no queues; more get a reader, the
  // workers and a writer (engine/pipeline/parallel_scan.h). Same results.
  pipeline::ParallelOptions parallel;
  parallel.workers = WorkerCount(args.workers);
  pipeline::Inspection inspection(loaded.engine, options, parallel, &eve, &summary);
  inspection.set_intel(intel.store, DigestKinds(intel_args));
  pipeline::StatsWriter stats(&eve);
  if (args.stats_interval > 0) inspection.set_periodic_stats(stats.Every(std::chrono::seconds(args.stats_interval)));
  pipeline::RunControl control;
  InstallSignalHandlers(&control);
  output::ProgressLine progress(stderr, inputs->size(), false);
  if (!args.quiet) inspection.set_progress(&progress);

  bool input_errors = false;
  for (const std::string& path : *inputs) {
    if (control.stop.load()) break;
    summary.AddFile();
    if (!args.quiet) progress.Draw(summary);
    auto source = capture::OpenCaptureFile(path);
    if (!source.ok()) {
      progress.Clear();
      std::fprintf(stderr, "kagami: %s\n", std::string(source.status().message()).c_str());
      summary.AddError(std::string(source.status().message()));
      input_errors = true;
      continue;
    }
    absl::Status s = inspection.Run(**source, &control);
    if (!s.ok()) {
      progress.Clear();
      std::fprintf(stderr, "kagami: %s\n", std::string(s.message()).c_str());
      summary.AddError(std::string(s.message()));
      input_errors = true;
    }
  }
  // Flows end with the last capture: data still held back is inspected.
  inspection.Finish();
  const pipeline::ScanCounters counters = inspection.counters();
  if (options.log_stats || args.stats_interval > 0) stats.Write(counters);
  // Every output delivers what it holds, or spools it, before the summary.
  outputs.Stop(kOutputGrace);
  summary.Finish();
  progress.Clear();
  summary.SetAnomalies(AnomalyCounts(counters.decoder));
  AddTrafficCounters(counters, summary);
  AddAppCounters(counters, summary);
  if (inspection.threaded()) AddWorkerCounters(inspection, options, summary);
  if (intel.store) {
    summary.AddCounters("intel", {{"indicators", intel.store->size()},
                                  {"feeds", intel.reports.size()},
                                  {"lookups", counters.intel_lookups}});
  }
  const uint64_t lost = ReportOutputs(outputs, summary);
  if (!args.quiet) summary.Print(stderr);
  return input_errors || lost > 0 ? 1 : 0;
}

}  // namespace

void AddScanCommand(CLI::App& app, std::function<void(int)> set_exit) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand("scan", "Scan capture files (pcap, pcapng) with rules");
  AddRuleOptions(*cmd, args->rules);
  AddOutputOptions(*cmd, args->output);
  cmd->add_option("--checksums", args->checksums,
                  "verify: validate IP/TCP/UDP/ICMP checksums as Suricata does for pcaps; ignore: don't")
      ->check(CLI::IsMember({"verify", "ignore", "auto"}))
      ->capture_default_str();
  AddTrafficOptions(*cmd, args->traffic);
  AddAppOptions(*cmd, args->app);
  AddIntelOptions(*cmd, args->intel);
  cmd->add_flag("--quiet,-q", args->quiet, "No summary on stderr");
  AddWorkersOption(*cmd, args->workers);
  AddStatsIntervalOption(*cmd, args->stats_interval);
  cmd->add_option("inputs", args->inputs, "Capture files or directories, scanned in order");
  cmd->add_option("--jobs", args->jobs,
                  "Be a worker on a shared job queue instead of scanning inputs: redis://HOST[:PORT]?key=STREAM or "
                  "redis+unix:///PATH?key=STREAM (kagami jobs submit fills it)");
  cmd->add_option("--job-timeout", args->job_timeout,
                  "With --jobs: seconds a worker may go quiet before another takes its job over")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_flag("--exit-when-idle", args->exit_when_idle,
                "With --jobs: end when no job is waiting or running");
  cmd->callback([args, set_exit] { set_exit(RunScan(*args)); });
}

}  // namespace kagami::cli
