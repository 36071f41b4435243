#pragma once
// Where in traffic an indicator value was seen; printed in alert.context so an
// analyst knows which field matched ("dns.query", "tls.sni", "ip.dst"...).

#include <cstdint>
#include <string_view>

#include "rules/feeds/indicator.h"

namespace kagami::intel {

enum class Where : uint8_t {
  kIpSrc,
  kIpDst,
  kDnsQuery,
  kDnsAnswer,  // an answer's owner name or a name in its data (CNAME, NS, MX...)
  kTlsSni,
  kHttpHost,
  kHttpUrl,
  kHttpUserAgent,
  kTlsJa3,
  kTlsJa3s,
  kTlsJa4,
  kTlsCertSha1,
  kTlsCertSha256,
  kFileMd5,  // an HTTP body's digest
  kFileSha1,
  kFileSha256,
};
inline constexpr int kWhereCount = 16;

std::string_view WhereName(Where w);
// The indicator type a field is compared with (kIpSrc/kIpDst -> kIp, ...).
feeds::IndicatorType WhereType(Where w);

}  // namespace kagami::intel
