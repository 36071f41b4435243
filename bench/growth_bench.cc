// Growth benchmarks for structures an attacker can make grow ("hostile
// traffic"): the cost of one item must not depend on how many came before.
// Each family feeds N items of one shape (fragments, header lines, records,
// extensions, flows) into a fresh structure and reports
//   per_item  - seconds per item (benchmark prints it with an SI prefix, so
//               "31.2n" is 31.2 ns), directly comparable across N;
//   items     - items per iteration (N, or what the protocol allows);
// plus the structure's own counters where it drops or caps, so a flat line
// that is flat only because a bound cut the input off says so.
//
// N runs over 1k, 10k, 100k, 1M, or up to the protocol's limit when the
// structure cannot hold more (the limit is the last Arg and is named in the
// family's comment). Families whose default options cap the structure below
// the protocol's limit also run with the cap lifted ("Uncapped"), to show
// the shape of the structure itself.
//
// Run: kagami_bench --benchmark_filter=Growth (from the build's bench/ folder)
// Results and findings: docs/perf/growth.md.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/hash/hash.h"
#include "engine/app/dns/dns_parser.h"
#include "engine/app/http/http_parser.h"
#include "engine/app/tls/tls_parser.h"
#include "engine/defrag/defragmenter.h"
#include "engine/flow/flow_table.h"
#include "tests/app/tls/tls_test_util.h"

namespace {

using namespace kagami;  // NOLINT
using Bytes = std::vector<uint8_t>;

// ------------------------------------------------------------ helpers

// Seconds per item as a counter (kIsRate divides by the time, kInvert turns
// items per second into seconds per item), plus items/s and the item count.
void ReportPerItem(benchmark::State& state, int64_t items_per_iteration) {
  const double items = static_cast<double>(items_per_iteration) * static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(items));
  state.counters["per_item"] =
      benchmark::Counter(items, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["items"] = static_cast<double>(items_per_iteration);
}

// splitmix64: a seeded, portable generator so every run shuffles alike.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  template <typename T>
  void Shuffle(std::vector<T>& v, size_t begin, size_t end) {
    for (size_t i = end - begin; i > 1; --i) std::swap(v[begin + i - 1], v[begin + Next() % i]);
  }
};

