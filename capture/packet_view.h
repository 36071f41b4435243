#pragma once
// The one type every packet source yields: a view of one captured frame.
// The bytes are owned by the source (an mmap'd file, a libpcap ring) and stay
// valid until the next call to PacketSource::Next; nothing is copied.

#include <cstdint>

namespace kagami::capture {

// Link-layer header types, numbered as in the pcap/pcapng LINKTYPE_ registry.
enum LinkType : uint32_t {
  kLinkNull = 0,         // BSD loopback: 4-byte host-order address family
  kLinkEthernet = 1,
  kLinkRaw = 101,        // raw IPv4 or IPv6, version from the first nibble
  kLinkCiscoHdlc = 104,
  kLinkLoop = 108,       // OpenBSD loopback: 4-byte network-order family
  kLinkLinuxSll = 113,
  kLinkIpv4 = 228,
  kLinkIpv6 = 229,
  kLinkLinuxSll2 = 276,
};

struct PacketView {
  int64_t ts_ns = 0;          // capture time, nanoseconds since the Unix epoch
  uint32_t linktype = kLinkEthernet;
  uint32_t caplen = 0;        // bytes present in `data`
  uint32_t wirelen = 0;       // bytes on the wire (>= caplen)
  const uint8_t* data = nullptr;
  uint64_t index = 0;         // 1-based packet number within its source
  uint64_t offset = 0;        // byte offset of the record in its file (0 live)
};

}  // namespace kagami::capture
