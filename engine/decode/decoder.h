#pragma once
// Decoder: turns a PacketView into a Packet. Never reads past caplen; a
// malformed frame is counted under its anomaly kind and reported as not
// decoded, never crashes.

#include <array>
#include <cstdint>
#include <string_view>

#include "capture/packet_view.h"
#include "engine/decode/packet.h"

namespace kagami::decode {

enum class Anomaly : uint8_t {
  kUnsupportedLinkType,
  kLinkTruncated,
  kVlanTruncated,
  kIpv4Truncated,
  kIpv4BadHeaderLength,
  kIpv4BadTotalLength,
  kIpv4BadOptions,
  kIpv6Truncated,
  kIpv6BadExtensionHeader,
  kTcpTruncated,
  kTcpBadHeaderLength,
  kTcpBadOptions,
  kUdpTruncated,
  kUdpBadLength,
  kIcmpTruncated,
  kIpChecksumBad,
  kTcpChecksumBad,
  kUdpChecksumBad,
  kIcmpChecksumBad,
  // Added by the decode module (values above keep their numbers).
  kIpBadVersion,               // IP version nibble does not match the link's claim
  kVlanTooManyTags,            // more than 2 tags: the deeper ones are skipped
  kIpv6ExtensionChainTooLong,  // more than kMaxIpv6ExtensionHeaders headers
  kCount,
};
std::string_view AnomalyName(Anomaly a);

// Longest IPv6 extension header chain the decoder walks.
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

struct DecoderOptions {
  bool verify_checksums = false;
};

struct DecoderCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;         // wire bytes
  // Per protocol: ipv4/ipv6 count decoded IP headers; tcp/udp/icmp count
  // decoded transport headers (icmp counts ICMPv4 and ICMPv6); other counts
  // frames decoded without a transport header (non-IP, fragments, ESP, ...).
  uint64_t ipv4 = 0, ipv6 = 0, tcp = 0, udp = 0, icmp = 0, other = 0;
  uint64_t vlan = 0;
  std::array<uint64_t, static_cast<size_t>(Anomaly::kCount)> anomalies{};
};

enum class DecodeResult : uint8_t {
  kOk,          // decoded (transport may be absent, e.g. a fragment or non-IP)
  kMalformed,   // a header was invalid; `packet` holds what was decoded before it
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {}) : options_(options) {}
  // Checksum validation can be switched off mid-capture (Suricata's "auto"
  // mode gives up on captures taken with checksum offloading).
  void set_verify_checksums(bool verify) { options_.verify_checksums = verify; }
  DecodeResult Decode(const capture::PacketView& view, Packet& packet);
  const DecoderCounters& counters() const { return counters_; }

 private:
  DecoderOptions options_;
  DecoderCounters counters_;
};

}  // namespace kagami::decode
