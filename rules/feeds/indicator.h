#pragma once
// The indicator model every feed reader (STIX 2.1, Zeek Intel, CSV) produces
// and engine/intel consumes. Readers stream indicators into an IndicatorSink
// one at a time (the Indicator object is reused between calls), so a feed of a
// million entries never exists twice in memory: the sink keeps its own compact
// copy.
//
// An indicator is an OR of clauses, a clause an AND of terms; a term is one
// observable test ("destination address in 10.0.0.0/8", "domain is
// example.com", "destination port 443"). CSV and Zeek rows are one clause of
// one term; STIX patterns can be richer.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/address_set.h"
#include "rules/diagnostic.h"

namespace kagami::feeds {

enum class IndicatorType : uint8_t {
  kIp,          // address or CIDR, IPv4 or IPv6 (Term::range)
  kPort,        // only inside a clause with other terms (Term::port_lo/hi)
  kDomain,      // lower case, no trailing dot
  kUrl,         // normalised with NormalizeUrl (feeds/normalize.h)
  kUserAgent,   // exact string
  kJa3,         // lower-case hex MD5
  kJa3s,        // lower-case hex MD5
  kJa4,         // as printed, e.g. t13d1516h2_8daaf6152771_b186095e22b6
  kCertSha1,    // lower-case hex, no separators
  kCertSha256,  // lower-case hex, no separators
  kFileMd5,     // lower-case hex
  kFileSha1,
  kFileSha256,
};
inline constexpr int kIndicatorTypeCount = 13;
// Stable, user-facing names: "ip", "port", "domain", "url", "user_agent",
// "ja3", "ja3s", "ja4", "cert_sha1", "cert_sha256", "file_md5", "file_sha1",
// "file_sha256".
std::string_view IndicatorTypeName(IndicatorType t);

// Which side of a flow an address or port term names.
enum class Side : uint8_t { kEither, kSource, kDestination };

struct Term {
  IndicatorType type = IndicatorType::kIp;
  Side side = Side::kEither;  // kIp and kPort only
  rules::IpRange range;       // kIp: inclusive; a single address has lo == hi
  uint16_t port_lo = 0, port_hi = 0;  // kPort: inclusive
  std::string value;          // every other type: the normalised text
  bool operator==(const Term&) const = default;
};

struct Clause {
  std::vector<Term> terms;  // all must hold on the same flow / transaction
  bool operator==(const Clause&) const = default;
};

struct Indicator {
  std::string id;           // STIX id ("indicator--uuid"); empty for CSV/Zeek
  std::string name;         // human name; empty means "derive from the value"
  std::string description;
  std::vector<Clause> clauses;  // OR
  std::string source;       // who published it (CSV source, Zeek meta.source, STIX creator)
  std::string reference;    // URL or report citation
  int confidence = -1;      // 0..100, -1 when the feed does not say
  std::vector<std::string> labels;
  // Attribution known at read time (CSV columns, Zeek meta fields). STIX
  // attribution arrives later through IndicatorSink::Attribute.
  std::vector<std::string> campaigns;
  std::vector<std::string> intrusion_sets;
  std::vector<std::string> malware;
  rules::SourceLocation where;  // file:line (and column) it was read from

  void Clear();  // empties every field, keeping capacity
  // Member by member: the implicit move-based std::swap moves each field
  // three times.
  friend void swap(Indicator& a, Indicator& b) noexcept;
};

enum class AttributionKind : uint8_t { kCampaign, kIntrusionSet, kMalware };

// STIX attribution as a reader resolves it at the end of a bundle: the
// indicator it passed to Add as its p-th since the feed began (counted from
// 0) belongs to every name of sets[set_of[p]], or to none when set_of[p] is
// kNoSet. Bundles relate their indicators to a few names, so a few sets.
struct PlacedAttribution {
  static constexpr uint32_t kNoSet = UINT32_MAX;
  struct Name {
    AttributionKind kind;
    std::string name;
  };
  std::vector<std::vector<Name>> sets;
  std::vector<uint32_t> set_of;
};

class IndicatorSink {
 public:
  virtual ~IndicatorSink() = default;
  virtual void Add(const Indicator& indicator) = 0;
  // Add, but the sink may keep the indicator's contents and leave storage of
  // its own in their place (a swap, not a copy): afterwards *indicator holds
  // unspecified values and the caller sets every field before using it
  // again. By default the indicator is copied (Add).
  virtual void Take(Indicator* indicator) { Add(*indicator); }
  // STIX: the indicator with id `indicator_id` (already added) belongs to a
  // campaign, intrusion set or malware family called `name`.
  virtual void Attribute(std::string_view indicator_id, AttributionKind kind,
                         std::string_view name) = 0;
  // A whole feed's attribution at once, after its last Add (see
  // PlacedAttribution); id_of(p) is the id of the p-th indicator. A sink
  // that numbers what it receives finds each indicator without an id
  // search; by default each name goes to Attribute(id_of(p), ...).
  virtual void AttributePlaced(const PlacedAttribution& attribution,
                               const std::function<std::string(uint32_t)>& id_of);
};

// How a feed is read and matched.
struct FeedOptions {
  // An indicator for example.com also matches a.b.example.com.
  bool match_subdomains = true;
  // STIX valid_from / valid_until are compared with this (Unix seconds);
  // 0 means "now" at load time.
  int64_t now_unix = 0;
};

// What a reader did, for `kagami rules check --intel` and the scan summary.
struct FeedReport {
  std::string path;
  std::string format;  // "stix", "zeek", "csv"
  size_t indicators = 0;                  // handed to the sink
  size_t counts[kIndicatorTypeCount] = {};  // terms per type among them
  size_t skipped = 0;                     // unsupported or invalid, each with a diagnostic
  size_t expired = 0;                     // STIX: revoked or outside validity
  std::vector<rules::Diagnostic> diagnostics;
};

}  // namespace kagami::feeds
