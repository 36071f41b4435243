#include "engine/intel/where.h"

namespace kagami::intel {

using feeds::IndicatorType;

std::string_view WhereName(Where w) {
  switch (w) {
    case Where::kIpSrc: return "ip.src";
    case Where::kIpDst: return "ip.dst";
    case Where::kDnsQuery: return "dns.query";
    case Where::kDnsAnswer: return "dns.answer";
    case Where::kTlsSni: return "tls.sni";
    case Where::kHttpHost: return "http.host";
    case Where::kHttpUrl: return "http.url";
    case Where::kHttpUserAgent: return "http.user_agent";
    case Where::kTlsJa3: return "tls.ja3.hash";
    case Where::kTlsJa3s: return "tls.ja3s.hash";
    case Where::kTlsJa4: return "tls.ja4.hash";
    case Where::kTlsCertSha1: return "tls.cert_fingerprint";
    case Where::kTlsCertSha256: return "tls.cert_sha256";
    case Where::kFileMd5: return "file.md5";
    case Where::kFileSha1: return "file.sha1";
    case Where::kFileSha256: return "file.sha256";
  }
  return "unknown";
}

IndicatorType WhereType(Where w) {
  switch (w) {
    case Where::kIpSrc:
    case Where::kIpDst: return IndicatorType::kIp;
    case Where::kDnsQuery:
    case Where::kDnsAnswer:
    case Where::kTlsSni:
    case Where::kHttpHost: return IndicatorType::kDomain;
    case Where::kHttpUrl: return IndicatorType::kUrl;
    case Where::kHttpUserAgent: return IndicatorType::kUserAgent;
    case Where::kTlsJa3: return IndicatorType::kJa3;
    case Where::kTlsJa3s: return IndicatorType::kJa3s;
    case Where::kTlsJa4: return IndicatorType::kJa4;
    case Where::kTlsCertSha1: return IndicatorType::kCertSha1;
    case Where::kTlsCertSha256: return IndicatorType::kCertSha256;
    case Where::kFileMd5: return IndicatorType::kFileMd5;
    case Where::kFileSha1: return IndicatorType::kFileSha1;
    case Where::kFileSha256: return IndicatorType::kFileSha256;
  }
  return IndicatorType::kIp;
}

}  // namespace kagami::intel
