#include "rules/feeds/pull/misp_attribute.h"

#include <utility>

#include "rules/feeds/pull/eager_json.h"
#include "rules/feeds/pull/json_text.h"

namespace kagami::feeds::pull {
namespace {

std::string Str(const rapidjson::Value& object, const char* name) {
  return std::string(StringMember(object, name).value_or(""));
}

// An id may come as a number or a string.
std::string IdText(const rapidjson::Value& object, const char* name) {
  if (const std::optional<std::string_view> s = StringMember(object, name)) return std::string(*s);
  if (const std::optional<int64_t> n = IntMember(object, name)) return std::to_string(*n);
  return "";
}

void AppendTags(const rapidjson::Value& object, std::vector<std::string>* tags) {
  const rapidjson::Value* list = ArrayMember(object, "Tag");
  if (!list) return;
  for (const rapidjson::Value& t : list->GetArray()) {
    // {"name": "tlp:amber", "colour": ...}; a bare string is accepted too.
    if (t.IsString()) {
      tags->emplace_back(t.GetString(), t.GetStringLength());
    } else if (const std::optional<std::string_view> name = StringMember(t, "name"); name && !name->empty()) {
      tags->emplace_back(*name);
    }
  }
}

std::string OrgName(const rapidjson::Value& event) {
  if (const rapidjson::Value* orgc = ObjectMember(event, "Orgc")) return Str(*orgc, "name");
  return "";
}

int ThreatLevel(const rapidjson::Value& event) {
  const int64_t level = IntMember(event, "threat_level_id").value_or(0);
  return level >= 1 && level <= 4 ? static_cast<int>(level) : 0;
}

// The attribute's own fields; false when it lacks what makes it one.
bool ReadAttribute(const rapidjson::Value& a, MispAttribute* out) {
  if (!a.IsObject()) return false;
  out->uuid = Str(a, "uuid");
  out->type = Str(a, "type");
  out->value = Str(a, "value");
  if (out->uuid.empty() || out->type.empty() || out->value.empty()) return false;
  out->timestamp = IntMember(a, "timestamp").value_or(0);
  out->to_ids = BoolMember(a, "to_ids").value_or(false);
  out->deleted = BoolMember(a, "deleted").value_or(false);
  out->event_id = IdText(a, "event_id");
  out->tags.clear();
  AppendTags(a, &out->tags);
  return true;
}

void ApplyEvent(const MispEventSummary& event, const std::string& event_uuid, MispAttribute* a) {
  a->event_uuid = event_uuid;
  a->info = event.info;
  a->org = event.org;
  a->threat_level = event.threat_level;
  a->tags.insert(a->tags.end(), event.tags.begin(), event.tags.end());
}

void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

bool ParseMispRestSearch(std::string_view body, std::vector<MispAttribute>* attributes, std::string* error,
                         size_t* ignored) {
  attributes->clear();
  JsonDocument doc;
  if (!ParseJsonText(body, &doc, error)) return false;
  const rapidjson::Value& root = doc;
  if (!root.IsObject()) {
    *error = "not a MISP restSearch response: not a JSON object";
    return false;
  }
  const rapidjson::Value* list = nullptr;
  if (auto it = root.FindMember("response"); it != root.MemberEnd()) {
    // No match is {"response": []} on some versions, {"response":
    // {"Attribute": []}} on others.
    if (it->value.IsArray() && it->value.Empty()) return true;
    list = ArrayMember(it->value, "Attribute");
  } else {
    list = ArrayMember(root, "Attribute");
  }
  if (!list) {
    *error = "not a MISP restSearch response: no \"response\": {\"Attribute\": [...]}";
    return false;
  }
  attributes->reserve(list->Size());
  for (const rapidjson::Value& a : list->GetArray()) {
    MispAttribute out;
    if (!ReadAttribute(a, &out)) {
      if (ignored) ++*ignored;
      continue;
    }
    if (const rapidjson::Value* event = ObjectMember(a, "Event")) {
      MispEventSummary summary;
      summary.info = Str(*event, "info");
      summary.org = OrgName(*event);
      summary.threat_level = ThreatLevel(*event);
      AppendTags(*event, &summary.tags);
      if (out.event_id.empty()) out.event_id = IdText(*event, "id");
      ApplyEvent(summary, Str(*event, "uuid"), &out);
    }
    attributes->push_back(std::move(out));
  }
  return true;
}

bool ParseMispManifest(std::string_view body, std::map<std::string, MispEventSummary>* events, std::string* error,
                       size_t* ignored) {
  events->clear();
  JsonDocument doc;
  if (!ParseJsonText(body, &doc, error)) return false;
  const rapidjson::Value& root = doc;
  if (!root.IsObject()) {
    *error = "not a MISP feed manifest: not a JSON object of events by uuid";
    return false;
  }
  for (auto it = root.MemberBegin(); it != root.MemberEnd(); ++it) {
    const std::string_view uuid(it->name.GetString(), it->name.GetStringLength());
    if (!IsUuid(uuid) || !it->value.IsObject()) {
      if (ignored) ++*ignored;
      continue;
    }
    MispEventSummary e;
    e.timestamp = IntMember(it->value, "timestamp").value_or(0);
    e.info = Str(it->value, "info");
    e.org = OrgName(it->value);
    e.threat_level = ThreatLevel(it->value);
    AppendTags(it->value, &e.tags);
    // Lower case: the same event named twice in different cases is one.
    std::string key(uuid);
    for (char& c : key) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    (*events)[key] = std::move(e);
  }
  return true;
}

bool ParseMispEvent(std::string_view body, std::vector<MispAttribute>* attributes, std::string* error,
                    size_t* ignored) {
  attributes->clear();
  JsonDocument doc;
  if (!ParseJsonText(body, &doc, error)) return false;
  const rapidjson::Value& root = doc;
  const rapidjson::Value* event = root.IsObject() ? ObjectMember(root, "Event") : nullptr;
  if (!event) {
    *error = "not a MISP event: no \"Event\" object";
    return false;
  }
  MispEventSummary summary;
  summary.info = Str(*event, "info");
  summary.org = OrgName(*event);
  summary.threat_level = ThreatLevel(*event);
  AppendTags(*event, &summary.tags);
  const std::string event_uuid = Str(*event, "uuid");
  const std::string event_id = IdText(*event, "id");
  auto take = [&](const rapidjson::Value& list) {
    for (const rapidjson::Value& a : list.GetArray()) {
      MispAttribute out;
      if (!ReadAttribute(a, &out)) {
        if (ignored) ++*ignored;
        continue;
      }
      if (out.event_id.empty()) out.event_id = event_id;
      ApplyEvent(summary, event_uuid, &out);
      attributes->push_back(std::move(out));
    }
  };
  if (const rapidjson::Value* list = ArrayMember(*event, "Attribute")) take(*list);
  if (const rapidjson::Value* objects = ArrayMember(*event, "Object")) {
    for (const rapidjson::Value& o : objects->GetArray()) {
      // A deleted object takes its attributes with it.
      if (BoolMember(o, "deleted").value_or(false)) {
        if (const rapidjson::Value* list = ArrayMember(o, "Attribute")) {
          const size_t before = attributes->size();
          take(*list);
          for (size_t i = before; i < attributes->size(); ++i) (*attributes)[i].deleted = true;
        }
        continue;
      }
      if (const rapidjson::Value* list = ArrayMember(o, "Attribute")) take(*list);
    }
  }
  return true;
}

std::string MispAttributeJson(const MispAttribute& a) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("uuid");
  WriteString(w, a.uuid);
  w.Key("type");
  WriteString(w, a.type);
  w.Key("value");
  WriteString(w, a.value);
  w.Key("timestamp");
  w.Int64(a.timestamp);
  w.Key("event_uuid");
  WriteString(w, a.event_uuid);
  w.Key("event_id");
  WriteString(w, a.event_id);
  w.Key("info");
  WriteString(w, a.info);
  w.Key("org");
  WriteString(w, a.org);
  w.Key("threat_level");
  w.Int(a.threat_level);
  w.Key("tags");
  w.StartArray();
  for (const std::string& t : a.tags) WriteString(w, t);
  w.EndArray();
  w.Key("reference");
  WriteString(w, a.reference);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool ParseMispAttributeJson(std::string_view json, MispAttribute* a) {
  JsonDocument doc;
  std::string error;
  if (!ParseJsonText(json, &doc, &error) || !doc.IsObject()) return false;
  *a = MispAttribute();
  a->uuid = Str(doc, "uuid");
  a->type = Str(doc, "type");
  a->value = Str(doc, "value");
  a->timestamp = IntMember(doc, "timestamp").value_or(0);
  a->to_ids = true;  // only attributes for IDS are kept
  a->event_uuid = Str(doc, "event_uuid");
  a->event_id = Str(doc, "event_id");
  a->info = Str(doc, "info");
  a->org = Str(doc, "org");
  a->threat_level = static_cast<int>(IntMember(doc, "threat_level").value_or(0));
  if (const rapidjson::Value* tags = ArrayMember(doc, "tags")) {
    for (const rapidjson::Value& t : tags->GetArray()) {
      if (t.IsString()) a->tags.emplace_back(t.GetString(), t.GetStringLength());
    }
  }
  a->reference = Str(doc, "reference");
  return !a->uuid.empty() && !a->type.empty();
}

}  // namespace kagami::feeds::pull
