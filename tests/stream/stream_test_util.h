#pragma once
// A tiny TCP conversation driver for reassembler tests: builds decode::Packet
// values by hand (the decoder is tested elsewhere) and collects what the
// reassembler delivers per direction.

#include <cstdint>
#include <string>
#include <string_view>
#include <deque>
#include <vector>

#include "engine/decode/packet.h"
#include "engine/flow/flow_table.h"
#include "engine/stream/tcp_reassembler.h"

namespace kagami::stream::testing {

inline const uint8_t kDummyHeader[20] = {};

class Conversation {
 public:
  explicit Conversation(StreamOptions options = {}, flow::FlowOptions flow_options = {})
      : flows_(flow_options), tcp_(options, &flows_) {}

  // One packet; `from_client` picks the direction. Returns the update.
  const StreamUpdate& Send(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
                           std::string_view payload = {}) {
    decode::Packet p;
    p.ip_version = 4;
    p.src = from_client ? client_ : server_;
    p.dst = from_client ? server_ : client_;
    p.src_port = from_client ? 40000 : 80;
    p.dst_port = from_client ? 80 : 40000;
    p.ip_proto = 6;
    p.l4 = kDummyHeader;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    payloads_.emplace_back(payload);
    p.payload = reinterpret_cast<const uint8_t*>(payloads_.back().data());
    p.payload_len = static_cast<uint32_t>(payload.size());
    ts_ += 1000;
    lookup_ = flows_.Process(p, ts_);
    const StreamUpdate& u = tcp_.Process(*lookup_.flow, p, lookup_.to_server);
    Collect(u.own);
    Collect(u.other);
    last_ = u;
    return last_;
  }

  // Three-way handshake with the given initial sequence numbers.
  void Handshake(uint32_t client_isn, uint32_t server_isn) {
    Send(true, decode::kTcpSyn, client_isn, 0);
    Send(false, decode::kTcpSyn | decode::kTcpAck, server_isn, client_isn + 1);
    Send(true, decode::kTcpAck, client_isn + 1, server_isn + 1);
  }

  void Finish() {
    for (const StreamChunk& c : tcp_.Finish(*lookup_.flow)) Collect(c);
  }

  // Every new byte delivered in a direction, in delivery order.
  const std::string& delivered(bool to_server) const { return to_server ? to_server_ : to_client_; }
  // Every chunk (lookback + new) seen, for "was the pattern ever whole" checks.
  const std::vector<std::string>& chunks() const { return chunks_; }
  bool AnyChunkContains(std::string_view needle) const {
    for (const std::string& c : chunks_) {
      if (c.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  flow::Flow& flow() { return *lookup_.flow; }
  const StreamCounters& counters() const { return tcp_.counters(); }
  flow::FlowTable& flows() { return flows_; }
  TcpReassembler& tcp() { return tcp_; }

 private:
  void Collect(const StreamChunk& c) {
    if (!c.has_new()) return;
    std::string& out = c.to_server ? to_server_ : to_client_;
    out.append(reinterpret_cast<const char*>(c.data) + c.new_from, c.len - c.new_from);
    chunks_.emplace_back(reinterpret_cast<const char*>(c.data), c.len);
  }

  IpAddress client_ = *IpAddress::Parse("10.0.0.1");
  IpAddress server_ = *IpAddress::Parse("10.0.0.2");
  flow::FlowTable flows_;
  TcpReassembler tcp_;
  flow::FlowLookup lookup_;
  StreamUpdate last_;
  std::deque<std::string> payloads_;  // keeps packet payloads alive
  int64_t ts_ = 1'000'000'000;
  std::string to_server_, to_client_;
  std::vector<std::string> chunks_;
};

}  // namespace kagami::stream::testing
