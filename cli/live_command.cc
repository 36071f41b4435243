// kagami live: capture from interfaces through AF_PACKET (one fanout socket
// per worker per interface, each worker reading its own) or libpcap (one
// reader thread dispatching to flow-hashed workers,
// engine/pipeline/parallel_scan.h).
#include <net/if.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "capture/live_capture.h"
#include "cli/commands.h"
#include "cli/config_options.h"
#include "cli/control_socket.h"
#include "cli/reloader.h"
#include "cli/sensor_control.h"
#include "cli/engine_setup.h"
#include "cli/privileges.h"
#include "cli/signals.h"
#include "cli/app_options.h"
#include "cli/intel_options.h"
#include "cli/output_options.h"
#include "cli/packs.h"
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
  std::vector<std::string> interfaces;
  std::string bpf;
  std::string capture = "af-packet";
  std::string fanout = "hash";
  std::string ring_size = "32mb";   // per socket
  std::string block_size = "1mb";
  bool no_promisc = false;
  std::string user, group;  // drop to these once everything is open
  std::string config;       // --config FILE
  bool check_config = false;
  std::string control_socket;  // empty: DefaultControlSocket(), best effort
  OutputArgs output;
  std::string checksums = "ignore";
  TrafficArgs traffic;
  AppArgs app;
  IntelArgs intel;
  bool quiet = false;
  uint32_t workers = 0;  // 0: one per online CPU
  uint32_t stats_interval = 8;  // Suricata's default
};

capture::LiveCapture* g_live = nullptr;
void StopLive() {
  if (g_live) g_live->Stop();
}

Reloader* g_reloader = nullptr;
void RequestReload() {
  if (g_reloader) g_reloader->RequestFromSignal();
}

// The capture choices as LiveCapture takes them; false with `error` set.
bool CaptureOptionsFrom(const LiveArgs& args, const std::vector<capture::LiveInterface>& interfaces,
                        uint32_t workers, capture::LiveCaptureOptions* o, std::string* error) {
  o->interfaces = interfaces;
  o->bpf = args.bpf;
  o->method = args.capture == "pcap" ? capture::CaptureMethod::kPcap : capture::CaptureMethod::kAfPacket;
  o->workers = workers;
  o->afpacket.promiscuous = !args.no_promisc;
  if (!capture::ParseFanoutMode(args.fanout, &o->afpacket.fanout_mode)) {
    *error = "--fanout: expected hash, lb, cpu or qm, got '" + args.fanout + "'";
    return false;
  }
  uint64_t ring = 0, block = 0;
  if (!ParseByteSize(args.ring_size, &ring) || ring == 0 || ring > (uint64_t{1} << 32) - 1) {
    *error = "--ring-size: expected a size such as 64mb, got '" + args.ring_size + "'";
    return false;
  }
  if (!ParseByteSize(args.block_size, &block) || block == 0 || block > ring) {
    *error = "--block-size: expected a size such as 1mb, at most the ring size, got '" + args.block_size + "'";
    return false;
  }
  o->afpacket.ring_size = static_cast<uint32_t>(ring / block * block);
  o->afpacket.block_size = static_cast<uint32_t>(block);
  return true;
}

// --check-config: what capture would need, short of capturing.
bool CheckCaptureTargets(const std::vector<capture::LiveInterface>& interfaces, const OutputArgs& outputs) {
  bool ok = true;
  for (const capture::LiveInterface& i : interfaces) {
    if (if_nametoindex(i.name.c_str()) == 0) {
      std::fprintf(stderr, "kagami: interface %s: no such interface\n", i.name.c_str());
      ok = false;
    }
  }
  return CheckOutputs(outputs) && ok;
}

