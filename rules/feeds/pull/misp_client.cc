#include "rules/feeds/pull/misp_client.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rules/feeds/pull/eager_json.h"
#include "rules/feeds/pull/misp_mapping.h"
#include "rules/feeds/pull/pull_url.h"

namespace kagami::feeds::pull {
namespace {

std::string LowerUuid(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

std::string WithoutTrailingSlashes(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::string RestSearchBody(int64_t timestamp, int page, int limit) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("returnFormat");
  w.String("json");
  w.Key("to_ids");
  w.Bool(true);
  w.Key("includeEventTags");
  w.Bool(true);
  w.Key("deleted");
  w.StartArray();
  w.Int(0);
  w.Int(1);
  w.EndArray();
  w.Key("timestamp");
  w.Int64(timestamp);
  w.Key("page");
  w.Int(page);
  w.Key("limit");
  w.Int(limit);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::Status BadBody(std::string_view method, const std::string& url, const std::string& why) {
  return absl::DataLossError(absl::StrCat(std::string(method), " ", url, ": ", why));
}

absl::Status WithKeyHint(absl::Status s) {
  if (s.code() != absl::StatusCode::kUnauthenticated && s.code() != absl::StatusCode::kPermissionDenied) return s;
  return absl::Status(s.code(), absl::StrCat(s.message(), " (check --key-file: MISP refused the key)"));
}

}  // namespace

void MergeMispAttribute(const MispAttribute& a, PullState* state, MergeCounts* counts, PullStats* stats) {
  StoredObject o;
  o.key = LowerUuid(a.uuid);
  o.version = std::to_string(a.timestamp);
  o.type = "misp-attribute";
  o.modified_unix = a.timestamp;
  o.group = LowerUuid(a.event_uuid);
  if (a.deleted || !a.to_ids) {
    o.removed = true;
    state->Merge(std::move(o), counts);
    return;
  }
  Indicator indicator;
  std::string why;
  if (!MapMispAttribute(a, &indicator, &why)) {
    // Counted by type and reason; only a value that does not parse is also
    // shown (with its uuid), since it is the one worth a look in MISP.
    std::string_view type_reason = MispTypeSkipReason(a.type);
    if (why == kUriWithoutHost) type_reason = "path without a host";
    ++stats->skipped[absl::StrCat(a.type, " (", type_reason.empty() ? "invalid value" : std::string(type_reason), ")")];
    if (type_reason.empty()) stats->Warn(absl::StrCat("MISP attribute ", a.uuid, " (", a.type, "): ", why));
    // What it replaced, if anything, is no longer an indicator either.
    o.removed = true;
    state->Merge(std::move(o), counts);
    return;
  }
  o.json = MispAttributeJson(a);
  state->Merge(std::move(o), counts);
}

absl::Status PullMispRest(fetch::Fetcher* fetcher, const MispOptions& options, PullState* state, MergeCounts* counts,
                          PullStats* stats) {
  const std::string base = WithoutTrailingSlashes(options.url);
  const std::string url = base + "/attributes/restSearch";
  const int limit = options.limit > 0 ? options.limit : 1000;
  int64_t since = 0;
  if (!state->cursor.empty() && !absl::SimpleAtoi(state->cursor, &since)) since = 0;
  int64_t highest = since;
  std::string previous_first;
  for (int page = 1;; ++page) {
    fetch::Request request;
    request.url = url;
    request.method = "POST";
    request.headers = {"Authorization: " + options.key, "Accept: application/json",
                       "Content-Type: application/json"};
    request.body = RestSearchBody(since, page, limit);
    ++stats->requests;
    absl::StatusOr<fetch::Response> r = fetcher->Fetch(request);
    if (!r.ok()) return WithKeyHint(r.status());
    std::vector<MispAttribute> attributes;
    std::string error;
    if (!ParseMispRestSearch(r->body, &attributes, &error, &stats->ignored)) {
      return BadBody("POST", url, absl::StrCat(error, " (page ", page, ")"));
    }
    // A server that ignores `page` would send the first page forever.
    if (!attributes.empty() && page > 1 && attributes.front().uuid == previous_first) {
      return BadBody("POST", url, absl::StrCat("page ", page, " repeats page ", page - 1, ": the server ignores paging"));
    }
    if (!attributes.empty()) previous_first = attributes.front().uuid;
    stats->received += attributes.size();
    for (const MispAttribute& a : attributes) {
      const std::string reference = a.event_id.empty() ? "" : absl::StrCat(base, "/events/view/", a.event_id);
      if (reference.empty()) {
        MergeMispAttribute(a, state, counts, stats);
      } else {
        MispAttribute with = a;
        with.reference = reference;
        MergeMispAttribute(with, state, counts, stats);
      }
      highest = std::max(highest, a.timestamp);
    }
    if (attributes.size() < static_cast<size_t>(limit)) break;
  }
  state->cursor = std::to_string(highest);
  return absl::OkStatus();
}

absl::Status PullMispFeed(fetch::Fetcher* fetcher, const MispOptions& options, PullState* state, MergeCounts* counts,
                          PullStats* stats) {
  std::string_view folder = options.url;
  if (folder.ends_with("/manifest.json")) folder.remove_suffix(std::string_view("manifest.json").size());
  const std::string base = WithTrailingSlash(folder);
  auto get = [&](const std::string& url) {
    fetch::Request request;
    request.url = url;
    request.headers = {"Accept: application/json"};
    ++stats->requests;
    return fetcher->Fetch(request);
  };

  const std::string manifest_url = base + "manifest.json";
  absl::StatusOr<fetch::Response> manifest = get(manifest_url);
  if (!manifest.ok()) return manifest.status();
  std::map<std::string, MispEventSummary> events;
  std::string error;
  if (!ParseMispManifest(manifest->body, &events, &error, &stats->ignored)) {
    return BadBody("GET", manifest_url, error);
  }

  // Drops what the state holds of an event except `keep`.
  auto drop_event = [&](const std::string& uuid, const std::set<std::string>& keep) {
    for (auto it = state->objects.begin(); it != state->objects.end();) {
      if (it->second.group == uuid && !keep.count(it->first)) {
        it = state->objects.erase(it);
        ++counts->removed;
      } else {
        ++it;
      }
    }
  };
  for (auto it = state->events.begin(); it != state->events.end();) {
    if (events.count(it->first)) {
      ++it;
      continue;
    }
    drop_event(it->first, {});
    it = state->events.erase(it);
  }

  for (const auto& [uuid, summary] : events) {
    auto seen = state->events.find(uuid);
    if (seen != state->events.end() && seen->second >= summary.timestamp) continue;
    const std::string url = base + uuid + ".json";
    absl::StatusOr<fetch::Response> r = get(url);
    if (!r.ok()) return r.status();
    std::vector<MispAttribute> attributes;
    if (!ParseMispEvent(r->body, &attributes, &error, &stats->ignored)) return BadBody("GET", url, error);
    stats->received += attributes.size();
    std::set<std::string> present;
    for (MispAttribute& a : attributes) {
      // The manifest names the event; an event file without its own uuid
      // still belongs to it.
      if (a.event_uuid.empty() || LowerUuid(a.event_uuid) != uuid) a.event_uuid = uuid;
      if (a.info.empty()) a.info = summary.info;
      if (a.org.empty()) a.org = summary.org;
      if (a.threat_level == 0) a.threat_level = summary.threat_level;
      a.reference = url;
      MergeMispAttribute(a, state, counts, stats);
      present.insert(LowerUuid(a.uuid));
    }
    drop_event(uuid, present);
    state->events[uuid] = summary.timestamp;
  }
  return absl::OkStatus();
}

}  // namespace kagami::feeds::pull
