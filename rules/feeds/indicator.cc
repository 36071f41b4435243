#include "rules/feeds/indicator.h"

#include <utility>

namespace kagami::feeds {

std::string_view IndicatorTypeName(IndicatorType t) {
  switch (t) {
    case IndicatorType::kIp: return "ip";
    case IndicatorType::kPort: return "port";
    case IndicatorType::kDomain: return "domain";
    case IndicatorType::kUrl: return "url";
    case IndicatorType::kUserAgent: return "user_agent";
    case IndicatorType::kJa3: return "ja3";
    case IndicatorType::kJa3s: return "ja3s";
    case IndicatorType::kJa4: return "ja4";
    case IndicatorType::kCertSha1: return "cert_sha1";
    case IndicatorType::kCertSha256: return "cert_sha256";
    case IndicatorType::kFileMd5: return "file_md5";
    case IndicatorType::kFileSha1: return "file_sha1";
    case IndicatorType::kFileSha256: return "file_sha256";
  }
  return "unknown";
}

void Indicator::Clear() {
  id.clear();
  name.clear();
  description.clear();
  clauses.clear();
  source.clear();
  reference.clear();
  confidence = -1;
  labels.clear();
  campaigns.clear();
  intrusion_sets.clear();
  malware.clear();
  where = {};
}

void swap(Indicator& a, Indicator& b) noexcept {
  a.id.swap(b.id);
  a.name.swap(b.name);
  a.description.swap(b.description);
  a.clauses.swap(b.clauses);
  a.source.swap(b.source);
  a.reference.swap(b.reference);
  std::swap(a.confidence, b.confidence);
  a.labels.swap(b.labels);
  a.campaigns.swap(b.campaigns);
  a.intrusion_sets.swap(b.intrusion_sets);
  a.malware.swap(b.malware);
  a.where.file.swap(b.where.file);
  std::swap(a.where.line, b.where.line);
  std::swap(a.where.column, b.where.column);
}

void IndicatorSink::AttributePlaced(const PlacedAttribution& attribution,
                                    const std::function<std::string(uint32_t)>& id_of) {
  for (size_t p = 0; p < attribution.set_of.size(); ++p) {
    const uint32_t set = attribution.set_of[p];
    if (set == PlacedAttribution::kNoSet) continue;
    const std::string id = id_of(static_cast<uint32_t>(p));
    for (const PlacedAttribution::Name& n : attribution.sets[set]) Attribute(id, n.kind, n.name);
  }
}

}  // namespace kagami::feeds
