#include "config/config_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace kagami::config {
namespace {

// Larger files are not configuration; refusing them keeps the parser's work
// bounded whatever is handed to it.
constexpr size_t kMaxBytes = 1 << 20;

Position At(const YAML::Mark& m) {
  if (m.is_null()) return Position{};
  return Position{m.line + 1, m.column + 1};
}

const char* Kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null: return "nothing";
    default: return "a value";
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

class Reader {
 public:
  Reader(std::string_view file, const std::vector<OptionSpec>& options, ConfigFile* out)
      : file_(file), options_(options), out_(out) {}

  void Error(Position at, std::string_view message) {
    out_->errors.push_back({at, FormatError(file_, at, message)});
  }
  void Error(const YAML::Node& n, std::string_view message) { Error(At(n.Mark()), message); }

  void Root(const YAML::Node& root) {
    if (root.IsNull()) return;  // an empty file: nothing set
    if (!root.IsMap()) {
      Error(root, absl::StrCat("expected a map of option names to values, got ", Kind(root)));
      return;
    }
    std::set<std::string> seen;
    for (const auto& kv : root) {
      const YAML::Node& key = kv.first;
      const YAML::Node& value = kv.second;
      if (!key.IsScalar()) {
        Error(key, absl::StrCat("expected an option name, got ", Kind(key)));
        continue;
      }
      const std::string& name = key.Scalar();
      if (!seen.insert(name).second) {
        Error(key, absl::StrCat("'", name, "' is given twice"));
        continue;
      }
      if (name == "interfaces") {
        Interfaces(key, value);
        continue;
      }
      const OptionSpec* spec = Find(name);
      if (spec == nullptr) {
        Error(key, UnknownKey(name));
        continue;
      }
      Option(*spec, key, value);
    }
  }

 private:
  const OptionSpec* Find(std::string_view name) const {
    for (const OptionSpec& o : options_) {
      if (o.name == name) return &o;
    }
    return nullptr;
  }

  std::string UnknownKey(std::string_view name) const {
    std::string best;
    size_t best_d = 4;  // suggest only close names
    for (const OptionSpec& o : options_) {
      const size_t d = EditDistance(name, o.name);
      if (d < best_d) {
        best_d = d;
        best = o.name;
      }
    }
    if (EditDistance(name, "interfaces") < best_d) best = "interfaces";
    std::string message = absl::StrCat("unknown key '", std::string(name), "'");
    if (!best.empty()) absl::StrAppend(&message, " (did you mean '", best, "'?)");
    return message;
  }

  // A scalar where one value belongs; false (with an error) otherwise.
  bool Scalar(const YAML::Node& n, const YAML::Node& key, std::string* out) {
    if (n.IsScalar()) {
      *out = n.Scalar();
      return true;
    }
    std::string message = absl::StrCat("'", key.Scalar(), "': expected a value, got ", Kind(n));
    // An unquoted Suricata address or port list is a YAML flow sequence.
    if (n.IsSequence()) absl::StrAppend(&message, " (quote lists meant as one value: \"[10.0.0.0/8]\")");
    Error(n.IsNull() ? key : n, message);
    return false;
  }

  void Option(const OptionSpec& spec, const YAML::Node& key, const YAML::Node& value) {
    OptionValue v;
    v.name = spec.name;
    v.at = At((value.IsNull() ? key : value).Mark());
    switch (spec.shape) {
      case OptionShape::kFlag: {
        std::string text;
        if (!Scalar(value, key, &text)) return;
        const std::string lower = absl::AsciiStrToLower(text);
        if (lower == "true" || lower == "yes" || lower == "on") {
          v.values.push_back("true");
        } else if (lower == "false" || lower == "no" || lower == "off") {
          v.values.push_back("false");
        } else {
          Error(value, absl::StrCat("'", spec.name, "': expected true or false, got '", text, "'"));
          return;
        }
        break;
      }
      case OptionShape::kScalar: {
        std::string text;
        if (!Scalar(value, key, &text)) return;
        v.values.push_back(std::move(text));
        break;
      }
      case OptionShape::kList:
        if (value.IsMap()) {
          // NAME=VALUE items (--var HOME_NET=...).
          for (const auto& kv : value) {
            std::string k, val;
            if (!Scalar(kv.first, key, &k) || !Scalar(kv.second, kv.first, &val)) return;
            v.values.push_back(absl::StrCat(k, "=", val));
          }
        } else if (value.IsSequence()) {
          for (const YAML::Node& item : value) {
            std::string text;
            if (!Scalar(item, key, &text)) return;
            v.values.push_back(std::move(text));
          }
        } else {
          std::string text;
          if (!Scalar(value, key, &text)) return;
          v.values.push_back(std::move(text));
        }
        if (v.values.empty()) {
          Error(value, absl::StrCat("'", spec.name, "': the list is empty"));
          return;
        }
        break;
    }
    out_->options.push_back(std::move(v));
  }

  void Interface(const YAML::Node& item, const YAML::Node& key) {
    InterfaceEntry e;
    e.at = At(item.Mark());
    if (item.IsMap()) {
      for (const auto& kv : item) {
        const YAML::Node& k = kv.first;
        const std::string field = k.IsScalar() ? k.Scalar() : "";
        std::string* into = field == "name" ? &e.name : field == "bpf" ? &e.bpf : nullptr;
        if (into == nullptr) {
          Error(k, absl::StrCat("interfaces: unknown key '", field, "' (an interface has 'name' and 'bpf')"));
          return;
        }
        if (!Scalar(kv.second, k, into)) return;
      }
    } else if (!Scalar(item, key, &e.name)) {
      return;
    }
    if (e.name.empty()) {
      Error(item, "interfaces: an entry without a 'name'");
      return;
    }
    out_->interfaces.push_back(std::move(e));
  }

  void Interfaces(const YAML::Node& key, const YAML::Node& value) {
    out_->has_interfaces = true;
    if (value.IsNull() || (value.IsSequence() && value.size() == 0)) {
      Error(value.IsNull() ? key : value, "interfaces: the list is empty");
    } else if (value.IsSequence()) {
      for (const YAML::Node& item : value) Interface(item, key);
    } else {
      Interface(value, key);
    }
  }

  std::string_view file_;
  const std::vector<OptionSpec>& options_;
  ConfigFile* out_;
};

}  // namespace

std::string FormatError(std::string_view file_name, Position at, std::string_view message) {
  return absl::StrCat(std::string(file_name), ":", at.line, ":", at.column, ": ", std::string(message));
}

ConfigFile ParseConfig(std::string_view text, std::string_view file_name, const std::vector<OptionSpec>& options) {
  ConfigFile out;
  Reader reader(file_name, options, &out);
  if (text.size() > kMaxBytes) {
    reader.Error(Position{1, 1}, absl::StrCat("the file is ", text.size(), " bytes; a configuration is at most ",
                                              kMaxBytes));
    return out;
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    reader.Error(At(e.mark), e.msg);
    return out;
  }
  try {
    reader.Root(root);
  } catch (const YAML::Exception& e) {
    reader.Error(At(e.mark), e.msg);
  }
  return out;
}

}  // namespace kagami::config
