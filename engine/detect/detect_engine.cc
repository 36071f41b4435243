#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/detect/detect_engine_impl.h"
#include "engine/detect/rule_compiler.h"

namespace kagami::detect {
namespace {

int ActionRank(rules::Action a) {
  // Suricata's default action order: pass, drop, reject, alert.
  switch (a) {
    case rules::Action::kPass: return 0;
    case rules::Action::kDrop: return 1;
    case rules::Action::kReject: return 2;
    case rules::Action::kAlert: return 3;
  }
  return 3;
}

void AddIndexEntries(const AddressMatcher& m, uint32_t rule, std::vector<AddressIndex::Entry>* out) {
  for (const auto& r : m.intervals()) out->push_back({r.lo, r.hi, rule});
}

}  // namespace

absl::StatusOr<std::shared_ptr<const DetectEngine>> DetectEngine::Compile(
    rules::RuleSet ruleset, const DetectOptions& options,
    std::vector<rules::Diagnostic>* diagnostics) {
  const auto t0 = std::chrono::steady_clock::now();
  auto engine = std::make_shared<DetectEngineImpl>();
  engine->options_ = options;
  engine->options_.hs_cache = nullptr;  // the cache is for this call only
  CompileStats& stats = engine->stats_;

  std::vector<std::optional<FastPattern>> fast_patterns;  // packet rules' and tx rules'
  std::vector<std::optional<FastPattern>> stream_patterns;  // tx rules' packet steps
  engine->indicator_tuning_ = std::move(ruleset.indicator_tuning);
  engine->rules_.reserve(ruleset.rules.size());
  engine->compiled_.reserve(ruleset.rules.size());
  fast_patterns.reserve(ruleset.rules.size());
  stream_patterns.reserve(ruleset.rules.size());
  PcreBatch pcres(ruleset.rules, std::thread::hardware_concurrency());
  for (rules::Rule& rule : ruleset.rules) {
    auto result = CompileRule(rule, &engine->pcre_codes_, &engine->flow_var_names_, &pcres);
    if (!result.ok()) {
      ++stats.rules_rejected;
      if (diagnostics) {
        rules::Diagnostic d;
        d.severity = rules::Diagnostic::Severity::kError;
        d.location = rule.location;
        d.message = absl::StrCat("sid ", rule.sid, ": ", result.status().message());
        diagnostics->push_back(std::move(d));
      }
      continue;
    }
    result->rule.index = static_cast<uint32_t>(engine->rules_.size());
    if (result->waiting_for_app_layer) ++stats.rules_waiting_for_app_layer;
    else if (result->rule.tx_rule) ++stats.tx_rules;
    if (!result->waiting_for_app_layer) stats.app_buffers_used |= result->rule.tx_buffers;
    if (rule.steps.empty()) ++stats.header_only_rules;
    engine->rules_.push_back(std::move(rule));
    engine->max_vars_ = std::max(engine->max_vars_, result->rule.var_count);
    fast_patterns.push_back(result->rule.never_matches ? std::nullopt : std::move(result->fast_pattern));
    stream_patterns.push_back(std::move(result->stream_fast_pattern));
    engine->compiled_.push_back(std::move(result->rule));
  }
  stats.rules_loaded = engine->rules_.size();
  stats.flowbit_names = engine->flow_var_names_.bits.size();
  stats.flowint_names = engine->flow_var_names_.ints.size();
  static std::atomic<uint64_t> generations{0};
  engine->generation_ = ++generations;

  // Header pointers into the now-stable rule vector; alert order ranks.
  const size_t n = engine->compiled_.size();
  std::vector<uint32_t> by_order(n);
  std::iota(by_order.begin(), by_order.end(), 0u);
  for (size_t i = 0; i < n; ++i) {
    const rules::Rule& r = engine->rules_[i];
    engine->compiled_[i].header = r.header.empty() ? nullptr : &r.header;
  }
  std::stable_sort(by_order.begin(), by_order.end(), [&](uint32_t a, uint32_t b) {
    const rules::Rule& ra = engine->rules_[a];
    const rules::Rule& rb = engine->rules_[b];
    const int aa = ActionRank(ra.action), ab = ActionRank(rb.action);
    if (aa != ab) return aa < ab;
    const int fa = engine->compiled_[a].flowbits_rank, fb = engine->compiled_[b].flowbits_rank;
    if (fa != fb) return fa < fb;
    const int ia = engine->compiled_[a].flowint_rank, ib = engine->compiled_[b].flowint_rank;
    if (ia != ib) return ia < ib;
    if (ra.priority != rb.priority) return ra.priority < rb.priority;
    if (ra.sid != rb.sid) return ra.sid < rb.sid;
    return ra.gid < rb.gid;
  });
  for (size_t pos = 0; pos < n; ++pos) engine->compiled_[by_order[pos]].order = static_cast<uint32_t>(pos);

  // Transaction rules with packet steps: their stream part is looked for on
  // every stream chunk while a transaction is open. Its literal joins the TCP
  // database, so the packet's own scan of the chunk finds it (Inspect hands
  // such rules to RecordStreamParts); a stream part with no literal is only
  // checked on the packet that completes the buffers.
  std::vector<uint8_t> stream_part(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const CompiledRule& cr = engine->compiled_[i];
    if (!cr.tx_rule || cr.never_matches || !cr.has_packet_steps() || cr.forbid_stream) continue;
    stream_part[i] = 1;
    ++stats.tx_stream_rules;
  }

  // Every Hyperscan database is built (or loaded from the cache) here, timed.
  auto build = [&](const PrefilterBuilder& b, PrefilterDatabase* out, std::vector<uint32_t>* lost, bool stream) {
    const auto start = std::chrono::steady_clock::now();
    absl::Status st = PrefilterDatabase::Build(b, out, lost, stream, options.hs_cache);
    stats.hyperscan_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return st;
  };

  // Prefilter databases per class.
  auto add_to = [&](PrefilterBuilder& b, int c, size_t i) {
    const CompiledRule& cr = engine->compiled_[i];
    if (fast_patterns[i] && !cr.tx_rule && (cr.classes & (1u << c))) {
      b.Add(fast_patterns[i]->bytes, fast_patterns[i]->nocase, static_cast<uint32_t>(i));
    } else if (c == kClassTcp && stream_part[i] && stream_patterns[i]) {
      b.Add(stream_patterns[i]->bytes, stream_patterns[i]->nocase, static_cast<uint32_t>(i));
    }
  };
  std::array<PrefilterBuilder, kNumClasses> builders;
  for (int c = 0; c < kNumClasses; ++c) {
    for (size_t i = 0; i < n; ++i) add_to(builders[c], c, i);
  }
  std::vector<uint8_t> demoted(n, 0);
  for (int c = 0; c < kNumClasses; ++c) {
    if (builders[c].empty()) continue;
    std::vector<uint32_t> lost;
    absl::Status st = build(builders[c], &engine->prefilter_[c], &lost, c == kClassTcp);
    if (!st.ok()) return st;
    for (uint32_t r : lost) {
      if (engine->compiled_[r].tx_rule) stream_patterns[r].reset();  // its stream part: on the completing packet
      else demoted[r] = 1;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (demoted[i]) {
      fast_patterns[i].reset();
      if (diagnostics) {
        rules::Diagnostic d;
        d.severity = rules::Diagnostic::Severity::kWarning;
        d.location = engine->rules_[i].location;
        d.message = absl::StrCat("sid ", engine->rules_[i].sid,
                                 ": fast pattern rejected by Hyperscan; rule verified without prefilter");
        diagnostics->push_back(std::move(d));
      }
    }
  }
  // A rule demoted in one class must not also be reached by prefilter in
  // another class (it would be checked twice); demotion is rare enough that
  // rebuilding is simpler than surgery.
  if (std::any_of(demoted.begin(), demoted.end(), [](uint8_t d) { return d != 0; })) {
    for (int c = 0; c < kNumClasses; ++c) {
      PrefilterBuilder b;
      for (size_t i = 0; i < n; ++i) add_to(b, c, i);
      engine->prefilter_[c] = PrefilterDatabase();
      if (b.empty()) continue;
      std::vector<uint32_t> lost;
      absl::Status st = build(b, &engine->prefilter_[c], &lost, c == kClassTcp);
      if (!st.ok()) return st;
      if (!lost.empty()) return absl::InternalError("Hyperscan rejected a pattern it accepted before");
    }
  }

  // Transaction rules: one database per app buffer. A pattern Hyperscan
  // refuses leaves its rule without prefilter (checked on every transaction).
  std::array<PrefilterBuilder, app::kNumBuffers> tx_builders;
  for (size_t i = 0; i < n; ++i) {
    if (fast_patterns[i] && engine->compiled_[i].tx_rule && !engine->compiled_[i].never_matches) {
      tx_builders[fast_patterns[i]->buffer].Add(fast_patterns[i]->bytes, fast_patterns[i]->nocase,
                                                static_cast<uint32_t>(i));
    }
  }
  for (int b = 0; b < app::kNumBuffers; ++b) {
    if (tx_builders[b].empty()) continue;
    std::vector<uint32_t> lost;
    absl::Status st = build(tx_builders[b], &engine->tx_prefilter_[b], &lost, false);
    if (!st.ok()) return st;
    for (uint32_t r : lost) fast_patterns[r].reset();
  }

  // Non-prefilter rules: address index or always-check lists.
  std::vector<AddressIndex::Entry> src_entries, dst_entries;
  for (size_t i = 0; i < n; ++i) {
    CompiledRule& cr = engine->compiled_[i];
    if (cr.never_matches) continue;
    if (fast_patterns[i]) {
      cr.prefiltered = true;
      ++stats.prefilter_rules;
      continue;
    }
    if (cr.tx_rule) {
      engine->tx_always_[static_cast<int>(cr.app_proto)].push_back(static_cast<uint32_t>(i));
      ++stats.always_checked_rules;
      continue;
    }
    const double src_cov = cr.src.Coverage(), dst_cov = cr.dst.Coverage();
    const bool use_src = src_cov <= dst_cov;
    const AddressMatcher& side = use_src ? cr.src : cr.dst;
    if (std::min(src_cov, dst_cov) > DetectEngineImpl::kMaxIndexedCoverage || side.any()) {
      for (int c = 0; c < kNumClasses; ++c) {
        if (cr.classes & (1u << c)) engine->always_[c].push_back(static_cast<uint32_t>(i));
      }
      ++stats.always_checked_rules;
      continue;
    }
    ++stats.address_indexed_rules;
    if (cr.bidirectional) {
      // Either packet address may be the one in the indexed set.
      AddIndexEntries(side, static_cast<uint32_t>(i), &src_entries);
      AddIndexEntries(side, static_cast<uint32_t>(i), &dst_entries);
    } else {
      AddIndexEntries(side, static_cast<uint32_t>(i), use_src ? &src_entries : &dst_entries);
    }
  }
  engine->src_index_.Build(std::move(src_entries));
  engine->dst_index_.Build(std::move(dst_entries));

  // One scratch prototype big enough for every database.
  std::vector<const PrefilterDatabase*> databases;
  for (const PrefilterDatabase& p : engine->prefilter_) databases.push_back(&p);
  for (const PrefilterDatabase& p : engine->tx_prefilter_) databases.push_back(&p);
  for (const PrefilterDatabase* p : databases) {
    const hs_database_t* db = p->db();
    if (!db) continue;
    ++stats.hyperscan_databases;
    stats.prefilter_patterns += p->pattern_count();
    for (const hs_database_t* d : {db, p->stream_db()}) {
      if (!d) continue;
      hs_scratch_t* s = engine->scratch_prototype_.release();
      if (hs_alloc_scratch(d, &s) != HS_SUCCESS) return absl::ResourceExhaustedError("hs_alloc_scratch failed");
      engine->scratch_prototype_.reset(s);
    }
  }

  stats.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::shared_ptr<const DetectEngine>(std::move(engine));
}

}  // namespace kagami::detect
