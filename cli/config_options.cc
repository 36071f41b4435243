#include "cli/config_options.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "common/read_file.h"
#include "config/config_file.h"

namespace kagami::cli {
namespace {

// Options that make no sense in a file, or that the file spells otherwise.
bool Configurable(const std::string& name) {
  return name != "help" && name != "config" && name != "check-config" && name != "interface";
}

std::vector<config::OptionSpec> SpecsOf(CLI::App& cmd) {
  std::vector<config::OptionSpec> specs;
  for (const CLI::Option* opt : cmd.get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      if (!Configurable(name)) continue;
      config::OptionShape shape = config::OptionShape::kScalar;
      if (opt->get_expected_max() == 0) {  // a flag takes no value on the command line
        shape = config::OptionShape::kFlag;
      } else if (opt->get_expected_max() > 1) {
        shape = config::OptionShape::kList;
      }
      specs.push_back({name, shape});
    }
  }
  return specs;
}

}  // namespace

bool ApplyConfigFile(CLI::App& cmd, const std::string& path, std::vector<capture::LiveInterface>* interfaces) {
  std::string text, why;
  if (!ReadWholeFile(path, &text, &why)) {
    std::fprintf(stderr, "kagami: --config %s: %s\n", path.c_str(), why.c_str());
    return false;
  }
  const config::ConfigFile file = config::ParseConfig(text, path, SpecsOf(cmd));
  std::vector<config::ConfigError> errors = file.errors;
  for (const config::OptionValue& v : file.options) {
    CLI::Option* opt = cmd.get_option_no_throw("--" + v.name);
    if (opt == nullptr || opt->count() > 0) continue;  // the command line said otherwise
    try {
      for (const std::string& value : v.values) opt->add_result(value);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      opt->clear();
      // CLI11 names the flag ("--workers: ..."); the message names the key.
      std::string why = e.what();
      if (const std::string flag = "--" + v.name + ": "; why.rfind(flag, 0) == 0) why.erase(0, flag.size());
      errors.push_back({v.at, config::FormatError(path, v.at, "'" + v.name + "': " + why)});
    }
  }
  for (const config::InterfaceEntry& i : file.interfaces) {
    if (interfaces) {
      interfaces->push_back({i.name, i.bpf});
    } else {
      errors.push_back({i.at, config::FormatError(path, i.at, "'interfaces': not an option of this command")});
    }
  }
  // In file order, whichever step found them.
  std::stable_sort(errors.begin(), errors.end(), [](const config::ConfigError& a, const config::ConfigError& b) {
    return std::tie(a.at.line, a.at.column) < std::tie(b.at.line, b.at.column);
  });
  for (const config::ConfigError& e : errors) std::fprintf(stderr, "kagami: %s\n", e.text.c_str());
  return errors.empty();
}

}  // namespace kagami::cli
