#pragma once
// MISP attributes as Kagami indicators: which attribute types Kagami can
// match (and how), and the attribution MISP tags carry.
//
//   ip-src / ip-dst                  address or CIDR on that side of the flow
//   ip-src|port / ip-dst|port        that address AND that port, same side
//   domain, hostname                 domain (subdomains match too)
//   domain|ip                        the domain OR the address (two clauses)
//   url                              URL; uri only when it names a host
//   user-agent                       HTTP User-Agent, exact
//   md5, sha1, sha256,
//   filename|md5|sha1|sha256         HTTP body digest (the hash part)
//   ja3-fingerprint-md5              JA3 (STIX has no pattern for it: the
//                                    bundle writer skips and counts it)
//   x509-fingerprint-sha1 / -sha256  certificate digest
// Everything else is skipped with a reason per type (email-* have no SMTP
// parser to match against; filename, mutex, regkey... are not on the wire).
//
// Attribution from tags (attribute tags and inherited event tags):
//   misp-galaxy:threat-actor="X", mitre-intrusion-set="X - G0060"  -> intrusion set X
//   misp-galaxy:malpedia / malware / mitre-malware / tool / mitre-tool /
//     ransomware / rat / botnet / backdoor / banker / stealer /
//     exploit-kit ="Y"                                               -> malware Y
//   tlp:* -> a label; threat_level_id -> "misp-threat-level:high|medium|low|undefined";
//   the creating organisation (Orgc.name) -> source; the event's info -> description.

#include <string>
#include <string_view>

#include "rules/feeds/indicator.h"
#include "rules/feeds/pull/misp_attribute.h"

namespace kagami::feeds::pull {

// The skip reason of a `uri` that is only a path: common in MISP, and a
// property of the attribute rather than a bad value, so counted as such.
inline constexpr std::string_view kUriWithoutHost = "a path without a host (Kagami's URL indicators name one)";

// Fills *out (replacing it) from `attribute`. False with *skip_reason set
// ("no SMTP parser", "invalid value: ...") when Kagami cannot match it.
bool MapMispAttribute(const MispAttribute& attribute, Indicator* out, std::string* skip_reason);

// The reason attributes of `type` are skipped whatever their value; empty
// when the type maps to an indicator.
std::string_view MispTypeSkipReason(std::string_view type);

// `misp-galaxy:threat-actor="APT 29"` -> cluster "threat-actor", value
// "APT 29". False for other tags.
bool ParseGalaxyTag(std::string_view tag, std::string* cluster, std::string* value);

}  // namespace kagami::feeds::pull