void Put16(Bytes& b, size_t at, uint32_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void Push16(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void Push32(Bytes& b, uint32_t v) {
  Push16(b, v >> 16);
  Push16(b, v & 0xffff);
}

// ------------------------------------------------------------ defrag

// Fragments are laid out back to back in one buffer (20-byte IPv4 header +
// data each); a Packet is pointed at each in turn, as the decoder would
// fill it. Fragment data is 8 bytes unless the shape says otherwise.
struct FragmentStream {
  Bytes bytes;
  std::vector<uint32_t> at;   // offset of each fragment in `bytes`
  std::vector<uint32_t> src;  // source address of each fragment
};

void AddV4Fragment(FragmentStream& s, uint32_t src, uint16_t id, uint32_t offset, uint32_t len, bool more) {
  const size_t start = s.bytes.size();
  s.bytes.resize(start + 20 + len, static_cast<uint8_t>('a' + offset % 26));
  uint8_t* h = s.bytes.data() + start;
  h[0] = 0x45;
  h[1] = 0;
  Put16(s.bytes, start + 2, 20 + len);
  Put16(s.bytes, start + 4, id);
  Put16(s.bytes, start + 6, (more ? 0x2000u : 0u) | (offset / 8));
  h[8] = 64;
  h[9] = 17;
  h[10] = h[11] = 0;
  std::memcpy(h + 12, &src, 4);
  const uint32_t dst = 0x0a630001;
  std::memcpy(h + 16, &dst, 4);
  s.at.push_back(static_cast<uint32_t>(start));
  s.src.push_back(src);
}

void FeedFragments(defrag::Defragmenter& d, const FragmentStream& s, int64_t& ts) {
  decode::Packet p;
  p.ip_version = 4;
  p.is_fragment = true;
  p.dst = IpAddress::FromV4(0x0a630001);
  uint32_t last_src = ~0u;
  for (size_t i = 0; i < s.at.size(); ++i) {
    if (s.src[i] != last_src) {
      last_src = s.src[i];
      p.src = IpAddress::FromV4(last_src);
    }
    const uint8_t* f = s.bytes.data() + s.at[i];
    p.l3 = f;
    p.l3_len = static_cast<uint32_t>(f[2] << 8 | f[3]);
    benchmark::DoNotOptimize(d.Add(p, ++ts).data());
  }
}

// Non-last IPv4 fragments carry a multiple of 8 bytes and the datagram is at
// most 65535 bytes: 8189 eight-byte fragments after a 20-byte header.
constexpr uint32_t kMaxV4Fragments = (65535 - 20) / 8;

enum class FragOrder { kInOrder, kReverse, kRandom, kOverlap };

// N tiny fragments of one datagram; past the protocol's limit the next
// fragments start another datagram (new id), so N counts fragments.
FragmentStream OneDatagramStream(int64_t n, FragOrder order) {
  FragmentStream s;
  Rng rng{42};
  const uint32_t per = static_cast<uint32_t>(std::min<int64_t>(n, kMaxV4Fragments));
  for (int64_t done = 0, id = 1; done < n; ++id) {
    const uint32_t frags = static_cast<uint32_t>(std::min<int64_t>(per, n - done));
    std::vector<uint32_t> idx(frags);
    for (uint32_t i = 0; i < frags; ++i) idx[i] = i;
    if (order == FragOrder::kReverse) std::reverse(idx.begin(), idx.end());
    if (order == FragOrder::kRandom) rng.Shuffle(idx, 0, idx.size());
    for (uint32_t i : idx) {
      const bool last = i + 1 == frags;
      // Overlap: every fragment but the last also covers the next one's
      // 8 bytes, so each one after the first overlaps its predecessor.
      const uint32_t len = order == FragOrder::kOverlap && !last ? 16 : 8;
      AddV4Fragment(s, 0x0a000001, static_cast<uint16_t>(id), i * 8, len, !last);
    }
    done += frags;
  }
  return s;
}

void RunOneDatagram(benchmark::State& state, FragOrder order) {
  const int64_t n = state.range(0);
  const bool uncapped = state.range(1) != 0;
  const FragmentStream s = OneDatagramStream(n, order);
  defrag::DefragOptions o;
  if (uncapped) o.max_fragments_per_datagram = kMaxV4Fragments + 1;
  defrag::DefragCounters c;
  int64_t ts = 1'000'000'000;
  for (auto _ : state) {
    defrag::Defragmenter d(o);
    FeedFragments(d, s, ts);
    c = d.counters();
  }
  ReportPerItem(state, n);
  state.counters["reassembled"] = static_cast<double>(c.reassembled);
  state.counters["too_many_fragments"] = static_cast<double>(c.too_many_fragments);
  state.counters["overlaps"] = static_cast<double>(c.overlaps);
}

// Args: N fragments, cap lifted (1) or the default 256 per datagram (0).
// With the default cap a datagram is dropped at its 257th fragment, so N
// past 256 measures drop-and-restart; "uncapped" holds up to the protocol's
// 8189 fragments per datagram, so N = 8189 is one whole datagram.
void GrowthArgsDefrag(benchmark::internal::Benchmark* b) {
  for (int64_t n : {1000, 10000, 100000, 1000000}) b->Args({n, 0});
  for (int64_t n : {int64_t{256}, int64_t{1000}, int64_t{kMaxV4Fragments}}) b->Args({n, 1});
  b->ArgNames({"n", "uncapped"})->Unit(benchmark::kMillisecond);
}

void BM_GrowthDefragInOrder(benchmark::State& state) { RunOneDatagram(state, FragOrder::kInOrder); }
void BM_GrowthDefragReverse(benchmark::State& state) { RunOneDatagram(state, FragOrder::kReverse); }
void BM_GrowthDefragRandom(benchmark::State& state) { RunOneDatagram(state, FragOrder::kRandom); }
void BM_GrowthDefragOverlap(benchmark::State& state) { RunOneDatagram(state, FragOrder::kOverlap); }
BENCHMARK(BM_GrowthDefragInOrder)->Apply(GrowthArgsDefrag);
BENCHMARK(BM_GrowthDefragReverse)->Apply(GrowthArgsDefrag);
BENCHMARK(BM_GrowthDefragRandom)->Apply(GrowthArgsDefrag);
BENCHMARK(BM_GrowthDefragOverlap)->Apply(GrowthArgsDefrag);

// N distinct datagrams in flight: the first fragment of each (distinct
// source and id), then the second, which completes it. Items: fragments
// (2N). Default memcap (32 MiB) evicts the oldest past ~100k datagrams
// (counted in memcap_drops); arg 1 raises the memcap so all N stay.
void BM_GrowthDefragManyDatagrams(benchmark::State& state) {
  const int64_t n = state.range(0);
  FragmentStream s;
  for (int64_t i = 0; i < n; ++i) {
    AddV4Fragment(s, 0x0b000000u + static_cast<uint32_t>(i), static_cast<uint16_t>(i), 0, 8, true);
  }
  for (int64_t i = 0; i < n; ++i) {
    AddV4Fragment(s, 0x0b000000u + static_cast<uint32_t>(i), static_cast<uint16_t>(i), 8, 8, false);
  }
  defrag::DefragOptions o;
  if (state.range(1) != 0) o.memcap = size_t{4} << 30;
  defrag::DefragCounters c;
  int64_t ts = 1'000'000'000;
  for (auto _ : state) {
    defrag::Defragmenter d(o);
    FeedFragments(d, s, ts);
    c = d.counters();
  }
  ReportPerItem(state, 2 * n);
  state.counters["reassembled"] = static_cast<double>(c.reassembled);
  state.counters["memcap_drops"] = static_cast<double>(c.memcap_drops);
}
BENCHMARK(BM_GrowthDefragManyDatagrams)
    ->ArgsProduct({{1000, 10000, 100000, 1000000}, {0, 1}})
    ->ArgNames({"n", "big_memcap"})
    ->Unit(benchmark::kMillisecond);

// ------------------------------------------------------------ flow table

const uint8_t kL4Header[20] = {};

enum class KeyShape { kRandom, kSequential };

// N UDP flow keys. Random: addresses and ports from the generator.
// Sequential: what one attacker host can send, one destination and the
// source port counting up (then the source address), the shape an
// unkeyed or weak hash would pile into few buckets.
std::vector<decode::Packet> FlowPackets(int64_t n, KeyShape shape) {
  std::vector<decode::Packet> out(static_cast<size_t>(n));
  Rng rng{7};
  for (int64_t i = 0; i < n; ++i) {
    decode::Packet& p = out[static_cast<size_t>(i)];
    p.ip_version = 4;
    p.ip_proto = 17;
    p.l4 = kL4Header;
    if (shape == KeyShape::kRandom) {
      const uint64_t r = rng.Next();
      p.src = IpAddress::FromV4(static_cast<uint32_t>(r));
      p.dst = IpAddress::FromV4(static_cast<uint32_t>(r >> 32) | 1);
      p.src_port = static_cast<uint16_t>(rng.Next());
      p.dst_port = 53;
    } else {
      p.src = IpAddress::FromV4(0x0a000001u + static_cast<uint32_t>(i >> 16));
      p.dst = IpAddress::FromV4(0x0a630001u);
      p.src_port = static_cast<uint16_t>(i & 0xffff);
      p.dst_port = 53;
    }
  }
  return out;
}

flow::FlowOptions FlowOptionsFor(int64_t n) {
  flow::FlowOptions o;
  // Room for every flow (no eviction) whatever N.
  o.memcap = std::max(o.memcap, static_cast<size_t>(n) * 2 * flow::FlowTable::kBytesPerFlow);
  return o;
}

// Creating N flows into an empty table: per new flow.
void RunFlowCreate(benchmark::State& state, KeyShape shape) {
  const int64_t n = state.range(0);
  const std::vector<decode::Packet> packets = FlowPackets(n, shape);
  const flow::FlowOptions o = FlowOptionsFor(n);
  int64_t ts = 1'000'000'000;
  for (auto _ : state) {
    state.PauseTiming();
    auto table = std::make_unique<flow::FlowTable>(o);
    state.ResumeTiming();
    for (const auto& p : packets) benchmark::DoNotOptimize(table->Process(p, ++ts).flow);
    state.PauseTiming();
    table.reset();
    state.ResumeTiming();
  }
  ReportPerItem(state, n);
}

// Looking up N existing flows, each once per iteration in a shuffled order
// (a busy link: no locality between consecutive packets).
void RunFlowLookup(benchmark::State& state, KeyShape shape) {
  const int64_t n = state.range(0);
  std::vector<decode::Packet> packets = FlowPackets(n, shape);
  flow::FlowTable table(FlowOptionsFor(n));
  int64_t ts = 1'000'000'000;
  for (const auto& p : packets) table.Process(p, ++ts);
  Rng rng{9};
  rng.Shuffle(packets, 0, packets.size());
  for (auto _ : state) {
    for (const auto& p : packets) benchmark::DoNotOptimize(table.Process(p, ++ts).flow);
  }
  ReportPerItem(state, n);
  state.counters["flows"] = static_cast<double>(table.counters().active);
}

void BM_GrowthFlowCreateRandom(benchmark::State& state) { RunFlowCreate(state, KeyShape::kRandom); }
void BM_GrowthFlowCreateSequential(benchmark::State& state) { RunFlowCreate(state, KeyShape::kSequential); }
void BM_GrowthFlowLookupRandom(benchmark::State& state) { RunFlowLookup(state, KeyShape::kRandom); }
void BM_GrowthFlowLookupSequential(benchmark::State& state) { RunFlowLookup(state, KeyShape::kSequential); }
BENCHMARK(BM_GrowthFlowCreateRandom)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GrowthFlowCreateSequential)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GrowthFlowLookupRandom)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GrowthFlowLookupSequential)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// Flows chosen to share a probe start under absl::Hash<FlowKey>, the hash
// the flow index used before it was keyed. Abseil's seed is the address of
// a variable in libabsl_hash (hidden by ASLR, given away by a leak) and each
// table XORs a salt from its heap address into the probe start; this
// benchmark, inside the process, knows both: it searches sequential keys
// (one source host counting ports) for N whose hash bits 7..20 are equal (a
// collision at every table size up to 16383 slots, whatever the salt) and
// looks each up once. Against the unkeyed index that cost O(N) per lookup
// (91 ns at 1k, 759 ns at 10k); the index now hashes with a per-table
// secret (FlowTable::KeyedHash), so these keys spread like any others. N
// stops at 10k because the search takes 16384 hashes per key.
void BM_GrowthFlowLookupColliding(benchmark::State& state) {
  const int64_t n = state.range(0);
  constexpr uint64_t kMask = (uint64_t{1} << 14) - 1;
  std::vector<decode::Packet> packets;
  packets.reserve(static_cast<size_t>(n));
  const absl::Hash<flow::FlowKey> hash;
  decode::Packet p;
  p.ip_version = 4;
  p.ip_proto = 17;
  p.l4 = kL4Header;
  p.dst = IpAddress::FromV4(0x0a630001u);
  p.dst_port = 53;
  for (uint64_t i = 0; static_cast<int64_t>(packets.size()) < n; ++i) {
    p.src = IpAddress::FromV4(0x0a000001u + static_cast<uint32_t>(i >> 16));
    p.src_port = static_cast<uint16_t>(i & 0xffff);
    bool from_lo;
    if (((hash(flow::KeyOf(p, &from_lo)) >> 7) & kMask) == 0) packets.push_back(p);
  }
  flow::FlowTable table(FlowOptionsFor(n));
  int64_t ts = 1'000'000'000;
  for (const auto& q : packets) table.Process(q, ++ts);
  for (auto _ : state) {
    for (const auto& q : packets) benchmark::DoNotOptimize(table.Process(q, ++ts).flow);
  }
  ReportPerItem(state, n);
  state.counters["flows"] = static_cast<double>(table.counters().active);
}
BENCHMARK(BM_GrowthFlowLookupColliding)->Arg(1000)->Arg(4000)->Arg(10000)->Unit(benchmark::kMillisecond);

