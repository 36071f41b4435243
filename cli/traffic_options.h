#pragma once
// Command-line options for the traffic layers every matching subcommand
// shares: flows, TCP reassembly, IP defragmentation and tunnels.

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/byte_size.h"
#include "engine/pipeline/inspection.h"
#include "engine/pipeline/scanner.h"

namespace kagami::cli {

struct TrafficArgs {
  std::string midstream = "false";
  std::string stream_depth = "1mb";
  std::string stream_policy = "first";
  std::string defrag_policy = "first";
  std::string flow_memcap = "128mb";
  std::string stream_memcap = "64mb";
  uint32_t stream_lookback = 512;
  uint32_t stream_max_queued_segs = 65536;
  std::string stream_scan = "streaming";
  std::vector<uint16_t> vxlan_ports{4789};
  uint16_t geneve_port = 6081;
  int tunnel_depth = 3;
};

void AddTrafficOptions(CLI::App& app, TrafficArgs& args);

// Fills the scanner's flow, stream, defrag and tunnel settings; false with
// `error` set when a value is bad.
bool ApplyTrafficArgs(const TrafficArgs& args, pipeline::ScannerOptions& options, std::string* error);

// Adds the flow, TCP and defrag counter lines to a summary.
void AddTrafficCounters(const pipeline::ScanCounters& counters, output::ScanSummary& summary);

// --workers N for scan and live (0: one per online CPU), and the count it
// resolves to.
void AddWorkersOption(CLI::App& app, uint32_t& workers);
uint32_t WorkerCount(uint32_t requested);
// --stats-interval SECONDS (scan, live): an EVE stats record that often.
void AddStatsIntervalOption(CLI::App& app, uint32_t& seconds);
// The summary's workers lines: how many, each one's share of the memory caps
// (which are split between them), then per worker the packets it took and
// its flows, TCP sessions, alerts and flow memory.
void AddWorkerCounters(const pipeline::Inspection& inspection, const pipeline::ScannerOptions& options,
                       output::ScanSummary& summary);

}  // namespace kagami::cli
