#pragma once
// AppLayer: protocol detection and the HTTP, DNS and TLS parsers for every
// flow of one worker. The pipeline hands it reassembled TCP data (new bytes
// only, in order, per direction) and UDP payloads; it answers with the
// transactions that changed, which the pipeline inspects (TxView) and logs.
//
// Detection is by content: an HTTP method or status line, a TLS record with
// a hello, a DNS message shape. Ports are only a hint (DNS needs a DNS port
// or a clean probe), so C2 on odd ports is still parsed.

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/app/app_proto.h"
#include "engine/app/buffers.h"
#include "engine/app/dns/dns_parser.h"
#include "engine/app/http/http_parser.h"
#include "engine/app/tls/tls_parser.h"
#include "engine/flow/flow.h"

namespace kagami::app {

struct AppLayerOptions {
  bool enabled = true;
  http::HttpOptions http{};
  dns::DnsOptions dns{};
  tls::TlsOptions tls{};
  // Bytes per direction protocol detection may look at before it gives up
  // (the flow is then "failed": packet rules still run, app rules do not).
  uint32_t detect_bytes = 4096;
  // BufferId bits some loaded rule inspects: FillView builds the buffers
  // that cost work to make (dotted names, http.start, http.header_names)
  // only when wanted. All by default.
  uint64_t wanted_buffers = ~uint64_t{0};
};

struct AppCounters {
  uint64_t flows_http = 0, flows_dns = 0, flows_tls = 0, flows_failed = 0;
  uint64_t http_transactions = 0, dns_messages = 0, tls_sessions = 0;
  uint64_t dns_malformed = 0;  // datagrams/frames too short for a DNS header
  // The UDP share of flows_dns and flows_failed (the rest is TCP): Suricata's
  // stats name them dns_udp / dns_tcp, failed_udp / failed_tcp.
  uint64_t flows_dns_udp = 0, flows_failed_udp = 0;
};

// A transaction that changed, to inspect in direction `to_server`.
struct TxUpdate {
  AppProto proto = AppProto::kUnknown;
  // The protocol's direction: requests (ClientHello, queries) to_server.
  bool to_server = true;
  // The flow's direction of the data, which differs from to_server when a
  // session picked up midstream started with the server's side.
  bool flow_to_server = true;
  uint64_t tx_id = 0;
  // tx_id numbers the flow's transactions (HTTP, TLS). A DNS message is not
  // paired with its answer into one: its tx_id is the DNS id, not an EVE one.
  bool has_tx_id = true;
  const http::Transaction* http = nullptr;
  const dns::Message* dns = nullptr;
  const tls::Session* tls = nullptr;
  TxInspectState* state = nullptr;
  // The transaction is complete in this update (HTTP: both sides done; DNS:
  // always; TLS: the handshake became encrypted or the flow ended). Logged
  // as an EVE transaction event once.
  bool completed = false;
};

class AppLayer {
 public:
  explicit AppLayer(const AppLayerOptions& options);
  ~AppLayer();

  // New in-order TCP bytes of one direction. `after_gap`: data was lost
  // before them.
  void OnTcpData(flow::Flow& flow, bool to_server, const uint8_t* data, size_t len, bool after_gap);
  // One UDP payload.
  void OnUdp(flow::Flow& flow, bool to_server, const uint8_t* data, size_t len);
  // The flow is ending: both directions close (a response read until close
  // completes now). Updates follow; call EndFlow after handling them.
  void OnFlowEnd(flow::Flow& flow);
  void EndFlow(flow::Flow& flow);

  // Transactions changed by the last On* call; valid until the next call.
  std::span<const TxUpdate> updates() const { return updates_; }
  // Fills `view` with the buffers of `u` that are final.
  void FillView(const TxUpdate& u, TxView* view);

  const AppCounters& counters() const { return counters_; }
  // Flows holding app-layer state (a parser or bytes waiting for detection).
  size_t flows_with_state() const { return live_; }
  // HTTP body digests to compute (http::DigestKind bits; file-hash
  // indicators) for flows whose HTTP parser starts from now on.
  void set_body_digests(uint8_t kinds) { options_.http.body_digests = kinds; }
  // What the loaded rules need (after a reload): whether HTTP bodies are
  // kept, for flows whose HTTP parser starts from now on, and which buffers
  // FillView builds, from the next update on.
  void set_rule_needs(bool keep_bodies, uint64_t wanted_buffers) {
    options_.http.keep_bodies = keep_bodies;
    options_.wanted_buffers = wanted_buffers;
  }

 private:
  struct FlowApp;
  FlowApp* StateFor(const flow::Flow& flow, bool create);
  void Detect(flow::Flow& flow, FlowApp& fa, bool to_server, const uint8_t* data, size_t len);
  void Start(flow::Flow& flow, FlowApp& fa, AppProto proto);
  void FeedParser(flow::Flow& flow, FlowApp& fa, bool to_server, const uint8_t* data, size_t len);
  void OnDnsMessage(bool to_server, const uint8_t* data, size_t len);
  void CollectHttp(FlowApp& fa, bool to_server, bool ending);
  void CollectTls(FlowApp& fa, bool to_server, bool ending);
  // Adds an update, filling flow_to_server from the flow's orientation.
  void Push(const FlowApp* fa, TxUpdate u);
  void Retire(FlowApp& fa);

  AppLayerOptions options_;
  std::vector<std::unique_ptr<FlowApp>> flows_;  // by flow slot
  size_t live_ = 0;
  std::vector<TxUpdate> updates_;
  // DNS messages of the current call (several per TCP chunk), each with a
  // fresh inspection state.
  std::deque<dns::Message> dns_messages_;
  std::deque<TxInspectState> dns_states_;
  size_t dns_used_ = 0;
  std::string start_scratch_;  // http.start of the view being filled
  char tls_version_[4] = {};   // tls.version of the view being filled
  std::vector<std::string> dot_scratch_;  // dotprefix-transformed names of the view
  std::string names_scratch_;             // http.header_names of the view
  // Stores "." + name in the next scratch slot and returns it.
  const std::string& Dotted(size_t* used, std::string_view name);
  AppCounters counters_;
};

}  // namespace kagami::app
