#pragma once
// Wire-level helpers shared by the parser and the protocol probe (internal to
// engine/app/dns).

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/app/dns/dns_parser.h"

namespace kagami::app::dns::wire {

inline constexpr size_t kHeaderLen = 12;
inline constexpr size_t kNoName = static_cast<size_t>(-1);
// Compression pointers followed per name. Pointers must go strictly
// backwards, so loops end anyway; the cap bounds the work of a long chain.
inline constexpr uint32_t kMaxPointerHops = 64;

inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Load32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// Where a name reader reports problems; null to ignore them (the probe).
struct AnomalySink {
  std::vector<std::pair<Anomaly, uint32_t>>* list = nullptr;
  mutable uint32_t count = 0;            // every Add, recorded or not
  mutable Anomaly last = Anomaly::kCount;  // the latest Add
  void Add(Anomaly a, size_t offset) const {
    ++count;
    last = a;
    if (list != nullptr && list->size() < kMaxAnomalies)
      list->emplace_back(a, static_cast<uint32_t>(offset));
  }
};

struct NameOut {
  std::string* text = nullptr;  // null: only find the end
  bool truncated = false;       // text was cut at kMaxNameText
};

// Reads the name starting at `pos` of the message msg[0, len). Its in-place
// part (up to the terminating zero or the first pointer) must end by
// `limit` (<= len; the rdata end for names inside rdata). Returns the offset
// just after the in-place part, or kNoName when that end cannot be known
// (cut off, or a reserved label type before any pointer). Problems after
// the first pointer only cut the name short; they are still reported.
size_t ReadName(const uint8_t* msg, size_t len, size_t pos, size_t limit, NameOut& out,
                const AnomalySink& sink);

// Address text written into `s` (replacing it), reusing its capacity.
void AssignIpv4(std::string& s, const uint8_t addr[4]);
void AssignIpv6Expanded(std::string& s, const uint8_t addr[16]);

}  // namespace kagami::app::dns::wire
