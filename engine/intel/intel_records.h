#pragma once
// The compact per-indicator and per-clause records an IntelStore keeps
// (shared by IntelBuilderImpl, which fills them, and IntelStore).

#include <cstdint>
#include <string>

#include "rules/feeds/indicator.h"

namespace kagami::intel {

// IndicatorRecord::detail: kNoDetail; kStixIdOnly | StringTable id when the
// STIX id is the only text (most STIX indicators); else an IndicatorDetail.
inline constexpr uint32_t kNoDetail = UINT32_MAX;
inline constexpr uint32_t kStixIdOnly = 0x80000000;

// One indicator: 20 bytes. Everything shared between indicators (attribution,
// feed) is an id; text lives in the store's arena or string table; the sid
// is computed from the STIX id or the value when asked for.
struct IndicatorRecord {
  uint32_t value_off = 0, value_len = 0;  // printable first value, in the arena
  uint32_t profile = 0;                   // ProfileTable id
  uint32_t detail = kNoDetail;            // see kNoDetail
  uint16_t feed = 0;
  feeds::IndicatorType type = feeds::IndicatorType::kIp;  // of the printable value
  int8_t confidence = -1;
};
static_assert(sizeof(IndicatorRecord) == 20);

// Text mostly unique to one indicator (StringTable ids; 0 = none). Details
// without a STIX id are shared when equal.
struct IndicatorDetail {
  uint32_t stix_id = 0, name = 0, description = 0, reference = 0;
  bool operator==(const IndicatorDetail&) const = default;
};

// One term of a clause. Strings: (a, b) = (offset, length) in the arena;
// kIp: with v4 set, (a, b) = the IPv4 range (host order), else a = index of
// its range in a side vector; kPort: the port range.
struct TermRef {
  uint32_t a = 0, b = 0;
  uint16_t port_lo = 0, port_hi = 0;
  feeds::IndicatorType type = feeds::IndicatorType::kIp;
  feeds::Side side = feeds::Side::kEither;
  uint8_t v4 = 0;
};
static_assert(sizeof(TermRef) == 16);

struct FeedInfo {
  std::string name;
  bool match_subdomains = true;
};

// Values compared without regard to ASCII case are stored lower-case.
inline bool FoldsCase(feeds::IndicatorType t) {
  return t != feeds::IndicatorType::kIp && t != feeds::IndicatorType::kPort &&
         t != feeds::IndicatorType::kUrl && t != feeds::IndicatorType::kUserAgent;
}

// Clause ids in the lookup tables carry flags in their top bits; bit 28 is
// ValueIndex::kKeyBit.
inline constexpr uint32_t kClauseMask = 0x0fffffff;  // at most 2^28 clauses
inline constexpr uint32_t kMaxClauses = kClauseMask;
// The clause has terms beyond the one it is indexed under, to verify.
inline constexpr uint32_t kVerifyBit = 0x20000000;
// Domain keys: the indicator's feed lets subdomains match.
inline constexpr uint32_t kSubdomainsBit = 0x80000000;
// IP blocks: the term's Side in bits 30..31.
inline constexpr int kSideShift = 30;

}  // namespace kagami::intel
