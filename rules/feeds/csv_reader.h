#pragma once
// CSV indicator feeds (RFC 4180: quoted fields with "" escapes, embedded
// commas and newlines, CRLF or LF, an optional UTF-8 BOM). A header row names
// the columns, any case, in any order:
//
//   type, value                      required
//   campaign | campaign_or_report    -> Indicator::campaigns
//   family | malware | malware_family -> Indicator::malware (kept whole)
//   intrusion_set | actor            -> Indicator::intrusion_sets
//   source                           -> Indicator::source
//   source_url | reference | url     -> Indicator::reference
//   confidence                       0-100 or high/medium/low (85/50/15)
//   description | notes              -> Indicator::description
//   name                             -> Indicator::name
//   first_reported                   ignored; any other column gets a note
//
// Types (any case, '-' and '_' alike):
//   ip, cidr, subnet, network        address or CIDR, either side
//   ip-src / ip-dst                  address or CIDR, source / destination
//                                    side (MISP writes networks here too)
//   ipv4, ipv6, address, addr        one address (ipv4/ipv6 check the family)
//   domain, hostname, fqdn, host     NormalizeDomain
//   url, uri                         NormalizeUrl
//   user_agent, http_user_agent, ua, useragent   exact bytes
//   ja3, ja3s (MD5 hex), ja4
//   cert_sha1, x509_sha1, sslcert_sha1, tls_cert_sha1        (40 hex)
//   cert_sha256, x509_sha256, sslcert_sha256, tls_cert_sha256 (64 hex)
//   md5 | file_md5, sha1 | file_sha1, sha256 | file_sha256
// Any other type (byte patterns, e-mail addresses, mutexes...) is not a
// network indicator: a warning naming it, and the row is skipped.
//
// Blank lines, rows of empty fields and lines starting with '#' are skipped.
// A row with the wrong number of fields, an unknown type or a value that does
// not parse is a warning with its line and column, and is skipped; the rows
// around it load.

#include <string>
#include <string_view>

#include "rules/feeds/indicator.h"

namespace kagami::feeds {

// Reads the file in blocks (ReadFileInBlocks), so memory stays small for a
// feed of any size. False when the file cannot be read or has no header with
// type and value columns (an error diagnostic says which).
bool ReadCsvFile(const std::string& path, const FeedOptions& options, IndicatorSink* sink,
                 FeedReport* report);
// The same for text in memory; diagnostics name `display_name`.
bool ReadCsvString(std::string_view text, std::string_view display_name, const FeedOptions& options,
                   IndicatorSink* sink, FeedReport* report);

}  // namespace kagami::feeds