// Control for the flow lookups: per item, one dependent random read (a
// pointer chase through a random cycle) over an array with the same
// footprint as N flows. It does no work that grows with N, so its growth is
// the memory hierarchy's (caches, TLB); a lookup makes a handful of such
// reads (index, slot, list neighbours), so a lookup whose time tracks a
// small multiple of this one is flat in the algorithmic sense.
void BM_GrowthFlowMemoryControl(benchmark::State& state) {
  const int64_t n = state.range(0);
  const size_t stride = flow::FlowTable::kBytesPerFlow / sizeof(uint64_t);
  std::vector<uint64_t> slots(static_cast<size_t>(n) * stride);
  std::vector<uint32_t> order(static_cast<size_t>(n));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  Rng rng{11};
  rng.Shuffle(order, 0, order.size());
  // One cycle through every slot: slot order[i] holds order[i + 1].
  for (size_t i = 0; i < order.size(); ++i) slots[order[i] * stride] = order[(i + 1) % order.size()];
  uint64_t at = order[0];
  for (auto _ : state) {
    for (int64_t i = 0; i < n; ++i) at = slots[at * stride];
    benchmark::DoNotOptimize(at);
  }
  ReportPerItem(state, n);
}
BENCHMARK(BM_GrowthFlowMemoryControl)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// ------------------------------------------------------------ HTTP

