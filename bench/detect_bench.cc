// Detection engine micro benchmarks: compile time, and Inspect throughput
// over hand-built packets for (a) generated content rules, (b) generated
// IP-reputation rules (header index), (c) the ET subset in
// ../shared/bench/rules/et-common.rules when present.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/decode/packet.h"
#include "engine/detect/content_matcher.h"
#include "engine/detect/detect_engine.h"
#include "rules/rule_loader.h"

namespace kagami::detect {
namespace {

std::string RandomWord(std::mt19937& rng, size_t len) {
  static const char kAlpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-/.";
  std::string s;
  for (size_t i = 0; i < len; ++i) s += kAlpha[rng() % (sizeof(kAlpha) - 1)];
  return s;
}

// N rules: mostly one or two contents, some with modifiers, pcre, nocase.
// `words` receives each rule's first content.
std::string ContentRules(size_t n, std::vector<std::string>* words = nullptr) {
  std::mt19937 rng(1234);
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    const std::string word = RandomWord(rng, 6 + rng() % 10);
    if (words) words->push_back(word);
    std::string opts = "content:\"" + word + "\";";
    switch (i % 5) {
      case 1: opts += " nocase;"; break;
      case 2: opts += " content:\"" + RandomWord(rng, 4) + "\"; distance:0; within:64;"; break;
      case 3: opts += " pcre:\"/" + RandomWord(rng, 5) + "[0-9]+/i\";"; break;
      case 4: opts += " depth:200;"; break;
      default: break;
    }
    text += "alert tcp any any -> any any (msg:\"gen " + std::to_string(i) + "\"; " + opts +
            " sid:" + std::to_string(100000 + i) + ";)\n";
  }
  return text;
}

std::string IpRepRules(size_t n, size_t per_rule, std::vector<IpAddress>* listed = nullptr) {
  std::mt19937 rng(99);
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    std::string list;
    for (size_t k = 0; k < per_rule; ++k) {
      if (k) list += ",";
      uint32_t a = rng();
      if (listed && k == 0) listed->push_back(IpAddress::FromV4(a));
      list += std::to_string((a >> 24) & 255) + "." + std::to_string((a >> 16) & 255) + "." +
              std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
    }
    text += "alert ip [" + list + "] any -> $HOME_NET any (msg:\"rep " + std::to_string(i) +
            "\"; sid:" + std::to_string(200000 + i) + ";)\n";
  }
  return text;
}

std::shared_ptr<const DetectEngine> CompileOrDie(const rules::RuleSet& set) {
  auto engine = DetectEngine::Compile(set, DetectOptions{}, nullptr);
  if (!engine.ok()) {
    std::fprintf(stderr, "compile failed: %s\n", std::string(engine.status().message()).c_str());
    std::abort();
  }
  return *engine;
}

// A pool of packets: payload buffers plus decoded headers pointing at them.
struct PacketPool {
  std::vector<std::string> payloads;
  std::vector<decode::Packet> packets;
  std::vector<capture::PacketView> views;
  uint64_t bytes = 0;

  // `inject`: words planted in every payload (prefilter hits to verify);
  // `sources`: source addresses used for every 8th packet.
  void Build(size_t count, size_t payload_len, bool http_like, uint8_t flow_flags,
             const std::vector<std::string>& inject = {}, const std::vector<IpAddress>& sources = {}) {
    std::mt19937 rng(7);
    payloads.resize(count);
    packets.resize(count);
    views.resize(count);
    bytes = 0;
    for (size_t i = 0; i < count; ++i) {
      std::string& p = payloads[i];
      if (http_like) {
        p = "GET /" + RandomWord(rng, 20) + "/index.php?id=" + std::to_string(rng() % 100000) +
            " HTTP/1.1\r\nHost: www." + RandomWord(rng, 8) + ".com\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n"
            "Accept: */*\r\nCookie: session=" + RandomWord(rng, 32) + "\r\n\r\n";
        while (p.size() < payload_len) p += RandomWord(rng, 16);
        p.resize(payload_len);
      } else {
        p.resize(payload_len);
        for (auto& c : p) c = static_cast<char>(rng());
      }
      for (size_t k = 0; k < 4 && !inject.empty(); ++k) {
        const std::string& w = inject[rng() % inject.size()];
        const size_t at = rng() % (p.size() > w.size() ? p.size() - w.size() : 1);
        p.replace(at, std::min(w.size(), p.size() - at), w);
      }
      decode::Packet& pkt = packets[i];
      pkt = decode::Packet{};
      views[i].ts_ns = static_cast<int64_t>(i) * 1000;
      pkt.view = &views[i];
      pkt.ip_version = 4;
      pkt.src = IpAddress::FromV4(0x0a000000u | (rng() & 0xffff));
      pkt.dst = IpAddress::FromV4(rng());
      if (!sources.empty() && i % 8 == 0) {
        pkt.src = sources[rng() % sources.size()];
        pkt.dst = IpAddress::FromV4(0xc0a80000u | (rng() & 0xffff));  // 192.168/16: $HOME_NET
      }
      pkt.ip_proto = 6;
      pkt.ttl = 64;
      pkt.l4 = reinterpret_cast<const uint8_t*>(p.data());
      pkt.l4_len = static_cast<uint32_t>(p.size());
      pkt.src_port = static_cast<uint16_t>(1024 + rng() % 60000);
      pkt.dst_port = (i % 3 == 0) ? 443 : 80;
      pkt.tcp_flags = 0x18;
      pkt.payload = reinterpret_cast<const uint8_t*>(p.data());
      pkt.payload_len = static_cast<uint32_t>(p.size());
      pkt.flow_flags = flow_flags;
      bytes += p.size();
    }
  }
};

