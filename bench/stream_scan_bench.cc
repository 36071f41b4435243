// Stream prefilter: Hyperscan STREAMING mode against the chunked BLOCK scans
// detection does today (lookback + new bytes per chunk).
//
// Setup runs the bench captures (../shared/bench/pcaps, or $KAGAMI_BENCH_PCAPS)
// once per lookback through a Scanner with no rules and records, through its
// stream observer, every chunk detection would see (its bytes,
// new_from, gap flag and flow direction) plus each direction's end. The fast
// patterns are the engine's own (CompileRule on et-common.rules, TCP class,
// or $KAGAMI_ET_RULES), compiled as one literal database per mode.
//
//   BM_ChunkedBlockScan/lookback/singlematch: hs_scan over every chunk as
//     delivered. singlematch:1 is the engine's database (one report per id
//     per scan); singlematch:0 reports every match, which is what a stream
//     database must do (SINGLEMATCH there means once per stream lifetime).
//   BM_TailBlockScan/recall: block mode again, but each chunk scanned from
//     (longest pattern - 1) bytes before its new bytes (recall:0 uses the
//     engine's SINGLEMATCH database, recall:1 all matches + the recall list).
//   BM_StreamingScan/pooled/recall: one hs_stream_t per flow direction, only
//     the new bytes scanned, reset at gaps, closed at the direction's end
//     (pooled:1 recycles closed streams with hs_reset_stream instead of
//     free + malloc; recall:1 also keeps each direction's recent hits and
//     offers again those still inside the chunk's window, which exact
//     semantics need: see PruneRecent).
//
// Rates are over the NEW bytes (the same for every mode). The first run of
// each lookback prints, to stderr, a per-chunk equivalence check: the
// matches ending in new bytes of the chunked scan must equal the streaming
// matches, except those of patterns longer than the lookback (which only
// streaming sees whole), and the chunked matches ending in the lookback must
// equal the streaming hits recalled for the chunk's window.

#include <benchmark/benchmark.h>
#include <hs/hs.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "capture/packet_source.h"
#include "engine/detect/compiled_rule.h"
#include "engine/detect/detect_engine.h"
#include "engine/detect/rule_compiler.h"
#include "engine/pipeline/scanner.h"
#include "rules/rule_loader.h"

namespace kagami {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}
std::string PcapDir() { return EnvOr("KAGAMI_BENCH_PCAPS", std::string(KAGAMI_SOURCE_DIR) + "/../shared/bench/pcaps"); }
std::string RulesPath() {
  return EnvOr("KAGAMI_ET_RULES", std::string(KAGAMI_SOURCE_DIR) + "/../shared/bench/rules/et-common.rules");
}

// ---------------------------------------------------------------- recording

struct Chunk {
  uint32_t dir = 0;  // dense flow-direction id
  uint32_t len = 0;
  uint32_t new_from = 0;
  bool after_gap = false;
  uint64_t at = 0;             // offset of the chunk in Recording::bytes
  uint64_t stream_offset = 0;  // stream offset of the chunk's first byte
};

// In capture order: a chunk, or the end of a direction (chunk == kClose).
struct Event {
  static constexpr uint32_t kClose = UINT32_MAX;
  uint32_t dir = 0;
  uint32_t chunk = kClose;
};

struct Recording {
  uint32_t lookback = 0;
  std::vector<uint8_t> bytes;
  std::vector<Chunk> chunks;
  std::vector<Event> events;
  uint32_t directions = 0;
  uint32_t peak_open = 0;  // most directions with data open at once
  uint64_t new_bytes = 0, scanned_bytes = 0, packets = 0;
};

// Records the chunks the real Scanner delivers (no rules, no app layer).
class Recorder final : public pipeline::Scanner::StreamObserver {
 public:
  explicit Recorder(Recording* out) : out_(out) {}

