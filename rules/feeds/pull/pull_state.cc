#include "rules/feeds/pull/pull_state.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rules/feeds/pull/eager_json.h"
#include "rules/feeds/pull/json_text.h"
#include "rules/feeds/stix_reader.h"

namespace kagami::feeds::pull {
namespace {

constexpr int kStateFormat = 1;
constexpr int64_t kSecondsPerDay = 86400;

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The fraction of a second an RFC 3339 time carries, as 9 digits, so that
// two fractions compare as strings.
std::string Fraction(std::string_view t) {
  const size_t dot = t.find('.');
  std::string digits;
  if (dot != std::string_view::npos) {
    for (size_t i = dot + 1; i < t.size() && t[i] >= '0' && t[i] <= '9' && digits.size() < 9; ++i) digits += t[i];
  }
  digits.resize(9, '0');
  return digits;
}

void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

int CompareVersions(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  if (a.empty()) return -1;
  if (b.empty()) return 1;
  if (AllDigits(a) && AllDigits(b)) {
    // Without leading zeros a longer number is larger.
    const std::string_view ta = a.substr(std::min(a.find_first_not_of('0'), a.size()));
    const std::string_view tb = b.substr(std::min(b.find_first_not_of('0'), b.size()));
    if (ta.size() != tb.size()) return ta.size() < tb.size() ? -1 : 1;
    return ta == tb ? 0 : (ta < tb ? -1 : 1);
  }
  const std::optional<int64_t> sa = ParseRfc3339(a), sb = ParseRfc3339(b);
  if (sa && sb) {
    if (*sa != *sb) return *sa < *sb ? -1 : 1;
    const std::string fa = Fraction(a), fb = Fraction(b);
    return fa == fb ? 0 : (fa < fb ? -1 : 1);
  }
  // Not a time: a version that cannot be read loses to one that can, and
  // two such compare as text, so the result is at least consistent.
  if (sa != sb) return sa ? 1 : -1;
  return a < b ? -1 : 1;
}

void PullState::Merge(StoredObject incoming, MergeCounts* counts) {
  auto it = objects.find(incoming.key);
  if (it == objects.end()) {
    if (incoming.removed) return;  // never held: nothing to drop
    ++counts->added;
    std::string key = incoming.key;
    objects.emplace(std::move(key), std::move(incoming));
    return;
  }
  const int order = CompareVersions(incoming.version, it->second.version);
  if (incoming.removed) {
    // A revocation is a new version by STIX rules, but a server that
    // revokes without bumping `modified` still means it.
    if (order >= 0) {
      objects.erase(it);
      ++counts->removed;
    } else {
      ++counts->unchanged;
    }
    return;
  }
  // The same version with other contents: what MISP attributes carry of
  // their event (its tags, its title) changes without their timestamp.
  if (order < 0 || (order == 0 && incoming.json == it->second.json)) {
    ++counts->unchanged;
    return;
  }
  incoming.removed = false;
  it->second = std::move(incoming);
  ++counts->updated;
}

void PullState::Remove(const std::string& key, MergeCounts* counts) {
  if (objects.erase(key) > 0) ++counts->removed;
}

void PullState::Expire(int64_t now_unix, int max_age_days, MergeCounts* counts) {
  const int64_t oldest = max_age_days > 0 ? now_unix - int64_t{max_age_days} * kSecondsPerDay : INT64_MIN;
  for (auto it = objects.begin(); it != objects.end();) {
    const StoredObject& o = it->second;
    const bool ages = o.type == "indicator" || o.type == "misp-attribute";
    const bool expired = ages && ((o.valid_until_unix != 0 && o.valid_until_unix < now_unix) ||
                                  (max_age_days > 0 && o.modified_unix < oldest));
    if (expired) {
      it = objects.erase(it);
      ++counts->expired;
    } else {
      ++it;
    }
  }
}

std::string SerializePullState(const PullState& state) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("kagami_intel_pull_state");
  w.Int(kStateFormat);
  w.Key("source");
  WriteString(w, state.source);
  w.Key("cursor");
  WriteString(w, state.cursor);
  w.Key("events");
  w.StartObject();
  for (const auto& [uuid, timestamp] : state.events) {
    WriteString(w, uuid);
    w.Int64(timestamp);
  }
  w.EndObject();
  w.Key("objects");
  w.StartArray();
  for (const auto& [key, o] : state.objects) {
    w.StartObject();
    w.Key("key");
    WriteString(w, o.key);
    w.Key("version");
    WriteString(w, o.version);
    w.Key("type");
    WriteString(w, o.type);
    w.Key("modified");
    w.Int64(o.modified_unix);
    if (o.valid_until_unix != 0) {
      w.Key("valid_until");
      w.Int64(o.valid_until_unix);
    }
    if (!o.group.empty()) {
      w.Key("group");
      WriteString(w, o.group);
    }
    w.Key("object");
    // The object's text was written by JsonText: valid JSON, embedded as is.
    w.RawValue(o.json.data(), o.json.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::string out(buffer.GetString(), buffer.GetSize());
  out += '\n';
  return out;
}

bool ParsePullState(std::string_view text, std::string_view name_view, PullState* state, std::string* error) {
  const std::string name(name_view);
  JsonDocument doc;
  std::string why;
  if (!ParseJsonText(text, &doc, &why)) {
    *error = absl::StrCat(name, ": ", why);
    return false;
  }
  const std::optional<int64_t> format = IntMember(doc, "kagami_intel_pull_state");
  if (!doc.IsObject() || !format) {
    *error = absl::StrCat(name, ": not a kagami intel pull state file");
    return false;
  }
  if (*format != kStateFormat) {
    *error = absl::StrCat(name, ": state format ", *format, " is not the one this kagami writes (", kStateFormat, ")");
    return false;
  }
  PullState s;
  s.source = std::string(StringMember(doc, "source").value_or(""));
  s.cursor = std::string(StringMember(doc, "cursor").value_or(""));
  if (const rapidjson::Value* events = ObjectMember(doc, "events")) {
    for (auto it = events->MemberBegin(); it != events->MemberEnd(); ++it) {
      if (it->value.IsInt64()) s.events[it->name.GetString()] = it->value.GetInt64();
    }
  }
  if (const rapidjson::Value* objects = ArrayMember(doc, "objects")) {
    for (const rapidjson::Value& v : objects->GetArray()) {
      const std::optional<std::string_view> key = StringMember(v, "key");
      const rapidjson::Value* object = ObjectMember(v, "object");
      if (!key || key->empty() || !object) {
        *error = absl::StrCat(name, ": an entry of \"objects\" has no key or object");
        return false;
      }
      StoredObject o;
      o.key = std::string(*key);
      o.version = std::string(StringMember(v, "version").value_or(""));
      o.type = std::string(StringMember(v, "type").value_or(""));
      o.modified_unix = IntMember(v, "modified").value_or(0);
      o.valid_until_unix = IntMember(v, "valid_until").value_or(0);
      o.group = std::string(StringMember(v, "group").value_or(""));
      o.json = JsonText(*object);
      s.objects[o.key] = std::move(o);
    }
  }
  *state = std::move(s);
  return true;
}

bool LoadPullState(const std::string& path, PullState* state, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    if (errno == ENOENT) {
      *state = PullState();
      return true;
    }
    *error = absl::StrCat("cannot read state file ", path, ": ", std::strerror(errno));
    return false;
  }
  std::string text;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) {
    *error = absl::StrCat("cannot read state file ", path);
    return false;
  }
  return ParsePullState(text, path, state, error);
}

}  // namespace kagami::feeds::pull
