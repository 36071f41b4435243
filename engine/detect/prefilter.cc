#include "engine/detect/prefilter.h"

#include <algorithm>

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

absl::Status PrefilterDatabase::Build(const PrefilterBuilder& builder, PrefilterDatabase* out,
                                      std::vector<uint32_t>* demoted, bool with_stream) {
  std::vector<const PrefilterBuilder::Pattern*> live;
  live.reserve(builder.patterns_.size());
  for (const auto& p : builder.patterns_) live.push_back(&p);

  // A literal Hyperscan refuses is reported by index; drop it and retry.
  for (int attempt = 0; attempt < 64 && !live.empty(); ++attempt) {
    std::vector<const char*> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> flags, ids;
    for (size_t i = 0; i < live.size(); ++i) {
      exprs.push_back(live[i]->bytes.data());
      lens.push_back(live[i]->bytes.size());
      flags.push_back(HS_FLAG_SINGLEMATCH | (live[i]->nocase ? HS_FLAG_CASELESS : 0));
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    hs_error_t rc = hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                                         static_cast<unsigned>(live.size()), HS_MODE_BLOCK, nullptr,
                                         &db, &err);
    if (rc == HS_SUCCESS) {
      out->db_.reset(db);
      out->offsets_.assign(1, 0);
      out->rule_ids_.clear();
      out->lens_.clear();
      for (const auto* p : live) {
        out->rule_ids_.insert(out->rule_ids_.end(), p->rules.begin(), p->rules.end());
        out->offsets_.push_back(static_cast<uint32_t>(out->rule_ids_.size()));
        out->lens_.push_back(static_cast<uint32_t>(p->bytes.size()));
      }
      out->stream_db_.reset();
      out->stream_state_size_ = 0;
      if (with_stream) {
        for (unsigned& f : flags) f &= ~static_cast<unsigned>(HS_FLAG_SINGLEMATCH);
        hs_database_t* sdb = nullptr;
        hs_compile_error_t* serr = nullptr;
        if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                                 static_cast<unsigned>(live.size()), HS_MODE_STREAM, nullptr, &sdb,
                                 &serr) == HS_SUCCESS) {
          out->stream_db_.reset(sdb);
          if (hs_stream_size(sdb, &out->stream_state_size_) != HS_SUCCESS) out->stream_db_.reset();
        } else {
          hs_free_compile_error(serr);
        }
      }
      return absl::OkStatus();
    }
    int bad = err ? err->expression : -1;
    std::string msg = err && err->message ? err->message : "unknown error";
    hs_free_compile_error(err);
    if (bad < 0 || static_cast<size_t>(bad) >= live.size()) {
      return absl::InternalError(absl::StrCat("Hyperscan compile failed: ", msg));
    }
    demoted->insert(demoted->end(), live[bad]->rules.begin(), live[bad]->rules.end());
    live.erase(live.begin() + bad);
  }
  if (live.empty()) return absl::OkStatus();
  return absl::InternalError("Hyperscan compile failed repeatedly");
}

}  // namespace kagami::detect
