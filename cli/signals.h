#pragma once
// Signal handling for the long-running subcommands: SIGINT/SIGTERM ask the
// packet loop to stop (and a live capture to break out of its wait), SIGHUP
// asks for the EVE file to be reopened (logrotate).

#include "engine/pipeline/scanner.h"

namespace kagami::cli {

// Installs handlers that set flags in `control`. `on_stop`, when given, is
// called instead of setting control->stop, and must be async-signal-safe:
// a live capture stops its sources, which first hand over the packets
// their rings already hold, so nothing captured goes uninspected.
void InstallSignalHandlers(pipeline::RunControl* control, void (*on_stop)() = nullptr);

// SIGUSR2 (Suricata's rule reload signal) calls `on_reload`, which must be
// async-signal-safe; null ignores the signal (its default would end the
// process: a `systemctl reload` while starting or stopping must not).
void InstallReloadHandler(void (*on_reload)());

}  // namespace kagami::cli
