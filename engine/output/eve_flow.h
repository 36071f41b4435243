#pragma once
// The "flow" objects of EVE records, with Suricata's field names: the one
// inside an alert (packets and bytes so far, start, the flow's own
// direction) and the one of a flow's record when it ends (end, age, state,
// reason, alerted as well).

#include <string>

#include "engine/flow/flow.h"

namespace kagami::output {

// ,"flow":{"pkts_toserver":..,"pkts_toclient":..,"bytes_toserver":..,
// "bytes_toclient":..,"start":"..","src_ip":client,"src_port":..,
// "dest_ip":server,"dest_port":..}
void AppendAlertFlowObject(std::string& out, const flow::Flow& flow);

// ,"flow":{...,"start":"..","end":"..","age":S,"state":"new|established|
// closed","reason":"timeout|forced|shutdown|tcp_reuse","alerted":bool}
void AppendFlowRecordObject(std::string& out, const flow::Flow& flow, flow::FlowEnd why);

// Suricata's name for why a flow ended: an eviction at the memory cap is
// "forced", a TCP port reused for a new session "tcp_reuse".
std::string_view FlowEndReasonName(flow::FlowEnd why);

}  // namespace kagami::output
