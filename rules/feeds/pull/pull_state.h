#pragma once
// The state of one pull destination (`kagami intel pull --state FILE`): where
// the next pull starts (the cursor) and every object pulled so far that is
// still live, so each pull asks the server only for what changed and still
// writes the whole collection.
//
// Objects are kept by key (a STIX id, or a MISP attribute uuid) with their
// version (STIX `modified`, else `created`; a MISP timestamp). Merging an
// incoming object: a newer version replaces the stored one (so does the same
// version with other contents: a MISP attribute's event tags change without
// its timestamp), an older or identical one changes nothing, and a removal (STIX `revoked: true`, a MISP attribute
// deleted or no longer for IDS) of a version at least as new drops the
// object. Dropped objects leave no trace: a server asked for what was added
// after the cursor does not send an older version again.
//
// On disk it is JSON ({"kagami_intel_pull_state":1, "source":..., "cursor":...,
// "events":{...}, "objects":[...]}), written by the caller atomically.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::feeds::pull {

struct StoredObject {
  std::string key;               // STIX id / MISP attribute uuid
  std::string version;           // RFC 3339 time, or decimal Unix seconds (MISP)
  std::string type;              // STIX type ("indicator", ...); "misp-attribute"
  int64_t modified_unix = 0;     // the version as Unix seconds (--max-age)
  int64_t valid_until_unix = 0;  // STIX indicators' valid_until; 0: none
  std::string group;             // MISP: the event uuid (a re-read event replaces its attributes)
  std::string json;              // the object as compact JSON (STIX object, or MISP attribute record)
  // Incoming only: this version removes the object.
  bool removed = false;
};

// What a merge or an expiry did.
struct MergeCounts {
  size_t added = 0;
  size_t updated = 0;
  size_t removed = 0;    // revoked / deleted / no longer for IDS
  size_t expired = 0;    // valid_until passed, or older than --max-age
  size_t unchanged = 0;  // a version already held (or older)
};

struct PullState {
  // What the state was pulled from ("taxii URL collection ID", ...): a state
  // file is refused for another source rather than mixed with it.
  std::string source;
  // TAXII: the next added_after; MISP REST: the highest attribute timestamp.
  std::string cursor;
  // MISP static feed: each event's timestamp when last read.
  std::map<std::string, int64_t> events;
  std::map<std::string, StoredObject> objects;

  void Merge(StoredObject incoming, MergeCounts* counts);
  // Drops the object (if held), counting it as removed.
  void Remove(const std::string& key, MergeCounts* counts);
  // Drops indicators whose valid_until is before `now_unix` and, with
  // max_age_days > 0, indicators and MISP attributes last modified more than
  // that long before `now_unix`. Other STIX objects (identities, malware,
  // relationships...) carry the attribution and stay.
  void Expire(int64_t now_unix, int max_age_days, MergeCounts* counts);
};

// -1, 0, 1 as version a is older, the same, newer than b. RFC 3339 times
// compare by instant (fractions of a second included); decimal numbers by
// value; an empty version is older than any other.
int CompareVersions(std::string_view a, std::string_view b);

// Reads a state file. A missing file is an empty state (true). False with
// the reason in *error when it cannot be read or is not a state file.
bool LoadPullState(const std::string& path, PullState* state, std::string* error);
// The state as JSON text.
std::string SerializePullState(const PullState& state);
// The same from text (tests, LoadPullState); `name` goes into errors.
bool ParsePullState(std::string_view text, std::string_view name, PullState* state, std::string* error);

}  // namespace kagami::feeds::pull
