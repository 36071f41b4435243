#include "engine/detect/prefilter.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"

namespace kagami::detect {

void PrefilterBuilder::Add(const std::string& bytes, bool nocase, uint32_t rule) {
  std::string key = nocase ? absl::AsciiStrToLower(bytes) : bytes;
  key.insert(key.begin(), nocase ? 'i' : 's');
  auto [it, inserted] = by_key_.try_emplace(key, static_cast<uint32_t>(patterns_.size()));
  if (inserted) patterns_.push_back({key.substr(1), nocase, {}});
  patterns_[it->second].rules.push_back(rule);
}

namespace {

template <typename T>
void Put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
bool Get(std::string_view& in, T* v) {
  if (in.size() < sizeof *v) return false;
  std::memcpy(v, in.data(), sizeof *v);
  in.remove_prefix(sizeof *v);
  return true;
}

// What decides the compiled databases: the patterns in order, their case
// modes, and whether a streaming twin is built. Rule ids are not part of it:
// they are re-attached from the builder.
std::string Describe(const std::vector<PrefilterBuilder::Pattern>& patterns, bool with_stream) {
  std::string out = "prefilter literal v1\n";
  Put(out, static_cast<uint8_t>(with_stream));
  Put(out, static_cast<uint64_t>(patterns.size()));
  for (const auto& p : patterns) {
    Put(out, static_cast<uint8_t>(p.nocase));
    Put(out, static_cast<uint64_t>(p.bytes.size()));
    out.append(p.bytes);
  }
  return out;
}

bool AppendSerialized(const hs_database_t* db, std::string& out) {
  if (db == nullptr) {
    Put(out, uint64_t{0});
    return true;
  }
  char* bytes = nullptr;
  size_t len = 0;
  if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) return false;
  Put(out, static_cast<uint64_t>(len));
  out.append(bytes, len);
  std::free(bytes);
  return true;
}

// Reads one serialized database; `stream` says which mode it must be in.
// Hyperscan checks the bytes' version and platform itself.
bool ReadSerialized(std::string_view& in, bool stream, HsDatabasePtr* out, std::string* why) {
  uint64_t len = 0;
  if (!Get(in, &len) || len > in.size()) {
    *why = "truncated database";
    return false;
  }
  if (len == 0) {
    out->reset();
    return true;
  }
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(in.data(), len, &db) != HS_SUCCESS) {
    *why = "Hyperscan refused the database";
    return false;
  }
  out->reset(db);
  in.remove_prefix(len);
  size_t state = 0;
  const bool is_stream = hs_stream_size(db, &state) == HS_SUCCESS;
  if (is_stream != stream) {
    *why = "a database in the wrong mode";
    return false;
  }
  return true;
}

}  // namespace

void PrefilterDatabase::Assemble(const PrefilterBuilder& builder, const std::vector<uint32_t>& kept) {
  offsets_.assign(1, 0);
  rule_ids_.clear();
  lens_.clear();
  for (uint32_t k : kept) {
    const PrefilterBuilder::Pattern& p = builder.patterns_[k];
    rule_ids_.insert(rule_ids_.end(), p.rules.begin(), p.rules.end());
    offsets_.push_back(static_cast<uint32_t>(rule_ids_.size()));
    lens_.push_back(static_cast<uint32_t>(p.bytes.size()));
  }
  stream_state_size_ = 0;
  if (stream_db_ && hs_stream_size(stream_db_.get(), &stream_state_size_) != HS_SUCCESS) stream_db_.reset();
}

bool PrefilterDatabase::LoadCached(const PrefilterBuilder& builder, bool with_stream, std::string_view payload,
                                   std::vector<uint32_t>* kept, std::string* why) {
  uint32_t count = 0;
  if (!Get(payload, &count) || count > builder.patterns_.size()) {
    *why = "a bad pattern count";
    return false;
  }
  kept->clear();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t k = 0;
    // Kept indices are strictly increasing positions in the builder.
    if (!Get(payload, &k) || k >= builder.patterns_.size() || (!kept->empty() && k <= kept->back())) {
      *why = "a bad pattern index";
      return false;
    }
    kept->push_back(k);
  }
  if (!ReadSerialized(payload, false, &db_, why) || !ReadSerialized(payload, true, &stream_db_, why)) return false;
  if (!payload.empty() || (count > 0 && !db_) || (count == 0 && db_) || (!with_stream && stream_db_)) {
    *why = "contents that do not fit its patterns";
    return false;
  }
  return true;
}