  void OnChunk(const flow::Flow& f, const stream::StreamChunk& c) override {
    auto [it, inserted] = open_.try_emplace(DirKey(f, c.to_server), out_->directions);
    if (inserted) {
      ++out_->directions;
      out_->peak_open = std::max(out_->peak_open, static_cast<uint32_t>(open_.size()));
    }
    Chunk ch;
    ch.dir = it->second;
    ch.len = c.len;
    ch.new_from = c.new_from;
    ch.after_gap = c.after_gap;
    ch.at = out_->bytes.size();
    ch.stream_offset = c.stream_offset;
    out_->bytes.insert(out_->bytes.end(), c.data, c.data + c.len);
    out_->events.push_back(Event{ch.dir, static_cast<uint32_t>(out_->chunks.size())});
    out_->chunks.push_back(ch);
    out_->new_bytes += c.len - c.new_from;
    out_->scanned_bytes += c.len;
  }

  void OnFlowEnd(const flow::Flow& f) override {
    for (bool to_server : {true, false}) {
      auto it = open_.find(DirKey(f, to_server));
      if (it == open_.end()) continue;
      out_->events.push_back(Event{it->second, Event::kClose});
      open_.erase(it);
    }
  }

 private:
  static uint64_t DirKey(const flow::Flow& f, bool to_server) { return f.id * 2 + (to_server ? 0 : 1); }

  Recording* out_;
  absl::flat_hash_map<uint64_t, uint32_t> open_;  // live flow direction -> dense id
};

std::unique_ptr<Recording> Record(uint32_t lookback) {
  auto rec = std::make_unique<Recording>();
  rec->lookback = lookback;
  auto files = capture::ExpandInputs({PcapDir()});
  auto engine = detect::DetectEngine::Compile(rules::RuleSet{}, {}, nullptr);
  if (!files.ok() || !engine.ok()) return nullptr;
  // bench/throughput's setup: checksums ignored; detection and the app
  // layer have nothing to do here.
  pipeline::ScannerOptions options;
  options.checksums = pipeline::ChecksumMode::kIgnore;
  options.stream.lookback = lookback;
  options.app.enabled = false;
  pipeline::Scanner scanner(*engine, options, nullptr, nullptr);
  Recorder recorder(rec.get());
  scanner.set_stream_observer(&recorder);
  capture::PacketView view;
  for (const std::string& path : *files) {
    auto source = capture::OpenCaptureFile(path);
    if (!source.ok()) continue;
    for (;;) {
      absl::StatusOr<bool> more = (*source)->Next(view);
      if (!more.ok() || !*more) break;
      ++rec->packets;
      scanner.ProcessPacket(view, path);
    }
  }
  scanner.Finish();
  rec->bytes.shrink_to_fit();
  return rec;
}

// One recording at a time: each lookback's benchmarks run together.
const Recording* RecordingFor(uint32_t lookback) {
  static std::unique_ptr<Recording> cached;
  if (!cached || cached->lookback != lookback) {
    cached.reset();
    cached = Record(lookback);
  }
  return cached.get();
}

// ---------------------------------------------------------------- patterns

struct HsDbDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
using HsDb = std::unique_ptr<hs_database_t, HsDbDeleter>;

struct Patterns {
  std::vector<std::string> bytes;
  std::vector<bool> nocase;
  std::vector<uint32_t> lens;  // by pattern index
  std::vector<uint32_t> kept;  // indices Hyperscan accepted (same in every mode)
  size_t rules = 0;
  HsDb block_single, block_all, stream_all;
  hs_scratch_t* scratch = nullptr;
  size_t stream_size = 0;
  uint32_t max_len = 0;  // longest compiled pattern
  bool ok = false;
};

// Literal database of `kept` (ids = pattern indices). With `drop`, patterns
// Hyperscan refuses are removed from `kept`, as PrefilterDatabase::Build does.
HsDb CompileLiterals(const Patterns& p, std::vector<uint32_t>* kept, unsigned mode, bool singlematch, bool drop) {
  for (int attempt = 0; attempt < 64 && !kept->empty(); ++attempt) {
    std::vector<const char*> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> flags, ids;
    for (uint32_t i : *kept) {
      exprs.push_back(p.bytes[i].data());
      lens.push_back(p.bytes[i].size());
      flags.push_back((singlematch ? HS_FLAG_SINGLEMATCH : 0u) | (p.nocase[i] ? HS_FLAG_CASELESS : 0u));
      ids.push_back(i);
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(kept->size()),
                             mode, nullptr, &db, &err) == HS_SUCCESS) {
      return HsDb(db);
    }
    const int bad = err ? err->expression : -1;
    std::fprintf(stderr, "stream_scan_bench: Hyperscan refused pattern %d: %s\n", bad,
                 err && err->message ? err->message : "?");
    hs_free_compile_error(err);
    if (!drop || bad < 0 || static_cast<size_t>(bad) >= kept->size()) return nullptr;
    kept->erase(kept->begin() + bad);
  }
  return nullptr;
}

