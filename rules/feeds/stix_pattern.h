#pragma once
// STIX 2.1 patterning language (STIX 2.1 section 9), reduced to what one flow
// or transaction can be tested against: the clauses of an Indicator.
//
// Observation expressions joined by OR become separate clauses; inside one
// observation the comparison expressions are rewritten into disjunctive normal
// form (an OR of ANDs of Terms). Constructs that need state across flows or a
// test the engine cannot do (AND/FOLLOWEDBY between observations, qualifiers,
// NOT, LIKE, MATCHES, unknown object paths...) are refused with an error that
// names the construct and its offset, so a feed reader can skip the indicator
// and say why.
//
// Supported object paths and the Term each comparison makes:
//   ipv4-addr:value, ipv6-addr:value           kIp (kEither), address or CIDR
//   domain-name:value                          kDomain (NormalizeDomain)
//   url:value                                  kUrl (NormalizeUrl)
//   network-traffic:dst_ref.value / src_ref.value   kIp, kDestination / kSource
//   network-traffic:dst_port / src_port        kPort, kDestination / kSource
//   x509-certificate:hashes.'SHA-1' / 'SHA-256'    kCertSha1 / kCertSha256
//   file:hashes.MD5 / 'SHA-1' / 'SHA-256'      kFileMd5 / kFileSha1 / kFileSha256
//   network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'
//                                              kUserAgent
// Accepted and dropped, because every flow Kagami matches satisfies them or
// because the address term already implies them:
//   network-traffic:dst_ref.type / src_ref.type = 'ipv4-addr' | 'ipv6-addr'
//   network-traffic:protocols[N or *] = '<any protocol>'   (the indicator then
//   matches the address on every protocol: a deliberate widening, since feeds
//   add the transport to addresses that are malicious on any of them)
// Operators: '=' ('=='), IN (a set, expands to OR), ISSUBSET '<cidr>' on
// address paths, and < <= > >= on port paths (a port range).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rules/feeds/indicator.h"

namespace kagami::feeds {

struct PatternError {
  size_t offset = 0;  // byte offset into the pattern text
  std::string message;
  // A valid pattern Kagami cannot match (e.g. process:name, FOLLOWEDBY),
  // rather than text that is no STIX pattern at all.
  bool unsupported = false;
};

// The most clauses one pattern may expand to; a pattern whose normal form is
// larger is refused rather than loaded as a combinatorial surprise.
inline constexpr size_t kMaxPatternClauses = 64;

// Parses a STIX pattern into clauses (OR of ANDs of Terms). On success returns
// true and fills *clauses (replacing its contents). Unsupported constructs and
// syntax errors return false with *error naming the construct and its offset.
bool ParseStixPattern(std::string_view pattern, std::vector<Clause>* clauses, PatternError* error);
// The same through the general parser only. ParseStixPattern reads the usual
// single-comparison pattern ("[domain-name:value = 'x']") in one pass; tests
// check that both agree.
bool ParseStixPatternGeneral(std::string_view pattern, std::vector<Clause>* clauses, PatternError* error);

}  // namespace kagami::feeds
