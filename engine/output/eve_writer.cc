#include "engine/output/eve_writer.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/output/eve_app.h"
#include "engine/output/eve_flow.h"
#include "engine/output/eve_intel.h"

namespace kagami::output {
namespace {

constexpr char kHex[] = "0123456789abcdef";

template <typename T>
void AppendInt(std::string& out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;  // 24 bytes hold any 64-bit integer
  out.append(buf, static_cast<size_t>(end - buf));
}

// Writes `v` as exactly `width` decimal digits (v must fit).
void AppendPadded(std::string& out, int64_t v, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

// Length of the well-formed UTF-8 sequence starting at s[i] (2..4), or 0 when
// the bytes there are not one (Unicode 15, table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const auto cont = [](uint8_t b) { return (b & 0xC0) == 0x80; };
  const uint8_t b0 = at(0);
  const size_t left = s.size() - i;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return left >= 2 && cont(at(1)) ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return 0;
    const uint8_t b1 = at(1);
    const uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;
    return b1 >= lo && b1 <= hi && cont(at(2)) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return 0;
    const uint8_t b1 = at(1);
    const uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
    const uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return b1 >= lo && b1 <= hi && cont(at(2)) && cont(at(3)) ? 4 : 0;
  }
  return 0;
}

void AppendEscapedByte(std::string& out, uint8_t b) {
  const char esc[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
  out.append(esc, 6);
}

bool HasPorts(const decode::Packet& p) {
  return p.l4 != nullptr && (p.ip_proto == 6 || p.ip_proto == 17 || p.ip_proto == 132);
}

// The quoted "proto" value: IANA keyword, or the number as a string.
void AppendProto(std::string& out, uint8_t ip_proto) {
  out.push_back('"');
  const std::string_view name = EveProtoName(ip_proto);
  if (name.empty()) {
    AppendInt(out, ip_proto);
  } else {
    out.append(name);
  }
  out.push_back('"');
}

// "ip" and, for port-carrying protocols, "port" of one side of the packet.
void AppendEndpoint(std::string& out, const char* name, const kagami::IpAddress& ip,
                    uint16_t port, bool ipv6, bool with_port) {
  out.append(",\"");
  out.append(name);
  out.append("\":{\"ip\":\"");
  AppendEveIp(out, ip, ipv6);
  out.push_back('"');
  if (with_port) {
    out.append(",\"port\":");
    AppendInt(out, port);
  }
  out.push_back('}');
}

// Suricata's "tunnel" object for a packet taken out of a tunnel: the
// outermost (root) packet's addresses, ports and protocol, the inner packet's
// depth, the frame's pcap_cnt and the root's source. Like Suricata, ports are
// always written here (0 when the outer protocol has none, e.g. GRE).
void AppendTunnel(std::string& out, const decode::Packet& packet, const EveContext& ctx) {
  const decode::Packet& root = packet.root();
  out.append(",\"tunnel\":{");
  if (root.ip_version == 4 || root.ip_version == 6) {
    const bool ipv6 = root.ip_version == 6;
    const bool ports = HasPorts(root);
    out.append("\"src_ip\":\"");
    AppendEveIp(out, root.src, ipv6);
    out.append("\",\"src_port\":");
    AppendInt(out, ports ? root.src_port : uint16_t{0});
    out.append(",\"dest_ip\":\"");
    AppendEveIp(out, root.dst, ipv6);
    out.append("\",\"dest_port\":");
    AppendInt(out, ports ? root.dst_port : uint16_t{0});
    out.append(",\"proto\":");
    AppendProto(out, root.ip_proto);
    out.push_back(',');
  }
  out.append("\"depth\":");
  AppendInt(out, packet.tunnel_depth);
  if (ctx.pcap_cnt != 0) {
    out.append(",\"pcap_cnt\":");
    AppendInt(out, ctx.pcap_cnt);
  }
  // The root came off the wire (or the capture file).
  out.append(",\"pkt_src\":\"wire/pcap\"}");
}

// alert.metadata: {"key":["v1","v2"],...}. Keys appear in the order they were
// first written; repeated keys gather their values in rule order. Quadratic
// in the number of pairs, which stays small, and allocation-free.
void AppendMetadata(std::string& out,
                    const std::vector<std::pair<std::string, std::string>>& md) {
  out.append(",\"metadata\":{");
  bool first_key = true;
  for (size_t i = 0; i < md.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = md[j].first == md[i].first;
    if (seen) continue;
    if (!first_key) out.push_back(',');
    first_key = false;
    AppendJsonString(out, md[i].first);
    out.append(":[");
    bool first_value = true;
    for (size_t k = i; k < md.size(); ++k) {
      if (md[k].first != md[i].first) continue;
      if (!first_value) out.push_back(',');
      first_value = false;
      AppendJsonString(out, md[k].second);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

const char* ActionName(rules::Action a) {
  // Kagami runs as an IDS: nothing is dropped, so drop rules report
  // "allowed" like Suricata in IDS mode; reject is "blocked" in any mode.
  return a == rules::Action::kReject ? "blocked" : "allowed";
}

absl::Status OpenError(const std::string& path, int err) {
  std::string msg = absl::StrCat("cannot open EVE log '", path, "' for appending: ",
                                 std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run of bytes that need no escaping in one go.
    size_t run = i;
    while (run < s.size()) {
      const uint8_t b = static_cast<uint8_t>(s[run]);
      if (b < 0x20 || b == '"' || b == '\\' || b >= 0x7F) break;
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;
    const uint8_t b = static_cast<uint8_t>(s[i]);
    if (b >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n != 0) {
        out.append(s.data() + i, n);
        i += n;
      } else {
        AppendEscapedByte(out, b);
        ++i;
      }
      continue;
    }
    switch (b) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: AppendEscapedByte(out, b); break;  // other controls and DEL
    }
    ++i;
  }
  out.push_back('"');
}

void AppendEveTimestamp(std::string& out, int64_t ts_ns) {
  // Floor division so that times before 1970 still count forwards within
  // their second; the fraction is truncated to microseconds, never rounded
  // (rounding could carry into the next second, minute, ... year).
  constexpr int64_t kNsPerSec = 1'000'000'000;
  int64_t secs = ts_ns / kNsPerSec;
  int64_t frac_ns = ts_ns % kNsPerSec;
  if (frac_ns < 0) {
    frac_ns += kNsPerSec;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Days since 1970-01-01 to a proleptic Gregorian date, counting in 400-year
  // eras that start on March 1st so the leap day is the last day of a year.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                   // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                 // March = 0
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  AppendPadded(out, year, 4);
  out.push_back('-');
  AppendPadded(out, month, 2);
  out.push_back('-');
  AppendPadded(out, day, 2);
  out.push_back('T');
  AppendPadded(out, sod / 3600, 2);
  out.push_back(':');
  AppendPadded(out, sod / 60 % 60, 2);
  out.push_back(':');
  AppendPadded(out, sod % 60, 2);
  out.push_back('.');
  AppendPadded(out, frac_ns / 1000, 6);
  out.append("+0000");
}

std::string_view EveProtoName(uint8_t ip_proto) {
  // IANA protocol keywords, spelled as Suricata prints them.
  switch (ip_proto) {
    case 0: return "HOPOPT";
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 4: return "IPv4";
    case 6: return "TCP";
    case 17: return "UDP";
    case 41: return "IPv6";
    case 43: return "IPv6-Route";
    case 44: return "IPv6-Frag";
    case 46: return "RSVP";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "IPv6-ICMP";
    case 59: return "IPv6-NoNxt";
    case 60: return "IPv6-Opts";
    case 88: return "EIGRP";
    case 89: return "OSPFIGP";
    case 103: return "PIM";
    case 112: return "VRRP";
    case 115: return "L2TP";
    case 132: return "SCTP";
    case 136: return "UDPLite";
    case 137: return "MPLS-in-IP";
    default: return {};
  }
}

void AppendEveIp(std::string& out, const kagami::IpAddress& ip, bool ipv6) {
  if (!ipv6) {
    char buf[48];
    out.append(buf, ip.Format(buf));
    return;
  }
  const auto& b = ip.bytes();
  char buf[39];
  size_t n = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i != 0 && i % 2 == 0) buf[n++] = ':';
    buf[n++] = kHex[b[i] >> 4];
    buf[n++] = kHex[b[i] & 0xF];
  }
  out.append(buf, n);
}

size_t CommunityIdOf(const decode::Packet& packet, uint16_t seed,
                     char out[kagami::kCommunityIdBufferSize]) {
  out[0] = '\0';
  if (packet.ip_version != 4 && packet.ip_version != 6) return 0;
  kagami::CommunityIdInput in;
  in.src = packet.src;
  in.dst = packet.dst;
  in.is_ipv6 = packet.ip_version == 6;
  in.proto = packet.ip_proto;
  in.has_l4 = packet.l4 != nullptr;
  in.src_port = packet.src_port;
  in.dst_port = packet.dst_port;
  in.icmp_type = packet.icmp_type;
  in.icmp_code = packet.icmp_code;
  return kagami::CommunityId(in, seed, out);
}

std::string_view EvePacketSourceName(const decode::Packet& packet, EvePacketSource source) {
  switch (source) {
    case EvePacketSource::kDefrag: return "defrag";
    case EvePacketSource::kStreamFlowTimeout: return "stream (flow timeout)";
    case EvePacketSource::kStreamDetectLog: return "stream (detect/log)";
    case EvePacketSource::kNone: return "";
    case EvePacketSource::kPacket: break;
  }
  if (packet.tunnel_depth == 0) return "wire/pcap";
  switch (packet.tunnel_type) {
    case decode::TunnelType::kGre:
    case decode::TunnelType::kErspan:  // Suricata: decapsulated by its GRE decoder
      return "gre tunnel";
    case decode::TunnelType::kVxlan: return "vxlan encapsulation";
    case decode::TunnelType::kGeneve: return "geneve encapsulation";
    case decode::TunnelType::kIpInIp:
    case decode::TunnelType::kIpv6InIp:
      // Named after the decoder that found it: the carrying packet's IP.
      return packet.outer != nullptr && packet.outer->ip_version == 6 ? "ipv6 tunnel"
                                                                       : "ipv4 tunnel";
    case decode::TunnelType::kNone: break;
  }
  return "wire/pcap";
}

namespace {

// The fields every record about a packet starts with, up to direction.
void AppendRecordHead(const decode::Packet& packet, const EveContext& ctx, std::string_view event_type,
                      std::string& out, const EveWriterOptions& options) {
  out.append("{\"timestamp\":\"");
  AppendEveTimestamp(out, packet.view != nullptr ? packet.view->ts_ns : 0);
  out.push_back('"');
  if (ctx.flow_id != 0) {
    out.append(",\"flow_id\":");
    AppendInt(out, ctx.flow_id);
  }
  if (!ctx.in_iface.empty()) {
    out.append(",\"in_iface\":");
    AppendJsonString(out, ctx.in_iface);
  }
  if (ctx.pcap_cnt != 0) {
    out.append(",\"pcap_cnt\":");
    AppendInt(out, ctx.pcap_cnt);
  }
  out.append(",\"event_type\":\"");
  out.append(event_type);
  out.push_back('"');
  if (!options.host.empty()) {
    out.append(",\"host\":");
    AppendJsonString(out, options.host);
  }
  if (packet.vlan_count > 0) {
    out.append(",\"vlan\":[");
    const size_t n = packet.vlan_count < packet.vlan_id.size() ? packet.vlan_count
                                                               : packet.vlan_id.size();
    for (size_t i = 0; i < n; ++i) {
      if (i != 0) out.push_back(',');
      AppendInt(out, packet.vlan_id[i]);
    }
    out.push_back(']');
  }

  const bool has_ip = packet.ip_version == 4 || packet.ip_version == 6;
  const bool ipv6 = packet.ip_version == 6;
  const bool ports = has_ip && HasPorts(packet);
  // A packet's direction within its flow, when it has one.
  const bool known = (packet.flow_flags & decode::kFlowKnown) != 0;
  const bool to_server = (packet.flow_flags & decode::kFlowToServer) != 0;
  // Facing the flow's way: the addresses of a packet going the other way swap.
  const bool swap = known && ((ctx.facing == EveFacing::kToServer && !to_server) ||
                              (ctx.facing == EveFacing::kToClient && to_server));
  if (has_ip) {
    out.append(",\"src_ip\":\"");
    AppendEveIp(out, swap ? packet.dst : packet.src, ipv6);
    out.push_back('"');
    if (ports) {
      out.append(",\"src_port\":");
      AppendInt(out, swap ? packet.dst_port : packet.src_port);
    }
    out.append(",\"dest_ip\":\"");
    AppendEveIp(out, swap ? packet.src : packet.dst, ipv6);
    out.push_back('"');
    if (ports) {
      out.append(",\"dest_port\":");
      AppendInt(out, swap ? packet.src_port : packet.dst_port);
    }
    out.append(",\"proto\":");
    AppendProto(out, packet.ip_proto);
    if (packet.has_icmp()) {
      out.append(",\"icmp_type\":");
      AppendInt(out, packet.icmp_type);
      out.append(",\"icmp_code\":");
      AppendInt(out, packet.icmp_code);
    }
  }
  if (ctx.pkt_src != EvePacketSource::kNone) {
    out.append(",\"pkt_src\":\"");
    out.append(EvePacketSourceName(packet, ctx.pkt_src));
    out.push_back('"');
  }
  if (options.community_id) {
    if (!ctx.community_id.empty()) {
      out.append(",\"community_id\":");
      AppendJsonString(out, ctx.community_id);
    } else {
      char id[kagami::kCommunityIdBufferSize];
      const size_t n = CommunityIdOf(packet, options.community_id_seed, id);
      if (n != 0) {
        out.append(",\"community_id\":\"");
        out.append(id, n);  // "1:" and base64: nothing to escape
        out.push_back('"');
      }
    }
  }
  if (ctx.tx != nullptr && ctx.tx->has_tx_id) {
    out.append(",\"tx_id\":");
    AppendInt(out, ctx.tx->tx_id);
  }
  // The way the record faces: the packet's direction, or the flow's.
  if (ctx.facing != EveFacing::kPacket) {
    out.append(ctx.facing == EveFacing::kToServer ? ",\"direction\":\"to_server\"" : ",\"direction\":\"to_client\"");
  } else if (known) {
    out.append(to_server ? ",\"direction\":\"to_server\"" : ",\"direction\":\"to_client\"");
  }
}

// app_proto, the tunnel, the transaction's object and the file name: what
// follows the event's own object.
void AppendRecordTail(const decode::Packet& packet, const EveContext& ctx, bool with_tx, std::string& out) {
  if (packet.tunnel_depth > 0 && packet.outer != nullptr) AppendTunnel(out, packet, ctx);
  if (!ctx.app_proto.empty()) {
    out.append(",\"app_proto\":\"");
    out.append(ctx.app_proto);
    out.push_back('"');
  }
  if (with_tx && ctx.tx != nullptr) AppendAppObject(out, *ctx.tx);
  if (!ctx.pcap_filename.empty()) {
    out.append(",\"pcap_filename\":");
    AppendJsonString(out, ctx.pcap_filename);
  }
  out.push_back('}');
}

}  // namespace

void EveWriter::FormatAlert(const decode::Packet& packet, const rules::Rule& rule,
                            const EveContext& ctx, std::string& out,
                            const EveWriterOptions& options) {
  const bool has_ip = packet.ip_version == 4 || packet.ip_version == 6;
  const bool ipv6 = packet.ip_version == 6;
  const bool ports = has_ip && HasPorts(packet);
  AppendRecordHead(packet, ctx, "alert", out, options);
  out.append(",\"alert\":{\"action\":\"");
  out.append(ActionName(rule.action));
  out.append("\",\"gid\":");
  AppendInt(out, rule.gid);
  out.append(",\"signature_id\":");
  AppendInt(out, rule.sid);
  out.append(",\"rev\":");
  AppendInt(out, rule.rev);
  out.append(",\"signature\":");
  AppendJsonString(out, rule.msg);
  out.append(",\"category\":");
  AppendJsonString(out, rule.category);
  out.append(",\"severity\":");
  AppendInt(out, rule.priority);
  if (has_ip && (rule.target == "dest_ip" || rule.target == "src_ip")) {
    // target:dest_ip names the destination as the attacked side; src_ip
    // the source. "source" is always the other side.
    const bool dest_is_target = rule.target == "dest_ip";
    if (dest_is_target) {
      AppendEndpoint(out, "source", packet.src, packet.src_port, ipv6, ports);
      AppendEndpoint(out, "target", packet.dst, packet.dst_port, ipv6, ports);
    } else {
      AppendEndpoint(out, "source", packet.dst, packet.dst_port, ipv6, ports);
      AppendEndpoint(out, "target", packet.src, packet.src_port, ipv6, ports);
    }
  }
  if (!rule.metadata.empty()) AppendMetadata(out, rule.metadata);
  out.push_back('}');
  if (ctx.flow != nullptr) AppendAlertFlowObject(out, *ctx.flow);
  AppendRecordTail(packet, ctx, true, out);
}

void EveWriter::FormatIntelAlert(const decode::Packet& packet, const intel::IntelStore& store,
                                 const intel::Hit& hit, std::string_view observed, const EveContext& ctx,
                                 std::string& out, const EveWriterOptions& options) {
  AppendRecordHead(packet, ctx, "alert", out, options);
  out.append(",\"alert\":");
  AppendIntelAlertObject(out, store, hit, observed);
  if (ctx.flow != nullptr) AppendAlertFlowObject(out, *ctx.flow);
  AppendRecordTail(packet, ctx, true, out);
}

void EveWriter::WriteIntelAlert(const decode::Packet& packet, const intel::IntelStore& store,
                                const intel::Hit& hit, std::string_view observed, const EveContext& ctx) {
  buffer_.clear();  // keeps its capacity: no allocation once it has grown
  FormatIntelAlert(packet, store, hit, observed, ctx, buffer_, options_);
  buffer_.push_back('\n');
  Emit();
}

void EveWriter::FormatTransaction(const decode::Packet& packet, const app::TxUpdate& tx, const EveContext& ctx,
                                  std::string& out, const EveWriterOptions& options) {
  EveContext with = ctx;
  with.tx = &tx;
  // Transactions are logged the flow's way: the client is src_ip, whichever
  // packet completed them (Suricata's LOG_DIR_FLOW).
  with.facing = EveFacing::kToServer;
  AppendRecordHead(packet, with, app::AppProtoName(tx.proto), out, options);
  AppendRecordTail(packet, with, true, out);
}

void EveWriter::FormatFlow(const decode::Packet& packet, const flow::Flow& flow, flow::FlowEnd why,
                           const EveContext& ctx, std::string& out, const EveWriterOptions& options) {
  EveContext head = ctx;
  head.pkt_src = EvePacketSource::kNone;  // about the flow, not a packet
  head.facing = EveFacing::kToServer;
  head.tx = nullptr;
  AppendRecordHead(packet, head, "flow", out, options);
  AppendFlowRecordObject(out, flow, why);
  AppendRecordTail(packet, head, false, out);
}

void EveWriter::WriteFlow(const decode::Packet& packet, const flow::Flow& flow, flow::FlowEnd why,
                          const EveContext& ctx) {
  buffer_.clear();  // keeps its capacity: no allocation once it has grown
  FormatFlow(packet, flow, why, ctx, buffer_, options_);
  buffer_.push_back('\n');
  Emit();
}

void EveWriter::FormatFileinfo(const decode::Packet& packet, const app::TxUpdate& tx, bool response,
                               std::string_view magic, const EveContext& ctx, std::string& out,
                               const EveWriterOptions& options) {
  EveContext with = ctx;
  with.tx = &tx;
  // The way the file went: a download faces the client (Suricata's
  // LOG_DIR_FLOW_TOCLIENT puts the server first).
  with.facing = response ? EveFacing::kToClient : EveFacing::kToServer;
  AppendRecordHead(packet, with, "fileinfo", out, options);
  // The transaction's http object first, as Suricata writes it, then the file.
  if (!with.app_proto.empty()) {
    out.append(",\"app_proto\":\"");
    out.append(with.app_proto);
    out.push_back('"');
  }
  AppendAppObject(out, tx);
  if (tx.http != nullptr) AppendHttpFileinfo(out, *tx.http, response, tx.tx_id, magic);
  with.app_proto = {};
  with.tx = nullptr;
  AppendRecordTail(packet, with, false, out);
}

void EveWriter::WriteFileinfo(const decode::Packet& packet, const app::TxUpdate& tx, bool response,
                              const EveContext& ctx) {
  buffer_.clear();
  std::string_view magic;
  if (tx.http != nullptr) {
    // The decoded body's first bytes, as far as they were kept.
    const std::string& body = response ? tx.http->response_body : tx.http->request_body;
    magic = magic_.Describe(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  }
  FormatFileinfo(packet, tx, response, magic, ctx, buffer_, options_);
  buffer_.push_back('\n');
  Emit();
}

void EveWriter::FormatAnomaly(const decode::Packet& packet, std::string_view type, std::string_view event,
                              const EveContext& ctx, std::string& out, const EveWriterOptions& options) {
  EveContext head = ctx;
  head.tx = nullptr;  // about the anomaly, not the transaction's fields
  AppendRecordHead(packet, head, "anomaly", out, options);
  // Kagami's anomaly names (the decoder's as in the stats record, the
  // parsers' as in their READMEs), under Suricata's types.
  out.append(",\"anomaly\":{");
  if (type == "applayer" && !ctx.app_proto.empty()) {
    out.append("\"app_proto\":");
    AppendJsonString(out, ctx.app_proto);
    out.push_back(',');
  }
  out.append("\"type\":");
  AppendJsonString(out, type);
  out.append(",\"event\":");
  AppendJsonString(out, event);
  out.push_back('}');
  AppendRecordTail(packet, head, false, out);
}

void EveWriter::WriteAnomaly(const decode::Packet& packet, std::string_view type, std::string_view event,
                             const EveContext& ctx) {
  buffer_.clear();
  FormatAnomaly(packet, type, event, ctx, buffer_, options_);
  buffer_.push_back('\n');
  Emit();
}

void EveWriter::WriteTransaction(const decode::Packet& packet, const app::TxUpdate& tx, const EveContext& ctx) {
  buffer_.clear();  // keeps its capacity: no allocation once it has grown
  FormatTransaction(packet, tx, ctx, buffer_, options_);
  buffer_.push_back('\n');
  Emit();
}

EveWriter::~EveWriter() {
  if (file_ == nullptr) return;
  if (owns_file_) {
    std::fclose(file_);
  } else {
    std::fflush(file_);
  }
}

absl::Status EveWriter::Open(const std::string& path) {
  if (file_ != nullptr) {
    if (owns_file_) {
      std::fclose(file_);
    } else {
      std::fflush(file_);
    }
    file_ = nullptr;
  }
  path_ = path;
  if (path == "-") {
    file_ = stdout;
    owns_file_ = false;
    return absl::OkStatus();
  }
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return OpenError(path, errno);
  file_ = f;
  owns_file_ = true;
  return absl::OkStatus();
}

absl::Status EveWriter::Reopen() {
  if (sink_ != nullptr) return sink_->Reopen();
  if (path_.empty()) {
    return absl::FailedPreconditionError("EVE log reopened before it was opened");
  }
  if (path_ == "-") {
    if (file_ != nullptr) std::fflush(file_);
    return absl::OkStatus();
  }
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
  FILE* f = std::fopen(path_.c_str(), "a");
  if (f == nullptr) return OpenError(path_, errno);
  file_ = f;
  owns_file_ = true;
  return absl::OkStatus();
}

void EveWriter::WriteAlert(const decode::Packet& packet, const rules::Rule& rule,
                           const EveContext& ctx) {
  buffer_.clear();  // keeps its capacity: no allocation once it has grown
  FormatAlert(packet, rule, ctx, buffer_, options_);
  buffer_.push_back('\n');
  Emit();
}

void EveWriter::Emit() { WriteRecord(buffer_); }

void EveWriter::WriteRecord(std::string_view record) {
  if (sink_ != nullptr) {
    sink_->Write(record);
    ++records_;
    return;
  }
  if (file_ == nullptr || std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    ++write_errors_;
    return;
  }
  ++records_;
}

void EveWriter::Flush() {
  if (file_ != nullptr) std::fflush(file_);
}

}  // namespace kagami::output