const Patterns& GetPatterns() {
  static Patterns* p = [] {
    auto* out = new Patterns;
    if (!std::filesystem::exists(RulesPath())) return out;
    const rules::RuleSet set = rules::LoadRules({RulesPath()}, rules::LoadOptions{});
    std::vector<detect::PcreCodePtr> pcre_codes;
    detect::FlowVarNames names;
    absl::flat_hash_map<std::string, uint32_t> by_key;
    for (const rules::Rule& rule : set.rules) {
      auto r = detect::CompileRule(rule, &pcre_codes, &names);
      // The packet classes' databases, which the stream chunks are scanned
      // with, hold the fast patterns of packet rules (tx rules have their
      // own databases per app buffer).
      if (!r.ok() || r->rule.never_matches || r->rule.tx_rule || !r->fast_pattern) continue;
      if (!(r->rule.classes & (1u << detect::kClassTcp))) continue;
      ++out->rules;
      const detect::FastPattern& fp = *r->fast_pattern;
      std::string key = fp.nocase ? absl::AsciiStrToLower(fp.bytes) : fp.bytes;
      key.insert(key.begin(), fp.nocase ? 'i' : 's');
      if (by_key.try_emplace(key, static_cast<uint32_t>(out->bytes.size())).second) {
        out->bytes.push_back(key.substr(1));
        out->nocase.push_back(fp.nocase);
      }
    }
    for (uint32_t i = 0; i < out->bytes.size(); ++i) {
      out->kept.push_back(i);
      out->lens.push_back(static_cast<uint32_t>(out->bytes[i].size()));
    }
    out->block_single = CompileLiterals(*out, &out->kept, HS_MODE_BLOCK, true, true);
    out->block_all = CompileLiterals(*out, &out->kept, HS_MODE_BLOCK, false, false);
    out->stream_all = CompileLiterals(*out, &out->kept, HS_MODE_STREAM, false, false);
    if (!out->block_single || !out->block_all || !out->stream_all) return out;
    for (hs_database_t* db : {out->block_single.get(), out->block_all.get(), out->stream_all.get()}) {
      if (hs_alloc_scratch(db, &out->scratch) != HS_SUCCESS) return out;
    }
    hs_stream_size(out->stream_all.get(), &out->stream_size);
    size_t over[3] = {0, 0, 0}, longest = 0, short_ones = 0;
    for (uint32_t i : out->kept) {
      const size_t n = out->bytes[i].size();
      over[0] += n > 256;
      over[1] += n > 512;
      over[2] += n > 1024;
      longest = std::max(longest, n);
      out->max_len = std::max(out->max_len, static_cast<uint32_t>(n));
      short_ones += n <= 2;
    }
    std::fprintf(stderr,
                 "stream_scan_bench: %zu TCP prefilter rules, %zu patterns (%zu compiled), longest %zu, <= 2 bytes: "
                 "%zu, longer than 256/512/1024: %zu/%zu/%zu; hs_stream_size %zu bytes\n",
                 out->rules, out->bytes.size(), out->kept.size(), longest, short_ones, over[0], over[1], over[2],
                 out->stream_size);
    out->ok = true;
    return out;
  }();
  return *p;
}

// ---------------------------------------------------------------- scanning

int CountMatch(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<uint64_t*>(ctx);
  return 0;
}

struct Hit {
  uint32_t id = 0;
  uint64_t end = 0;  // stream coordinates, exclusive
  bool operator<(const Hit& o) const { return end != o.end ? end < o.end : id < o.id; }
  bool operator==(const Hit& o) const { return end == o.end && id == o.id; }
};

struct Collect {
  std::vector<Hit>* hits = nullptr;
  uint64_t base = 0;                  // stream coordinate of the scan's offset 0
  uint64_t min_to = 0;                // matches ending at or before this scan offset go to `old`
  std::vector<Hit>* old = nullptr;
};

