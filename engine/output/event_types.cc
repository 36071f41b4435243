#include "engine/output/event_types.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace kagami::output {
namespace {

constexpr std::array<std::pair<std::string_view, EventTypes>, 8> kNames{{
    {"alert", kEventAlert},     {"http", kEventHttp}, {"dns", kEventDns},         {"tls", kEventTls},
    {"stats", kEventStats},     {"flow", kEventFlow}, {"anomaly", kEventAnomaly}, {"fileinfo", kEventFileinfo},
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

std::string_view EventTypeNames() {
  static const std::string names = [] {
    std::string out;
    for (const auto& [n, t] : kNames) out.append(out.empty() ? "" : ", ").append(n);
    return out;
  }();
  return names;
}

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

std::string_view RecordStringField(std::string_view record, std::string_view key) {
  size_t at = 0;
  while ((at = record.find(key, at)) != std::string_view::npos) {
    const size_t after = at + key.size();
    // "KEY":" with the quotes around KEY.
    if (at > 0 && record[at - 1] == '"' && record.substr(after, 3) == "\":\"") {
      const size_t start = after + 3;
      const size_t end = record.find('"', start);
      return end == std::string_view::npos ? std::string_view() : record.substr(start, end - start);
    }
    at = after;
  }
  return {};
}

EventTypes EventTypeOfRecord(std::string_view record) {
  // EveWriter puts event_type after timestamp, flow_id and pcap_cnt: found
  // within the first hundred bytes.
  return TypeNamed(RecordStringField(record, "event_type"));
}

std::string_view EventTypeName(EventTypes type) {
  for (const auto& [n, t] : kNames) {
    if (t == type) return n;
  }
  return {};
}

}  // namespace kagami::output
