#pragma once
// The generator's model of traffic: a session is one conversation between a
// client and a server, given as the application messages each side sends.
// The writer (session_writer.h) turns sessions into packets: TCP handshakes,
// segmentation, ACKs and teardown, or single UDP datagrams. Benign traffic
// (benign_traffic.h) and injected C2 (c2_family.h) are both built as sessions,
// so everything a capture holds goes through the same packet code.

#include <cstdint>
#include <string>
#include <vector>

namespace kagami::gen {

struct Endpoint {
  std::string ip;      // "10.0.0.1" or "2001:db8::1"
  uint16_t port = 0;
};

enum class Transport { kTcp, kUdp };

struct Message {
  bool from_client = true;
  std::string bytes;   // one application message (an HTTP request, a DNS message, a TLS flight)
};

struct Session {
  Transport transport = Transport::kTcp;
  Endpoint client, server;
  std::vector<Message> messages;
  std::string label;   // what made it: "benign/http", "c2/datper", ...
};

}  // namespace kagami::gen
