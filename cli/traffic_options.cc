#include "cli/traffic_options.h"

#include <unistd.h>

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace kagami::cli {

void AddTrafficOptions(CLI::App& app, TrafficArgs& a) {
  app.add_option("--midstream", a.midstream,
                 "Pick up TCP sessions whose handshake was not seen (true|false); off as in Suricata")
      ->check(CLI::IsMember({"true", "false"}))
      ->capture_default_str();
  app.add_option("--stream-depth", a.stream_depth,
                 "Bytes of each TCP direction reassembled and inspected, e.g. 1mb; 0 = unlimited")
      ->capture_default_str();
  app.add_option("--stream-policy", a.stream_policy,
                 "Which bytes win when TCP segments overlap: first, last, bsd, linux, windows, solaris")
      ->check(CLI::IsMember({"first", "last", "bsd", "linux", "windows", "solaris"}))
      ->capture_default_str();
  app.add_option("--defrag-policy", a.defrag_policy,
                 "Which bytes win when IP fragments overlap: first, last, bsd, linux, windows, solaris")
      ->check(CLI::IsMember({"first", "last", "bsd", "linux", "windows", "solaris"}))
      ->capture_default_str();
  app.add_option("--flow-memcap", a.flow_memcap,
                 "Memory for flows; the least recently seen are evicted beyond it")
      ->capture_default_str();
  app.add_option("--stream-memcap", a.stream_memcap, "Memory for TCP reassembly buffers")
      ->capture_default_str();
  app.add_option("--stream-lookback", a.stream_lookback,
                 "Bytes of earlier stream data inspected again with each new segment, so a match "
                 "may start that far before it")
      ->check(CLI::Range(0, 65536))
      ->capture_default_str();
  app.add_option("--stream-max-queued-segs", a.stream_max_queued_segs,
                 "Out-of-order TCP segments held per direction before the oldest hole is skipped as a gap "
                 "(counted); 0 = no limit")
      ->capture_default_str();
  app.add_option("--stream-scan", a.stream_scan,
                 "How stream data is prefiltered: streaming (a Hyperscan stream per direction sees each "
                 "byte once) or block (each chunk, lookback included, scanned whole); same alerts")
      ->check(CLI::IsMember({"streaming", "block"}))
      ->capture_default_str();
  app.add_option("--vxlan-port", a.vxlan_ports, "UDP ports decapsulated as VXLAN (up to 4)")
      ->capture_default_str();
  app.add_option("--geneve-port", a.geneve_port, "UDP port decapsulated as Geneve; 0 = off")
      ->capture_default_str();
  app.add_option("--tunnel-depth", a.tunnel_depth, "Deepest tunnel nesting decapsulated; 0 = no tunnels")
      ->check(CLI::Range(0, 8))
      ->capture_default_str();
}

bool ApplyTrafficArgs(const TrafficArgs& a, pipeline::ScannerOptions& o, std::string* error) {
  o.stream.midstream = a.midstream == "true";
  uint64_t n;
  if (!ParseByteSize(a.stream_depth, &n)) {
    *error = "--stream-depth: expected a size such as 1mb or 0, got '" + a.stream_depth + "'";
    return false;
  }
  o.stream.depth = n;
  if (!ParseByteSize(a.flow_memcap, &n) || n == 0) {
    *error = "--flow-memcap: expected a size such as 128mb, got '" + a.flow_memcap + "'";
    return false;
  }
  o.flow.memcap = n;
  if (!ParseByteSize(a.stream_memcap, &n) || n == 0) {
    *error = "--stream-memcap: expected a size such as 64mb, got '" + a.stream_memcap + "'";
    return false;
  }
  o.stream.memcap = n;
  o.stream.lookback = a.stream_lookback;
  o.stream.max_queued_segs = a.stream_max_queued_segs;
  o.stream_scan = a.stream_scan == "block" ? pipeline::StreamScan::kBlock : pipeline::StreamScan::kStreaming;
  if (auto p = stream::ParseOverlapPolicy(a.stream_policy)) {
    o.stream.policy = *p;
  } else {
    *error = "--stream-policy: unknown policy '" + a.stream_policy + "'";
    return false;
  }
  if (auto p = defrag::ParsePolicy(a.defrag_policy)) {
    o.defrag.policy = *p;
  } else {
    *error = "--defrag-policy: unknown policy '" + a.defrag_policy + "'";
    return false;
  }
  if (a.vxlan_ports.size() > o.decoder.vxlan_ports.size()) {
    *error = "--vxlan-port: at most 4 ports";
    return false;
  }
  o.decoder.vxlan_ports.fill(0);
  for (size_t i = 0; i < a.vxlan_ports.size(); ++i) o.decoder.vxlan_ports[i] = a.vxlan_ports[i];
  o.decoder.geneve_port = a.geneve_port;
  o.decoder.decode_tunnels = a.tunnel_depth > 0;
  o.decoder.max_tunnel_depth = static_cast<uint8_t>(a.tunnel_depth);
  return true;
}

void AddTrafficCounters(const pipeline::ScanCounters& counters, output::ScanSummary& summary) {
  const flow::FlowCounters& f = counters.flow;
  summary.AddCounters("flows", {{"created", f.created},
                                {"timed out", f.timed_out},
                                {"evicted at the memory cap", f.evicted},
                                {"ended by port reuse", f.reused},
                                {"at most at once", f.max_active}});
  const stream::StreamCounters& t = counters.stream;
  summary.AddCounters("tcp", {{"session[s]", t.sessions},
                              {"picked up midstream", t.midstream_pickups},
                              {"byte[s] reassembled", t.bytes},
                              {"segment[s] out of order", t.out_of_order},
                              {"retransmitted", t.retransmissions},
                              {"overlaps with different data", t.overlaps_different},
                              {"gap[s]", t.gaps},
                              {"RST[s] outside the window", t.rst_out_of_window},
                              {"direction[s] at stream depth", t.depth_reached},
                              {"memcap drop[s]", t.memcap_drops},
                              {"gap[s] forced by the queued segment limit", t.segment_limit}});
  const defrag::DefragCounters& d = counters.defrag;
  summary.AddCounters("ip fragments", {{"fragment[s]", d.fragments},
                                       {"datagram[s] reassembled", d.reassembled},
                                       {"timed out", d.timeouts},
                                       {"overlapping", d.overlaps},
                                       {"too large", d.too_large},
                                       {"memcap drop[s]", d.memcap_drops},
                                       {"malformed", d.bad_fragments}});
}

void AddWorkersOption(CLI::App& app, uint32_t& workers) {
  app.add_option("--workers", workers,
                 "Worker threads, each inspecting whole flows (default: one per online CPU; 1: inspect in the "
                 "reading thread). Memory caps are split between workers; results are the same for any number")
      ->check(CLI::Range(0, 1024));
}

void AddStatsIntervalOption(CLI::App& app, uint32_t& seconds) {
  app.add_option("--stats-interval", seconds,
                 "Seconds between EVE stats records (counters with Suricata's names); above 0 adds stats to "
                 "the outputs' default types; 0: only the one at the end, when --eve-types has stats")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
}

uint32_t WorkerCount(uint32_t requested) {
  if (requested > 0) return requested;
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<uint32_t>(online) : 1;
}

void AddWorkerCounters(const pipeline::Inspection& inspection, const pipeline::ScannerOptions& options,
                       output::ScanSummary& summary) {
  const std::vector<uint64_t> packets = inspection.packets_per_worker();
  const std::vector<pipeline::ScanCounters> counters = inspection.worker_counters();
  const uint64_t n = packets.empty() ? 1 : packets.size();
  summary.AddCounters("workers", {{"worker[s]", n},
                                  {"MiB flow memcap each", options.flow.memcap / n >> 20},
                                  {"MiB stream memcap each", options.stream.memcap / n >> 20}});
  for (size_t i = 0; i < packets.size() && i < counters.size(); ++i) {
    const pipeline::ScanCounters& c = counters[i];
    summary.AddCounters("worker " + std::to_string(i + 1), {{"packet[s]", packets[i]},
                                                            {"flow[s]", c.flow.created},
                                                            {"tcp session[s]", c.stream.sessions},
                                                            {"alert[s]", c.alerts},
                                                            {"KiB flow memory", c.flow_memory >> 10}});
  }
}

}  // namespace kagami::cli