void RunInspect(benchmark::State& state, const std::shared_ptr<const DetectEngine>& engine,
                const PacketPool& pool) {
  auto ctx = DetectContext::Create(engine);
  std::vector<Alert> alerts;
  alerts.reserve(64);
  size_t alerts_total = 0;
  for (auto _ : state) {
    for (const auto& p : pool.packets) {
      ctx->Inspect(p, alerts);
      alerts_total += alerts.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * pool.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pool.packets.size()));
  state.counters["alerts/pkt"] = benchmark::Counter(
      static_cast<double>(alerts_total) / static_cast<double>(state.iterations() * pool.packets.size()));
}

void BM_CompileContentRules(benchmark::State& state) {
  const std::string text = ContentRules(static_cast<size_t>(state.range(0)));
  const rules::RuleSet set = rules::ParseRules(text, "gen", {});
  for (auto _ : state) {
    auto engine = CompileOrDie(set);
    benchmark::DoNotOptimize(engine.get());
  }
  state.counters["rules"] = static_cast<double>(set.rules.size());
}
BENCHMARK(BM_CompileContentRules)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// Args: payload length, http-like (1) or random (0).
void BM_InspectContentRules1000(benchmark::State& state) {
  static const auto engine = CompileOrDie(rules::ParseRules(ContentRules(1000), "gen", {}));
  PacketPool pool;
  pool.Build(256, static_cast<size_t>(state.range(0)), state.range(1) != 0, 0);
  RunInspect(state, engine, pool);
}
BENCHMARK(BM_InspectContentRules1000)->Args({64, 0})->Args({512, 1})->Args({1400, 0})->Args({1400, 1});

// Every payload carries 4 rule patterns: prefilter hits and verification.
void BM_InspectContentRules1000Hits(benchmark::State& state) {
  static std::vector<std::string> words;
  static const auto engine = CompileOrDie(rules::ParseRules(ContentRules(1000, &words), "gen", {}));
  PacketPool pool;
  pool.Build(256, static_cast<size_t>(state.range(0)), true, 0, words);
  RunInspect(state, engine, pool);
}
BENCHMARK(BM_InspectContentRules1000Hits)->Arg(512)->Arg(1400);

void BM_InspectIpReputation(benchmark::State& state) {
  // 1,200 rules x 200 addresses; every 8th packet comes from a listed
  // address towards $HOME_NET and alerts.
  static std::vector<IpAddress> listed;
  static const auto engine = CompileOrDie(rules::ParseRules(IpRepRules(1200, 200, &listed), "rep", {}));
  PacketPool pool;
  pool.Build(256, 200, true, 0, {}, listed);
  RunInspect(state, engine, pool);
}
BENCHMARK(BM_InspectIpReputation);

std::string EtRulesPath() {
  if (const char* env = std::getenv("KAGAMI_ET_RULES")) return env;
  return std::string(KAGAMI_SOURCE_DIR) + "/../shared/bench/rules/et-common.rules";
}

void BM_CompileEtCommon(benchmark::State& state) {
  const std::string path = EtRulesPath();
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("et-common.rules not found (set KAGAMI_ET_RULES)");
    return;
  }
  const rules::RuleSet set = rules::LoadRules({path}, {});
  CompileStats stats;
  for (auto _ : state) {
    auto engine = CompileOrDie(set);
    stats = engine->stats();
  }
  state.counters["rules"] = static_cast<double>(stats.rules_loaded);
  state.counters["prefilter"] = static_cast<double>(stats.prefilter_rules);
  state.counters["indexed"] = static_cast<double>(stats.address_indexed_rules);
  state.counters["always"] = static_cast<double>(stats.always_checked_rules);
  state.counters["app_wait"] = static_cast<double>(stats.rules_waiting_for_app_layer);
}
BENCHMARK(BM_CompileEtCommon)->Unit(benchmark::kMillisecond)->Iterations(3);

// Args: payload length, flow flags (0: no flow; 7: known, to_server, established).
void BM_InspectEtCommon(benchmark::State& state) {
  const std::string path = EtRulesPath();
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("et-common.rules not found (set KAGAMI_ET_RULES)");
    return;
  }
  static const auto engine = CompileOrDie(rules::LoadRules({path}, {}));
  PacketPool pool;
  pool.Build(256, static_cast<size_t>(state.range(0)), true, static_cast<uint8_t>(state.range(1)));
  RunInspect(state, engine, pool);
}
BENCHMARK(BM_InspectEtCommon)->Args({512, 0})->Args({512, 7})->Args({1400, 7});

}  // namespace
}  // namespace kagami::detect

// Content verification's literal search over a 64 KiB body with no match
// (the worst case: the whole buffer is scanned), per search width; arg 1 is
// nocase. Bytes per second is the figure to compare.
void BM_FindContentMiss(benchmark::State& state) {
  const auto width = static_cast<kagami::detect::SearchWidth>(state.range(0));
  const bool nocase = state.range(1) != 0;
  if (width == kagami::detect::SearchWidth::k32 && kagami::detect::BestSearchWidth() != width) {
    state.SkipWithError("no AVX2");
    return;
  }
  std::mt19937 rng(3);
  std::string body(65536, ' ');
  for (auto& c : body) c = static_cast<char>("etaoinshrdlu <>/=\"ETAOIN"[rng() % 24]);
  const auto* b = reinterpret_cast<const uint8_t*>(body.data());
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        kagami::detect::FindContent(b, 0, static_cast<int64_t>(body.size()), "therein", nocase, width));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_FindContentMiss)->ArgsProduct({{0, 1, 2}, {0, 1}});
