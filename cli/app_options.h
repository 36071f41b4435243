#pragma once
// Command-line options for the application layer and EVE event types:
// --eve-types, HTTP body limits and decompression depth, --no-app-layer.

#include <string>

#include "CLI/CLI.hpp"
#include "engine/output/event_types.h"
#include "engine/pipeline/scanner.h"

namespace kagami::cli {

struct AppArgs {
  std::string eve_types = "alert";
  std::string http_request_body_limit = "100kb";
  std::string http_response_body_limit = "100kb";
  uint32_t http_decompress_layers = 3;
  bool no_app_layer = false;
};

void AddAppOptions(CLI::App& app, AppArgs& args);

// Fills the scanner's app-layer settings and event types; false with
// `error` set when a value is bad.
bool ApplyAppArgs(const AppArgs& args, pipeline::ScannerOptions& options, std::string* error);

// Makes the scanner format the transaction and stats events in `types`
// (alerts are always formatted).
void SetEventTypes(output::EventTypes types, pipeline::ScannerOptions& options);

// The outputs' default event types: --eve-types, with stats added when
// --stats-interval asks for periodic stats records.
std::string DefaultEventTypes(const AppArgs& args, uint32_t stats_interval);

// Adds the app-layer counter line to a summary.
void AddAppCounters(const pipeline::ScanCounters& counters, output::ScanSummary& summary);

}  // namespace kagami::cli
