#pragma once
// Where `scan` and `live` write their events: --eve PATH (the simple case,
// a file) and --output URL (repeatable: file, stdout, unix sockets, syslog,
// Redis; engine/output/sinks), opened into one OutputSet.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "engine/output/event_types.h"
#include "engine/output/eve_writer.h"
#include "engine/output/scan_summary.h"
#include "engine/output/sinks/output_set.h"

namespace kagami::cli {

// How long an output without a spool may make no progress at the end of a
// run before what it still holds is given up (and counted as dropped).
inline constexpr std::chrono::seconds kOutputGrace{5};

struct OutputArgs {
  std::string eve = "eve.json";
  std::vector<std::string> outputs;
  CLI::Option* eve_option = nullptr;  // to tell whether --eve was given
  std::string sensor_name;            // --sensor-name: EVE "host" on every record
};

// How the commands' EveWriter formats records (--sensor-name).
output::EveWriterOptions EveOptionsFrom(const OutputArgs& args);

void AddOutputOptions(CLI::App& app, OutputArgs& args);

// Opens every output: each --output, and --eve when it was given or when no
// --output was. Outputs without ?types= take `eve_types` (--eve-types).
// Prints what is wrong and returns false.
// `elsewhere`, when set, may take a URL for itself (the archive jobs take
// the Redis outputs they commit with each job): it is then not opened here.
bool OpenOutputs(const OutputArgs& args, const std::string& eve_types, output::OutputSet& outputs,
                 const std::function<bool(const std::string& url, output::EventTypes default_types)>& elsewhere = {});

// Whether some output writes to standard output (`--eve -`, `--output -`):
// a progress line on the same terminal would land among its records.
bool WritesToStdout(const OutputArgs& args);

// --check-config: every output's URL and parameters, without connecting.
bool CheckOutputs(const OutputArgs& args);

// Adds one summary line per output ("output eve: 931 records to eve.json,
// appended"), and prints a warning for each output that dropped records.
// Returns the records dropped in all.
// `appended`: FilesAppendedTo's answer before the outputs were opened.
uint64_t ReportOutputs(const output::OutputSet& outputs, output::ScanSummary& summary,
                       const std::vector<std::pair<std::string, uint64_t>>& appended = {});

// Outputs that are files already holding records (a run appends to them,
// as Suricata does): output name and the bytes the file held.
std::vector<std::pair<std::string, uint64_t>> FilesAppendedTo(const OutputArgs& args);

}  // namespace kagami::cli