int CollectMatch(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto* c = static_cast<Collect*>(ctx);
  (to <= c->min_to ? c->old : c->hits)->push_back(Hit{id, c->base + to});
  return 0;
}

// Detection scans the whole chunk because a rule's fast pattern may lie in
// the lookback while the rest of its match arrives now. A streaming
// prefilter reports each hit once, when its bytes are new, so it must keep
// the hits whose pattern still lies wholly inside the window (the bytes the
// chunk would hold) and offer them again: `recent` per direction. Removes
// hits that left the window, then returns how many remain.
size_t PruneRecent(std::vector<Hit>& recent, const std::vector<uint32_t>& lens, uint64_t window_start) {
  std::erase_if(recent, [&](const Hit& h) { return h.end - lens[h.id] < window_start; });
  return recent.size();
}

struct Equivalence {
  uint64_t chunked_new = 0;        // chunked matches ending in new bytes
  uint64_t chunked_lookback = 0;   // chunked matches ending in the lookback (re-reported candidates)
  uint64_t streaming = 0;
  uint64_t common = 0;
  uint64_t stream_only_long = 0;   // pattern longer than the lookback: expected
  uint64_t stream_only_short = 0;  // must be 0
  uint64_t chunk_only = 0;         // must be 0
  uint64_t discontinuities = 0;    // new bytes not following the previous ones without a gap flag
  uint64_t recalled = 0;           // streaming hits kept for the window and offered again
  uint64_t recall_mismatch = 0;    // recalled hits != chunked matches ending in the lookback: must be 0
  uint64_t tail_mismatch = 0;      // tail scan (see TailStart) != chunked, new bytes: must be 0
};

// The prefilter needs only the last (longest pattern - 1) bytes of the
// lookback to see every pattern that reaches into the new bytes; the rest
// of the lookback serves verification and the recalled hits.
uint32_t TailStart(const Chunk& ch, uint32_t max_len) {
  const uint32_t tail = max_len > 0 ? max_len - 1 : 0;
  return ch.new_from - std::min(ch.new_from, tail);
}

// Sorts both and counts the elements not in both.
uint64_t SymmetricDifference(std::vector<Hit>& a, std::vector<Hit>& b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::vector<Hit> d;
  std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(d));
  return d.size();
}

