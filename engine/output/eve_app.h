#pragma once
// The application-layer objects of EVE records, with Suricata's field names:
// "http" (hostname, url, http_user_agent, http_method, protocol, status,
// length, ...), "dns" (version 3: type, id, flags, queries, answers, ...),
// "tls" (subject, issuerdn, serial, fingerprint, sni, version, ja3, ja3s,
// ja4, validity). Written into alerts and into transaction events.

#include <string>

#include "engine/app/app_layer.h"

namespace kagami::output {

// Appends ,"http":{...} / ,"dns":{...} / ,"tls":{...} for the transaction.
void AppendAppObject(std::string& out, const app::TxUpdate& tx);

}  // namespace kagami::output
