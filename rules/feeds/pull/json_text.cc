#include "rules/feeds/pull/json_text.h"

#include <ctime>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"

namespace kagami::feeds::pull {

bool ParseJsonText(std::string_view text, JsonDocument* doc, std::string* error) {
  // Not in situ and not requiring a terminating NUL: the text is a
  // response body the caller keeps. Default number parsing: RapidJSON
  // 1.1.0's full-precision path passes zero to clz() on some inputs
  // (undefined behaviour), and nothing here needs a double to the last bit.
  doc->Parse(text.data(), text.size());
  if (!doc->HasParseError()) return true;
  const size_t offset = doc->GetErrorOffset();
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  *error = absl::StrCat("invalid JSON at byte ", offset, " (line ", line, ", column ", column,
                        "): ", rapidjson::GetParseError_En(doc->GetParseError()));
  return false;
}

std::optional<std::string_view> StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return std::nullopt;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

std::optional<bool> BoolMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return std::nullopt;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return std::nullopt;
  const rapidjson::Value& v = it->value;
  if (v.IsBool()) return v.GetBool();
  if (v.IsInt64()) return v.GetInt64() != 0;
  if (v.IsString()) {
    const std::string_view s(v.GetString(), v.GetStringLength());
    if (s == "1" || s == "true") return true;
    if (s == "0" || s == "false" || s.empty()) return false;
  }
  return std::nullopt;
}

std::optional<int64_t> IntMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return std::nullopt;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return std::nullopt;
  const rapidjson::Value& v = it->value;
  if (v.IsInt64()) return v.GetInt64();
  int64_t n = 0;
  if (v.IsString() && absl::SimpleAtoi(absl::string_view(v.GetString(), v.GetStringLength()), &n)) return n;
  return std::nullopt;
}

const rapidjson::Value* ObjectMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

const rapidjson::Value* ArrayMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsArray() ? &it->value : nullptr;
}

std::string JsonText(const rapidjson::Value& value) {
  JsonBuffer buffer;
  JsonWriter writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string FormatRfc3339(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace kagami::feeds::pull
