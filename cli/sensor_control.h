#pragma once
// What a running sensor answers on its control socket (`kagami ctl`): one
// JSON object per request, {"ok":true,...} or {"ok":false,"error":"..."}.

#include <string>

#include "cli/reloader.h"
#include "engine/output/sinks/output_set.h"
#include "engine/pipeline/stats_record.h"

namespace kagami::cli {

struct SensorControl {
  Reloader* reloader = nullptr;
  const pipeline::StatsWriter* stats = nullptr;
  const output::OutputSet* outputs = nullptr;
  void (*stop)() = nullptr;  // what SIGTERM does
};

// reload: runs one and waits ({"ok":...,"command":"reload","ruleset":{...}});
// ruleset: the one in use and the last attempt; stats: the latest stats
// record (null before the first) and every output's counters, now; version; shutdown: stops capture as SIGTERM does.
std::string AnswerControl(const SensorControl& sensor, const std::string& request);

}  // namespace kagami::cli
