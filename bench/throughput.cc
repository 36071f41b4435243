// throughput: end-to-end scan speed over real captures.
//
//   throughput [--rules FILE]... [--repeat N] [--eve PATH] [--no-reassembly] [--lookback N] [--stream-scan streaming|block] [--midstream] [--no-app-layer] [--intel FEED]... [--no-file-digests] [--intel-ab] [--workers N[,N...]] PCAP_OR_DIR...
//
// Loads the rules (none: an empty engine), reads every capture into the page
// cache once, then times N passes of decode + detect (+ EVE to PATH, default
// /dev/null) and prints packets/s and Gbit/s of the best pass. Load and
// compile time are reported separately and not part of the rate. The best
// pass's thread CPU time is printed too: on a shared VM it moves less than
// the wall clock when the host takes the core away. --intel-ab alternates
// passes without and with the feeds and prints the slowdown the feeds cause;
// when they hold file hashes, a third pass in each round runs the feeds
// without HTTP body digests, splitting the slowdown into matching and
// hashing. --workers 1,2,4 times the same passes through ParallelScan for
// each count (1: the Scanner alone) and prints the scaling table: wall time
// of the best pass, packets/s, speed-up over one worker, and how often the
// reader had to wait for a worker.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "engine/detect/detect_engine.h"
#include "engine/output/eve_writer.h"
#include "engine/intel/intel_builder.h"
#include "engine/pipeline/parallel_scan.h"
#include "engine/pipeline/scanner.h"
#include "rules/feeds/feed_reader.h"
#include "rules/rule_loader.h"

using namespace kagami;

