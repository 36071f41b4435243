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
#include "cli/packs.h"
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
  std::vector<std::string> read;  // -r FILE
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
  // -r FILE (as tcpdump, Suricata and Snort read a capture) and positionals.
  std::vector<std::string> given = args.read;
  given.insert(given.end(), args.inputs.begin(), args.inputs.end());
  if (args.jobs.empty() == given.empty()) {
    std::fprintf(stderr, "kagami: scan: give capture files or directories, or --jobs URL (not both)\n");
    return 2;
  }
  auto inputs = capture::ExpandInputs(given);
  if (!inputs.ok() && args.jobs.empty()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(inputs.status().message()).c_str());
    return 2;
  }
  RuleOptions rule_options = args.rules;
  IntelArgs intel_args = args.intel;
  LoadedEngine loaded;
  LoadedIntel intel;
  if (!LoadRulesAndFeeds(rule_options, intel_args, loaded, intel, args.quiet)) return 2;
  // Rules or feed entries that did not load: the scan runs with the rest,
  // and the exit status says the result is not what was asked for.
  const bool load_problems = (loaded.errors > 0 || intel.errors > 0) && !args.rules.allow_rule_errors;
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
    w.eve_types = DefaultEventTypes(args.app, args.stats_interval);
    w.engine = loaded.engine;
    w.intel = intel.store;
    w.digest_kinds = DigestKinds(intel_args);
    w.options = options;
    return RunJobWorker(std::move(w));
  }
  const auto appended = FilesAppendedTo(args.output);
  output::OutputSet outputs;
  if (!OpenOutputs(args.output, DefaultEventTypes(args.app, args.stats_interval), outputs)) return 2;
  // The scanner formats what any output takes.
  SetEventTypes(outputs.types(), options);
  output::EveWriter eve(EveOptionsFrom(args.output));
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
  // No progress line when records go to standard output: on one terminal
  // it would land among them.
  output::ProgressLine progress(args.quiet || WritesToStdout(args.output) ? nullptr : stderr, inputs->size(),
                                false);
  inspection.set_progress(&progress);

  bool input_errors = false;
  for (const std::string& path : *inputs) {
    if (control.stop.load()) break;
    auto source = capture::OpenCaptureFile(path);
    if (!source.ok()) {
      progress.Clear();
      std::fprintf(stderr, "kagami: %s\n", std::string(source.status().message()).c_str());
      summary.AddUnreadFile();
      summary.AddError(std::string(source.status().message()));
      input_errors = true;
      continue;
    }
    summary.AddFile();
    progress.Draw(summary);
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
  // The scan's time and rate stop here, before the outputs drain.
  summary.Finish();
  // Every output delivers what it holds, or spools it, before the summary.
  outputs.Stop(kOutputGrace);
  progress.Clear();
  summary.SetAnomalies(AnomalyCounts(counters.decoder));
  AddTrafficCounters(counters, summary);
  AddAppCounters(counters, summary);
  if (inspection.threaded()) AddWorkerCounters(inspection, options, summary);
  AddLoadCounters(loaded, intel, summary);
  if (intel.store) summary.AddCounters("intel matching", {{"lookup[s]", counters.intel_lookups}});
  const uint64_t lost = ReportOutputs(outputs, summary, appended);
  if (!args.quiet) summary.Print(stderr);
  if (load_problems && !args.quiet) {
    std::fprintf(stderr, "kagami: exit status 1: not every rule or indicator loaded (--allow-rule-errors "
                         "accepts that)\n");
  }
  return input_errors || lost > 0 || load_problems ? 1 : 0;
}

}  // namespace

void AddScanCommand(CLI::App& app, std::function<void(int)> set_exit) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand("scan", "Scan capture files (pcap, pcapng) with rules");
  AddRuleOptions(*cmd, args->rules);
  AddOutputOptions(*cmd, args->output);
  cmd->add_option("--checksums", args->checksums,
                  "verify (or auto, the same): validate IP/TCP/UDP/ICMP checksums as Suricata's 'auto' does for "
                  "pcaps, giving up when more than 1 in 10 of the first 1000 packets is bad (checksum offload); "
                  "ignore: never validate (Suricata -k none)")
      ->check(CLI::IsMember({"verify", "ignore", "auto"}))
      ->capture_default_str();
  AddTrafficOptions(*cmd, args->traffic);
  AddAppOptions(*cmd, args->app);
  AddIntelOptions(*cmd, args->intel);
  cmd->add_flag("--quiet,-q", args->quiet, "No summary on stderr");
  AddWorkersOption(*cmd, args->workers);
  AddStatsIntervalOption(*cmd, args->stats_interval);
  cmd->add_option("inputs", args->inputs, "Capture files or directories, scanned in order");
  cmd->add_option("-r,--read", args->read,
                  "A capture file or directory to read, as with tcpdump, Suricata and Snort (repeatable; the same "
                  "as naming it after the options)");
  cmd->add_option("--jobs", args->jobs,
                  "Be a worker on a shared job queue instead of scanning inputs: redis://HOST[:PORT]?key=STREAM, "
                  "redis+unix:///PATH?key=STREAM or kafka://BROKER[,BROKER...]/TOPIC[?group=G] (kagami jobs "
                  "submit fills it)");
  cmd->add_option("--job-timeout", args->job_timeout,
                  "With --jobs: seconds a worker may go quiet before another takes its job over")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_flag("--exit-when-idle", args->exit_when_idle,
                "With --jobs: end when no job is waiting or running");
  cmd->callback([args, set_exit] { set_exit(RunScan(*args)); });
}

}  // namespace kagami::cli
