#pragma once
// The output schemes Kagami knows, in one table: each scheme's transport
// factory and the line that documents its URL form.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/output/sinks/output_spec.h"
#include "engine/output/sinks/transport.h"

namespace kagami::output {

// The transport for `spec`'s scheme; takes the scheme's own parameters and
// fails on ones it does not know.
absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(OutputSpec& spec);

// Whether a destination of this scheme must work when Kagami starts (a file
// that cannot be opened is an error, unless the failure is Unavailable: a
// FIFO without a reader yet; a server that is down is waited for).
bool MustConnectAtStart(const OutputSpec& spec);

// One line per scheme, for --help and errors.
std::string OutputSchemesHelp();

}  // namespace kagami::output
