#pragma once
// One `kagami intel pull`: load the state, ask the source for what changed
// since its cursor, merge, expire, write the bundle and the state, and say
// what happened.
//
// All or nothing: the output and the state are replaced (each atomically:
// a temporary file, fsync, rename) only after every request succeeded and
// the new bundle read back cleanly; any failure leaves both as they were.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "fetch/fetcher.h"
#include "rules/feeds/pull/pull_state.h"
#include "rules/feeds/pull/pull_stats.h"

namespace kagami::feeds::pull {

enum class SourceKind { kTaxii, kMispRest, kMispFeed };

struct PullOptions {
  SourceKind kind = SourceKind::kTaxii;
  std::string url;
  std::string collection;              // TAXII
  std::string user, password, token;   // TAXII authentication
  std::string misp_key;                // MISP REST
  int limit = 1000;                    // objects / attributes per page
  std::string output;                  // the bundle
  std::string state_path;              // empty: output + ".state.json"
  int max_age_days = 0;                // 0: no age limit
  fetch::FetchOptions fetch;
  int64_t now_unix = 0;                // 0: the clock
};

struct PullResult {
  std::string source;      // "taxii URL collection ID", "misp URL", "misp-feed URL"
  std::string state_path;
  MergeCounts counts;
  PullStats stats;
  size_t objects = 0;      // live objects (STIX objects or MISP attributes) in the state
  size_t indicators = 0;   // indicators the written bundle loads as
  size_t not_loaded = 0;   // indicators in it the reader skips (unsupported patterns)
  size_t not_valid = 0;    // indicators in it the reader takes as expired or not yet valid
  std::string cursor;      // where the next pull starts
};

// The state file's default path for `output`.
std::string DefaultStatePath(const std::string& output);

absl::StatusOr<PullResult> RunPull(const PullOptions& options);

// "intel pull: ...: 3 added, 1 updated, 1 revoked, 0 expired, 7 unchanged;
// OUT: 42 indicators" and, when attributes were skipped, "; skipped: 12
// email-src (no SMTP parser), ...".
std::string PullSummary(const PullOptions& options, const PullResult& result);

}  // namespace kagami::feeds::pull