using app::http::Direction;
using app::http::HttpOptions;
using app::http::HttpParser;

constexpr size_t kMss = 1460;

void FeedInSegments(HttpParser& p, Direction dir, const std::string& data, size_t seg) {
  for (size_t i = 0; i < data.size(); i += seg) {
    p.Feed(dir, reinterpret_cast<const uint8_t*>(data.data() + i), std::min(seg, data.size() - i));
  }
}

// One request with N header lines, all names distinct ("h" + 5 hex digits,
// 10 bytes a line). The default max_header_bytes (64 KiB) keeps the first
// 6553 and skips the rest (header_too_long); arg 1 lifts the limit.
std::string ManyHeadersRequest(int64_t n) {
  std::string r = "GET / HTTP/1.1\r\n";
  char line[32];
  for (int64_t i = 0; i < n; ++i) {
    std::snprintf(line, sizeof line, "h%05llx:v\r\n", static_cast<unsigned long long>(i & 0xfffff));
    r += line;
  }
  r += "\r\n";
  return r;
}

void RunHttpHeaders(benchmark::State& state, size_t segment) {
  const int64_t n = state.range(0);
  HttpOptions o;
  if (state.range(1) != 0) o.max_header_bytes = 0;
  const std::string req = ManyHeadersRequest(n);
  size_t kept = 0;
  for (auto _ : state) {
    HttpParser p(o);
    if (segment == 0) {
      // One header line per segment, as a slow sender would trickle them.
      size_t at = 0;
      while (at < req.size()) {
        const size_t end = req.find('\n', at) + 1;
        p.Feed(Direction::kToServer, reinterpret_cast<const uint8_t*>(req.data() + at), end - at);
        at = end;
      }
    } else {
      FeedInSegments(p, Direction::kToServer, req, segment);
    }
    kept = p.transactions().front().request_headers.size();
  }
  ReportPerItem(state, n);
  state.counters["headers_kept"] = static_cast<double>(kept);
}