absl::Status PrefilterDatabase::Build(const PrefilterBuilder& builder, PrefilterDatabase* out,
                                      std::vector<uint32_t>* demoted, bool with_stream, HsCache* cache) {
  HsCache::Key key{};
  if (cache != nullptr && cache->enabled()) {
    key = HsCache::KeyOf(Describe(builder.patterns_, with_stream));
    if (std::optional<std::string> payload = cache->Load(key)) {
      std::vector<uint32_t> kept;
      std::string why;
      if (out->LoadCached(builder, with_stream, *payload, &kept, &why)) {
        // Patterns Hyperscan refused when the entry was made are refused now.
        size_t next = 0;
        for (uint32_t i = 0; i < builder.patterns_.size(); ++i) {
          if (next < kept.size() && kept[next] == i) {
            ++next;
            continue;
          }
          const auto& rules = builder.patterns_[i].rules;
          demoted->insert(demoted->end(), rules.begin(), rules.end());
        }
        out->Assemble(builder, kept);
        return absl::OkStatus();
      }
      cache->Unusable(key, "holds " + why);
      *out = PrefilterDatabase();
    }
  }

  std::vector<uint32_t> live(builder.patterns_.size());
  for (uint32_t i = 0; i < live.size(); ++i) live[i] = i;

  // A literal Hyperscan refuses is reported by index; drop it and retry.
  for (int attempt = 0; attempt < 64 && !live.empty(); ++attempt) {
    std::vector<const char*> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> flags, ids;
    for (size_t i = 0; i < live.size(); ++i) {
      const PrefilterBuilder::Pattern& p = builder.patterns_[live[i]];
      exprs.push_back(p.bytes.data());
      lens.push_back(p.bytes.size());
      flags.push_back(HS_FLAG_SINGLEMATCH | (p.nocase ? HS_FLAG_CASELESS : 0));
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    hs_error_t rc = hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                                         static_cast<unsigned>(live.size()), HS_MODE_BLOCK, nullptr,
                                         &db, &err);
    if (rc == HS_SUCCESS) {
      out->db_.reset(db);
      out->stream_db_.reset();
      if (with_stream) {
        for (unsigned& f : flags) f &= ~static_cast<unsigned>(HS_FLAG_SINGLEMATCH);
        hs_database_t* sdb = nullptr;
        hs_compile_error_t* serr = nullptr;
        if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                                 static_cast<unsigned>(live.size()), HS_MODE_STREAM, nullptr, &sdb,
                                 &serr) == HS_SUCCESS) {
          out->stream_db_.reset(sdb);
        } else {
          hs_free_compile_error(serr);
        }
      }
      out->Assemble(builder, live);
      break;
    }
    int bad = err ? err->expression : -1;
    std::string msg = err && err->message ? err->message : "unknown error";
    hs_free_compile_error(err);
    if (bad < 0 || static_cast<size_t>(bad) >= live.size()) {
      return absl::InternalError(absl::StrCat("Hyperscan compile failed: ", msg));
    }
    const auto& rules = builder.patterns_[live[bad]].rules;
    demoted->insert(demoted->end(), rules.begin(), rules.end());
    live.erase(live.begin() + bad);
  }
  if (!live.empty() && !out->db_) return absl::InternalError("Hyperscan compile failed repeatedly");
  if (live.empty()) *out = PrefilterDatabase();

  if (cache != nullptr && cache->enabled()) {
    std::string payload;
    Put(payload, static_cast<uint32_t>(live.size()));
    for (uint32_t k : live) Put(payload, k);
    if (AppendSerialized(out->db_.get(), payload) && AppendSerialized(out->stream_db_.get(), payload)) {
      cache->Store(key, payload);
    }
  }
  return absl::OkStatus();
}

}  // namespace kagami::detect
