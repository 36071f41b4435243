#pragma once
// EveWriter: Suricata-compatible EVE JSON lines, one per event, to a file
// (reopened on request, for logrotate's SIGHUP) or to stdout. Every string is
// escaped so any input byte yields valid JSON, and every record validates
// against Suricata's EVE schema. The record is formatted into a buffer that
// is reused, so writing allocates nothing in the steady state.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/community_id.h"
#include "engine/app/app_layer.h"
#include "engine/decode/packet.h"
#include "engine/flow/flow.h"
#include "engine/output/file_magic.h"
#include "engine/intel/intel_store.h"
#include "rules/rule.h"

namespace kagami::output {

// What produced the packet a record is about: EVE "pkt_src".
enum class EvePacketSource : uint8_t {
  // A packet the decoder produced: "wire/pcap", or for a packet taken out of
  // a tunnel (Packet::tunnel_depth > 0) Suricata's name for that tunnel:
  // "gre tunnel" (GRE, ERSPAN), "vxlan encapsulation", "geneve
  // encapsulation", "ipv4 tunnel" / "ipv6 tunnel" (IP in IP, named after the
  // carrying packet's IP version). Matches on reassembled stream data that a
  // real packet triggered stay here too, as in Suricata.
  kPacket,
  kDefrag,             // "defrag": a datagram reassembled from IP fragments
  kStreamFlowTimeout,  // "stream (flow timeout)": pseudo packet flushing a flow's stream at timeout/end
  kStreamDetectLog,    // "stream (detect/log)": pseudo packet flushing a stream for detection/logging
  kNone,               // a record about no packet (a flow's record): no pkt_src
};

// Which way a record's src_ip/dest_ip face.
enum class EveFacing : uint8_t {
  kPacket,    // the packet's own addresses (alerts, anomalies)
  kToServer,  // the flow's client as src_ip (http, dns, tls records and a flow's record, as Suricata logs them)
  kToClient,  // the flow's server as src_ip (a file the server sent)
};

// Facts about where a packet came from that the packet itself does not hold.
struct EveContext {
  std::string_view pcap_filename;  // empty for live capture
  uint64_t pcap_cnt = 0;           // 1-based packet number in the file (0: omit)
  uint64_t flow_id = 0;            // 0: omit
  EvePacketSource pkt_src = EvePacketSource::kPacket;
  // A Community ID the caller already has (e.g. cached on the flow), written
  // as is. Empty: the writer computes it from the packet (see
  // EveWriterOptions::community_id).
  std::string_view community_id;
  // The flow's application protocol ("http", ...; empty: omit) and the
  // transaction the record is about (its http/dns/tls object is written).
  std::string_view app_proto;
  const app::TxUpdate* tx = nullptr;
  EveFacing facing = EveFacing::kPacket;
  // The packet's flow: an alert's "flow" object (packets and bytes so far,
  // start, the flow's own addresses). nullptr: none.
  const flow::Flow* flow = nullptr;
  std::string_view in_iface;  // live capture: the interface the packet came in on
};

// How the writer formats records; fixed for a writer's life.
struct EveWriterOptions {
  // Write "community_id" (Community ID v1 of the packet's 5-tuple) on every
  // record that has one: IP packets, with a decoded transport header for
  // TCP/UDP/SCTP/ICMP/ICMPv6. Computed per record from the packet (SHA-1 of
  // at most 40 bytes: alerts are rare enough) unless EveContext carries it.
  bool community_id = true;
  uint16_t community_id_seed = 0;  // Suricata's community-id-seed
  std::string host;  // EVE "host" on every record: the sensor's name (empty: omit)
};

// Where an EveWriter's records go instead of a file: a worker thread's
// buffer that one writer thread later merges (engine/pipeline). Each call is
// one whole record, newline included.
class EveRecordSink {
 public:
  virtual ~EveRecordSink() = default;
  virtual void Write(std::string_view record) = 0;
  // The destination is to be reopened (SIGHUP after logrotate).
  virtual absl::Status Reopen() { return absl::OkStatus(); }
};

class EveWriter {
 public:
  EveWriter() = default;
  explicit EveWriter(const EveWriterOptions& options) : options_(options) {}
  ~EveWriter();
  EveWriter(const EveWriter&) = delete;
  EveWriter& operator=(const EveWriter&) = delete;

