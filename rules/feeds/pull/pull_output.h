#pragma once
// The bundle a pull writes from its state, and the check that Kagami's own
// STIX reader loads it.
//
// TAXII: the live STIX objects as the server sent them, identities first
// (the reader takes an indicator's source from an identity it has already
// seen), then the rest by id. MISP: each attribute as a Kagami indicator
// (misp_mapping.h) written by the STIX bundle writer, which adds the
// identities, malware, intrusion sets and relationships the attribution
// needs.

#include <cstdint>
#include <string>

#include "rules/feeds/indicator.h"
#include "rules/feeds/pull/pull_state.h"
#include "rules/feeds/pull/pull_stats.h"
#include "rules/feeds/stix_writer.h"

namespace kagami::feeds::pull {

// A bundle of the state's STIX objects; `source` seeds its id.
std::string TaxiiBundle(const PullState& state, const std::string& source);

// A bundle of the state's MISP attributes. Attributes the writer cannot
// express (JA3) are counted in stats->skipped. False with why in *error
// only when the writer refuses its options.
bool MispBundle(const PullState& state, int64_t now_unix, std::string* bundle, PullStats* stats,
                std::string* error);

// Reads `bundle` back with ReadStixString as a scan would at `now_unix`:
// the report counts its indicators and what was skipped or expired. False
// when it does not read (a bug: a pull never writes such a bundle).
bool CheckBundle(const std::string& bundle, const std::string& name, int64_t now_unix, FeedReport* report);

}  // namespace kagami::feeds::pull
