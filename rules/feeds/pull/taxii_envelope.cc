#include "rules/feeds/pull/taxii_envelope.h"

#include <utility>

#include "rules/feeds/pull/json_text.h"
#include "rules/feeds/stix_reader.h"

namespace kagami::feeds::pull {
namespace {

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

bool DescribeStixObject(const rapidjson::Value& object, StoredObject* out) {
  const std::optional<std::string_view> id = StringMember(object, "id");
  const std::optional<std::string_view> type = StringMember(object, "type");
  if (!id || id->empty() || !type || type->empty()) return false;
  out->key = std::string(*id);
  out->type = std::string(*type);
  // STIX domain objects are versioned by `modified`; marking definitions
  // have only `created`; cyber observables have neither (one version).
  std::optional<std::string_view> version = StringMember(object, "modified");
  if (!version) version = StringMember(object, "created");
  out->version = std::string(version.value_or(""));
  out->modified_unix = version ? ParseRfc3339(*version).value_or(0) : 0;
  out->valid_until_unix = 0;
  if (const std::optional<std::string_view> until = StringMember(object, "valid_until")) {
    // A valid_until that is no time at all is the reader's to report; here
    // it does not expire anything.
    out->valid_until_unix = ParseRfc3339(*until).value_or(0);
  }
  out->removed = BoolMember(object, "revoked").value_or(false);
  out->group.clear();
  out->json = JsonText(object);
  return true;
}

bool ParseTaxiiEnvelope(std::string_view body, TaxiiEnvelope* envelope, std::string* error) {
  *envelope = TaxiiEnvelope();
  if (IsBlank(body)) return true;
  JsonDocument doc;
  if (!ParseJsonText(body, &doc, error)) return false;
  const rapidjson::Value& root = doc;
  if (!root.IsObject()) {
    *error = "not a TAXII envelope: the response is not a JSON object";
    return false;
  }
  if (auto it = root.FindMember("more"); it != root.MemberEnd()) {
    if (!it->value.IsBool()) {
      *error = "not a TAXII envelope: \"more\" is not true or false";
      return false;
    }
    envelope->more = it->value.GetBool();
  }
  if (auto it = root.FindMember("next"); it != root.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsString()) {
      *error = "not a TAXII envelope: \"next\" is not a string";
      return false;
    }
    envelope->next.assign(it->value.GetString(), it->value.GetStringLength());
  }
  if (auto it = root.FindMember("objects"); it != root.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsArray()) {
      *error = "not a TAXII envelope: \"objects\" is not an array";
      return false;
    }
    envelope->objects.reserve(it->value.Size());
    for (const rapidjson::Value& v : it->value.GetArray()) {
      StoredObject o;
      if (DescribeStixObject(v, &o)) {
        envelope->objects.push_back(std::move(o));
      } else {
        ++envelope->ignored;
      }
    }
  }
  return true;
}

bool ParseTaxiiServerInfo(std::string_view body, TaxiiServerInfo* info, std::string* error) {
  *info = TaxiiServerInfo();
  JsonDocument doc;
  if (!ParseJsonText(body, &doc, error)) return false;
  const rapidjson::Value& root = doc;
  if (!root.IsObject()) {
    *error = "neither a TAXII discovery resource nor an API root: not a JSON object";
    return false;
  }
  const rapidjson::Value* roots = ArrayMember(root, "api_roots");
  const std::optional<std::string_view> default_root = StringMember(root, "default");
  if (roots || default_root) {
    info->is_discovery = true;
    info->default_root = std::string(default_root.value_or(""));
    if (roots) {
      for (const rapidjson::Value& r : roots->GetArray()) {
        if (r.IsString() && r.GetStringLength() > 0) info->api_roots.emplace_back(r.GetString(), r.GetStringLength());
      }
    }
    return true;
  }
  if (root.HasMember("versions") || root.HasMember("max_content_length") || StringMember(root, "title")) return true;
  *error = "neither a TAXII discovery resource (api_roots) nor an API root (title, versions)";
  return false;
}

bool ParseTaxiiCollections(std::string_view body, std::vector<TaxiiCollection>* collections, std::string* error) {
  collections->clear();
  if (IsBlank(body)) return true;
  JsonDocument doc;
  if (!ParseJsonText(body, &doc, error)) return false;
  const rapidjson::Value& root = doc;
  if (!root.IsObject()) {
    *error = "not a TAXII collections resource: not a JSON object";
    return false;
  }
  auto it = root.FindMember("collections");
  if (it == root.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsArray()) {
    *error = "not a TAXII collections resource: \"collections\" is not an array";
    return false;
  }
  for (const rapidjson::Value& c : it->value.GetArray()) {
    const std::optional<std::string_view> id = StringMember(c, "id");
    if (!id) continue;
    TaxiiCollection out;
    out.id = std::string(*id);
    out.title = std::string(StringMember(c, "title").value_or(""));
    out.can_read = BoolMember(c, "can_read").value_or(false);
    collections->push_back(std::move(out));
  }
  return true;
}

}  // namespace kagami::feeds::pull
