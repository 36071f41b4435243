#include "cli/app_options.h"

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/traffic_options.h"

namespace kagami::cli {

void AddAppOptions(CLI::App& app, AppArgs& a) {
  app.add_option("--eve-types", a.eve_types,
                 "EVE event types to write, comma separated: alert, http, dns, tls (transaction "
                 "events with Suricata's field names), stats (counters with Suricata's names: one "
                 "record at the end, and every --stats-interval)")
      ->capture_default_str();
  app.add_option("--http-request-body-limit", a.http_request_body_limit,
                 "Decoded request body bytes inspected per HTTP transaction; 0 = unlimited")
      ->capture_default_str();
  app.add_option("--http-response-body-limit", a.http_response_body_limit,
                 "Decoded response body bytes inspected per HTTP transaction; 0 = unlimited")
      ->capture_default_str();
  app.add_option("--http-decompress-layers", a.http_decompress_layers,
                 "Nested Content-Encoding layers (gzip, deflate) decoded in HTTP bodies")
      ->check(CLI::Range(0, 8))
      ->capture_default_str();
  app.add_flag("--no-app-layer", a.no_app_layer,
               "Do not detect or parse application protocols (http, dns, tls rules never match)");
}

bool ApplyAppArgs(const AppArgs& a, pipeline::ScannerOptions& o, std::string* error) {
  o.app.enabled = !a.no_app_layer;
  uint64_t n;
  if (!ParseByteSize(a.http_request_body_limit, &n) || n > UINT32_MAX) {
    *error = "--http-request-body-limit: expected a size such as 100kb, got '" + a.http_request_body_limit + "'";
    return false;
  }
  o.app.http.request_body_limit = static_cast<uint32_t>(n);
  if (!ParseByteSize(a.http_response_body_limit, &n) || n > UINT32_MAX) {
    *error = "--http-response-body-limit: expected a size such as 100kb, got '" + a.http_response_body_limit + "'";
    return false;
  }
  o.app.http.response_body_limit = static_cast<uint32_t>(n);
  o.app.http.decompress_layer_limit = a.http_decompress_layers;
  o.log_http = o.log_dns = o.log_tls = o.log_stats = false;
  for (absl::string_view part : absl::StrSplit(a.eve_types, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part == "alert") continue;
    if (part == "http") o.log_http = true;
    else if (part == "dns") o.log_dns = true;
    else if (part == "tls") o.log_tls = true;
    else if (part == "stats") o.log_stats = true;
    else {
      *error = "--eve-types: unknown event type '" + std::string(part) + "' (expected alert, http, dns, tls, stats)";
      return false;
    }
  }
  return true;
}

void AddAppCounters(const pipeline::ScanCounters& counters, output::ScanSummary& summary) {
  const app::AppCounters& c = counters.app;
  summary.AddCounters("app layer", {{"http flows", c.flows_http},
                                    {"http transactions", c.http_transactions},
                                    {"dns flows", c.flows_dns},
                                    {"dns messages", c.dns_messages},
                                    {"tls flows", c.flows_tls},
                                    {"tls handshakes", c.tls_sessions},
                                    {"flows of no known protocol", c.flows_failed}});
}

}  // namespace kagami::cli