// Per chunk: block-scan the chunk (all matches), stream-scan its new bytes,
// compare the matches ending in the new bytes.
Equivalence CheckEquivalence(const Recording& rec, const Patterns& p) {
  Equivalence eq;
  std::vector<hs_stream_t*> streams(rec.directions, nullptr);
  std::vector<uint64_t> next(rec.directions, 0);  // stream coordinate of the next new byte
  std::vector<uint64_t> base(rec.directions, 0);  // stream coordinate of the stream's offset 0
  std::vector<std::vector<Hit>> recent(rec.directions);
  std::vector<Hit> chunked, streamed, chunked_old, recalled;
  Collect sc{&streamed};
  for (const Event& e : rec.events) {
    if (e.chunk == Event::kClose) {
      if (streams[e.dir]) {
        streamed.clear();
        sc.base = 0;
        hs_close_stream(streams[e.dir], p.scratch, CollectMatch, &sc);
        eq.stream_only_short += streamed.size();  // literals have no end-of-data matches
        streams[e.dir] = nullptr;
      }
      continue;
    }
    const Chunk& ch = rec.chunks[e.chunk];
    const uint8_t* data = rec.bytes.data() + ch.at;
    const uint64_t new_start = ch.stream_offset + ch.new_from;
    hs_stream_t*& s = streams[ch.dir];
    streamed.clear();
    chunked.clear();
    chunked_old.clear();
    sc.base = base[ch.dir];
    if (!s) {
      hs_open_stream(p.stream_all.get(), 0, &s);
      sc.base = base[ch.dir] = new_start;
    } else if (ch.after_gap) {
      // Hyperscan's offsets restart at 0 after a reset.
      hs_reset_stream(s, 0, p.scratch, CollectMatch, &sc);
      sc.base = base[ch.dir] = new_start;
      recent[ch.dir].clear();
    } else if (new_start != next[ch.dir]) {
      ++eq.discontinuities;
    }
    eq.recalled += PruneRecent(recent[ch.dir], p.lens, ch.stream_offset);
    recalled = recent[ch.dir];
    next[ch.dir] = new_start + (ch.len - ch.new_from);
    hs_scan_stream(s, reinterpret_cast<const char*>(data + ch.new_from), ch.len - ch.new_from, 0, p.scratch,
                   CollectMatch, &sc);
    recent[ch.dir].insert(recent[ch.dir].end(), streamed.begin(), streamed.end());
    Collect cc{&chunked, ch.stream_offset, ch.new_from, &chunked_old};
    hs_scan(p.block_all.get(), reinterpret_cast<const char*>(data), ch.len, 0, p.scratch, CollectMatch, &cc);
    eq.chunked_lookback += chunked_old.size();
    eq.recall_mismatch += SymmetricDifference(chunked_old, recalled);
    std::vector<Hit> tail_hits, tail_old;
    const uint32_t from = TailStart(ch, p.max_len);
    Collect tc{&tail_hits, ch.stream_offset + from, ch.new_from - from, &tail_old};
    hs_scan(p.block_all.get(), reinterpret_cast<const char*>(data + from), ch.len - from, 0, p.scratch, CollectMatch,
            &tc);
    std::vector<Hit> chunked_copy = chunked;
    eq.tail_mismatch += SymmetricDifference(tail_hits, chunked_copy);
    std::sort(chunked.begin(), chunked.end());
    std::sort(streamed.begin(), streamed.end());
    eq.chunked_new += chunked.size();
    eq.streaming += streamed.size();
    size_t i = 0, j = 0;
    while (i < chunked.size() || j < streamed.size()) {
      if (j == streamed.size() || (i < chunked.size() && chunked[i] < streamed[j])) {
        ++eq.chunk_only;
        ++i;
      } else if (i == chunked.size() || streamed[j] < chunked[i]) {
        if (p.bytes[streamed[j].id].size() > rec.lookback) {
          ++eq.stream_only_long;
        } else {
          ++eq.stream_only_short;
        }
        ++j;
      } else {
        ++eq.common;
        ++i;
        ++j;
      }
    }
  }
  for (hs_stream_t* s : streams) {
    if (s) hs_close_stream(s, p.scratch, nullptr, nullptr);
  }
  return eq;
}

bool Ready(benchmark::State& state, const Patterns& p, const Recording* rec) {
  if (!p.ok) {
    state.SkipWithError("no patterns (et-common.rules missing? set KAGAMI_ET_RULES)");
    return false;
  }
  if (!rec || rec->chunks.empty()) {
    state.SkipWithError("no stream data (pcaps missing? set KAGAMI_BENCH_PCAPS)");
    return false;
  }
  return true;
}

void ReportEquivalence(const Recording& rec, const Patterns& p) {
  static uint32_t done_for = UINT32_MAX;
  if (done_for == rec.lookback) return;
  done_for = rec.lookback;
  const Equivalence eq = CheckEquivalence(rec, p);
  std::fprintf(stderr,
               "stream_scan_bench: lookback %u: chunked(new) %llu, streaming %llu, common %llu, streaming-only "
               "(pattern > lookback) %llu, streaming-only (pattern <= lookback) %llu, chunked-only %llu, "
               "chunked matches ending in lookback %llu, streaming hits recalled %llu (differing %llu), "
               "tail-scan differing %llu, discontinuities %llu -> %s\n",
               rec.lookback, static_cast<unsigned long long>(eq.chunked_new),
               static_cast<unsigned long long>(eq.streaming), static_cast<unsigned long long>(eq.common),
               static_cast<unsigned long long>(eq.stream_only_long),
               static_cast<unsigned long long>(eq.stream_only_short),
               static_cast<unsigned long long>(eq.chunk_only), static_cast<unsigned long long>(eq.chunked_lookback),
               static_cast<unsigned long long>(eq.recalled), static_cast<unsigned long long>(eq.recall_mismatch),
               static_cast<unsigned long long>(eq.tail_mismatch), static_cast<unsigned long long>(eq.discontinuities),
               eq.stream_only_short == 0 && eq.chunk_only == 0 && eq.recall_mismatch == 0 && eq.tail_mismatch == 0
                   ? "EQUIVALENT"
                   : "MISMATCH");
}

