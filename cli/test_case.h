#pragma once
// A rule test case in the format of the conformance corpus
// (../shared/conformance/README.md): a directory holding the rules (`rules`
// or *.rules), `input.pcap` and `expected.json`, which pins how many alerts
// the engine raises: in total, per signature id, or per signature id and
// address/port 4-tuple. Optionally `intel/` with indicator feeds.
// Finding cases and reading expected.json, with positions for its errors.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/diagnostic.h"

namespace kagami::cli {

// Suricata's stock suricata.yaml values, for cases without "vars".
inline constexpr char kDefaultHomeNet[] = "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]";
inline constexpr char kDefaultExternalNet[] = "!$HOME_NET";

// One "exact" entry: `count` alerts must match every field that is set.
struct ExpectedExact {
  std::optional<uint64_t> sid;
  std::optional<std::string> src_ip, dest_ip;  // NormalizeIp'd
  std::optional<uint32_t> src_port, dest_port;
  int64_t count = 0;
};

struct ExpectedAlerts {
  std::optional<int64_t> alerts_total;               // absent or null: not pinned
  std::vector<std::pair<uint64_t, int64_t>> by_sid;  // sid, count; ascending sid
  std::vector<ExpectedExact> exact;                  // in file order
  bool verify_checksums = true;                      // "checksums": "verify" (default) or "ignore"
  bool midstream = false;                            // TCP midstream pick-up
  // Rule variables, HOME_NET and EXTERNAL_NET first (from "vars" or the
  // stock values), with $HOME_NET inside EXTERNAL_NET resolved as the
  // conformance runner does.
  std::vector<std::pair<std::string, std::string>> vars;
};

// Parses expected.json text; `file` names it in the diagnostic. On a JSON
// syntax error the diagnostic has its line and column; on a field of the
// wrong type, the position of that field's key.
bool ParseExpected(std::string_view text, const std::string& file, ExpectedAlerts* out,
                   rules::Diagnostic* error);

struct TestCaseDir {
  std::string name;  // the directory's name
  std::string dir;
};

// Every DIR is one case when it holds expected.json, input.pcap or rules;
// otherwise its subdirectories that do are its cases, sorted by name. A case
// directory need not be complete (running it says what is missing). False
// with `error` set when a DIR cannot be read or is not a directory.
bool FindTestCases(const std::vector<std::string>& dirs, std::vector<TestCaseDir>* out, std::string* error);

// The case's rule files: DIR/rules, else every DIR/*.rules sorted by name.
std::vector<std::string> CaseRuleFiles(const std::string& dir);
// Every regular file under DIR/intel, sorted by name (none without it).
std::vector<std::string> CaseIntelFeeds(const std::string& dir);

// The pack a case belongs to: for PACK/tests/CASE, PACK when it holds
// *.rules files or an intel/ folder (rules/packs/tick/tests/daserf belongs
// to rules/packs/tick); else empty. A case without rules or feeds of its
// own (and none given on the command line) runs with its pack's rules; its
// pack's feeds unless the command line names feeds (its own intel/ adds).
std::string CasePackDir(const std::string& case_dir);

// An address as the comparison sees it: canonical text when it parses as
// IPv4/IPv6 (so spellings of one IPv6 address are equal), else as given.
std::string NormalizeIp(std::string_view text);

}  // namespace kagami::cli
