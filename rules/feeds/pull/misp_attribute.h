#pragma once
// MISP response bodies, reduced to what Kagami keeps of an attribute:
//   POST /attributes/restSearch (returnFormat json)
//       {"response": {"Attribute": [{"uuid", "type", "value", "to_ids",
//        "deleted", "timestamp", "event_id", "Event": {"info", "uuid", ...},
//        "Tag": [{"name": ...}]}, ...]}}
//   a static feed's manifest.json
//       {"<event uuid>": {"info", "Orgc": {"name"}, "Tag": [...],
//        "timestamp", "threat_level_id", ...}, ...}
//   a static feed's <event uuid>.json
//       {"Event": {"uuid", "info", "Orgc", "Tag", "threat_level_id",
//        "Attribute": [...], "Object": [{"Attribute": [...]}, ...]}}
// MISP writes numbers and booleans as strings as often as not ("to_ids":
// "1", "timestamp": "1617875568"); both are read.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::feeds::pull {

struct MispAttribute {
  std::string uuid;
  std::string type;   // "ip-dst", "domain|ip", ...
  std::string value;  // "198.51.100.7", "example.com|192.0.2.1", ...
  int64_t timestamp = 0;
  bool to_ids = false;
  bool deleted = false;
  // Its event: what the indicator's attribution and description come from.
  std::string event_uuid;
  std::string event_id;
  std::string info;      // the event's title
  std::string org;       // the creating organisation (Orgc.name); may be empty
  int threat_level = 0;  // threat_level_id: 1 high, 2 medium, 3 low, 4 undefined; 0 not given
  std::vector<std::string> tags;  // the attribute's tags, then its event's
  std::string reference;          // where to read more (the event's page)
};

// One event of a static feed's manifest.
struct MispEventSummary {
  int64_t timestamp = 0;
  std::string info;
  std::string org;
  int threat_level = 0;
  std::vector<std::string> tags;
};

// Each parser clears its output first. False with why in *error when the
// text is not JSON or not the resource named; entries without a uuid, type
// or value are counted in *ignored (when given) and left out.
bool ParseMispRestSearch(std::string_view body, std::vector<MispAttribute>* attributes, std::string* error,
                         size_t* ignored = nullptr);
// Event uuids are checked to be uuids (they become file names in URLs);
// others are counted in *ignored.
bool ParseMispManifest(std::string_view body, std::map<std::string, MispEventSummary>* events, std::string* error,
                       size_t* ignored = nullptr);
// The attributes of one event file, the event's and objects' attributes
// alike, with the event's context filled in.
bool ParseMispEvent(std::string_view body, std::vector<MispAttribute>* attributes, std::string* error,
                    size_t* ignored = nullptr);

// 8-4-4-4-12 hex digits.
bool IsUuid(std::string_view text);

// The record kept in the pull state, as JSON, and back.
std::string MispAttributeJson(const MispAttribute& attribute);
bool ParseMispAttributeJson(std::string_view json, MispAttribute* attribute);

}  // namespace kagami::feeds::pull