int RunLive(LiveArgs& args, CLI::App& cmd) {
  // Until the reloader exists, a SIGUSR2 (systemctl reload) is ignored
  // rather than ending the sensor.
  InstallReloadHandler(nullptr);
  std::vector<capture::LiveInterface> interfaces;
  for (const std::string& name : args.interfaces) interfaces.push_back({name, ""});
  if (!args.config.empty()) {
    std::vector<capture::LiveInterface> from_file;
    if (!ApplyConfigFile(cmd, args.config, &from_file)) return 2;
    if (interfaces.empty()) interfaces = std::move(from_file);  // -i wins
  }
  if (interfaces.empty()) {
    std::fprintf(stderr, "kagami: no interface to capture on: give -i IFACE or 'interfaces:' in --config\n");
    return 2;
  }
  capture::LiveCaptureOptions capture_options;
  const uint32_t workers = WorkerCount(args.workers);
  if (std::string error; !CaptureOptionsFrom(args, interfaces, workers, &capture_options, &error)) {
    std::fprintf(stderr, "kagami: %s\n", error.c_str());
    return 2;
  }
  RuleOptions rule_options = args.rules;
  IntelArgs intel_args = args.intel;
  LoadedEngine loaded;
  LoadedIntel intel;
  // A sensor's log always says what it runs: every pack, rule file and feed.
  if (!LoadRulesAndFeeds(rule_options, intel_args, loaded, intel, /*quiet=*/false)) return 2;
  if (args.check_config) {
    if (!CheckCaptureTargets(interfaces, args.output)) return 2;
    std::fprintf(stderr, "kagami: configuration OK: %zu rules, %zu indicators, %zu %s, %u %s\n", loaded.rules,
                 intel.store ? intel.store->size() : size_t{0}, interfaces.size(),
                 interfaces.size() == 1 ? "interface" : "interfaces", workers, workers == 1 ? "worker" : "workers");
    return 0;
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
  output::OutputSet outputs;
  if (!OpenOutputs(args.output, DefaultEventTypes(args.app, args.stats_interval), outputs)) return 2;
  SetEventTypes(outputs.types(), options);  // the scanner formats what any output takes
  output::EveWriter eve(EveOptionsFrom(args.output));
  eve.set_sink(&outputs);
  output::ScanSummary summary;
  auto live = capture::LiveCapture::Open(capture_options);
  if (!live.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(live.status().message()).c_str());
    return 2;
  }
  (*live)->set_event_handler([](const std::string& event) { std::fprintf(stderr, "kagami: %s\n", event.c_str()); });
  std::vector<std::string> names;
  for (const capture::LiveInterface& i : interfaces) names.push_back(i.name);
  const std::string interface_list = absl::StrJoin(names, ", ");

  // What the scanners match, and how a reload replaces it.
  pipeline::RulesetSlot slot;
  slot.Publish(pipeline::Ruleset{loaded.engine, intel.store, DigestKinds(intel_args)});
  RulesetInfo initial;
  initial.ok = true;
  initial.number = 1;
  initial.rules = loaded.rules;
  initial.rule_errors = loaded.errors;
  initial.indicators = intel.store ? intel.store->size() : 0;
  initial.seconds = loaded.parse_seconds + loaded.compile_seconds + intel.seconds;
  initial.digest = SourcesDigest(rule_options, intel_args);
  initial.at = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  Reloader reloader(rule_options, intel_args, &slot, initial);
  pipeline::StatsWriter stats(&eve);
  SensorControl sensor{&reloader, &stats, &outputs, &StopLive};
  std::unique_ptr<ControlServer> control_server;
  {
    const std::string path = args.control_socket.empty() ? DefaultControlSocket() : args.control_socket;
    auto server = ControlServer::Open(path, [&sensor](const std::string& r) { return AnswerControl(sensor, r); });
    if (server.ok()) {
      control_server = std::move(*server);
    } else if (!args.control_socket.empty()) {
      std::fprintf(stderr, "kagami: %s\n", std::string(server.status().message()).c_str());
      return 2;
    } else {
      // The default place is best effort: a second sensor on the host runs on.
      std::fprintf(stderr, "kagami: %s; running without a control socket (SIGUSR2 still reloads)\n",
                   std::string(server.status().message()).c_str());
    }
  }
  // Sockets and the EVE file are open: root is no longer needed.
  if (!args.user.empty()) {
    if (std::string error = DropPrivileges(args.user, args.group); !error.empty()) {
      std::fprintf(stderr, "kagami: refusing to run as root: %s\n", error.c_str());
      return 2;
    }
  }
  pipeline::ParallelOptions parallel;
  parallel.workers = workers;
  // Alerts reach the EVE file within this long even at a trickle of packets.
  parallel.flush_interval_ms = 10;
  pipeline::Inspection inspection(loaded.engine, options, parallel, &eve, &summary);
  inspection.set_intel(intel.store, DigestKinds(intel_args));
  inspection.set_ruleset_slot(&slot);
  // From here the slot and the scanners hold the first ruleset: dropping
  // these references lets a reload free it.
  const size_t first_indicators = intel.store ? intel.store->size() : 0;
  const bool with_intel = intel.store != nullptr;
  loaded.engine.reset();
  intel.store.reset();
  if (args.stats_interval > 0) inspection.set_periodic_stats(stats.Every(std::chrono::seconds(args.stats_interval)));
  pipeline::RunControl control;
  g_live = live->get();
  InstallSignalHandlers(&control, &StopLive);
  g_reloader = &reloader;
  InstallReloadHandler(&RequestReload);
  if (!args.quiet) {
    std::fprintf(stderr, "kagami: listening on %s (%s)%s%s with %zu rules and %zu indicators, %u %s; Ctrl-C to stop\n",
                 interface_list.c_str(), (*live)->Describe().c_str(), args.bpf.empty() ? "" : " filter ",
                 args.bpf.c_str(), loaded.rules, first_indicators, workers,
                 workers == 1 ? "worker" : "workers");
  }
  summary.set_interface(interface_list);
  absl::Status status = (*live)->one_source_per_worker()
                            ? inspection.RunCapture((*live)->sources(), &control)
                            : inspection.Run(*(*live)->sources()[0], &control);
  InstallReloadHandler(nullptr);
  g_reloader = nullptr;
  control_server.reset();  // no request may reach what is ending
  g_live = nullptr;
  inspection.Finish();
  pipeline::ScanCounters counters = inspection.counters();
  const std::vector<capture::LiveCapture::InterfaceCounts> kernel = (*live)->kernel_counts();
  counters.kernel = capture::PacketSource::KernelCounts{};
  for (const auto& k : kernel) {
    counters.kernel->packets += k.counts.packets;
    counters.kernel->drops += k.counts.drops;
  }
  if (options.log_stats || args.stats_interval > 0) stats.Write(counters);
  outputs.Stop(kOutputGrace);
  const uint64_t lost = ReportOutputs(outputs, summary);
  if (!status.ok()) {
    std::fprintf(stderr, "kagami: %s\n", std::string(status.message()).c_str());
  }
  if (!args.quiet) {
    // capture.kernel_packets and capture.kernel_drops, per interface.
    for (const auto& k : kernel) {
      std::fprintf(stderr, "kagami: %s: %llu packets received, %llu dropped by the kernel\n", k.interface.c_str(),
                   static_cast<unsigned long long>(k.counts.packets),
                   static_cast<unsigned long long>(k.counts.drops));
    }
    AddTrafficCounters(counters, summary);
    AddAppCounters(counters, summary);
    if (inspection.threaded()) AddWorkerCounters(inspection, options, summary);
    if (const RulesetInfo now = reloader.current(); now.number > 1 || reloader.refused() > 0) {
      summary.AddCounters("ruleset", {{"rule[s]", now.rules},
                                      {"indicator[s]", now.indicators},
                                      {"reload[s]", reloader.last_attempt().number - 1},
                                      {"refused", reloader.refused()}});
    }
    if (with_intel) {
      summary.AddCounters("intel", {{"feed[s]", intel.reports.size()}, {"lookup[s]", counters.intel_lookups}});
    }
    summary.Print(stderr);
  }
  return status.ok() && lost == 0 ? 0 : 1;
}

}  // namespace

