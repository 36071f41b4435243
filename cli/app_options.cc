#include "cli/app_options.h"

#include "cli/traffic_options.h"
#include "engine/output/event_types.h"

namespace kagami::cli {

void AddAppOptions(CLI::App& app, AppArgs& a) {
  app.add_option("--eve-types", a.eve_types,
                 "EVE event types to write, comma separated (only these are written; alerts too only when listed): "
                 "alert, http, dns, tls (transaction "
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
  output::EventTypes types = 0;
  if (std::string why; !output::ParseEventTypes(a.eve_types, &types, &why)) {
    *error = "--eve-types: " + why;
    return false;
  }
  SetEventTypes(types, o);
  return true;
}

void SetEventTypes(output::EventTypes types, pipeline::ScannerOptions& o) {
  o.log_http = (types & output::kEventHttp) != 0;
  o.log_dns = (types & output::kEventDns) != 0;
  o.log_tls = (types & output::kEventTls) != 0;
  o.log_stats = (types & output::kEventStats) != 0;
  o.log_flow = (types & output::kEventFlow) != 0;
  o.log_anomaly = (types & output::kEventAnomaly) != 0;
  o.log_fileinfo = (types & output::kEventFileinfo) != 0;
}

std::string DefaultEventTypes(const AppArgs& args, uint32_t stats_interval) {
  output::EventTypes types = 0;
  std::string why;
  if (stats_interval == 0 || !output::ParseEventTypes(args.eve_types, &types, &why) ||
      (types & output::kEventStats) != 0) {
    return args.eve_types;  // a bad list is reported where it is parsed
  }
  return args.eve_types + ",stats";
}

void AddAppCounters(const pipeline::ScanCounters& counters, output::ScanSummary& summary) {
  const app::AppCounters& c = counters.app;
  summary.AddCounters("app layer", {{"http flow[s]", c.flows_http},
                                    {"http transaction[s]", c.http_transactions},
                                    {"dns flow[s]", c.flows_dns},
                                    {"dns message[s]", c.dns_messages},
                                    {"tls flow[s]", c.flows_tls},
                                    {"tls handshake[s]", c.tls_sessions},
                                    {"flow[s] of no known protocol", c.flows_failed}});
}

}  // namespace kagami::cli
