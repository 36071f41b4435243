#pragma once
// Community ID v1 flow hashing (https://github.com/corelight/community-id-spec):
// a string that names a flow the same way in Kagami, Suricata, Zeek, Arkime,
// Elastic, ..., so records of one flow can be joined across tools.
//
//   "1:" + base64(SHA-1(seed . addr_lo . addr_hi . proto . 0 . port_lo . port_hi))
//
// seed: 2 bytes big-endian; addresses: 4 (IPv4) or 16 (IPv6) bytes as on the
// wire; proto: 1 byte followed by one zero pad byte; ports: 2 bytes each,
// big-endian, only for protocols that have them (TCP, UDP, SCTP, and ICMP /
// ICMPv6 whose type and code are mapped to port equivalents as Zeek does).
// The endpoints are ordered so the smaller address (then the smaller port)
// comes first, which gives both directions of a flow the same id, except for
// one-way ICMP messages (errors, unpaired types), which keep their direction.

#include <cstddef>
#include <cstdint>

#include "common/ip_address.h"

namespace kagami {

// Length of a v1 id ("1:" + 28 base64 characters) and the buffer it needs
// (the id is NUL-terminated).
inline constexpr size_t kCommunityIdLength = 30;
inline constexpr size_t kCommunityIdBufferSize = 32;

struct CommunityIdInput {
  IpAddress src;
  IpAddress dst;
  // Hash the 16-byte addresses; otherwise the IPv4 address (the low four
  // bytes of the IPv4-mapped form) is hashed.
  bool is_ipv6 = false;
  uint8_t proto = 0;  // IP protocol number (after IPv6 extension headers)
  // The transport header was decoded: src_port/dst_port (TCP, UDP, SCTP) or
  // icmp_type/icmp_code (ICMP = 1, ICMPv6 = 58) are valid. Other protocols
  // hash no ports and ignore this and the fields below.
  bool has_l4 = false;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
};

// Writes the NUL-terminated id ("1:LQU9qZlK+B5F3KDmev6m5PMibrg=") into out
// and returns its length (kCommunityIdLength). Returns 0 and writes an empty
// string when the spec defines no id for the input: a protocol with ports
// (TCP, UDP, SCTP, ICMP, ICMPv6) whose transport header is missing, e.g. a
// non-first fragment. Nothing here allocates; OpenSSL 3.0's EVP re-init of
// the per-thread SHA-1 context allocates its ~100-byte state per call (later
// OpenSSL 3 releases reuse it). Thread-safe.
size_t CommunityId(const CommunityIdInput& in, uint16_t seed, char out[kCommunityIdBufferSize]);

// ICMP (is_v6 = false) / ICMPv6 type and code as the (source, destination)
// port pair the hash uses: request/reply types map to (type, counterpart
// type) and are two-way; every other type maps to (type, code) and is
// one-way. Exposed for tests.
struct CommunityIdIcmpPorts {
  uint16_t src_port;
  uint16_t dst_port;
  bool one_way;
};
CommunityIdIcmpPorts CommunityIdIcmpPortEquivalents(bool is_v6, uint8_t type, uint8_t code);

}  // namespace kagami
