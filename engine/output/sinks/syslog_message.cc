#include "engine/output/sinks/syslog_message.h"

#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/output/event_types.h"

namespace kagami::output {
namespace {

constexpr std::array<std::pair<std::string_view, uint8_t>, 20> kFacilities{{
    {"kern", 0},     {"user", 1},     {"mail", 2},     {"daemon", 3},   {"auth", 4},
    {"syslog", 5},   {"lpr", 6},      {"news", 7},     {"uucp", 8},     {"cron", 9},
    {"authpriv", 10}, {"ftp", 11},    {"local0", 16},  {"local1", 17},  {"local2", 18},
    {"local3", 19},  {"local4", 20},  {"local5", 21},  {"local6", 22},  {"local7", 23},
}};

// RFC 5424 header fields are PRINTUSASCII without spaces, "-" when empty.
std::string HeaderField(std::string_view text, size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() == max) break;
    if (c > 32 && c < 127) out.push_back(c);
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::optional<uint8_t> SyslogFacilityNamed(std::string_view name) {
  for (const auto& [n, v] : kFacilities) {
    if (n == name) return v;
  }
  return std::nullopt;
}

uint8_t SyslogSeverityOf(std::string_view record) {
  if (EventTypeOfRecord(record) != kEventAlert) return 6;
  constexpr std::string_view kKey = "\"severity\":";
  const size_t at = record.find(kKey);
  if (at == std::string_view::npos) return 6;
  size_t i = at + kKey.size();
  uint32_t priority = 0;
  bool digits = false;
  while (i < record.size() && record[i] >= '0' && record[i] <= '9' && priority < 1000) {
    priority = priority * 10 + static_cast<uint32_t>(record[i++] - '0');
    digits = true;
  }
  if (!digits) return 6;
  if (priority <= 1) return 2;  // crit
  if (priority == 2) return 3;  // err
  if (priority == 3) return 4;  // warning
  return 5;                     // notice
}

SyslogFormatter::SyslogFormatter(uint8_t facility, std::string hostname, std::string app_name)
    : facility_(facility),
      hostname_(HeaderField(hostname, 255)),
      app_name_(HeaderField(app_name, 48)),
      procid_(absl::StrCat(::getpid())) {}

void SyslogFormatter::Append(std::string_view record, std::string& out) const {
  if (!record.empty() && record.back() == '\n') record.remove_suffix(1);
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  tm utc{};
  gmtime_r(&tv.tv_sec, &utc);
  std::string_view msgid = EventTypeName(EventTypeOfRecord(record));
  if (msgid.empty()) msgid = "-";
  absl::StrAppendFormat(&out, "<%u>1 %04d-%02d-%02dT%02d:%02d:%02d.%06dZ %s %s %s %s - ",
                        facility_ * 8u + SyslogSeverityOf(record), utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                        utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(tv.tv_usec), hostname_, app_name_,
                        procid_, msgid);
  out.append(record);
}

}  // namespace kagami::output