void GrowthArgsHttpHeaders(benchmark::internal::Benchmark* b) {
  for (int64_t n : {1000, 10000, 100000, 1000000}) b->Args({n, 0});
  for (int64_t n : {1000, 10000, 100000, 1000000}) b->Args({n, 1});
  b->ArgNames({"n", "unlimited"})->Unit(benchmark::kMillisecond);
}
void BM_GrowthHttpHeaders(benchmark::State& state) { RunHttpHeaders(state, kMss); }
void BM_GrowthHttpHeadersOnePerSegment(benchmark::State& state) { RunHttpHeaders(state, 0); }
BENCHMARK(BM_GrowthHttpHeaders)->Apply(GrowthArgsHttpHeaders);
BENCHMARK(BM_GrowthHttpHeadersOnePerSegment)->Apply(GrowthArgsHttpHeaders);

// One header line of N bytes, in MSS segments. Past max_header_bytes the
// line keeps its start only. Items: bytes.
void BM_GrowthHttpLongHeaderLine(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::string req =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + std::string(static_cast<size_t>(n), 'x') + "\r\n\r\n";
  for (auto _ : state) {
    HttpParser p;
    FeedInSegments(p, Direction::kToServer, req, kMss);
    benchmark::DoNotOptimize(p.transactions().front().request_headers.size());
  }
  ReportPerItem(state, n);
}
BENCHMARK(BM_GrowthHttpLongHeaderLine)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// A chunked response whose chunk-size line is N spaces, one byte per
// segment: the parser decides early whether a partial size line can still
// be valid. Items: bytes.
void BM_GrowthHttpChunkSizeLine(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const uint8_t space = ' ';
  for (auto _ : state) {
    HttpParser p;
    p.Feed(Direction::kToServer, reinterpret_cast<const uint8_t*>(req.data()), req.size());
    p.Feed(Direction::kToClient, reinterpret_cast<const uint8_t*>(head.data()), head.size());
    for (int64_t i = 0; i < n; ++i) p.Feed(Direction::kToClient, &space, 1);
    benchmark::DoNotOptimize(p.transactions().size());
  }
  ReportPerItem(state, n);
}
BENCHMARK(BM_GrowthHttpChunkSizeLine)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// N requests pipelined on one connection (all requests, then all
// responses, in MSS segments). After each segment the transactions are
// walked and retired as engine/app does (CollectHttp, Retire); at most
// max_open_transactions (256) stay open, the oldest unanswered ones are
// dropped (counted). Items: requests.
void BM_GrowthHttpPipelined(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::string req, res;
  for (int64_t i = 0; i < n; ++i) {
    req += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
    res += "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  }
  uint64_t dropped = 0;
  for (auto _ : state) {
    HttpParser p;
    auto feed = [&](Direction dir, const std::string& data) {
      for (size_t i = 0; i < data.size(); i += kMss) {
        p.Feed(dir, reinterpret_cast<const uint8_t*>(data.data() + i), std::min(kMss, data.size() - i));
        for (auto& tx : p.transactions()) tx.updated = false;
        p.RetireCompleted();
      }
    };
    feed(Direction::kToServer, req);
    feed(Direction::kToClient, res);
    dropped = p.anomaly_count();
  }
  ReportPerItem(state, n);
  state.counters["anomalies"] = static_cast<double>(dropped);
}
BENCHMARK(BM_GrowthHttpPipelined)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// ------------------------------------------------------------ DNS

namespace dns = app::dns;

// DNS over TCP carries at most 65535 bytes a message.
constexpr size_t kMaxDns = 65535;

Bytes DnsHeader(uint16_t qd, uint16_t an) {
  Bytes b;
  for (uint32_t v : {0x1d2cu, 0x8180u, uint32_t{qd}, uint32_t{an}, 0u, 0u}) Push16(b, v);
  return b;
}

// Question "example.com" A at offset 12.
void PushQuestion(Bytes& b) {
  for (const char* l : {"example", "com"}) {
    b.push_back(static_cast<uint8_t>(std::strlen(l)));
    b.insert(b.end(), l, l + std::strlen(l));
  }
  b.push_back(0);
  Push16(b, 1);
  Push16(b, 1);
}

void RunDnsParse(benchmark::State& state, const Bytes& msg, const dns::DnsOptions& o, int64_t items) {
  dns::Message out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dns::ParseMessage(msg.data(), msg.size(), o, out));
    benchmark::ClobberMemory();
  }
  ReportPerItem(state, items);
  state.counters["records"] = static_cast<double>(out.answers.size());
  state.counters["anomalies"] = static_cast<double>(out.anomalies.size());
}