namespace {

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int Usage() {
  std::fprintf(stderr, "usage: throughput [--rules FILE]... [--repeat N] [--eve PATH] [--no-reassembly] [--lookback N] [--stream-scan streaming|block] [--midstream] [--no-app-layer] [--intel FEED]... [--no-file-digests] [--intel-ab] [--workers N[,N...]] PCAP_OR_DIR...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> rule_paths, inputs, intel_paths;
  std::vector<uint32_t> worker_counts;
  int repeat = 3;
  uint8_t digest_kinds = 0xff;  // HTTP body digests the feeds' file hashes need
  bool intel_ab = false;
  std::string eve_path = "/dev/null";
  pipeline::ScannerOptions options{.checksums = pipeline::ChecksumMode::kIgnore};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rules" && i + 1 < argc) {
      rule_paths.push_back(argv[++i]);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--no-reassembly") {
      options.stream.reassemble = false;
    } else if (a == "--lookback" && i + 1 < argc) {
      options.stream.lookback = static_cast<uint32_t>(std::atoi(argv[++i]));
    } else if (a == "--stream-scan" && i + 1 < argc) {
      const std::string mode = argv[++i];
      if (mode != "streaming" && mode != "block") return Usage();
      options.stream_scan = mode == "block" ? pipeline::StreamScan::kBlock : pipeline::StreamScan::kStreaming;
    } else if (a == "--midstream") {
      options.stream.midstream = true;
    } else if (a == "--no-app-layer") {
      options.app.enabled = false;
    } else if (a == "--intel-ab") {
      intel_ab = true;
    } else if (a == "--no-file-digests") {
      digest_kinds = 0;
    } else if (a == "--intel" && i + 1 < argc) {
      intel_paths.push_back(argv[++i]);
    } else if (a == "--workers" && i + 1 < argc) {
      for (const char* p = argv[++i]; *p;) {
        char* end = nullptr;
        const unsigned long n = std::strtoul(p, &end, 10);
        if (end == p || n == 0 || n > 256) return Usage();
        worker_counts.push_back(static_cast<uint32_t>(n));
        p = *end == ',' ? end + 1 : end;
      }
    } else if (a == "--eve" && i + 1 < argc) {
      eve_path = argv[++i];
    } else if (a.rfind("--", 0) == 0) {
      return Usage();
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) return Usage();

  auto t0 = std::chrono::steady_clock::now();
  rules::RuleSet set;
  if (!rule_paths.empty()) set = rules::LoadRules(rule_paths, rules::LoadOptions{});
  auto t1 = std::chrono::steady_clock::now();
  std::vector<rules::Diagnostic> diagnostics = set.diagnostics;
  auto engine = detect::DetectEngine::Compile(set, detect::DetectOptions{}, &diagnostics);
  auto t2 = std::chrono::steady_clock::now();
  if (!engine.ok()) {
    std::fprintf(stderr, "throughput: %s\n", std::string(engine.status().message()).c_str());
    return 1;
  }
  std::printf("rules: %zu loaded (%zu diagnostics), parse %.2f s, compile %.2f s\n",
              (*engine)->rules().size(), diagnostics.size(), Seconds(t0, t1), Seconds(t1, t2));

  std::shared_ptr<const intel::IntelStore> intel_store;
  if (!intel_paths.empty()) {
    const auto i0 = std::chrono::steady_clock::now();
    intel::IntelStoreBuilder builder;
    size_t skipped = 0;
    for (const std::string& path : intel_paths) {
      feeds::FeedOptions feed_options;
      builder.BeginFeed(path, feed_options);
      feeds::FeedReport report;
      if (!feeds::ReadFeedFile(path, feeds::FeedFormat::kAuto, feed_options, &builder, &report)) {
        std::fprintf(stderr, "throughput: cannot load feed %s\n", path.c_str());
        return 1;
      }
      skipped += report.skipped;
    }
    intel_store = builder.Build();
    std::printf("intel: %zu indicators (%zu skipped) loaded in %.2f s, store %.1f MiB\n", intel_store->size(), skipped,
                Seconds(i0, std::chrono::steady_clock::now()),
                static_cast<double>(intel_store->memory_bytes()) / (1024.0 * 1024.0));
  }

  auto files = capture::ExpandInputs(inputs);
  if (!files.ok()) {
    std::fprintf(stderr, "throughput: %s\n", std::string(files.status().message()).c_str());
    return 1;
  }

  // --intel-ab: passes rotate through the sides (no feed; the feeds without
  // body digests, when they name file hashes; the feeds), so a slower
  // stretch of a shared host hits every side alike.
  const bool ab = intel_ab && intel_store != nullptr;
  using feeds::IndicatorType;
  const bool digests = digest_kinds != 0 && intel_store &&
                       (intel_store->count(IndicatorType::kFileMd5) || intel_store->count(IndicatorType::kFileSha1) ||
                        intel_store->count(IndicatorType::kFileSha256));
  const int sides = ab ? (digests ? 3 : 2) : 1;
  const int passes = sides * repeat;
  double best = 1e300, best_cpu = 1e300;
  std::vector<double> side_cpu[3];
  uint64_t packets = 0, bytes = 0, alerts = 0, flows = 0, reassembled = 0, flow_memory = 0, lookups = 0;
  for (int pass = 0; pass < passes + 1; ++pass) {  // pass 0 warms the page cache
    const int side = ab ? (pass + sides - 1) % sides : 0;  // pass 1 is side 0
    const bool with_intel = !ab || side > 0;
    const bool full = !ab || side == sides - 1;  // the feeds as configured
    output::EveWriter eve;
    if (absl::Status s = eve.Open(eve_path); !s.ok()) {
      std::fprintf(stderr, "throughput: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    pipeline::Scanner scanner(*engine, options, &eve, nullptr);
    if (with_intel) scanner.set_intel(intel_store, full ? digest_kinds : 0);
    auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuSeconds();
    for (const std::string& path : *files) {
      auto source = capture::OpenCaptureFile(path);
      if (!source.ok()) continue;
      (void)scanner.Run(**source, nullptr);
    }
    flow_memory = scanner.flow_memory();  // flows still open at the end of the captures
    scanner.Finish();
    eve.Flush();
    double secs = Seconds(start, std::chrono::steady_clock::now());
    const double cpu = ThreadCpuSeconds() - cpu_start;
    if (pass > 0 && full) best = std::min(best, secs);
    if (pass > 0 && full) best_cpu = std::min(best_cpu, cpu);
    if (pass > 0 && ab) side_cpu[side].push_back(cpu);
    if (!full) continue;  // the counts printed are those of a pass with the feeds as configured
    lookups = scanner.intel_lookups();
    packets = scanner.decoder_counters().packets;
    bytes = scanner.decoder_counters().bytes;
    alerts = scanner.alerts();
    flows = scanner.flow_counters().created;
    reassembled = scanner.stream_counters().bytes;
  }
  std::printf("captures: %zu files, %llu packets, %.1f MB\n", files->size(),
              static_cast<unsigned long long>(packets), bytes / 1e6);
  std::printf("flows: %llu, bytes reassembled: %llu%s\n", static_cast<unsigned long long>(flows),
              static_cast<unsigned long long>(reassembled), options.stream.reassemble ? "" : " (reassembly off)");
  std::printf("flow memory before the final flush: %.1f MB\n", flow_memory / 1e6);
  if (intel_store) std::printf("intel lookups per pass: %llu\n", static_cast<unsigned long long>(lookups));
  std::printf("best of %d: %.3f s  %.0f packets/s  %.3f Gbit/s  (%llu alerts)  cpu %.3f s\n", repeat, best,
              packets / best, bytes * 8 / best / 1e9, static_cast<unsigned long long>(alerts), best_cpu);
  if (ab) {
    // A shared host's speed drifts over seconds, so each pass with the feeds
    // is compared with the pass just before it, and the median of those
    // ratios is the figure; best and median per side are printed as well.
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    auto slowdown = [&](int k) {  // median over the rounds of side k against side 0
      std::vector<double> ratios;
      for (size_t i = 0; i < side_cpu[0].size() && i < side_cpu[k].size(); ++i) {
        ratios.push_back(side_cpu[k][i] / side_cpu[0][i]);
      }
      return (median(ratios) - 1) * 100;
    };
    auto best_of = [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); };
    const int f = sides - 1;
    std::printf("intel A/B, cpu per pass: no feed best %.4f s median %.4f s; feed best %.4f s median %.4f s; "
                "slowdown, median of %zu paired passes: %+.1f%%\n",
                best_of(side_cpu[0]), median(side_cpu[0]), best_of(side_cpu[f]), median(side_cpu[f]),
                side_cpu[f].size(), slowdown(f));
    if (sides == 3) {
      std::printf("  of which matching (the feeds without body digests: best %.4f s): %+.1f%%; "
                  "hashing HTTP bodies for the file hashes: the rest\n",
                  best_of(side_cpu[1]), slowdown(1));
    }
  }
  if (!worker_counts.empty()) {
    std::printf("\nworkers  best wall s  packets/s   Gbit/s  speed-up  alerts  reader waits\n");
    double one = 0;
    for (uint32_t n : worker_counts) {
      double best_wall = 1e300;
      uint64_t n_alerts = 0, waits = 0;
      for (int pass = 0; pass < repeat + 1; ++pass) {  // pass 0 warms up
        output::EveWriter eve;
        if (!eve.Open(eve_path).ok()) return 1;
        output::ScanSummary summary;
        const auto start = std::chrono::steady_clock::now();
        if (n == 1) {
          pipeline::Scanner scanner(*engine, options, &eve, &summary);
          scanner.set_intel(intel_store, digest_kinds);
          for (const std::string& path : *files) {
            auto source = capture::OpenCaptureFile(path);
            if (source.ok()) (void)scanner.Run(**source, nullptr);
          }
          scanner.Finish();
          n_alerts = scanner.alerts();
        } else {
          pipeline::ParallelOptions p;
          p.workers = n;
          pipeline::ParallelScan scan(*engine, options, p, &eve, &summary);
          scan.set_intel(intel_store, digest_kinds);
          for (const std::string& path : *files) {
            auto source = capture::OpenCaptureFile(path);
            if (source.ok()) (void)scan.Run(**source, nullptr);
          }
          scan.Finish();
          n_alerts = scan.alerts();
          waits = scan.reader_waits();
        }
        eve.Flush();
        const double secs = Seconds(start, std::chrono::steady_clock::now());
        if (pass > 0) best_wall = std::min(best_wall, secs);
      }
      if (n == worker_counts.front()) one = best_wall;  // speed-up against the first count listed
      std::printf("%7u  %11.3f  %9.0f  %7.3f  %7.2fx  %6llu  %12llu\n", n, best_wall, packets / best_wall,
                  bytes * 8 / best_wall / 1e9, one / best_wall, static_cast<unsigned long long>(n_alerts),
                  static_cast<unsigned long long>(waits));
    }
  }
  return 0;
}
