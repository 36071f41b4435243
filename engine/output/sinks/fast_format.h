#pragma once
// Suricata's fast.log line for one EVE alert record, for the `fast:` output:
//
//   MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [GID:SID:REV] MSG [**] [Classification: CATEGORY]
//   [Priority: N] {PROTO} SRC:SPORT -> DST:DPORT
//
// (one line; broken here only to fit).
//
// As Suricata writes it (src/alert-fastlog.c, src/util-time.c): the time in
// the machine's local time zone (TZ), two spaces after it; "[wDrop] " before
// the first [**] for an alert whose action is "blocked" (a reject rule in IDS
// mode); "(null)" for a rule without classtype (no or empty category);
// IPv6 addresses as EVE has them (all eight groups, zeros kept); ICMP and
// IPv6-ICMP with the type and code where the ports go, other protocols
// without ports with 0; a protocol EVE names by number as PROTO:NNN.
//
// The record is read as JSON (nesting, escapes, types checked); MSG and
// CATEGORY are decoded: \" \\ \/ and \uXXXX (with surrogate pairs) become
// their characters, except that \u0080..\u00FF become the single byte they
// stand for, because EveWriter writes a byte that is not UTF-8 that way (and
// valid UTF-8 as it is), so the rule's msg comes back byte for byte as
// Suricata prints it. Control characters (below 0x20, and 0x7F) are written
// as \xNN so that a line is always one alert; Suricata would write them raw.

#include <string>
#include <string_view>

namespace kagami::output {

// Appends the fast.log line for `eve_record` (one EVE record, with or without
// its newline) to `out`, ending in '\n'. False, with `out` as it was, for a
// record that is not an alert, is not valid JSON, lacks a field the line
// needs (timestamp, alert gid/signature_id/rev/signature/severity, src_ip,
// dest_ip, proto) or has one of the wrong type. An alert on a packet without
// IP, which Suricata writes with the packet's raw bytes, is refused too: EVE
// does not carry them. Allocates nothing beyond `out` growing.
bool FastLine(std::string_view eve_record, std::string& out);

}  // namespace kagami::output
