// alloc_count: heap allocations per packet over a whole scan, after warm-up.
//
//   alloc_count [--rules FILE]... [--warmup F] [--sites N] PCAP...
//
// Runs one Scanner over the captures (checksums ignored, EVE to /dev/null)
// and counts every operator new on this thread while each packet is
// processed. The first F of the packets (default 0.5) are warm-up: tables,
// batches and buffers grow to their working size there. After it, packets
// are split into those that created a flow (a flow entry, its stream and
// app-layer state are allocated on purpose) and the rest, whose target is 0.
// The N call sites (default 8) that allocated most often in packets that
// created no flow are printed with a symbolised stack, to say what to fix.
//
// Counts C++ allocations (every container and string in Kagami); memory that
// libraries take with malloc directly (libpcap, Hyperscan, PCRE2) is not
// seen here, and their per-packet paths do not allocate.
#include <execinfo.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "engine/detect/detect_engine.h"
#include "engine/output/eve_writer.h"
#include "engine/pipeline/scanner.h"
#include "rules/rule_loader.h"

using namespace kagami;

namespace {

// Counting is on only while a packet is processed, on this thread.
thread_local bool g_counting = false;
thread_local bool g_in_hook = false;
thread_local uint64_t g_allocations = 0;
constexpr int kDepth = 10;
struct Site {
  void* frames[kDepth];
  int depth;
};
thread_local std::vector<Site>* g_sites = nullptr;  // when recording call sites

void Count() {
  if (!g_counting || g_in_hook) return;
  ++g_allocations;
  if (g_sites != nullptr && g_sites->size() < 200'000) {
    g_in_hook = true;  // backtrace and push_back allocate themselves
    Site s;
    s.depth = backtrace(s.frames, kDepth);
    g_sites->push_back(s);
    g_in_hook = false;
  }
}

}  // namespace

// The replaced operators below pair malloc with free themselves; GCC sees
// only the new/free pairing of the names.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  Count();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  Count();
  const size_t align = static_cast<size_t>(a);
  if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  std::vector<std::string> rule_paths, inputs;
  double warmup = 0.5;
  size_t show_sites = 8;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rules" && i + 1 < argc) {
      rule_paths.push_back(argv[++i]);
    } else if (a == "--warmup" && i + 1 < argc) {
      warmup = std::atof(argv[++i]);
    } else if (a == "--sites" && i + 1 < argc) {
      show_sites = static_cast<size_t>(std::atoi(argv[++i]));
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "usage: alloc_count [--rules FILE]... [--warmup F] [--sites N] PCAP...\n");
      return 2;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty() || warmup < 0 || warmup >= 1) {
    std::fprintf(stderr, "usage: alloc_count [--rules FILE]... [--warmup F] [--sites N] PCAP...\n");
    return 2;
  }
  rules::RuleSet set = rules::LoadRules(rule_paths, rules::LoadOptions{});
  auto engine = detect::DetectEngine::Compile(std::move(set), detect::DetectOptions{}, nullptr);
  if (!engine.ok()) {
    std::fprintf(stderr, "alloc_count: %s\n", std::string(engine.status().message()).c_str());
    return 1;
  }

  // Count the packets first, to place the end of the warm-up.
  uint64_t total = 0;
  for (const std::string& path : inputs) {
    auto source = capture::OpenCaptureFile(path);
    if (!source.ok()) {
      std::fprintf(stderr, "alloc_count: %s\n", std::string(source.status().message()).c_str());
      return 1;
    }
    capture::PacketView v;
    while (true) {
      absl::StatusOr<bool> more = (*source)->Next(v);
      if (!more.ok() || !*more) break;
      ++total;
    }
  }
  const uint64_t warm_until = static_cast<uint64_t>(static_cast<double>(total) * warmup);

  output::EveWriter eve;
  if (!eve.Open("/dev/null").ok()) return 1;
  pipeline::ScannerOptions options{.checksums = pipeline::ChecksumMode::kIgnore};
  pipeline::Scanner scanner(*engine, options, &eve, nullptr);
  std::vector<Site> sites;
  uint64_t index = 0, flow_packets = 0, quiet_packets = 0, flow_allocs = 0, quiet_allocs = 0, quiet_allocating = 0;
  for (const std::string& path : inputs) {
    auto source = capture::OpenCaptureFile(path);
    if (!source.ok()) return 1;
    capture::PacketView v;
    while (true) {
      absl::StatusOr<bool> more = (*source)->Next(v);
      if (!more.ok() || !*more) break;
      const bool measured = index++ >= warm_until;
      const uint64_t flows_before = scanner.flow_counters().created;
      const size_t sites_before = sites.size();
      g_allocations = 0;
      g_sites = measured ? &sites : nullptr;
      g_counting = measured;
      scanner.ProcessPacket(v, (*source)->name());
      g_counting = false;
      g_sites = nullptr;
      if (!measured) continue;
      if (scanner.flow_counters().created != flows_before) {
        ++flow_packets;
        flow_allocs += g_allocations;
        sites.resize(sites_before);  // allocations for a new flow are expected
      } else {
        ++quiet_packets;
        quiet_allocs += g_allocations;
        if (g_allocations) ++quiet_allocating;
      }
    }
  }
  scanner.Finish();

  std::printf("packets: %llu, warm-up %llu, measured %llu\n", static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(warm_until), static_cast<unsigned long long>(total - warm_until));
  std::printf("packets that created a flow: %llu, allocations %llu (%.2f per packet)\n",
              static_cast<unsigned long long>(flow_packets), static_cast<unsigned long long>(flow_allocs),
              flow_packets ? static_cast<double>(flow_allocs) / static_cast<double>(flow_packets) : 0.0);
  std::printf("other packets: %llu, allocations %llu (%.4f per packet), %llu packets allocated\n",
              static_cast<unsigned long long>(quiet_packets), static_cast<unsigned long long>(quiet_allocs),
              quiet_packets ? static_cast<double>(quiet_allocs) / static_cast<double>(quiet_packets) : 0.0,
              static_cast<unsigned long long>(quiet_allocating));

  // The most frequent stacks of the allocations in packets that created no
  // flow (frame 0 is Count, 1 operator new).
  std::map<std::vector<void*>, uint64_t> by_stack;
  for (const Site& s : sites) by_stack[std::vector<void*>(s.frames + 2, s.frames + s.depth)]++;
  std::vector<std::pair<uint64_t, const std::vector<void*>*>> ranked;
  for (const auto& [stack, n] : by_stack) ranked.emplace_back(n, &stack);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < ranked.size() && i < show_sites; ++i) {
    std::printf("\n%llu allocations from:\n", static_cast<unsigned long long>(ranked[i].first));
    const std::vector<void*>& stack = *ranked[i].second;
    char** names = backtrace_symbols(stack.data(), static_cast<int>(stack.size()));
    for (size_t f = 0; f < stack.size(); ++f) std::printf("  %s\n", names ? names[f] : "?");
    std::free(names);
  }
  return 0;
}
