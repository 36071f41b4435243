#pragma once
// The YAML configuration file of `kagami live --config FILE`: every key is a
// long option of the command (`workers: 8` is `--workers 8`), so the file
// and the command line cannot drift apart, plus `interfaces:`, a list of
// names or of {name, bpf} maps (a filter per interface). This reader knows
// YAML and the shape each option takes; cli/ feeds the values to the
// command's own option parser, which checks them as it checks flags.
//
//   interfaces:
//     - eth1                       # or {name: eth1, bpf: "not port 22"}
//   workers: 4                     # a scalar option
//   rules: [/etc/kagami/et.rules]  # a repeatable option: a list (or one scalar)
//   var: {HOME_NET: "[10.0.0.0/8]"} # a repeatable NAME=VALUE option: a map
//   quiet: true                    # a flag: true or false
//
// Every problem is reported as FILE:LINE:COLUMN: message (1-based), all of
// them, not just the first: YAML syntax, an unknown key (with the closest
// known one), a key given twice, a list where one value belongs, a map
// where none does, a flag that is not true/false.

#include <string>
#include <string_view>
#include <vector>

namespace kagami::config {

// What an option takes.
enum class OptionShape {
  kFlag,    // true / false
  kScalar,  // one value
  kList,    // one or more values: a scalar, a list of scalars, or a map (NAME=VALUE items)
};

struct OptionSpec {
  std::string name;  // the long name without dashes: "stats-interval"
  OptionShape shape = OptionShape::kScalar;
};

// Where a value was written, for messages.
struct Position {
  int line = 0, column = 0;  // 1-based
};

struct OptionValue {
  std::string name;                 // the option
  std::vector<std::string> values;  // as text; a flag's is "true" or "false"
  Position at;                      // the value's position
};

struct InterfaceEntry {
  std::string name;
  std::string bpf;  // empty: the command's --bpf, if any
  Position at;
};

struct ConfigError {
  Position at;
  std::string text;  // "FILE:LINE:COL: message"
};

struct ConfigFile {
  std::vector<OptionValue> options;  // in file order
  std::vector<InterfaceEntry> interfaces;
  bool has_interfaces = false;       // the key was present
  std::vector<ConfigError> errors;   // in the order found
  bool ok() const { return errors.empty(); }
};

// Parses `text` (named `file_name` in messages) against the options a
// command accepts. Never throws; malformed input yields errors.
ConfigFile ParseConfig(std::string_view text, std::string_view file_name, const std::vector<OptionSpec>& options);

// "FILE:LINE:COL: message".
std::string FormatError(std::string_view file_name, Position at, std::string_view message);

}  // namespace kagami::config
