#pragma once
// Internal to engine/decode: what the layer decoders share while decoding one
// frame. Each layer checks its own bounds against the length it is given and
// never looks past it.

#include <cstdint>

#include "engine/decode/decoder.h"
#include "engine/decode/packet.h"

namespace kagami::decode::internal {

inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Load32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// Walks IPv4- and TCP-style options: kind 0 ends the list, kind 1 is a
// one-byte NOP, every other kind is kind, length (counting those two bytes),
// value. `visit(kind, len, value)` sees every option, EOL and NOP included
// (len 1), and returns false to stop early. Returns false when an option's
// length does not fit the options area (the walk stops there).
template <typename Visit>
bool WalkOptions(const uint8_t* o, uint32_t n, Visit&& visit) {
  for (uint32_t i = 0; i < n;) {
    const uint8_t kind = o[i];
    if (kind <= 1) {
      if (!visit(kind, uint8_t{1}, o + i + 1) || kind == 0) return true;
      ++i;
      continue;
    }
    if (n - i < 2 || o[i + 1] < 2 || o[i + 1] > n - i) return false;
    const uint8_t len = o[i + 1];
    if (!visit(kind, len, o + i + 2)) return true;
    i += len;
  }
  return true;
}

struct Context {
  Packet& pkt;
  DecoderCounters& counters;
  bool verify_checksums;
  // caplen covers wirelen: a length field pointing past the data is then a
  // lie of the packet, not the snaplen cutting it short.
  bool fully_captured;

  void Flag(Anomaly a) {
    ++counters.anomalies[static_cast<size_t>(a)];
    // A bad checksum is counted but not an anomaly record: as in Suricata,
    // where it is no decoder event (and offloading makes them common).
    const bool checksum = a == Anomaly::kIpChecksumBad || a == Anomaly::kTcpChecksumBad ||
                          a == Anomaly::kUdpChecksumBad || a == Anomaly::kIcmpChecksumBad;
    if (!checksum && pkt.anomaly == Packet::kNoAnomaly) pkt.anomaly = static_cast<uint8_t>(a);
  }
};

enum class Network : uint8_t { kNone, kIpv4, kIpv6, kByVersion };

struct LinkResult {
  Network network = Network::kNone;
  uint32_t offset = 0;  // where the network header starts
};

// Where the transport segment lies, as the IP layer found it.
struct IpResult {
  const uint8_t* l4 = nullptr;
  uint32_t captured = 0;  // segment bytes present (<= claimed)
  uint32_t claimed = 0;   // segment length according to the IP header(s)
  const uint8_t* src = nullptr;  // raw addresses for the pseudo header
  const uint8_t* dst = nullptr;  // (IPv6: final destination of a routing header)
  bool v6 = false;
};

// Each returns false when the frame is malformed at that layer (the anomaly
// is already counted); the Packet keeps what was decoded before.
bool DecodeLink(Context& c, uint32_t linktype, const uint8_t* data, uint32_t len,
                LinkResult& out);
bool DecodeIpv4(Context& c, const uint8_t* p, uint32_t len, IpResult& out);
bool DecodeIpv6(Context& c, const uint8_t* p, uint32_t len, IpResult& out);
// Decodes the transport header of c.pkt.ip_proto when it is one we know.
bool DecodeTransport(Context& c, const IpResult& ip);
// IP (by `net`, or by the version nibble for kByVersion) then the transport
// header: the part of decoding shared by frames and tunnel inner packets.
DecodeResult DecodeNetwork(Context& c, Network net, const uint8_t* p, uint32_t n);

}  // namespace kagami::decode::internal
