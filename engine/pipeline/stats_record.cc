#include "engine/pipeline/stats_record.h"

#include <initializer_list>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/output/eve_writer.h"

namespace kagami::pipeline {
namespace {

using Field = std::pair<std::string_view, uint64_t>;

// "name":{"a":1,"b":2}
void AppendGroup(std::string& out, std::string_view name, std::initializer_list<Field> fields) {
  out.append("\"").append(name).append("\":{");
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (!first) out.push_back(',');
    out.append("\"").append(key).append("\":");
    absl::StrAppend(&out, value);
    first = false;
  }
  out.push_back('}');
}

}  // namespace

void FormatStatsRecord(const ScanCounters& c, const StatsContext& ctx, std::string& out) {
  out.append("{\"timestamp\":\"");
  output::AppendEveTimestamp(out, ctx.ts_ns);
  out.append("\",\"event_type\":\"stats\"");
  if (!ctx.host.empty()) {
    out.append(",\"host\":");
    output::AppendJsonString(out, ctx.host);
  }
  absl::StrAppend(&out, ",\"stats\":{\"uptime\":", ctx.uptime_seconds, ",");
  if (ctx.kernel_packets || ctx.kernel_drops) {
    AppendGroup(out, "capture",
                {{"kernel_packets", ctx.kernel_packets.value_or(0)}, {"kernel_drops", ctx.kernel_drops.value_or(0)}});
    out.push_back(',');
  }
  const decode::DecoderCounters& d = c.decoder;
  AppendGroup(out, "decoder",
              {{"pkts", d.packets},
               {"bytes", d.bytes},
               {"invalid", d.invalid},
               {"ipv4", d.ipv4},
               {"ipv6", d.ipv6},
               {"tcp", d.tcp},
               {"udp", d.udp},
               {"vlan", d.vlan},
               {"gre", d.gre},
               {"erspan", d.erspan},
               {"vxlan", d.vxlan},
               {"geneve", d.geneve},
               {"ipv4_in_ipv4", d.ipip},
               {"avg_pkt_size", d.packets ? d.bytes / d.packets : 0}});
  out.push_back(',');
  AppendGroup(out, "flow",
              {{"total", c.flow.created},
               {"active", c.flow.active},
               {"memuse", c.flow_memory},
               // Suricata counts the times the flow memcap was reached;
               // here each time it was, a flow was retired to make room.
               {"memcap", c.flow.evicted},
               {"tcp_reuse", c.flow.reused}});
  out.push_back(',');
  const stream::StreamCounters& t = c.stream;
  AppendGroup(out, "tcp",
              {{"sessions", t.sessions},
               {"midstream_pickups", t.midstream_pickups},
               {"reassembly_gap", t.gaps},
               {"overlap", t.overlaps},
               {"overlap_diff_data", t.overlaps_different},
               {"stream_depth_reached", t.depth_reached},
               {"segment_memcap_drop", t.memcap_drops},
               {"reassembly_memuse", c.reassembly_memory},
               // Dispatch sends both directions of a flow to one worker.
               {"pkt_on_wrong_thread", 0}});
  out.push_back(',');
  const defrag::DefragCounters& f = c.defrag;
  out.append("\"defrag\":{");
  AppendGroup(out, "ipv4",
              {{"fragments", f.fragments - f.fragments_v6},
               {"reassembled", f.reassembled - f.reassembled_v6},
               {"timeouts", f.timeouts - f.timeouts_v6}});
  out.push_back(',');
  AppendGroup(out, "ipv6",
              {{"fragments", f.fragments_v6}, {"reassembled", f.reassembled_v6}, {"timeouts", f.timeouts_v6}});
  absl::StrAppend(&out, ",\"max_frags_reached\":", f.too_many_fragments, "},");
  AppendGroup(out, "detect", {{"alert", c.alerts}});
  out.append(",\"app_layer\":{");
  const app::AppCounters& a = c.app;
  AppendGroup(out, "flow",
              {{"http", a.flows_http},
               {"tls", a.flows_tls},
               {"dns_udp", a.flows_dns_udp},
               {"dns_tcp", a.flows_dns - a.flows_dns_udp},
               {"failed_udp", a.flows_failed_udp},
               {"failed_tcp", a.flows_failed - a.flows_failed_udp}});
  out.push_back(',');
  AppendGroup(out, "tx", {{"http", a.http_transactions}, {"tls", a.tls_sessions}});
  out.append("}}}");
}

void StatsWriter::Write(const ScanCounters& counters) {
  StatsContext ctx;
  ctx.host = eve_->options().host;
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  ctx.ts_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count();
  ctx.uptime_seconds = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_).count());
  if (counters.kernel) {
    ctx.kernel_packets = counters.kernel->packets;
    ctx.kernel_drops = counters.kernel->drops;
  }
  line_.clear();
  FormatStatsRecord(counters, ctx, line_);
  {
    std::lock_guard<std::mutex> lock(last_mu_);
    last_ = line_;
  }
  line_.push_back('\n');
  eve_->WriteRecord(line_);
  eve_->Flush();
}

}  // namespace kagami::pipeline
