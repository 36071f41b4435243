#include "engine/output/event_types.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace kagami::output {
namespace {

constexpr std::array<std::pair<std::string_view, EventTypes>, 5> kNames{{
    {"alert", kEventAlert},
    {"http", kEventHttp},
    {"dns", kEventDns},
    {"tls", kEventTls},
    {"stats", kEventStats},
}};

EventTypes TypeNamed(std::string_view name) {
  for (const auto& [n, t] : kNames) {
    if (n == name) return t;
  }
  return 0;
}

}  // namespace

std::string EventTypesList(EventTypes types) {
  std::string out;
  for (const auto& [n, t] : kNames) {
    if ((types & t) == 0) continue;
    if (!out.empty()) out.push_back(',');
    out.append(n);
  }
  return out;
}

std::string_view EventTypeNames() { return "alert, http, dns, tls, stats"; }

bool ParseEventTypes(std::string_view list, EventTypes* out, std::string* error) {
  EventTypes types = 0;
  for (absl::string_view part : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    part = absl::StripAsciiWhitespace(part);
    const EventTypes t = TypeNamed(std::string_view(part.data(), part.size()));
    if (t == 0) {
      *error = "unknown event type '" + std::string(part) + "' (expected " + std::string(EventTypeNames()) + ")";
      return false;
    }
    types |= t;
  }
  *out = types;
  return true;
}

EventTypes EventTypeOfRecord(std::string_view record) {
  // EveWriter puts event_type after timestamp, flow_id and pcap_cnt, so it
  // is found within the first hundred bytes; a key inside a string value
  // would have its quotes escaped and cannot match.
  constexpr std::string_view kKey = "\"event_type\":\"";
  const size_t at = record.find(kKey);
  if (at == std::string_view::npos) return 0;
  const size_t start = at + kKey.size();
  const size_t end = record.find('"', start);
  if (end == std::string_view::npos) return 0;
  return TypeNamed(record.substr(start, end - start));
}

}  // namespace kagami::output
