#include "rules/feeds/pull/pull.h"

#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rules/feeds/pull/misp_client.h"
#include "rules/feeds/pull/pull_output.h"
#include "rules/feeds/pull/taxii_client.h"
#include "rules/update/atomic_write.h"

namespace kagami::feeds::pull {
namespace {

std::string SourceName(const PullOptions& o) {
  switch (o.kind) {
    case SourceKind::kTaxii: return absl::StrCat("taxii ", o.url, " collection ", o.collection);
    case SourceKind::kMispRest: return absl::StrCat("misp ", o.url);
    case SourceKind::kMispFeed: return absl::StrCat("misp-feed ", o.url);
  }
  return "";
}

}  // namespace

std::string DefaultStatePath(const std::string& output) { return output + ".state.json"; }

absl::StatusOr<PullResult> RunPull(const PullOptions& options) {
  if (options.output.empty() || options.output == "-") {
    return absl::InvalidArgumentError("intel pull writes a file (-o FILE): its state sits beside it");
  }
  PullResult result;
  result.source = SourceName(options);
  result.state_path = options.state_path.empty() ? DefaultStatePath(options.output) : options.state_path;
  const int64_t now = options.now_unix != 0 ? options.now_unix : static_cast<int64_t>(std::time(nullptr));

  PullState state;
  std::string error;
  if (!LoadPullState(result.state_path, &state, &error)) return absl::FailedPreconditionError(error);
  if (!state.source.empty() && state.source != result.source) {
    return absl::FailedPreconditionError(
        absl::StrCat("state file ", result.state_path, " belongs to a pull from ", state.source, ", not ",
                     result.source, ": give another --state (or -o), or remove it to start afresh"));
  }
  state.source = result.source;

  // The pull works on the state in memory; the files change only below,
  // once everything has been fetched.
  fetch::Fetcher fetcher(options.fetch);
  absl::Status pulled;
  switch (options.kind) {
    case SourceKind::kTaxii: {
      TaxiiOptions taxii;
      taxii.url = options.url;
      taxii.collection = options.collection;
      taxii.user = options.user;
      taxii.password = options.password;
      taxii.token = options.token;
      taxii.limit = options.limit;
      pulled = PullTaxii(&fetcher, taxii, &state, &result.counts, &result.stats);
      break;
    }
    case SourceKind::kMispRest:
    case SourceKind::kMispFeed: {
      MispOptions misp;
      misp.url = options.url;
      misp.key = options.misp_key;
      misp.limit = options.limit;
      pulled = options.kind == SourceKind::kMispRest
                   ? PullMispRest(&fetcher, misp, &state, &result.counts, &result.stats)
                   : PullMispFeed(&fetcher, misp, &state, &result.counts, &result.stats);
      break;
    }
  }
  if (!pulled.ok()) return pulled;
  state.Expire(now, options.max_age_days, &result.counts);

  std::string bundle;
  if (options.kind == SourceKind::kTaxii) {
    bundle = TaxiiBundle(state, result.source);
  } else if (!MispBundle(state, now, &bundle, &result.stats, &error)) {
    return absl::InternalError(error);
  }
  FeedReport report;
  if (!CheckBundle(bundle, options.output, now, &report)) {
    std::string why = report.diagnostics.empty() ? "" : report.diagnostics.back().ToString();
    return absl::InternalError(absl::StrCat("the new bundle does not read back (nothing written): ", why));
  }
  result.objects = state.objects.size();
  result.indicators = report.indicators;
  result.not_loaded = report.skipped;
  result.not_valid = report.expired;
  result.cursor = state.cursor;

  if (!rules::update::WriteFileAtomically(options.output, bundle, &error)) return absl::UnavailableError(error);
  if (!rules::update::WriteFileAtomically(result.state_path, SerializePullState(state), &error)) {
    // The bundle is new and the state old: the next pull asks for the same
    // span again and merges it into the same result.
    return absl::UnavailableError(absl::StrCat(error, " (", options.output, " was written)"));
  }
  return result;
}

std::string PullSummary(const PullOptions& options, const PullResult& r) {
  const MergeCounts& c = r.counts;
  std::string line = absl::StrCat("intel pull: ", r.source, ": ", c.added, " added, ", c.updated, " updated, ",
                                  c.removed, " revoked, ", c.expired, " expired, ", c.unchanged, " unchanged (",
                                  r.stats.requests, r.stats.requests == 1 ? " request" : " requests", "); ",
                                  options.output, ": ", r.indicators, r.indicators == 1 ? " indicator" : " indicators");
  if (r.not_loaded > 0) absl::StrAppend(&line, ", ", r.not_loaded, " not loadable (unsupported patterns)");
  if (r.not_valid > 0) absl::StrAppend(&line, ", ", r.not_valid, " not valid now");
  if (!r.stats.skipped.empty()) {
    std::vector<std::string> parts;
    for (const auto& [what, n] : r.stats.skipped) parts.push_back(absl::StrCat(n, " ", what));
    absl::StrAppend(&line, "; skipped: ", absl::StrJoin(parts, ", "));
  }
  return line;
}

}  // namespace kagami::feeds::pull
