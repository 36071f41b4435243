#pragma once
// The alerts a scan wrote (read back from its EVE lines) compared with a
// test case's expected.json, and the readable report of both.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/test_case.h"

namespace kagami::cli {

// The fields of an EVE alert event the comparison looks at.
struct AlertRecord {
  uint64_t gid = 1;
  uint64_t sid = 0;
  std::string src_ip, dest_ip;  // NormalizeIp'd; empty when the event has none
  std::optional<uint32_t> src_port, dest_port;
};

// The alert events in EVE text (one JSON object a line), in order. Other
// event types and lines that are not JSON objects are skipped.
std::vector<AlertRecord> ReadEveAlerts(std::string_view eve);

// One pinned number that differs: `what` is "alerts_total",
// "by_sid 2000001" or "exact {sid 1, 10.0.0.1:1234 -> 10.0.0.2:80}".
struct Mismatch {
  std::string what;
  int64_t expected = 0;
  int64_t got = 0;
};

// Every pinned number that differs, in the order alerts_total, by_sid
// (ascending sid), exact (file order). by_sid counts alerts of the sid
// whatever their gid, as the conformance runner does. Empty: the case passes.
std::vector<Mismatch> CompareAlerts(const ExpectedAlerts& expected, const std::vector<AlertRecord>& alerts);

// "{sid 1, 10.0.0.1:1234 -> 10.0.0.2:80}"; unpinned parts are "*".
std::string DescribeExact(const ExpectedExact& entry);

// The alerts grouped by gid:sid with counts, and under each sid its 4-tuples
// with counts (at most `max_tuples`, then how many more), as indented lines.
std::vector<std::string> SummarizeAlerts(const std::vector<AlertRecord>& alerts, size_t max_tuples = 5);

}  // namespace kagami::cli
