#pragma once
// The "alert" object of an indicator-feed hit. The fields SIEM alert rules
// key on are Suricata's (gid, signature_id, signature, category, severity);
// what Kagami knows about the indicator goes under alert.context.intel (the
// place Suricata's schema leaves for enrichment):
//   {"indicator":"evil.example","type":"domain","seen_in":"dns.query",
//    "observed":"a.evil.example","feed":"tick.json","source":"...",
//    "confidence":85,"campaigns":[...],"intrusion_sets":[...],
//    "malware":[...],"references":[...], ...}

#include <string>
#include <string_view>

#include "engine/intel/intel_store.h"

namespace kagami::output {

// Appends {"action":...,"context":{"intel":{...}}} (the braces included).
void AppendIntelAlertObject(std::string& out, const intel::IntelStore& store, const intel::Hit& hit,
                            std::string_view observed);
// EVE alert.severity from the feed's confidence: 1 (>= 75), 2 (>= 40 or not
// given), 3 (below 40).
int IntelSeverity(int confidence);

}  // namespace kagami::output
