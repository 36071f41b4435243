#pragma once
// A TAXII 2.1 client for one collection: finds the API root (from a
// discovery URL's `default`, else its first API root; or the URL is an API
// root), checks the collection is listed and readable, and reads every
// object added after the state's cursor, page by page, merging each page
// into the state.
//
// Requests carry `Accept: application/taxii+json;version=2.1` and basic or
// bearer authentication. Paging: GET {root}collections/{id}/objects/
// ?added_after=T&limit=N, then the same with &next=X while the envelope says
// `more`; a server that says `more` without `next` is followed with
// added_after set to its X-TAXII-Date-Added-Last header (the spec's other
// way to page). The next cursor is the latest X-TAXII-Date-Added-Last seen;
// a server that sends none leaves the cursor where it was, so the next pull
// asks for the same span again (the merge makes that harmless).

#include <string>

#include "absl/status/status.h"
#include "fetch/fetcher.h"
#include "rules/feeds/pull/pull_state.h"
#include "rules/feeds/pull/pull_stats.h"

namespace kagami::feeds::pull {

inline constexpr char kTaxiiMediaType[] = "application/taxii+json;version=2.1";

struct TaxiiOptions {
  std::string url;         // discovery or API root URL
  std::string collection;  // collection id
  std::string user, password;  // basic authentication; empty user: none
  std::string token;           // bearer token; empty: none
  int limit = 1000;            // objects per page asked for; 0: the server's choice
};

// Merges what the collection holds after state->cursor into *state and
// advances the cursor. On error the state may hold part of the pull: the
// caller drops it. Errors name the request ("GET URL: ...").
absl::Status PullTaxii(fetch::Fetcher* fetcher, const TaxiiOptions& options, PullState* state, MergeCounts* counts,
                       PullStats* stats);

}  // namespace kagami::feeds::pull
