#pragma once
// Reading the JSON that TAXII servers and MISP send: a parse error names the
// byte offset, line and column (a server that answers with an HTML error
// page or a cut-off body should be easy to diagnose), and member getters
// accept the loose typing MISP uses (numbers and booleans sent as strings:
// "timestamp": "1617875568", "to_ids": "1").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rules/feeds/pull/eager_json.h"

namespace kagami::feeds::pull {

// Parses `text` into *doc. False with "invalid JSON at byte N (line L,
// column C): reason" in *error.
bool ParseJsonText(std::string_view text, JsonDocument* doc, std::string* error);

// The member's string value; nullopt when absent or not a string.
std::optional<std::string_view> StringMember(const rapidjson::Value& object, const char* name);
// A boolean given as true/false, 0/1 or "0"/"1"/"true"/"false"; nullopt
// otherwise.
std::optional<bool> BoolMember(const rapidjson::Value& object, const char* name);
// An integer given as a JSON number or a string of decimal digits.
std::optional<int64_t> IntMember(const rapidjson::Value& object, const char* name);
// The member when it is an object / an array; nullptr otherwise.
const rapidjson::Value* ObjectMember(const rapidjson::Value& object, const char* name);
const rapidjson::Value* ArrayMember(const rapidjson::Value& object, const char* name);

// The value written back as compact JSON text.
std::string JsonText(const rapidjson::Value& value);

// Unix seconds as "2024-01-01T00:00:00Z" (UTC).
std::string FormatRfc3339(int64_t unix_seconds);

}  // namespace kagami::feeds::pull
