#include "cli/sensor_control.h"

#include "absl/strings/str_cat.h"
#include "engine/output/eve_writer.h"

namespace kagami::cli {
namespace {

std::string Failure(const std::string& command, const std::string& why) {
  std::string out = "{\"ok\":false,\"command\":";
  output::AppendJsonString(out, command);
  out += ",\"error\":";
  output::AppendJsonString(out, why);
  return out + "}";
}

}  // namespace

std::string AnswerControl(const SensorControl& sensor, const std::string& request) {
  if (request == "version") return "{\"ok\":true,\"command\":\"version\",\"version\":\"" KAGAMI_VERSION "\"}";
  if (request == "reload") {
    const RulesetInfo r = sensor.reloader->ReloadAndWait();
    return absl::StrCat("{\"ok\":", r.ok ? "true" : "false", ",\"command\":\"reload\",\"ruleset\":", r.Json(), "}");
  }
  if (request == "ruleset") {
    return absl::StrCat("{\"ok\":true,\"command\":\"ruleset\",\"current\":", sensor.reloader->current().Json(),
                        ",\"last_attempt\":", sensor.reloader->last_attempt().Json(), "}");
  }
  if (request == "stats") {
    const std::string record = sensor.stats ? sensor.stats->last() : "";
    const std::string outputs = sensor.outputs ? sensor.outputs->CountersJson() : "{}";
    if (record.empty() && !sensor.outputs) {
      return Failure(request, "no stats record yet (one every --stats-interval seconds)");
    }
    return absl::StrCat("{\"ok\":true,\"command\":\"stats\",\"record\":", record.empty() ? "null" : record,
                        ",\"outputs\":", outputs, "}");
  }
  if (request == "shutdown") {
    if (sensor.stop) sensor.stop();
    return "{\"ok\":true,\"command\":\"shutdown\"}";
  }
  return Failure(request, "unknown command; one of reload, stats, ruleset, version, shutdown");
}

}  // namespace kagami::cli
