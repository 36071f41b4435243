#pragma once
// The EVE event types Kagami writes, as a bit set: what --eve-types and each
// output's `types=` select, and what a formatted record is.

#include <cstdint>
#include <string>
#include <string_view>

namespace kagami::output {

using EventTypes = uint8_t;
inline constexpr EventTypes kEventAlert = 1 << 0;
inline constexpr EventTypes kEventHttp = 1 << 1;
inline constexpr EventTypes kEventDns = 1 << 2;
inline constexpr EventTypes kEventTls = 1 << 3;
inline constexpr EventTypes kEventStats = 1 << 4;
inline constexpr EventTypes kAllEventTypes = kEventAlert | kEventHttp | kEventDns | kEventTls | kEventStats;

// Parses "alert,dns,stats" (names as in EVE's event_type, comma separated,
// blanks around names ignored). False with `error` naming the bad word.
bool ParseEventTypes(std::string_view list, EventTypes* out, std::string* error);

// The names of `types`, comma separated, in a fixed order: "alert,dns".
std::string EventTypesList(EventTypes types);

// "alert, http, dns, tls, stats": the names, for help and error texts.
std::string_view EventTypeNames();

// The event type of a formatted EVE record: the value of its top-level
// "event_type" key (records are written by EveWriter, so the key is a
// plain string near the start). 0 when it has none Kagami knows.
EventTypes EventTypeOfRecord(std::string_view record);

}  // namespace kagami::output