void SetCommonCounters(benchmark::State& state, const Recording& rec, uint64_t matches) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * rec.new_bytes));
  state.counters["matches"] = static_cast<double>(matches);
  state.counters["chunks"] = static_cast<double>(rec.chunks.size());
  state.counters["new_MB"] = static_cast<double>(rec.new_bytes) / 1e6;
  state.counters["scanned_MB"] = static_cast<double>(rec.scanned_bytes) / 1e6;
}

// Args: lookback, singlematch.
void BM_ChunkedBlockScan(benchmark::State& state) {
  const Patterns& p = GetPatterns();
  const Recording* rec = p.ok ? RecordingFor(static_cast<uint32_t>(state.range(0))) : nullptr;
  if (!Ready(state, p, rec)) return;
  ReportEquivalence(*rec, p);
  const hs_database_t* db = state.range(1) ? p.block_single.get() : p.block_all.get();
  uint64_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    for (const Chunk& ch : rec->chunks) {
      hs_scan(db, reinterpret_cast<const char*>(rec->bytes.data() + ch.at), ch.len, 0, p.scratch, CountMatch,
              &matches);
    }
    benchmark::DoNotOptimize(matches);
  }
  SetCommonCounters(state, *rec, matches);
}
BENCHMARK(BM_ChunkedBlockScan)
    ->ArgNames({"lookback", "singlematch"})
    ->Args({0, 1})
    ->Args({0, 0})
    ->Args({256, 1})
    ->Args({256, 0})
    ->Args({512, 1})
    ->Args({512, 0})
    ->Args({1024, 1})
    ->Args({1024, 0})
    ->Unit(benchmark::kMillisecond);

struct RecallCtx {
  uint64_t matches = 0;
  uint64_t base = 0;
  std::vector<Hit>* recent = nullptr;
};

int RecallMatch(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto* c = static_cast<RecallCtx*>(ctx);
  ++c->matches;
  c->recent->push_back(Hit{id, c->base + to});
  return 0;
}

