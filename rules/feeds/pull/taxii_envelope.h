#pragma once
// TAXII 2.1 response bodies (OASIS TAXII 2.1, sections 3.7 and 4-5): the
// envelope GET .../objects/ returns ({"more": true, "next": "...",
// "objects": [...]}, every member optional), the discovery and API root
// resources, and the collections list. Each STIX object of an envelope
// becomes a StoredObject (pull_state.h) holding the object's own JSON.

#include <string>
#include <string_view>
#include <vector>

#include "rules/feeds/pull/eager_json.h"
#include "rules/feeds/pull/pull_state.h"

namespace kagami::feeds::pull {

struct TaxiiEnvelope {
  bool more = false;
  std::string next;                  // the `next` parameter for the following page
  std::vector<StoredObject> objects;  // in the order sent
  size_t ignored = 0;                // entries that are no STIX object (no id or type)
};

// Parses an envelope. An empty body is an empty envelope (a server with
// nothing new may send 204 or nothing). False with why in *error for text
// that is not JSON or not an envelope ("objects" not an array, ...).
bool ParseTaxiiEnvelope(std::string_view body, TaxiiEnvelope* envelope, std::string* error);

// A STIX object as stored: id, version (`modified`, else `created`), type,
// valid_until, revoked. False when it has no string id or type.
bool DescribeStixObject(const rapidjson::Value& object, StoredObject* out);

// A discovery resource ({"api_roots": [...], "default": ...}) or an API
// root ({"title": ..., "versions": [...]}).
struct TaxiiServerInfo {
  bool is_discovery = false;
  std::string default_root;
  std::vector<std::string> api_roots;
};
bool ParseTaxiiServerInfo(std::string_view body, TaxiiServerInfo* info, std::string* error);

struct TaxiiCollection {
  std::string id;
  std::string title;
  bool can_read = false;
};
// GET {api_root}/collections/ -> {"collections": [...]} (absent: none).
bool ParseTaxiiCollections(std::string_view body, std::vector<TaxiiCollection>* collections, std::string* error);

}  // namespace kagami::feeds::pull
