#pragma once
// The attack builders behind GenerateAttack (attacks.cc), one function per
// kind, grouped by file: attack_floods.cc (syn-flood, frag-flood),
// attack_tcp.cc (tcp-reverse, http-slow-headers, http-upload),
// attack_payloads.cc (dns-pointer-loops, tls-lying-lengths) and
// attack_time.cc (time-backwards). Each writes `count` of its unit through
// `out`, calling out.At() as it goes so the legitimate sessions land
// across the capture, and leaves `now_ns` at its last packet's time.

#include <cstdint>
#include <string>

#include "tools/gen/attack_output.h"
#include "tools/gen/attacks.h"
#include "tools/gen/frame_builder.h"
#include "tools/gen/rng.h"

namespace kagami::gen {

struct AttackRun {
  uint64_t count;
  SegmentOrder order;
  Rng& rng;
  AttackOutput& out;
  int64_t now_ns;
};

// The server every attack aims at, inside HOME_NET; the legitimate
// sessions ask it too, so they compete with the attack for its flows.
inline constexpr uint32_t kTargetServer = Ipv4(10, 20, 0, 80);
inline constexpr char kTargetServerText[] = "10.20.0.80";
inline constexpr char kTargetHost[] = "www.kagami-target.test";

// A routable-looking source outside 10.0.0.0/8 (so never a legitimate
// client) and outside loopback, multicast and 0/8: what a spoofing
// attacker would pick.
uint32_t AttackerAddress(Rng& rng);
std::string AddressText(uint32_t addr);

// The smallest request tcp-reverse can make (its URI, headers and end).
uint64_t MinimumMarkerRequest();
// The tcp-reverse request: exactly `size` bytes (at least
// MinimumMarkerRequest()), a GET whose URI starts with kAttackMarker, made
// up to size with URI padding or a Content-Length body.
std::string MarkerRequest(Rng& rng, uint64_t size);

void WriteSynFlood(AttackRun& run);
void WriteFragFlood(AttackRun& run);
void WriteTcpReverse(AttackRun& run);
void WriteHttpSlowHeaders(AttackRun& run);
void WriteHttpUpload(AttackRun& run);
void WriteDnsPointerLoops(AttackRun& run);
void WriteTlsLyingLengths(AttackRun& run);
void WriteTimeBackwards(AttackRun& run);

}  // namespace kagami::gen
