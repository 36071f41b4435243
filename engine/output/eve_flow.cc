#include "engine/output/eve_flow.h"

#include <charconv>

#include "engine/output/eve_writer.h"

namespace kagami::output {
namespace {

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;  // 24 bytes hold any 64-bit integer
  out.append(buf, static_cast<size_t>(end - buf));
}

void AppendField(std::string& out, const char* name, uint64_t v) {
  out.append(",\"").append(name).append("\":");
  AppendUint(out, v);
}

// The counters and start every flow object begins with.
void AppendCounters(std::string& out, const flow::Flow& f) {
  out.append(",\"flow\":{\"pkts_toserver\":");
  AppendUint(out, f.packets_to_server);
  AppendField(out, "pkts_toclient", f.packets_to_client);
  AppendField(out, "bytes_toserver", f.bytes_to_server);
  AppendField(out, "bytes_toclient", f.bytes_to_client);
  out.append(",\"start\":\"");
  AppendEveTimestamp(out, f.first_ts_ns);
  out.push_back('"');
}

std::string_view StateName(flow::FlowState s) {
  switch (s) {
    case flow::FlowState::kNew: return "new";
    case flow::FlowState::kEstablished: return "established";
    case flow::FlowState::kClosed: return "closed";
  }
  return "new";
}

}  // namespace

std::string_view FlowEndReasonName(flow::FlowEnd why) {
  switch (why) {
    case flow::FlowEnd::kTimeout: return "timeout";
    case flow::FlowEnd::kEvicted: return "forced";
    case flow::FlowEnd::kShutdown: return "shutdown";
    case flow::FlowEnd::kReused: return "tcp_reuse";
  }
  return "timeout";
}

void AppendAlertFlowObject(std::string& out, const flow::Flow& f) {
  AppendCounters(out, f);
  const bool ipv6 = !f.client_addr.is_v4();
  const bool ports = f.key.proto == 6 || f.key.proto == 17 || f.key.proto == 132;
  out.append(",\"src_ip\":\"");
  AppendEveIp(out, f.client_addr, ipv6);
  out.push_back('"');
  if (ports) AppendField(out, "src_port", f.client_port);
  out.append(",\"dest_ip\":\"");
  AppendEveIp(out, f.server_addr(), ipv6);
  out.push_back('"');
  if (ports) AppendField(out, "dest_port", f.server_port());
  out.push_back('}');
}

void AppendFlowRecordObject(std::string& out, const flow::Flow& f, flow::FlowEnd why) {
  AppendCounters(out, f);
  out.append(",\"end\":\"");
  AppendEveTimestamp(out, f.last_ts_ns);
  out.push_back('"');
  // Whole seconds, as Suricata's flow.age.
  const int64_t age_ns = f.last_ts_ns > f.first_ts_ns ? f.last_ts_ns - f.first_ts_ns : 0;
  AppendField(out, "age", static_cast<uint64_t>(age_ns / 1'000'000'000));
  out.append(",\"state\":\"").append(StateName(f.state));
  out.append("\",\"reason\":\"").append(FlowEndReasonName(why));
  out.append("\",\"alerted\":").append(f.alerted ? "true" : "false");
  out.push_back('}');
}

}  // namespace kagami::output