// Args: pooled (recycle closed streams with hs_reset_stream instead of
// free + malloc), recall (also keep each direction's hits inside the chunk's
// window and count them as offered again: what exact semantics need).
void BM_StreamingScan(benchmark::State& state) {
  const Patterns& p = GetPatterns();
  const Recording* rec = p.ok ? RecordingFor(512) : nullptr;  // new bytes do not depend on the lookback
  if (!Ready(state, p, rec)) return;
  const bool pooled = state.range(0) != 0;
  const bool recall = state.range(1) != 0;
  const hs_database_t* db = p.stream_all.get();
  std::vector<hs_stream_t*> streams(rec->directions, nullptr);
  std::vector<uint64_t> base(rec->directions, 0);
  std::vector<std::vector<Hit>> recent(recall ? rec->directions : 0);
  std::vector<hs_stream_t*> pool;
  RecallCtx rc;
  uint64_t matches = 0, recalled = 0;
  size_t peak_recent = 0;
  for (auto _ : state) {
    matches = recalled = 0;
    rc.matches = 0;
    for (const Event& e : rec->events) {
      hs_stream_t*& s = streams[e.dir];
      if (e.chunk == Event::kClose) {
        if (!s) continue;
        if (pooled) {
          hs_reset_stream(s, 0, p.scratch, CountMatch, &matches);
          pool.push_back(s);
        } else {
          hs_close_stream(s, p.scratch, CountMatch, &matches);
        }
        s = nullptr;
        if (recall) recent[e.dir] = std::vector<Hit>();
        continue;
      }
      const Chunk& ch = rec->chunks[e.chunk];
      const uint64_t new_start = ch.stream_offset + ch.new_from;
      if (!s) {
        if (pooled && !pool.empty()) {
          s = pool.back();
          pool.pop_back();
        } else {
          hs_open_stream(db, 0, &s);
        }
        base[e.dir] = new_start;
      } else if (ch.after_gap) {
        hs_reset_stream(s, 0, p.scratch, CountMatch, &matches);
        base[e.dir] = new_start;
        if (recall) recent[e.dir].clear();
      }
      const char* data = reinterpret_cast<const char*>(rec->bytes.data() + ch.at + ch.new_from);
      if (recall) {
        recalled += PruneRecent(recent[e.dir], p.lens, ch.stream_offset);
        rc.base = base[e.dir];
        rc.recent = &recent[e.dir];
        hs_scan_stream(s, data, ch.len - ch.new_from, 0, p.scratch, RecallMatch, &rc);
        peak_recent = std::max(peak_recent, recent[e.dir].size());
      } else {
        hs_scan_stream(s, data, ch.len - ch.new_from, 0, p.scratch, CountMatch, &matches);
      }
    }
    matches += rc.matches;
    benchmark::DoNotOptimize(matches);
  }
  for (hs_stream_t*& s : streams) {
    if (s) hs_close_stream(s, p.scratch, nullptr, nullptr);
    s = nullptr;
  }
  for (hs_stream_t* s : pool) hs_close_stream(s, p.scratch, nullptr, nullptr);
  SetCommonCounters(state, *rec, matches);
  state.counters["directions"] = static_cast<double>(rec->directions);
  state.counters["peak_open"] = static_cast<double>(rec->peak_open);
  state.counters["stream_B"] = static_cast<double>(p.stream_size);
  state.counters["state_KB"] = static_cast<double>(p.stream_size * rec->peak_open) / 1e3;
  if (recall) {
    state.counters["recalled"] = static_cast<double>(recalled);
    state.counters["peak_recent"] = static_cast<double>(peak_recent);
  }
}
BENCHMARK(BM_StreamingScan)
    ->ArgNames({"pooled", "recall"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond);

struct TailCtx {
  uint64_t matches = 0;
  uint64_t base = 0;
  uint64_t min_to = 0;
  std::vector<Hit>* recent = nullptr;
};

int TailMatch(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto* c = static_cast<TailCtx*>(ctx);
  ++c->matches;
  if (to > c->min_to) c->recent->push_back(Hit{id, c->base + to});
  return 0;
}

// The block-mode alternative to streaming: per chunk, scan only the last
// (longest pattern - 1) lookback bytes + the new bytes (recording of lookback
// 512), and with recall:1 keep the hits ending in new bytes per direction to
// offer again while inside the window, as BM_StreamingScan/recall:1 does.
// Arg: recall.
void BM_TailBlockScan(benchmark::State& state) {
  const Patterns& p = GetPatterns();
  const Recording* rec = p.ok ? RecordingFor(512) : nullptr;
  if (!Ready(state, p, rec)) return;
  const bool recall = state.range(0) != 0;
  std::vector<std::vector<Hit>> recent(rec->directions);
  TailCtx tc;
  uint64_t matches = 0, recalled = 0, scanned = 0;
  for (auto _ : state) {
    tc.matches = 0;
    matches = recalled = scanned = 0;
    for (const Event& e : rec->events) {
      if (e.chunk == Event::kClose) {
        if (recall) recent[e.dir] = std::vector<Hit>();
        continue;
      }
      const Chunk& ch = rec->chunks[e.chunk];
      const uint32_t from = TailStart(ch, p.max_len);
      const char* data = reinterpret_cast<const char*>(rec->bytes.data() + ch.at + from);
      scanned += ch.len - from;
      if (recall) {
        if (ch.after_gap) recent[e.dir].clear();
        recalled += PruneRecent(recent[e.dir], p.lens, ch.stream_offset);
        tc.base = ch.stream_offset + from;
        tc.min_to = ch.new_from - from;
        tc.recent = &recent[e.dir];
        hs_scan(p.block_all.get(), data, ch.len - from, 0, p.scratch, TailMatch, &tc);
      } else {
        hs_scan(p.block_single.get(), data, ch.len - from, 0, p.scratch, CountMatch, &matches);
      }
    }
    matches += tc.matches;
    benchmark::DoNotOptimize(matches);
  }
  SetCommonCounters(state, *rec, matches);
  state.counters["scanned_MB"] = static_cast<double>(scanned) / 1e6;
  if (recall) state.counters["recalled"] = static_cast<double>(recalled);
}
BENCHMARK(BM_TailBlockScan)->ArgName("recall")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kagami