void AddLiveCommand(CLI::App& app, std::function<void(int)> set_exit) {
  auto args = std::make_shared<LiveArgs>();
  CLI::App* cmd = app.add_subcommand("live", "Capture from a network interface and match live");
  AddRuleOptions(*cmd, args->rules);
  AddTrafficOptions(*cmd, args->traffic);
  AddAppOptions(*cmd, args->app);
  AddIntelOptions(*cmd, args->intel);
  cmd->add_option("--interface,-i", args->interfaces,
                  "Interface to capture on (repeat for several; or 'interfaces:' in --config)");
  cmd->add_option("--config", args->config,
                  "YAML configuration: keys are these options' long names, plus 'interfaces:' (a list of names or "
                  "{name, bpf}); flags given here win")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--check-config", args->check_config,
                "Check the configuration, load and compile the rules and feeds, check the interfaces and the EVE "
                "path, then exit without capturing");
  cmd->add_option("--bpf", args->bpf, "BPF capture filter for every interface, e.g. 'not port 22'");
  cmd->add_option("--capture", args->capture,
                  "af-packet (TPACKET_V3 ring, a fanout socket per worker) or pcap (libpcap, one interface)")
      ->check(CLI::IsMember({"af-packet", "pcap"}))
      ->capture_default_str();
  cmd->add_option("--fanout", args->fanout,
                  "How AF_PACKET spreads packets over the workers: hash (flows, fragments reassembled), lb, cpu, qm")
      ->check(CLI::IsMember({"hash", "lb", "cpu", "qm"}))
      ->capture_default_str();
  cmd->add_option("--ring-size", args->ring_size, "AF_PACKET ring per socket (per worker per interface)")
      ->capture_default_str();
  cmd->add_option("--block-size", args->block_size, "AF_PACKET ring block (a power of two)")->capture_default_str();
  cmd->add_flag("--no-promisc", args->no_promisc, "Leave the interfaces out of promiscuous mode");
  cmd->add_option("--control-socket", args->control_socket,
                  "Unix socket for kagami ctl (reload, stats, ruleset, version, shutdown); owner-only. Default: "
                  "/run/kagami/kagami.sock for root, else $XDG_RUNTIME_DIR/kagami.sock, skipped if taken");
  CLI::Option* user = cmd->add_option(
      "--user", args->user,
      "Run as this user once the interfaces and files are open (keeps only CAP_NET_RAW, to reopen interfaces)");
  cmd->add_option("--group", args->group, "With --user: run as this group (default: the user's own)")->needs(user);
  AddOutputOptions(*cmd, args->output);
  cmd->add_option("--checksums", args->checksums,
                  "verify or ignore checksums (default ignore: NICs offload them)")
      ->check(CLI::IsMember({"verify", "ignore"}))
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", args->quiet, "No banner or summary on stderr");
  AddWorkersOption(*cmd, args->workers);
  AddStatsIntervalOption(*cmd, args->stats_interval);
  cmd->callback([args, set_exit, cmd] { set_exit(RunLive(*args, *cmd)); });
}

}  // namespace kagami::cli
