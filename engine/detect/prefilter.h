#pragma once
// Prefilter: one Hyperscan block-mode literal database per packet class, and
// for TCP also a streaming-mode database of the same patterns with the same
// ids (reassembled stream data is scanned with it; see stream_prefilter.h).
// Patterns are deduplicated (same bytes and case mode -> one Hyperscan id) and
// each id lists the rules that chose it as fast pattern, so a shared pattern is
// reported once and fans out to all its rules. Literal compilation
// (hs_compile_lit_multi) keeps bytes exact: no regex escaping, NULs allowed.

#include <hs/hs.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "engine/detect/hs_cache.h"

namespace kagami::detect {

struct HsDatabaseDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct HsScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
using HsDatabasePtr = std::unique_ptr<hs_database_t, HsDatabaseDeleter>;
using HsScratchPtr = std::unique_ptr<hs_scratch_t, HsScratchDeleter>;

class PrefilterBuilder {
 public:
  // Registers `rule` as owning fast pattern `bytes` (lower-cased by the
  // builder when nocase).
  void Add(const std::string& bytes, bool nocase, uint32_t rule);
  size_t pattern_count() const { return patterns_.size(); }
  bool empty() const { return patterns_.empty(); }

  struct Pattern {
    std::string bytes;
    bool nocase;
    std::vector<uint32_t> rules;
  };

 private:
  friend class PrefilterDatabase;
  std::vector<Pattern> patterns_;
  absl::flat_hash_map<std::string, uint32_t> by_key_;  // nocase flag + bytes
};

class PrefilterDatabase {
 public:
  // Compiles the builder's patterns. Patterns Hyperscan refuses are dropped
  // and their rules returned in `demoted` (the caller verifies those rules
  // without a prefilter). With `with_stream`, the kept patterns are also
  // compiled in streaming mode; if that fails the database simply has no
  // stream_db() and stream data is scanned in block mode. With a `cache`,
  // the databases (and which patterns were refused) are loaded from it when
  // an entry for these patterns exists, else compiled and stored.
  static absl::Status Build(const PrefilterBuilder& builder, PrefilterDatabase* out,
                            std::vector<uint32_t>* demoted, bool with_stream = false, HsCache* cache = nullptr);
  const hs_database_t* db() const { return db_.get(); }
  // Streaming-mode twin of db(): same ids, every match reported (a
  // SINGLEMATCH stream pattern would report once per stream lifetime).
  const hs_database_t* stream_db() const { return stream_db_.get(); }
  // Bytes of one hs_stream_t of stream_db().
  size_t stream_state_size() const { return stream_state_size_; }
  uint32_t PatternLength(unsigned id) const { return lens_[id]; }
  std::span<const uint32_t> RulesFor(unsigned id) const {
    return std::span<const uint32_t>(rule_ids_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  size_t pattern_count() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }

 private:
  // Pattern tables for the builder's patterns at `kept` (the databases' ids
  // are positions in it), once db_ and stream_db_ are set.
  void Assemble(const PrefilterBuilder& builder, const std::vector<uint32_t>& kept);
  // A cache entry's payload: the kept positions, then the two serialized
  // databases; false (with `why`) when it does not fit the builder.
  bool LoadCached(const PrefilterBuilder& builder, bool with_stream, std::string_view payload,
                  std::vector<uint32_t>* kept, std::string* why);

  HsDatabasePtr db_;
  HsDatabasePtr stream_db_;
  size_t stream_state_size_ = 0;
  std::vector<uint32_t> lens_;  // pattern length by id
  std::vector<uint32_t> offsets_;
  std::vector<uint32_t> rule_ids_;
};

}  // namespace kagami::detect
