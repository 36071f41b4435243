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

// ,"fileinfo":{...} for one body of an HTTP transaction (the response's when
// `response`): filename (Content-Disposition's, else the URI's path), size,
// state CLOSED or TRUNCATED, md5/sha1/sha256 when they were computed,
// stored false, tx_id. Suricata's field names.
// `magic`: libmagic's description of the body (empty: none).
void AppendHttpFileinfo(std::string& out, const app::http::Transaction& t, bool response, uint64_t tx_id,
                        std::string_view magic);

// The file name Suricata gives an HTTP body: Content-Disposition's
// filename, else the request URI up to its query.
std::string_view HttpFileName(const app::http::Transaction& t, bool response);

}  // namespace kagami::output