// A response with N A records (compressed owner name, 16 bytes each): at
// most 4094 fit in 64 KiB, the last Arg. Default max_records (512) stops
// the parse there (too_many_records); arg 1 lifts it.
void BM_GrowthDnsRecords(benchmark::State& state) {
  const int64_t n = state.range(0);
  Bytes b = DnsHeader(1, static_cast<uint16_t>(n));
  PushQuestion(b);
  for (int64_t i = 0; i < n; ++i) {
    Push16(b, 0xC00C);
    Push16(b, 1);
    Push16(b, 1);
    Push32(b, 300);
    Push16(b, 4);
    Push32(b, 0x0a000000u + static_cast<uint32_t>(i));
  }
  if (b.size() > kMaxDns) state.SkipWithError("message past 64 KiB");
  dns::DnsOptions o;
  if (state.range(1) != 0) o.max_records = 65535;
  RunDnsParse(state, b, o, n);
}
BENCHMARK(BM_GrowthDnsRecords)
    ->ArgsProduct({{1000, (kMaxDns - 29) / 16}, {0, 1}})
    ->ArgNames({"n", "uncapped"})
    ->Unit(benchmark::kMicrosecond);

// A question name of N one-byte labels (2 bytes each, in place): at most
// 32749 fit in 64 KiB. The name is far past 255 bytes (name_too_long) and
// its text is cut at 1025 bytes, but the parser still has to walk to its
// end. Items: labels.
void BM_GrowthDnsLabels(benchmark::State& state) {
  const int64_t n = state.range(0);
  Bytes b = DnsHeader(1, 0);
  for (int64_t i = 0; i < n; ++i) {
    b.push_back(1);
    b.push_back('a');
  }
  b.push_back(0);
  Push16(b, 1);
  Push16(b, 1);
  RunDnsParse(state, b, {}, n);
}
BENCHMARK(BM_GrowthDnsLabels)->Arg(1000)->Arg(10000)->Arg((kMaxDns - 17) / 2)->Unit(benchmark::kMicrosecond);

