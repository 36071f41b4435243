#pragma once
// MISP clients: the REST API's attribute search, and MISP's static feed
// format (a manifest.json of events and one <uuid>.json per event), each
// merging attributes into the pull state.
//
// REST: POST {url}/attributes/restSearch with `Authorization: KEY` and the
// body {"returnFormat":"json","to_ids":true,"includeEventTags":true,
// "deleted":[0,1],"timestamp":CURSOR,"page":P,"limit":N}, pages 1, 2, ...
// until one holds fewer than N attributes. `deleted: [0,1]` brings
// attributes deleted since the cursor, so they leave the output; an
// attribute whose to_ids was turned off no longer matches `to_ids: true`
// and stays until --max-age drops it. The cursor is the highest attribute
// timestamp seen (MISP's timestamp filter includes it, so the boundary's
// attributes come again and merge as unchanged).
//
// Static feed: GET {url}/manifest.json; events whose manifest timestamp is
// newer than when they were last read are fetched whole, and replace what
// the state held of them (attributes gone from the event file go from the
// output); events gone from the manifest take their attributes with them.
//
// Attributes deleted, not for IDS, or of a type Kagami cannot match remove
// what the state held under their uuid; the last are counted per type.

#include <string>

#include "absl/status/status.h"
#include "fetch/fetcher.h"
#include "rules/feeds/pull/misp_attribute.h"
#include "rules/feeds/pull/pull_state.h"
#include "rules/feeds/pull/pull_stats.h"

namespace kagami::feeds::pull {

struct MispOptions {
  std::string url;  // the MISP instance, or the static feed's folder (or its manifest.json)
  std::string key;  // REST API key
  int limit = 1000;  // attributes per page (REST)
};

absl::Status PullMispRest(fetch::Fetcher* fetcher, const MispOptions& options, PullState* state, MergeCounts* counts,
                          PullStats* stats);
absl::Status PullMispFeed(fetch::Fetcher* fetcher, const MispOptions& options, PullState* state, MergeCounts* counts,
                          PullStats* stats);

// One attribute merged into the state (shared by both, and by tests).
void MergeMispAttribute(const MispAttribute& attribute, PullState* state, MergeCounts* counts, PullStats* stats);

}  // namespace kagami::feeds::pull