  // "-" means stdout; anything else is a file opened for append.
  absl::Status Open(const std::string& path);
  // Closes and reopens the file (no-op for stdout); safe to call between records.
  absl::Status Reopen();
  void WriteAlert(const decode::Packet& packet, const rules::Rule& rule, const EveContext& ctx);
  // An alert for an indicator-feed hit (see eve_intel.h). `observed` is the
  // value seen in traffic, when it is not an address of the packet.
  void WriteIntelAlert(const decode::Packet& packet, const intel::IntelStore& store, const intel::Hit& hit,
                       std::string_view observed, const EveContext& ctx);
  // An "http", "dns" or "tls" event for a completed transaction (ctx.tx).
  void WriteTransaction(const decode::Packet& packet, const app::TxUpdate& tx, const EveContext& ctx);
  // A "flow" event for a flow that ended: `packet` is a pseudo packet from
  // its client to its server, stamped with the flow's last packet time.
  void WriteFlow(const decode::Packet& packet, const flow::Flow& flow, flow::FlowEnd why, const EveContext& ctx);
  // A "fileinfo" event for one body of a completed HTTP transaction (the
  // response's when `response`), facing the way the file went.
  void WriteFileinfo(const decode::Packet& packet, const app::TxUpdate& tx, bool response, const EveContext& ctx);
  // An "anomaly" event: `type` "decode" for a packet the decoder found
  // malformed, "applayer" for an anomaly a protocol parser noted in a
  // transaction (ctx.app_proto names the protocol).
  void WriteAnomaly(const decode::Packet& packet, std::string_view type, std::string_view event,
                    const EveContext& ctx);
  // Writes an already formatted record (newline included) as it is: the
  // writer thread does this with the records its workers formatted.
  void WriteRecord(std::string_view record);
  // Sends every record to `sink` instead of the file; Open is then not
  // needed (Flush does nothing for a sink; Reopen is the sink's).
  void set_sink(EveRecordSink* sink) { sink_ = sink; }
  void Flush();
  uint64_t records_written() const { return records_; }
  // Records lost because the sink failed (short fwrite, or no open file
  // after a failed Reopen).
  uint64_t write_errors() const { return write_errors_; }
  const std::string& path() const { return path_; }
  const EveWriterOptions& options() const { return options_; }

  static void FormatIntelAlert(const decode::Packet& packet, const intel::IntelStore& store,
                               const intel::Hit& hit, std::string_view observed, const EveContext& ctx,
                               std::string& out, const EveWriterOptions& options = {});
  static void FormatTransaction(const decode::Packet& packet, const app::TxUpdate& tx, const EveContext& ctx,
                                std::string& out, const EveWriterOptions& options = {});
  static void FormatFlow(const decode::Packet& packet, const flow::Flow& flow, flow::FlowEnd why,
                         const EveContext& ctx, std::string& out, const EveWriterOptions& options = {});
  // `magic`: libmagic's description of the body (WriteFileinfo asks its
  // own FileMagic); empty: none.
  static void FormatFileinfo(const decode::Packet& packet, const app::TxUpdate& tx, bool response,
                             std::string_view magic, const EveContext& ctx, std::string& out,
                             const EveWriterOptions& options = {});
  static void FormatAnomaly(const decode::Packet& packet, std::string_view type, std::string_view event,
                            const EveContext& ctx, std::string& out, const EveWriterOptions& options = {});
  // Formats an alert record without writing it (tests, other sinks).
  static void FormatAlert(const decode::Packet& packet, const rules::Rule& rule,
                          const EveContext& ctx, std::string& out,
                          const EveWriterOptions& options = {});

 private:
  void Emit();  // writes buffer_

  EveWriterOptions options_;
  EveRecordSink* sink_ = nullptr;
  std::string path_;
  FILE* file_ = nullptr;
  bool owns_file_ = false;
  std::string buffer_;
  FileMagic magic_;  // fileinfo "magic", this writer's thread only
  uint64_t records_ = 0;
  uint64_t write_errors_ = 0;
};

// Appends `s` to `out` as a JSON string literal (with quotes). Bytes that are
// not valid UTF-8 are written as \u00XX of the byte, so output is always valid.
void AppendJsonString(std::string& out, std::string_view s);

// ISO 8601 local-offset timestamp with microseconds, as Suricata writes it:
// 2024-04-21T10:11:12.123456+0000.
void AppendEveTimestamp(std::string& out, int64_t ts_ns);

// EVE "proto" value for an IP protocol number: the IANA keyword Suricata
// prints ("TCP", "UDP", "ICMP", "IPv6-ICMP", "SCTP", "GRE", ...), or an
// empty view for numbers without a name (the record then carries the number
// as a string, as Suricata does).
std::string_view EveProtoName(uint8_t ip_proto);

// Appends an address as Suricata prints it (unquoted): dotted quad for IPv4,
// and for IPv6 all eight groups of four hex digits, nothing compressed
// ("2001:0db8:0000:0000:0000:0000:0000:0001"), the form Suricata's EVE uses.
void AppendEveIp(std::string& out, const kagami::IpAddress& ip, bool ipv6);

// Community ID v1 (common/community_id.h) of a decoded packet: its IP
// addresses, protocol, and ports or ICMP type/code. Writes the NUL-terminated
// id into out and returns its length (30); returns 0 (out empty) for packets
// without one: no IP layer, or TCP/UDP/SCTP/ICMP without a decoded transport
// header (fragments, truncated headers; SCTP, whose header the decoder does
// not parse). For a packet taken out of a tunnel the id is the inner flow's.
size_t CommunityIdOf(const decode::Packet& packet, uint16_t seed,
                     char out[kagami::kCommunityIdBufferSize]);

// EVE "pkt_src" for a record about `packet` (see EvePacketSource).
std::string_view EvePacketSourceName(const decode::Packet& packet, EvePacketSource source);

}  // namespace kagami::output
