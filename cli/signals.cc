#include "cli/signals.h"

#include <csignal>

namespace kagami::cli {
namespace {

pipeline::RunControl* g_control = nullptr;
void (*g_on_stop)() = nullptr;

void HandleStop(int) {
  if (g_on_stop) {
    g_on_stop();
  } else if (g_control) {
    g_control->stop.store(true, std::memory_order_relaxed);
  }
}

void (*g_on_reload)() = nullptr;
void HandleReload(int) {
  if (g_on_reload) g_on_reload();
}

void HandleHangup(int) {
  if (g_control) g_control->reopen_output.store(true, std::memory_order_relaxed);
}

}  // namespace

void InstallSignalHandlers(pipeline::RunControl* control, void (*on_stop)()) {
  g_control = control;
  g_on_stop = on_stop;
  struct sigaction sa = {};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = HandleStop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = HandleHangup;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &sa, nullptr);
}

void InstallReloadHandler(void (*on_reload)()) {
  g_on_reload = on_reload;
  struct sigaction sa = {};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_reload ? HandleReload : SIG_IGN;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, nullptr);
}

}  // namespace kagami::cli
