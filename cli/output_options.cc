#include "cli/output_options.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "engine/output/sinks/transport_registry.h"

namespace kagami::cli {
namespace {

std::vector<std::string> Urls(const OutputArgs& args) {
  std::vector<std::string> urls;
  if (args.outputs.empty() || (args.eve_option != nullptr && args.eve_option->count() > 0)) {
    // The path as a URL: '%' and '?' escaped, so any file name works.
    std::string path;
    for (char c : args.eve) {
      if (c == '%') path += "%25";
      else if (c == '?') path += "%3F";
      else path.push_back(c);
    }
    urls.push_back(args.eve == "-" ? "-?name=eve" : "file:" + path + "?name=eve");
  }
  urls.insert(urls.end(), args.outputs.begin(), args.outputs.end());
  return urls;
}

}  // namespace

void AddOutputOptions(CLI::App& app, OutputArgs& a) {
  a.eve_option = app.add_option("--eve,-e", a.eve,
                                "EVE JSON output file, '-' for stdout (the default output when no --output is given)")
                     ->capture_default_str();
  app.add_option("--sensor-name", a.sensor_name,
                 "Name written as \"host\" in every EVE record (Suricata's sensor-name), e.g. the sensor's host name");
  app.add_option("--output", a.outputs,
                 "An output, as a URL (repeat for several). Each takes ?types=alert,dns,... (default: "
                 "--eve-types), ?queue=SIZE, ?spool=DIR&spool_max=SIZE, ?reconnect_max=5s, ?name=N. Forms:\n" +
                     output::OutputSchemesHelp());
}

output::EveWriterOptions EveOptionsFrom(const OutputArgs& args) {
  output::EveWriterOptions o;
  o.host = args.sensor_name;
  return o;
}

bool OpenOutputs(const OutputArgs& args, const std::string& eve_types, output::OutputSet& outputs,
                 const std::function<bool(const std::string&, output::EventTypes)>& elsewhere) {
  output::EventTypes types = output::kEventAlert;
  if (std::string why; !output::ParseEventTypes(eve_types, &types, &why)) {
    std::fprintf(stderr, "kagami: --eve-types: %s\n", why.c_str());
    return false;
  }
  outputs.set_event_handler([](const std::string& text) { std::fprintf(stderr, "kagami: %s\n", text.c_str()); });
  for (const std::string& url : Urls(args)) {
    if (elsewhere && elsewhere(url, types)) continue;
    if (absl::Status s = outputs.Add(url, types); !s.ok()) {
      std::fprintf(stderr, "kagami: %s\n", std::string(s.message()).c_str());
      return false;
    }
  }
  return true;
}

bool WritesToStdout(const OutputArgs& args) {
  for (const std::string& url : Urls(args)) {
    absl::StatusOr<output::OutputSpec> spec = output::ParseOutputUrl(url);
    // `-` and the file-like schemes given `-` (fast:-).
    if (spec.ok() && (spec->scheme == "stdout" || spec->path == "-")) return true;
  }
  return false;
}

bool CheckOutputs(const OutputArgs& args) {
  bool ok = true;
  for (const std::string& url : Urls(args)) {
    absl::StatusOr<output::OutputSpec> spec = output::ParseOutputUrl(url);
    absl::Status s = spec.status();
    if (s.ok()) s = output::MakeTransport(*spec).status();
    if (s.ok() && (spec->scheme == "file" || spec->scheme == "fast") && spec->path != "-") {
      const std::filesystem::path dir = std::filesystem::absolute(spec->path).parent_path();
      if (access(dir.c_str(), W_OK) != 0) {
        s = absl::PermissionDeniedError("output '" + url + "': cannot write in " + dir.string());
      }
    }
    if (!s.ok()) {
      std::fprintf(stderr, "kagami: %s\n", std::string(s.message()).c_str());
      ok = false;
    }
  }
  return ok;
}

std::vector<std::pair<std::string, uint64_t>> FilesAppendedTo(const OutputArgs& args) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const std::string& url : Urls(args)) {
    absl::StatusOr<output::OutputSpec> spec = output::ParseOutputUrl(url);
    if (!spec.ok() || (spec->scheme != "file" && spec->scheme != "fast") || spec->path == "-") continue;
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(spec->path, ec);
    if (!ec && size > 0) out.emplace_back(spec->name, size);
  }
  return out;
}

uint64_t ReportOutputs(const output::OutputSet& outputs, output::ScanSummary& summary,
                       const std::vector<std::pair<std::string, uint64_t>>& appended) {
  uint64_t dropped = 0;
  for (const output::OutputSet::Status& s : outputs.Snapshot()) {
    const output::OutputCounters& c = s.counters;
    dropped += c.dropped;
    if (c.dropped > 0) {
      std::fprintf(stderr, "kagami: output %s (%s) dropped %llu %s%s%s\n", s.name.c_str(), s.description.c_str(),
                   static_cast<unsigned long long>(c.dropped), c.dropped == 1 ? "record" : "records",
                   c.last_error.empty() ? "" : "; last error: ", c.last_error.c_str());
    }
    // Names where the records went, and says when a file already held
    // records from earlier runs (it is appended to, not replaced).
    std::string group = "output " + s.name + " (" + s.description;
    for (const auto& [name, bytes] : appended) {
      if (name == s.name) group += ", appended after " + output::FormatBytes(bytes) + " already there";
    }
    group += ")";
    summary.AddCounters(group, {{"record[s] sent", c.sent},
                                {"spooled", c.spooled},
                                {"dropped", c.dropped},
                                {"reconnect[s]", c.reconnects}},
                        /*first_always=*/true);
  }
  return dropped;
}

}  // namespace kagami::cli