// N answer records whose owner names all follow the same compression chain
// of 2000 hops (each hop a one-byte label and a pointer to the one before,
// held in a NULL record's rdata), or (arg 1) a name that points back into
// itself. The walk stops at 64 hops (compression_loop), so each record
// costs the same whatever N and the chain's length. About 4790 records fit
// beside the chain in 64 KiB (4000 with loops); max_records is lifted so
// all are parsed.
void BM_GrowthDnsPointerChain(benchmark::State& state) {
  const int64_t n = state.range(0);
  const bool loop = state.range(1) != 0;
  constexpr int kHops = 2000;
  Bytes b = DnsHeader(1, static_cast<uint16_t>(n + 1));
  PushQuestion(b);
  // The chain: a NULL record owned by the question's name.
  Push16(b, 0xC00C);
  Push16(b, 10);
  Push16(b, 1);
  Push32(b, 0);
  const size_t rdlength_at = b.size();
  Push16(b, 0);
  size_t prev = 12;
  for (int i = 0; i < kHops; ++i) {
    const size_t here = b.size();
    b.push_back(1);
    b.push_back('a');
    Push16(b, 0xC000u | static_cast<uint32_t>(prev));
    prev = here;
  }
  Put16(b, rdlength_at, static_cast<uint32_t>(b.size() - rdlength_at - 2));
  for (int64_t i = 0; i < n; ++i) {
    if (loop) {
      // A label, then a pointer back to that label: a loop of one hop.
      const size_t here = b.size();
      b.push_back(1);
      b.push_back('a');
      Push16(b, 0xC000u | static_cast<uint32_t>(here));
    } else {
      Push16(b, 0xC000u | static_cast<uint32_t>(prev));
    }
    Push16(b, 1);
    Push16(b, 1);
    Push32(b, 300);
    Push16(b, 0);
  }
  if (b.size() > kMaxDns) state.SkipWithError("message past 64 KiB");
  dns::DnsOptions o;
  o.max_records = 65535;
  RunDnsParse(state, b, o, n);
}
BENCHMARK(BM_GrowthDnsPointerChain)
    ->ArgsProduct({{1000, 4000}, {0, 1}})
    ->ArgNames({"n", "loop"})
    ->Unit(benchmark::kMicrosecond);

// ------------------------------------------------------------ TLS

namespace tt = app::tls::testing;
using app::tls::TlsOptions;
using app::tls::TlsParser;
constexpr size_t kTlsSegment = 1448;

void FeedTls(TlsParser& p, app::tls::Direction dir, const Bytes& wire, size_t seg) {
  for (size_t i = 0; i < wire.size(); i += seg) p.Feed(dir, wire.data() + i, std::min(seg, wire.size() - i));
}

