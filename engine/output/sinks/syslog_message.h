#pragma once
// RFC 5424 syslog messages carrying EVE records:
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - {"timestamp":...}
// PRI is the facility times 8 plus a severity taken from the record: an
// alert's priority 1 is crit, 2 err, 3 warning, 4 and above notice; other
// events are info. MSGID is the EVE event type; TIMESTAMP is when the
// message is made (the record carries the event's own time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kagami::output {

// "local5" -> 21; also kern, user, mail, daemon, auth, syslog, lpr, news,
// uucp, cron, authpriv, ftp, local0..local7.
std::optional<uint8_t> SyslogFacilityNamed(std::string_view name);

// Severity (0-7) for a record: from "severity" (the alert's priority) in
// an alert record, 6 (info) for everything else.
uint8_t SyslogSeverityOf(std::string_view record);

class SyslogFormatter {
 public:
  SyslogFormatter(uint8_t facility, std::string hostname, std::string app_name);
  // Appends the message for `record` (without its '\n') to `out`.
  void Append(std::string_view record, std::string& out) const;

 private:
  uint8_t facility_;
  std::string hostname_;  // printable ASCII, at most 255 characters
  std::string app_name_;
  std::string procid_;
};

}  // namespace kagami::output
