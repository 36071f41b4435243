// intel_load: how long loading indicator feeds takes and how much memory it
// needs, per format, for a synthetic feed of N indicators (bench/intel_feed_gen).
//   intel_load [--count N] [--format csv|zeek|stix|all] [--dir DIR]
//   intel_load --write PATH --format csv|zeek|stix [--count N]   (just write the feed)
//   intel_load --load PATH [--sink store|count]   (time an existing feed; `count`
//                                                  reads it into a counting sink, no store)
// Prints, per format: file size, read+build time, indicators, the store's own
// size, and the peak resident memory the load added (VmHWM, reset between
// formats through /proc/self/clear_refs).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench/intel_feed_gen.h"
#include "engine/intel/intel_builder.h"
#include "engine/intel/intel_store.h"
#include "rules/feeds/feed_reader.h"
#include "rules/feeds/pipelined_sink.h"

namespace {

using kagami::bench::FeedKind;

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM").
long StatusKib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string key;
  long value = -1;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0 && line[std::string(field).size()] == ':') {
      value = std::atol(line.c_str() + std::string(field).size() + 1);
      break;
    }
  }
  return value;
}

// Reader cost alone: counts what it delivers.
class CountingSink : public kagami::feeds::IndicatorSink {
 public:
  size_t added = 0, attributions = 0;
  void Add(const kagami::feeds::Indicator&) override { ++added; }
  void Attribute(std::string_view, kagami::feeds::AttributionKind, std::string_view) override {
    ++attributions;
  }
  // Counted by place, as the store applies them (no id strings made).
  void AttributePlaced(const kagami::feeds::PlacedAttribution& a,
                       const std::function<std::string(uint32_t)>&) override {
    for (uint32_t set : a.set_of) {
      if (set != kagami::feeds::PlacedAttribution::kNoSet) attributions += a.sets[set].size();
    }
  }
};

void ResetPeak() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

int Usage() {
  std::fprintf(stderr,
               "usage: intel_load [--count N] [--format csv|zeek|stix|all] [--dir DIR]\n"
               "       intel_load --write PATH --format csv|zeek|stix [--count N]\n"
               "       intel_load --load PATH [--sink store|count]\n");
  return 2;
}

bool KindOf(const std::string& name, FeedKind* kind) {
  if (name == "csv") *kind = FeedKind::kCsv;
  else if (name == "zeek") *kind = FeedKind::kZeek;
  else if (name == "stix") *kind = FeedKind::kStix;
  else return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t count = 1'000'000;
  std::string format = "all", dir = "/tmp", write_path, load_path, sink = "store";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--count" && i + 1 < argc) {
      count = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--format" && i + 1 < argc) {
      format = argv[++i];
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--write" && i + 1 < argc) {
      write_path = argv[++i];
    } else if (a == "--load" && i + 1 < argc) {
      load_path = argv[++i];
    } else if (a == "--sink" && i + 1 < argc) {
      sink = argv[++i];
      if (sink != "store" && sink != "count") return Usage();
    } else {
      return Usage();
    }
  }
  if (!write_path.empty()) {
    FeedKind kind;
    if (!KindOf(format, &kind)) return Usage();
    return kagami::bench::WriteSyntheticFeed(write_path, kind, count) ? 0 : 1;
  }
  if (!load_path.empty()) {
    ResetPeak();
    const long rss_before = StatusKib("VmRSS");
    const auto t0 = std::chrono::steady_clock::now();
    kagami::feeds::FeedReport report;
    kagami::feeds::FeedOptions options;
    std::shared_ptr<const kagami::intel::IntelStore> store;
    size_t indicators = 0, attributions = 0;
    bool ok;
    auto build_start = t0;
    if (sink == "count") {
      CountingSink counter;
      ok = kagami::feeds::ReadFeedFile(load_path, kagami::feeds::FeedFormat::kAuto, options, &counter, &report);
      indicators = counter.added;
      attributions = counter.attributions;
    } else {
      kagami::intel::IntelStoreBuilder builder;
      builder.BeginFeed(load_path, options);
      kagami::feeds::PipelinedSink pipe(&builder);  // as kagami loads feeds
      ok = kagami::feeds::ReadFeedFile(load_path, kagami::feeds::FeedFormat::kAuto, options, &pipe, &report);
      pipe.Finish();
      build_start = std::chrono::steady_clock::now();
      store = builder.Build();
      indicators = store->size();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long peak = StatusKib("VmHWM");
    if (!ok) {
      std::fprintf(stderr, "intel_load: cannot read %s\n", load_path.c_str());
      return 1;
    }
    std::printf("%s  %zu indicators", report.format.c_str(), indicators);
    if (sink == "count") std::printf(", %zu attributions", attributions);
    std::printf(" (%zu skipped)  load %.3f s  ", report.skipped, secs);
    if (store) {
      std::printf("(Build %.3f s)  ",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count());
    }
    if (store) std::printf("store %.1f MiB  ", static_cast<double>(store->memory_bytes()) / (1024.0 * 1024.0));
    std::printf("peak +%.1f MiB\n", static_cast<double>(peak - rss_before) / 1024.0);
    return 0;
  }
  std::vector<std::string> formats;
  if (format == "all") {
    formats = {"csv", "zeek", "stix"};
  } else {
    formats = {format};
  }
  for (const std::string& name : formats) {
    FeedKind kind;
    if (!KindOf(name, &kind)) return Usage();
    const std::string path = dir + "/kagami-intel-load-" + std::to_string(getpid()) + "." + name;
    if (!kagami::bench::WriteSyntheticFeed(path, kind, count)) {
      std::fprintf(stderr, "intel_load: cannot write %s\n", path.c_str());
      return 1;
    }
    std::ifstream size_probe(path, std::ios::binary | std::ios::ate);
    const double file_mb = static_cast<double>(size_probe.tellg()) / 1e6;
    ResetPeak();
    const long rss_before = StatusKib("VmRSS");
    const auto t0 = std::chrono::steady_clock::now();
    std::shared_ptr<const kagami::intel::IntelStore> store;
    kagami::feeds::FeedReport report;
    {
      kagami::intel::IntelStoreBuilder builder;
      kagami::feeds::FeedOptions options;
      builder.BeginFeed(name, options);
      kagami::feeds::PipelinedSink pipe(&builder);  // as kagami loads feeds
      kagami::feeds::ReadFeedFile(path, kagami::feeds::FeedFormat::kAuto, options, &pipe, &report);
      pipe.Finish();
      store = builder.Build();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long peak = StatusKib("VmHWM");
    const long rss_after = StatusKib("VmRSS");
    std::remove(path.c_str());
    std::printf("%-4s  %7.1f MB file  %8zu indicators (%zu skipped, %zu diagnostics)  load %.3f s  store %.1f MiB  "
                "peak +%.1f MiB  resident after +%.1f MiB\n",
                name.c_str(), file_mb, store->size(), report.skipped, report.diagnostics.size(), secs,
                static_cast<double>(store->memory_bytes()) / (1024.0 * 1024.0),
                static_cast<double>(peak - rss_before) / 1024.0, static_cast<double>(rss_after - rss_before) / 1024.0);
    store.reset();
  }
  return 0;
}
