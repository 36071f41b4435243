#pragma once
// STIX 2.1 bundle writer: turns indicators (from any feed reader) into a
// bundle that ReadStixString reads back as the same indicators, so a
// detection pack's STIX feed is generated from a reviewed source file rather
// than written by hand.
//
// The output is deterministic: the same indicators and options give the same
// bytes. Object ids are name-based UUIDs (version 5: SHA-1 of a fixed
// namespace and a name saying what the object is), objects come in a fixed
// order, and `created`/`modified`/`valid_from` are the timestamp in the
// options rather than the clock.
//
// What the bundle holds, one object per line, in this order:
//   identity   the producer (options.identity_name), then one per distinct
//              Indicator::source, in name order. An indicator's
//              created_by_ref names its source's identity (the producer's
//              when it has none), which is where the reader takes
//              Indicator::source from.
//   indicator  one per exportable indicator, in input order. The pattern has
//              one observation expression per clause (joined by OR), its terms
//              joined by AND. Indicator::id is kept when it is a STIX
//              indicator id not used before in the bundle; otherwise the id
//              is derived from the pattern. name is Indicator::name, or the
//              terms spelled out ("domain example.com") when it has none.
//              external_references: the reference as a url when it looks
//              like one, else as the source_name (the reader turns either
//              back into Indicator::reference); none when there is no
//              reference.
//   malware (is_family), intrusion-set, campaign: one per distinct name, in
//              name order.
//   relationship  indicator "indicates" each of its malware, intrusion sets
//              and campaigns; intrusion-set "uses" malware and campaign
//              "attributed-to" intrusion-set when every exported indicator
//              naming that malware (campaign) also names that intrusion set.
//              Only then: the reader attributes an indicator of a malware to
//              the intrusion sets using it, so a relationship drawn from one
//              indicator's pairing would attribute every other indicator of
//              that malware too.
//
// Not exportable, each skipped with a diagnostic at Indicator::where:
// JA3/JA3S/JA4 terms (STIX 2.1 has no object for TLS fingerprints; a note),
// and, as warnings, address ranges that are not one CIDR prefix, port terms
// with no side, indicators with no clause or an empty clause, and text that
// is not valid UTF-8 (JSON text must be).
//
// Round trip, what reads back differently: a port range with both ends
// bounded is written as (dst_port >= lo AND dst_port <= hi), which the pattern
// parser keeps as two port terms of the same meaning; an indicator without a
// name or source reads back with the derived name and the producer as source;
// labels read back with "malicious-activity" (the indicator_types) first;
// attribution reads back sorted and without repeats.

#include <cstddef>
#include <string>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/feeds/indicator.h"

namespace kagami::feeds {

struct StixWriterOptions {
  // The producer's identity: created_by_ref of every object that has no
  // source of its own.
  std::string identity_name = "Kagami";
  // created, modified and valid_from of every object: fixed, so that the
  // output does not change from one run to the next. RFC 3339, UTC ('Z').
  std::string created = "2024-01-01T00:00:00.000Z";
};

struct StixWriteReport {
  size_t written = 0;               // indicator objects in the bundle
  size_t skipped_fingerprints = 0;  // JA3/JA3S/JA4: no STIX object
  size_t skipped_other = 0;         // not expressible (see the warnings)
  std::vector<rules::Diagnostic> diagnostics;  // one per skipped indicator
};

// Writes the bundle for `indicators` into *out (replacing its contents).
// False, with the reason in *error, only when the options are unusable
// (identity_name empty or not UTF-8, created not an RFC 3339 UTC timestamp);
// skipped indicators are counted in *report, and a bundle with no indicator
// in it is still a valid bundle.
// The option checks WriteStixBundle makes, for a caller that wants to refuse
// bad options before doing any work.
bool ValidateStixWriterOptions(const StixWriterOptions& options, std::string* error);

bool WriteStixBundle(const std::vector<Indicator>& indicators, const StixWriterOptions& options,
                     std::string* out, StixWriteReport* report, std::string* error);

// The STIX pattern for one indicator's clauses, as written into the bundle;
// false with the reason in *error when it cannot be expressed (see above).
bool StixPatternFor(const std::vector<Clause>& clauses, std::string* pattern, std::string* error);

}  // namespace kagami::feeds
