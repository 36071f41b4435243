#include "engine/output/eve_intel.h"

#include <span>

#include "absl/strings/str_cat.h"
#include "engine/output/eve_writer.h"

namespace kagami::output {
namespace {

void AppendStringField(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  out.append(",\"");
  out.append(key);
  out.append("\":");
  AppendJsonString(out, value);
}

void AppendList(std::string& out, std::string_view key, std::span<const std::string> values) {
  if (values.empty()) return;
  out.append(",\"");
  out.append(key);
  out.append("\":[");
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(out, values[i]);
  }
  out.push_back(']');
}

}  // namespace

int IntelSeverity(int confidence) {
  if (confidence >= 75) return 1;
  if (confidence >= 40 || confidence < 0) return 2;
  return 3;
}

void AppendIntelAlertObject(std::string& out, const intel::IntelStore& store, const intel::Hit& hit,
                            std::string_view observed) {
  const intel::IntelStore::View v = store.view(hit.indicator);
  out.append("{\"action\":\"allowed\",\"gid\":");
  absl::StrAppend(&out, intel::kIntelGid);
  out.append(",\"signature_id\":");
  absl::StrAppend(&out, v.sid);
  out.append(",\"rev\":");
  absl::StrAppend(&out, v.rev);
  out.append(",\"signature\":");
  AppendJsonString(out, store.Signature(hit.indicator));
  out.append(",\"category\":\"Threat intelligence indicator\",\"severity\":");
  absl::StrAppend(&out, IntelSeverity(v.confidence));
  if (!v.malware.empty()) {
    out.append(",\"metadata\":{");
    out.append("\"malware_family\":[");
    for (size_t i = 0; i < v.malware.size(); ++i) {
      if (i) out.push_back(',');
      AppendJsonString(out, v.malware[i]);
    }
    out.append("]}");
  }
  out.append(",\"context\":{\"intel\":{\"indicator\":");
  AppendJsonString(out, v.value);
  out.append(",\"type\":\"");
  out.append(feeds::IndicatorTypeName(v.type));
  out.append("\",\"seen_in\":\"");
  out.append(intel::WhereName(hit.where));
  out.push_back('"');
  AppendStringField(out, "observed", observed);
  AppendStringField(out, "name", v.name);
  AppendStringField(out, "stix_id", v.stix_id);
  AppendStringField(out, "feed", v.feed);
  AppendStringField(out, "source", v.source);
  if (v.confidence >= 0) {
    out.append(",\"confidence\":");
    absl::StrAppend(&out, v.confidence);
  }
  AppendList(out, "campaigns", v.campaigns);
  AppendList(out, "intrusion_sets", v.intrusion_sets);
  AppendList(out, "malware", v.malware);
  AppendList(out, "labels", v.labels);
  AppendStringField(out, "reference", v.reference);
  AppendStringField(out, "description", v.description);
  out.append("}}}");
}

}  // namespace kagami::output
