// kagami rules test: runs directories of rule test cases (rules, input.pcap,
// expected.json as in the conformance corpus) in this process, each through
// the same Scanner path as `kagami scan`, and reports PASS/FAIL per case with
// what differed.
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "capture/packet_source.h"
#include "cli/alert_comparison.h"
#include "cli/app_options.h"
#include "cli/commands.h"
#include "common/read_file.h"
#include "cli/engine_setup.h"
#include "cli/intel_options.h"
#include "cli/test_case.h"
#include "cli/traffic_options.h"
#include "engine/output/eve_writer.h"
#include "engine/pipeline/scanner.h"

namespace kagami::cli {
namespace {

struct RulesTestArgs {
  std::vector<std::string> dirs;
  std::string filter;
  bool verbose = false;
  std::vector<std::string> rules;  // loaded for every case, before its own
  IntelArgs intel;
};

// What running one case found: pass/fail, the lines explaining a failure
// (or a problem with the case itself), and the alerts raised.
struct CaseOutcome {
  bool passed = false;
  std::vector<std::string> problems;
  std::vector<Mismatch> mismatches;
  std::vector<AlertRecord> alerts;
  bool scanned = false;
};

// common/read_file.h, with the path in the message.
bool ReadCaseFile(const std::string& path, std::string* out, std::string* error) {
  if (ReadWholeFile(path, out, error)) return true;
  *error = "cannot read " + path + ": " + *error;
  return false;
}

// A fresh empty file for one case's EVE output; removed when done. The
// Scanner writes alerts only through an EveWriter, and reading its lines
// back compares exactly what `kagami scan` would have written.
class ScratchFile {
 public:
  ScratchFile() {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    if (ec) dir = "/tmp";
    std::string tmpl = (dir / "kagami-rules-test-XXXXXX").string();
    const int fd = mkstemp(tmpl.data());
    if (fd >= 0) {
      close(fd);
      path_ = tmpl;
    }
  }
  ~ScratchFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Scans the capture as `kagami scan --checksums ... --midstream ...` would
// with default traffic and app-layer options, and returns its EVE text.
bool Scan(const std::string& pcap, const ExpectedAlerts& expected, const LoadedEngine& engine,
          const LoadedIntel& intel, uint8_t digest_kinds, std::string* eve_text, std::string* error) {
  pipeline::ScannerOptions options;
  options.checksums = expected.verify_checksums ? pipeline::ChecksumMode::kVerify : pipeline::ChecksumMode::kIgnore;
  TrafficArgs traffic;
  traffic.midstream = expected.midstream ? "true" : "false";
  if (!ApplyTrafficArgs(traffic, options, error)) return false;
  if (!ApplyAppArgs(AppArgs{}, options, error)) return false;

  ScratchFile scratch;
  if (scratch.path().empty()) {
    *error = std::string("cannot create a scratch file for the alerts: ") + std::strerror(errno);
    return false;
  }
  auto source = capture::OpenCaptureFile(pcap);
  if (!source.ok()) {
    *error = std::string(source.status().message());
    return false;
  }
  {
    output::EveWriter eve;
    if (absl::Status s = eve.Open(scratch.path()); !s.ok()) {
      *error = std::string(s.message());
      return false;
    }
    pipeline::Scanner scanner(engine.engine, options, &eve, nullptr);
    scanner.set_intel(intel.store, digest_kinds);
    pipeline::RunControl control;
    absl::Status s = scanner.Run(**source, &control);
    scanner.Finish();
    eve.Flush();
    if (!s.ok()) {
      *error = std::string(s.message());
      return false;
    }
  }
  return ReadCaseFile(scratch.path(), eve_text, error);
}

CaseOutcome RunCase(const TestCaseDir& c, const RulesTestArgs& args) {
  CaseOutcome out;
  const std::string expected_path = c.dir + "/expected.json";
  std::string text, error;
  if (!ReadCaseFile(expected_path, &text, &error)) {
    out.problems.push_back(error);
    return out;
  }
  ExpectedAlerts expected;
  if (rules::Diagnostic d; !ParseExpected(text, expected_path, &expected, &d)) {
    out.problems.push_back(d.ToString());
    return out;
  }
  RuleOptions rule_options;
  rule_options.rule_paths = args.rules;
  for (std::string& path : CaseRuleFiles(c.dir)) rule_options.rule_paths.push_back(std::move(path));
  // A pack's cases run with the pack's rules unless they or the command
  // line bring rules, and with its feeds unless the command line names
  // feeds (a case's own intel/ adds to them).
  const std::string pack = CasePackDir(c.dir);
  if (rule_options.rule_paths.empty() && !pack.empty()) rule_options.rule_paths = CaseRuleFiles(pack);
  IntelArgs intel_args = args.intel;
  if (intel_args.feeds.empty() && intel_args.exact_feeds.empty() && !pack.empty()) {
    intel_args.feeds = CaseIntelFeeds(pack);
  }
  for (std::string& feed : CaseIntelFeeds(c.dir)) intel_args.feeds.push_back(std::move(feed));
  if (rule_options.rule_paths.empty() && intel_args.feeds.empty() && intel_args.exact_feeds.empty()) {
    out.problems.push_back("no rules: expected " + c.dir + "/rules or " + c.dir +
                           "/*.rules, a pack around the case (PACK/tests/CASE), or --rules");
    return out;
  }
  for (const auto& [name, value] : expected.vars) rule_options.vars.push_back(name + "=" + value);

  // Rule and feed diagnostics go to stderr as they would for `kagami scan`;
  // flushing stdout first keeps them next to the case they belong to.
  std::fflush(stdout);
  LoadedEngine engine;
  if (!LoadEngine(rule_options, engine)) {
    out.problems.push_back("the rules could not be loaded (diagnostics above)");
    return out;
  }
  if (engine.errors > 0) {
    out.problems.push_back(std::to_string(engine.errors) + " rule error" + (engine.errors == 1 ? "" : "s") +
                           " (diagnostics above); the rest of the rules ran");
  }
  LoadedIntel intel;
  if (!LoadIntel(intel_args, intel)) {
    out.problems.push_back("an indicator feed could not be loaded (diagnostics above)");
    return out;
  }

  std::string eve;
  if (!Scan(c.dir + "/input.pcap", expected, engine, intel, DigestKinds(intel_args), &eve, &error)) {
    out.problems.push_back(error);
    return out;
  }
  out.scanned = true;
  out.alerts = ReadEveAlerts(eve);
  out.mismatches = CompareAlerts(expected, out.alerts);
  out.passed = out.mismatches.empty();
  return out;
}

void PrintOutcome(const TestCaseDir& c, const CaseOutcome& o, bool verbose) {
  std::printf("%s %s\n", o.passed ? "PASS" : "FAIL", c.name.c_str());
  // A passing case's rule errors are news only when asked for.
  if (!o.passed || verbose) {
    for (const std::string& p : o.problems) std::printf("  %s\n", p.c_str());
  }
  for (const Mismatch& m : o.mismatches) {
    std::printf("  %s: expected %lld, got %lld\n", m.what.c_str(), static_cast<long long>(m.expected),
                static_cast<long long>(m.got));
  }
  if (o.scanned && (!o.passed || verbose)) {
    std::printf("  actual alerts: %zu\n", o.alerts.size());
    for (const std::string& line : SummarizeAlerts(o.alerts)) std::printf("    %s\n", line.c_str());
  }
  std::fflush(stdout);
}

int RunRulesTest(const RulesTestArgs& args) {
  std::vector<TestCaseDir> cases;
  if (std::string error; !FindTestCases(args.dirs, &cases, &error)) {
    std::fprintf(stderr, "kagami: rules test: %s\n", error.c_str());
    return 2;
  }
  if (cases.empty()) {
    std::fprintf(stderr, "kagami: rules test: no test cases found (a case is a directory with expected.json, input.pcap and rules)\n");
    return 2;
  }
  size_t passed = 0, failed = 0;
  for (const TestCaseDir& c : cases) {
    if (!args.filter.empty() && c.name.find(args.filter) == std::string::npos) continue;
    const CaseOutcome outcome = RunCase(c, args);
    PrintOutcome(c, outcome, args.verbose);
    ++(outcome.passed ? passed : failed);
  }
  if (passed + failed == 0) {
    std::fprintf(stderr, "kagami: rules test: no test case name contains \"%s\" (%zu cases found)\n",
                 args.filter.c_str(), cases.size());
    return 2;
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

void AddRulesTestCommand(CLI::App* rules, std::function<void(int)> set_exit) {
  auto args = std::make_shared<RulesTestArgs>();
  CLI::App* cmd = rules->add_subcommand(
      "test", "Run rule test cases (rules, input.pcap, expected.json) and compare the alerts with the expected");
  cmd->add_option("dirs", args->dirs, "A case directory, or a directory of cases (repeatable)")->required();
  cmd->add_option("--filter", args->filter, "Run only the cases whose name contains this");
  cmd->add_flag("--verbose,-v", args->verbose, "Show the alerts of passing cases too");
  cmd->add_option("--rules,-S", args->rules,
                  "Rules loaded for every case, with the case's own (repeatable): test a rule file against a "
                  "directory of captures");
  AddIntelOptions(*cmd, args->intel);
  cmd->callback([args, set_exit] { set_exit(RunRulesTest(*args)); });
}

}  // namespace kagami::cli