// A server Certificate message of one N-byte (non-)certificate, cut into
// records of one handshake byte each (6 wire bytes a record) and fed in
// MSS segments. Items: records. The message is kept up to 256 KiB
// (max_handshake_message); past it (1M) it is skipped by length.
void BM_GrowthTlsHandshakeRecords(benchmark::State& state) {
  const int64_t n = state.range(0);
  const tt::Bytes msg = tt::Handshake(11, tt::CertificateBody({tt::Bytes(static_cast<size_t>(n - 10), 0x30)}));
  const tt::Bytes wire = tt::Records(22, msg, 1);
  for (auto _ : state) {
    TlsParser p;
    FeedTls(p, app::tls::Direction::kToClient, wire, kTlsSegment);
    benchmark::DoNotOptimize(p.session().certificates.size());
  }
  ReportPerItem(state, n);
}
BENCHMARK(BM_GrowthTlsHandshakeRecords)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// The same message in full records (16 KiB), fed one byte per segment.
// Items: bytes.
void BM_GrowthTlsHandshakeSegments(benchmark::State& state) {
  const int64_t n = state.range(0);
  const tt::Bytes msg = tt::Handshake(11, tt::CertificateBody({tt::Bytes(static_cast<size_t>(n - 10), 0x30)}));
  const tt::Bytes wire = tt::Records(22, msg, 16384);
  for (auto _ : state) {
    TlsParser p;
    FeedTls(p, app::tls::Direction::kToClient, wire, 1);
    benchmark::DoNotOptimize(p.session().certificates.size());
  }
  ReportPerItem(state, n);
}
BENCHMARK(BM_GrowthTlsHandshakeSegments)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// A ClientHello (in 16 KiB records) parsed with its JA3/JA4.
void RunClientHello(benchmark::State& state, const std::vector<uint16_t>& ciphers,
                    const std::vector<tt::Extension>& exts, int64_t items) {
  const tt::Bytes wire = tt::Records(22, tt::Handshake(1, tt::ClientHelloBody(0x0303, ciphers, exts)), 16384);
  size_t parsed = 0;
  for (auto _ : state) {
    TlsParser p;
    FeedTls(p, app::tls::Direction::kToServer, wire, kTlsSegment);
    const auto& ch = p.session().client_hello;
    parsed = ch ? ch->cipher_suites.size() + ch->extensions.size() + ch->supported_groups.size() : 0;
    benchmark::DoNotOptimize(parsed);
  }
  ReportPerItem(state, items);
  state.counters["values"] = static_cast<double>(parsed);
}

// N cipher suites: at most 32767 (a 16-bit length of 2-byte values).
void BM_GrowthTlsCipherSuites(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<uint16_t> ciphers;
  for (int64_t i = 0; i < n; ++i) ciphers.push_back(static_cast<uint16_t>(0x1000 + i));
  RunClientHello(state, ciphers, {tt::SniExt("www.example.com")}, n);
}
BENCHMARK(BM_GrowthTlsCipherSuites)->Arg(1000)->Arg(10000)->Arg(32767)->Unit(benchmark::kMicrosecond);

// N empty extensions: at most 16383 fit the 16-bit extensions length.
void BM_GrowthTlsExtensions(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<tt::Extension> exts;
  for (int64_t i = 0; i < n; ++i) exts.push_back({static_cast<uint16_t>(0x1000 + i), {}});
  RunClientHello(state, {0x1301}, exts, n);
}
BENCHMARK(BM_GrowthTlsExtensions)->Arg(1000)->Arg(10000)->Arg(16383)->Unit(benchmark::kMicrosecond);

// N supported_groups extensions of one group each (8 bytes a piece): the
// values of repeated extensions are appended to one list. At most 8191.
void BM_GrowthTlsRepeatedGroups(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<tt::Extension> exts;
  for (int64_t i = 0; i < n; ++i) exts.push_back(tt::GroupsExt({static_cast<uint16_t>(i)}));
  RunClientHello(state, {0x1301}, exts, n);
}
BENCHMARK(BM_GrowthTlsRepeatedGroups)->Arg(1000)->Arg(8191)->Unit(benchmark::kMicrosecond);

// A Certificate message listing N one-byte certificates (4 bytes each): at
// most 65535 fit in max_handshake_message (256 KiB). max_certificates (16)
// are kept (too_many_certificates). Items: certificates.
void BM_GrowthTlsCertificateChain(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<tt::Bytes> certs(static_cast<size_t>(n), tt::Bytes{0x30});
  const tt::Bytes wire = tt::Records(22, tt::Handshake(11, tt::CertificateBody(certs)), 16384);
  size_t kept = 0;
  for (auto _ : state) {
    TlsParser p;
    FeedTls(p, app::tls::Direction::kToClient, wire, kTlsSegment);
    kept = p.session().certificates.size();
  }
  ReportPerItem(state, n);
  state.counters["kept"] = static_cast<double>(kept);
}
BENCHMARK(BM_GrowthTlsCertificateChain)->Arg(1000)->Arg(10000)->Arg(65535)->Unit(benchmark::kMicrosecond);

}  // namespace
