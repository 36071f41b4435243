#pragma once
// The EVE event types Kagami writes, as a bit set: what --eve-types and each
// output's `types=` select, and what a formatted record is.

#include <cstdint>
#include <string>
#include <string_view>

namespace kagami::output {

using EventTypes = uint16_t;
inline constexpr EventTypes kEventAlert = 1 << 0;
inline constexpr EventTypes kEventHttp = 1 << 1;
inline constexpr EventTypes kEventDns = 1 << 2;
inline constexpr EventTypes kEventTls = 1 << 3;
inline constexpr EventTypes kEventStats = 1 << 4;
inline constexpr EventTypes kEventFlow = 1 << 5;      // one record per flow, at its end
inline constexpr EventTypes kEventAnomaly = 1 << 6;   // decoder anomalies, per packet
inline constexpr EventTypes kEventFileinfo = 1 << 7;  // files seen in HTTP bodies
inline constexpr EventTypes kAllEventTypes = kEventAlert | kEventHttp | kEventDns | kEventTls | kEventStats |
                                             kEventFlow | kEventAnomaly | kEventFileinfo;

// Parses "alert,dns,stats" (names as in EVE's event_type, comma separated,
// blanks around names ignored). False with `error` naming the bad word.
bool ParseEventTypes(std::string_view list, EventTypes* out, std::string* error);

// The names of `types`, comma separated, in a fixed order: "alert,dns".
std::string EventTypesList(EventTypes types);

// "alert, http, dns, tls, stats, ...": the names, for help and error texts.
std::string_view EventTypeNames();

// The value of string field `key` in a formatted EVE record (the first
// "KEY":"..." in it; records are written by EveWriter, where a key inside a
// string value would have its quotes escaped and cannot match). Empty when
// the record has none. For "event_type", "community_id", ...
std::string_view RecordStringField(std::string_view record, std::string_view key);

// The event type of a formatted EVE record (its "event_type"); 0 when it
// has none Kagami knows.
EventTypes EventTypeOfRecord(std::string_view record);

// The name of one event type ("dns"); empty for anything else.
std::string_view EventTypeName(EventTypes type);

}  // namespace kagami::output
