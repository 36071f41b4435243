// kagami live: capture from an interface through libpcap, inspecting on
// flow-hashed worker threads (engine/pipeline/parallel_scan.h).
#include <cstdio>
#include <optional>
#include <string>

#include "capture/live_source.h"
#include "cli/commands.h"
#include "cli/engine_setup.h"
#include "cli/signals.h"
#include "cli/app_options.h"
#include "cli/intel_options.h"
#include "cli/traffic_options.h"
#include "engine/output/eve_writer.h"
#include "engine/output/scan_summary.h"
#include "engine/pipeline/inspection.h"
#include "engine/pipeline/scanner.h"
#include "engine/pipeline/stats_record.h"

namespace kagami::cli {
namespace {

struct LiveArgs {
  RuleOptions rules;
  std::string interface;
  std::string bpf;
  std::string eve = "eve.json";
  std::string checksums = "ignore";
  TrafficArgs traffic;
  AppArgs app;
  IntelArgs intel;
  bool quiet = false;
  uint32_t workers = 0;  // 0: one per online CPU
  uint32_t stats_interval = 8;  // Suricata's default
};

capture::LiveSource* g_live = nullptr;
void StopLive() {
  if (g_live) g_live->Stop();
}

int RunLive(const LiveArgs& args) {
  LoadedEngine loaded;
  if (!LoadEngine(args.rules, loaded)) return 2;
  IntelArgs intel_args = args.intel;
  UseShippedFeedsIfNoneGiven(args.rules.rule_paths, intel_args);
  LoadedIntel intel;
  if (!LoadIntel(intel_args, intel)) return 2;
  output::EveWriter eve;
  if (absl::Status s = eve.Open(args.eve); !s.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  auto live = capture::LiveSource::Open(args.interface, args.bpf);
  if (!live.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(live.status().message()).c_str());
    return 2;
  }
  pipeline::ScannerOptions options;
  options.checksums = args.checksums == "verify" ? pipeline::ChecksumMode::kVerify
                                                 : pipeline::ChecksumMode::kIgnore;
  options.flush_alerts = true;
  if (std::string error; !ApplyTrafficArgs(args.traffic, options, &error)) {
    std::fprintf(stderr, "kagami: %s\n", error.c_str());
    return 2;
  }
  if (std::string error; !ApplyAppArgs(args.app, options, &error)) {
    std::fprintf(stderr, "kagami: %s\n", error.c_str());
    return 2;
  }
  output::ScanSummary summary;
  const uint32_t workers = WorkerCount(args.workers);
  pipeline::ParallelOptions parallel;
  parallel.workers = workers;
  // Alerts reach the EVE file within this long even at a trickle of packets.
  parallel.flush_interval_ms = 10;
  pipeline::Inspection inspection(loaded.engine, options, parallel, &eve, &summary);
  inspection.set_intel(intel.store, DigestKinds(intel_args));
  pipeline::StatsWriter stats(&eve);
  if (args.stats_interval > 0) inspection.set_periodic_stats(stats.Every(std::chrono::seconds(args.stats_interval)));
  pipeline::RunControl control;
  g_live = live->get();
  InstallSignalHandlers(&control, &StopLive);
  if (!args.quiet) {
    std::fprintf(stderr, "kagami: listening on %s%s%s with %zu rules and %zu indicators, %u %s; Ctrl-C to stop\n",
                 args.interface.c_str(), args.bpf.empty() ? "" : " filter ",
                 args.bpf.c_str(), loaded.rules, intel.store ? intel.store->size() : size_t{0}, workers,
                 workers == 1 ? "worker" : "workers");
  }
  summary.set_interface(args.interface);
  absl::Status status = inspection.Run(**live, &control);
  g_live = nullptr;
  inspection.Finish();
  pipeline::ScanCounters counters = inspection.counters();
  counters.kernel = (*live)->kernel_counts();
  if (options.log_stats || args.stats_interval > 0) stats.Write(counters);
  eve.Flush();
  if (!status.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(status.message()).c_str());
  }
  if (!args.quiet) {
    capture::LiveStats stats = (*live)->stats();
    std::fprintf(stderr, "kagami: %s: %llu packets received, %llu dropped by the kernel, %llu by the interface\n",
                 args.interface.c_str(), static_cast<unsigned long long>(stats.received),
                 static_cast<unsigned long long>(stats.dropped),
                 static_cast<unsigned long long>(stats.if_dropped));
    AddTrafficCounters(counters, summary);
    AddAppCounters(counters, summary);
    if (inspection.threaded()) AddWorkerCounters(inspection, options, summary);
  if (intel.store) {
    summary.AddCounters("intel", {{"indicators", intel.store->size()},
                                  {"feeds", intel.reports.size()},
                                  {"lookups", counters.intel_lookups}});
  }
    summary.Print(stderr);
  }
  return status.ok() ? 0 : 1;
}

}  // namespace

void AddLiveCommand(CLI::App& app, std::function<void(int)> set_exit) {
  auto args = std::make_shared<LiveArgs>();
  CLI::App* cmd = app.add_subcommand("live", "Capture from a network interface and match live");
  AddRuleOptions(*cmd, args->rules);
  AddTrafficOptions(*cmd, args->traffic);
  AddAppOptions(*cmd, args->app);
  AddIntelOptions(*cmd, args->intel);
  cmd->add_option("--interface,-i", args->interface, "Interface to capture on")->required();
  cmd->add_option("--bpf", args->bpf, "BPF capture filter, e.g. 'not port 22'");
  cmd->add_option("--eve,-e", args->eve, "EVE JSON output file, '-' for stdout")
      ->capture_default_str();
  cmd->add_option("--checksums", args->checksums,
                  "verify or ignore checksums (default ignore: NICs offload them)")
      ->check(CLI::IsMember({"verify", "ignore"}))
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", args->quiet, "No banner or summary on stderr");
  AddWorkersOption(*cmd, args->workers);
  AddStatsIntervalOption(*cmd, args->stats_interval);
  cmd->callback([args, set_exit] { set_exit(RunLive(*args)); });
}

}  // namespace kagami::cli
