#pragma once
// --config FILE for a command: the YAML file (config/config_file.h) whose
// keys are the command's long options. Values from the file go through the
// same parser and checks as flags; a flag given on the command line wins.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "capture/live_capture.h"

namespace kagami::cli {

// Reads `path` and sets every option of `cmd` that the command line left
// unset; interfaces listed in the file are appended to `interfaces` (the
// caller passes them only when -i was not given); with nullptr, an
// `interfaces:` key is an error. Every problem is printed
// to stderr as FILE:LINE:COLUMN: message; false if there was any.
bool ApplyConfigFile(CLI::App& cmd, const std::string& path, std::vector<capture::LiveInterface>* interfaces);

}  // namespace kagami::cli
