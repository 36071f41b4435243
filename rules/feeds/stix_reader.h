#pragma once
// STIX 2.1 feed reader: streams the indicators of a bundle
// ({"type":"bundle","objects":[...]}, a JSON array of STIX objects, or one bare
// STIX object) into an IndicatorSink without holding the document: the JSON is
// parsed with a SAX reader, one object of "objects" is collected at a time
// (only the properties used here) and handled before the next is read.
//
// Indicators: pattern_type must be "stix" (missing counts as "stix", as in
// STIX 2.0); the pattern is parsed with ParseStixPattern (feeds/stix_pattern.h).
// Revoked indicators and those outside valid_from .. valid_until are counted
// as expired and dropped. Unsupported patterns, other pattern types and
// indicators missing id or pattern are skipped with a warning; the first
// kMaxStixWarnings warnings are kept, later ones only counted in a closing note.
//
// Indicator::source is the name of the identity in created_by_ref when that
// identity came earlier in the file, else external_references[0].source_name.
// Indicator::reference is the first external reference URL, else the first
// reference's "source_name external_id".
//
// Attribution: malware, intrusion-set and campaign names and the relationships
// between them and indicators are remembered (compactly: an indicator id in 16
// bytes) and resolved at the end of the file, in any object order. An
// indicator is attributed to what it "indicates", plus one hop: the intrusion
// set a malware or campaign is "attributed-to", and the intrusion sets and
// campaigns that "use" a malware it indicates. IndicatorSink::Attribute is
// called once per distinct (kind, name) of each delivered indicator.
//
// An input larger than 1 MiB is parsed on the calling thread and its objects
// handled on a second one, in order: the sink's Add calls come from that
// thread (never two at once), and the result is the same as inline.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rules/feeds/indicator.h"

namespace kagami::feeds {

inline constexpr size_t kMaxStixWarnings = 1000;

// Reads a STIX 2.1 bundle file; streams indicators into sink. Returns false
// only when the file cannot be opened or the JSON is malformed (then report
// has an error diagnostic with line:column; indicators read before the error
// were already delivered, and attributed from what was read).
bool ReadStixFile(const std::string& path, const FeedOptions& options, IndicatorSink* sink, FeedReport* report);
// The same for JSON text in memory; `display_name` names it in diagnostics
// and Indicator::where.
bool ReadStixString(std::string_view json, std::string_view display_name, const FeedOptions& options,
                    IndicatorSink* sink, FeedReport* report);

// RFC 3339 date-time ("2017-07-01T00:00:00Z", "2017-07-01T00:00:00.123+02:00")
// -> Unix seconds (fraction dropped); nullopt when malformed.
std::optional<int64_t> ParseRfc3339(std::string_view text);

}  // namespace kagami::feeds
