// IntelStore micro benchmarks: building a store of 1,000,000 synthetic
// indicators (300k IPv4 addresses, 50k IPv4 CIDRs, 20k IPv6, 400k domains,
// 150k URLs, 30k user agents, 50k JA3 / certificate / file digests), and the
// lookups the packet pipeline makes, each for a value that is in the store
// (Hit) and one that is not (Miss). Lookups/s is items_per_second.
//
// Domain queries have three labels under a two-label indicator
// ("www.<name>.com"), so every query walks a parent suffix.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/intel/intel_store.h"
#include "rules/feeds/indicator.h"

namespace kagami::intel {
namespace {

using feeds::IndicatorType;

constexpr uint32_t kIpv4 = 300'000, kCidrs = 50'000, kIpv6 = 20'000, kDomains = 400'000,
                   kUrls = 150'000, kAgents = 30'000, kJa3 = 20'000, kCerts = 15'000,
                   kFiles = 15'000;
constexpr size_t kQueries = 4096;  // a power of two; cycled through

// splitmix64 of i: distinct, well spread values from an index.
uint64_t Spread(uint64_t i) {
  uint64_t z = i * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string Hex(uint64_t seed, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < digits; ++i) {
    if (i % 16 == 0) seed = Spread(seed);
    s.push_back(kHex[(seed >> ((i % 16) * 4)) & 15]);
  }
  return s;
}

// Indicator values by index; `salt` != 0 gives values that are not in the store.
IpAddress Ipv4Host(uint32_t i, uint64_t salt = 0) {
  // Hits anywhere in 1.0.0.0-126.255.255.255; misses in 198.18.0.0/15
  // (benchmark space), which no synthetic indicator covers.
  if (salt != 0) return IpAddress::FromV4(0xc6120000u | static_cast<uint32_t>(Spread(i + salt) & 0x1ffff));
  return IpAddress::FromV4(0x01000000u + static_cast<uint32_t>(Spread(i) % 0x7e000000u));
}
std::string DomainName(uint32_t i, uint64_t salt = 0) { return "d" + Hex(i + salt, 10) + ".com"; }
std::string UrlKey(uint32_t i, uint64_t salt = 0) {
  return "u" + Hex(i + salt, 8) + ".net/gate/" + std::to_string(i) + ".php";
}
std::string Agent(uint32_t i) { return "Mozilla/5.0 (compatible; Bot" + Hex(i, 6) + "/1.0)"; }
std::string Ja3(uint32_t i, uint64_t salt = 0) { return Hex((uint64_t{1} << 40) + i + salt, 32); }
std::string Cert(uint32_t i, uint64_t salt = 0) { return Hex((uint64_t{2} << 40) + i + salt, 64); }
std::string File(uint32_t i) { return Hex((uint64_t{3} << 40) + i, 64); }
constexpr uint64_t kMissSalt = uint64_t{1} << 50;

// Streams the million indicators into the sink the way a feed reader does:
// one reused Indicator, one term, a source, a rotating malware family.
void AddSyntheticIndicators(feeds::IndicatorSink* sink) {
  static const char* const kFamilies[] = {"Emotet", "QakBot", "IcedID", "AgentTesla", "Remcos",
                                          "AsyncRAT", "Formbook", "Lokibot", "njRAT", "PlugX"};
  feeds::Indicator ind;
  ind.clauses.resize(1);
  ind.clauses[0].terms.resize(1);
  ind.source = "synthetic-feed";
  ind.labels = {"c2"};
  ind.malware.resize(1);
  feeds::Term& t = ind.clauses[0].terms[0];
  uint64_t n = 0;
  auto add = [&] {
    ind.malware[0] = kFamilies[n++ % 10];
    sink->Add(ind);
  };
  auto ip = [&](IpAddress lo, IpAddress hi) {
    t.type = IndicatorType::kIp;
    t.range = rules::IpRange{lo, hi};
    t.value.clear();
    add();
  };
  auto value = [&](IndicatorType type, std::string v) {
    t.type = type;
    t.value = std::move(v);
    add();
  };
  for (uint32_t i = 0; i < kIpv4; ++i) ip(Ipv4Host(i), Ipv4Host(i));
  for (uint32_t i = 0; i < kCidrs; ++i) {
    const int len = 16 + static_cast<int>(Spread(i + 77) % 13);  // /16 .. /28
    const uint32_t mask = ~0u << (32 - len);
    const uint32_t base = Ipv4Host(i + 1'000'000).v4() & mask;
    ip(IpAddress::FromV4(base), IpAddress::FromV4(base | ~mask));
  }
  for (uint32_t i = 0; i < kIpv6; ++i) {
    // 2001:db8:xxxx:xxxx::/64 networks and 2001:db8:xxxx:xxxx:xxxx:xxxx::1 hosts.
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
    const uint64_t r = Spread(i + 2'000'000);
    for (int k = 0; k < 8; ++k) b[4 + k] = static_cast<uint8_t>(r >> (8 * k));
    uint8_t hi[16];
    if (i % 2 == 0) {
      for (int k = 8; k < 16; ++k) b[k] = 0;
      std::copy(b, b + 16, hi);
      for (int k = 8; k < 16; ++k) hi[k] = 0xff;
    } else {
      b[15] = 1;
      std::copy(b, b + 16, hi);
    }
    ip(IpAddress::FromV6Bytes(b), IpAddress::FromV6Bytes(hi));
  }
  for (uint32_t i = 0; i < kDomains; ++i) value(IndicatorType::kDomain, DomainName(i));
  for (uint32_t i = 0; i < kUrls; ++i) value(IndicatorType::kUrl, UrlKey(i));
  for (uint32_t i = 0; i < kAgents; ++i) value(IndicatorType::kUserAgent, Agent(i));
  for (uint32_t i = 0; i < kJa3; ++i) value(IndicatorType::kJa3, Ja3(i));
  for (uint32_t i = 0; i < kCerts; ++i) value(IndicatorType::kCertSha256, Cert(i));
  for (uint32_t i = 0; i < kFiles; ++i) value(IndicatorType::kFileSha256, File(i));
}

std::shared_ptr<const IntelStore> BuildSyntheticStore() {
  IntelStoreBuilder builder;
  feeds::FeedOptions options;
  builder.BeginFeed("synthetic.csv", options);
  AddSyntheticIndicators(&builder);
  return builder.Build();
}

const IntelStore& Store() {
  static const std::shared_ptr<const IntelStore> store = BuildSyntheticStore();
  return *store;
}

// Query values, spread over the whole store so lookups miss the caches the
// way traffic does.
std::vector<std::string> Queries(std::string (*make)(uint32_t, uint64_t), uint32_t range,
                                 uint64_t salt, const char* prefix = "", size_t count = kQueries) {
  std::vector<std::string> q;
  for (size_t i = 0; i < count; ++i) {
    q.push_back(prefix + make(static_cast<uint32_t>(Spread(i + 99) % range), salt));
  }
  return q;
}

void RunValues(benchmark::State& state, Where where, const std::vector<std::string>& queries,
               bool expect_hit) {
  const size_t mask = queries.size() - 1;  // a power of two
  const IntelStore& store = Store();
  const Facts facts;
  std::vector<Hit> hits;
  hits.reserve(16);
  size_t i = 0, found = 0;
  for (auto _ : state) {
    hits.clear();
    store.MatchValue(where, queries[i++ & mask], facts, &hits);
    found += hits.size();
    benchmark::DoNotOptimize(hits.data());
  }
  state.SetItemsProcessed(state.iterations());
  if ((found > 0) != expect_hit) state.SkipWithError("unexpected hit/miss");
}

void BM_IpHit(benchmark::State& state) {
  const IntelStore& store = Store();
  std::vector<Facts> flows(kQueries);
  for (size_t i = 0; i < kQueries; ++i) {
    flows[i].src = IpAddress::FromV4(0xc0a80001u);  // 192.168.0.1: the client
    flows[i].dst = Ipv4Host(static_cast<uint32_t>(Spread(i) % kIpv4));
  }
  std::vector<Hit> hits;
  hits.reserve(16);
  size_t i = 0, found = 0;
  for (auto _ : state) {
    hits.clear();
    store.MatchFlow(flows[i++ & (kQueries - 1)], &hits);
    found += hits.size();
  }
  state.SetItemsProcessed(state.iterations());
  if (found == 0) state.SkipWithError("no hits");
}
BENCHMARK(BM_IpHit);

void BM_IpMiss(benchmark::State& state) {
  const IntelStore& store = Store();
  std::vector<Facts> flows(kQueries);
  for (size_t i = 0; i < kQueries; ++i) {
    flows[i].src = IpAddress::FromV4(0xc0a80001u);
    flows[i].dst = Ipv4Host(static_cast<uint32_t>(i), kMissSalt);
  }
  std::vector<Hit> hits;
  size_t i = 0, found = 0;
  for (auto _ : state) {
    hits.clear();
    store.MatchFlow(flows[i++ & (kQueries - 1)], &hits);
    found += hits.size();
  }
  state.SetItemsProcessed(state.iterations());
  if (found != 0) state.SkipWithError("unexpected hits");
}
BENCHMARK(BM_IpMiss);

void BM_DomainHit(benchmark::State& state) {
  static const auto q = Queries(DomainName, kDomains, 0, "www.");
  RunValues(state, Where::kDnsQuery, q, true);
}
BENCHMARK(BM_DomainHit);

void BM_DomainMiss(benchmark::State& state) {
  static const auto q = Queries(DomainName, kDomains, kMissSalt, "www.");
  RunValues(state, Where::kDnsQuery, q, false);
}
BENCHMARK(BM_DomainMiss);

// Misses as traffic makes them: a million different names, so the index is
// not in the caches (the warm variants above cycle 4,096 names).
constexpr size_t kColdQueries = size_t{1} << 20;

void BM_DomainMissCold(benchmark::State& state) {
  static const auto q = Queries(DomainName, UINT32_MAX, kMissSalt, "www.", kColdQueries);
  RunValues(state, Where::kDnsQuery, q, false);
}
BENCHMARK(BM_DomainMissCold);

std::string UrlWithQuery(uint32_t i, uint64_t salt) { return UrlKey(i, salt) + "?id=42&s=1"; }

void BM_UrlHit(benchmark::State& state) {  // the key with a query; the indicator has none
  static const auto q = Queries(UrlWithQuery, kUrls, 0);
  RunValues(state, Where::kHttpUrl, q, true);
}
BENCHMARK(BM_UrlHit);

void BM_UrlMiss(benchmark::State& state) {
  static const auto q = Queries(UrlWithQuery, kUrls, kMissSalt);
  RunValues(state, Where::kHttpUrl, q, false);
}
BENCHMARK(BM_UrlMiss);

void BM_UrlMissCold(benchmark::State& state) {
  static const auto q = Queries(UrlWithQuery, UINT32_MAX, kMissSalt, "", kColdQueries);
  RunValues(state, Where::kHttpUrl, q, false);
}
BENCHMARK(BM_UrlMissCold);

void BM_Ja3Hit(benchmark::State& state) {
  static const auto q = Queries(Ja3, kJa3, 0);
  RunValues(state, Where::kTlsJa3, q, true);
}
BENCHMARK(BM_Ja3Hit);

void BM_Ja3Miss(benchmark::State& state) {
  static const auto q = Queries(Ja3, kJa3, kMissSalt);
  RunValues(state, Where::kTlsJa3, q, false);
}
BENCHMARK(BM_Ja3Miss);

void BM_CertSha256Hit(benchmark::State& state) {
  static const auto q = Queries(Cert, kCerts, 0);
  RunValues(state, Where::kTlsCertSha256, q, true);
}
BENCHMARK(BM_CertSha256Hit);

void BM_CertSha256Miss(benchmark::State& state) {
  static const auto q = Queries(Cert, kCerts, kMissSalt);
  RunValues(state, Where::kTlsCertSha256, q, false);
}
BENCHMARK(BM_CertSha256Miss);

// Builder + Build for the million indicators (no file reading: see
// bench/intel_load for whole feeds). Reports the store size as a counter.
void BM_Build1M(benchmark::State& state) {
  size_t bytes = 0, size = 0;
  for (auto _ : state) {
    const auto store = BuildSyntheticStore();
    bytes = store->memory_bytes();
    size = store->size();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(size));
  state.counters["store_MiB"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
  state.counters["indicators"] = static_cast<double>(size);
}
BENCHMARK(BM_Build1M)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace kagami::intel
