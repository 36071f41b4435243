// Rule files: comments, continuation lines, include, directories, duplicate
// sids; each logical rule goes to RuleParser.

#include "rules/rule_loader.h"

#include "common/read_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "rules/text_util.h"
#include "rules/classification.h"
#include "rules/rule_parser.h"

namespace kagami::rules {

std::map<std::string, std::string> DefaultVariables() {
  return {
      {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
      {"EXTERNAL_NET", "!$HOME_NET"},
      {"HTTP_SERVERS", "$HOME_NET"},
      {"SMTP_SERVERS", "$HOME_NET"},
      {"SQL_SERVERS", "$HOME_NET"},
      {"DNS_SERVERS", "$HOME_NET"},
      {"TELNET_SERVERS", "$HOME_NET"},
      {"AIM_SERVERS", "$EXTERNAL_NET"},
      {"DC_SERVERS", "$HOME_NET"},
      {"DNP3_SERVER", "$HOME_NET"},
      {"DNP3_CLIENT", "$HOME_NET"},
      {"MODBUS_CLIENT", "$HOME_NET"},
      {"MODBUS_SERVER", "$HOME_NET"},
      {"ENIP_CLIENT", "$HOME_NET"},
      {"ENIP_SERVER", "$HOME_NET"},
      {"HTTP_PORTS", "80"},
      {"SHELLCODE_PORTS", "!80"},
      {"ORACLE_PORTS", "1521"},
      {"SSH_PORTS", "22"},
      {"DNP3_PORTS", "20000"},
      {"MODBUS_PORTS", "502"},
      {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
      {"FTP_PORTS", "21"},
      {"GENEVE_PORTS", "6081"},
      {"VXLAN_PORTS", "4789"},
      {"TEREDO_PORTS", "3544"},
  };
}

namespace {

Diagnostic MakeError(SourceLocation loc, std::string message) {
  Diagnostic d;
  d.location = std::move(loc);
  d.message = std::move(message);
  return d;
}

std::string LocationText(const SourceLocation& l) { return Cat(l.file, ":", l.line); }

class Loader {
 public:
  explicit Loader(const LoadOptions& options) {
    for (auto& [k, v] : DefaultVariables()) env_.variables[k] = v;
    for (const auto& [k, v] : options.variables) {
      std::string name = k;
      if (!name.empty() && name[0] == '$') name.erase(0, 1);
      env_.variables[name] = v;
    }
    if (options.classification_file.empty()) {
      env_.classifications = &DefaultClassifications(&set_.diagnostics);
    } else {
      own_classes_ = LoadClassificationFile(options.classification_file, &set_.diagnostics);
      env_.classifications = &own_classes_;
    }
  }

  void LoadPath(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::string> files;
      // Recursive, so a directory of packs (rules/packs/NAME/*.rules) loads whole.
      for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().extension() == ".rules" && it->is_regular_file(ec)) files.push_back(it->path().string());
      }
      if (ec) set_.diagnostics.push_back(MakeError({path, 0, 0}, Cat("cannot list directory: ", ec.message())));
      std::sort(files.begin(), files.end());
      for (const std::string& f : files) LoadFile(f, nullptr);
      return;
    }
    LoadFile(path, nullptr);
  }

  // `from` is the include line that named this file, if any.
  void LoadFile(const std::string& path, const SourceLocation* from) {
    std::error_code ec;
    std::string key = std::filesystem::weakly_canonical(path, ec).string();
    if (ec) key = path;
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
      std::string chain;
      for (const std::string& s : stack_) chain += s + " -> ";
      set_.diagnostics.push_back(MakeError(from ? *from : SourceLocation{path, 0, 0},
                                           Cat("include cycle: ", chain, key)));
      return;
    }
    std::string text, why;
    if (!ReadWholeFile(path, &text, &why)) {
      set_.diagnostics.push_back(MakeError(from ? *from : SourceLocation{path, 0, 0},
                                           Cat("cannot read rule file '", path, "': ", why)));
      return;
    }
    stack_.push_back(key);
    ParseText(text, path, std::filesystem::path(path).parent_path().string());
    stack_.pop_back();
  }

  void ParseText(std::string_view text, std::string_view name, const std::string& base_dir) {
    SourceMap map;
    map.file = std::string(name);
    std::string rule;
    bool open = false;  // a rule continues on the next line
    int line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!open) {
        size_t lead = 0;
        std::string_view t = Trim(line, &lead);
        if (t.empty() || t.front() == '#') continue;
        if (t.starts_with("include") && t.size() > 7 && IsSpace(t[7])) {
          Flush();  // the included file's rules come after the ones before the line
          Include(t.substr(8), {map.file, line_no, static_cast<int>(lead) + 1}, base_dir);
          continue;
        }
        rule.clear();
        map.pieces.clear();
        map.pieces.push_back({0, line_no, static_cast<int>(lead) + 1});
        rule.append(line.substr(lead));
      } else {
        map.pieces.push_back({rule.size(), line_no, 1});
        rule.append(line);
      }
      // A trailing backslash joins the next line.
      size_t end = rule.size();
      while (end > 0 && IsSpace(rule[end - 1])) --end;
      if (end > 0 && rule[end - 1] == '\\') {
        rule.resize(end - 1);
        open = true;
        continue;
      }
      open = false;
      Queue(rule, map);
    }
    if (open) Queue(rule, map);
    Flush();
  }

  RuleSet Take() { return std::move(set_); }

  void NoteUsedVariables(const ParseEnv& e) {
    for (const auto& [name, set] : e.address_cache) set_.variables_used.insert(name);
    for (const auto& [name, set] : e.port_cache) set_.variables_used.insert(name);
  }

 private:
  void Include(std::string_view arg, const SourceLocation& where, const std::string& base_dir) {
    std::string_view p = Trim(arg);
    if (p.size() >= 2 && p.front() == '"' && p.back() == '"') p = p.substr(1, p.size() - 2);
    if (p.empty()) {
      set_.diagnostics.push_back(MakeError(where, "include needs a file name"));
      return;
    }
    std::filesystem::path target(p);
    if (target.is_relative() && !base_dir.empty()) target = std::filesystem::path(base_dir) / target;
    LoadFile(target.string(), &where);
  }

  // A logical rule waiting to be parsed, with where its pieces came from.
  struct Pending {
    std::string text;
    SourceMap map;
  };
  struct Parsed {
    Rule rule;
    bool ok = false;
    Diagnostic error;
  };
  // Below this many rules a batch is parsed on the calling thread alone: a
  // thread costs more than it saves.
  static constexpr size_t kRulesPerThread = 2000;

  void Queue(std::string_view text, const SourceMap& map) {
    size_t end = text.size();
    while (end > 0 && IsSpace(text[end - 1])) --end;
    pending_.push_back({std::string(text.substr(0, end)), map});
  }

  static void ParseRange(std::vector<Pending>& pending, std::vector<Parsed>& out, size_t from, size_t to,
                         ParseEnv* env) {
    for (size_t i = from; i < to; ++i) {
      Pending& p = pending[i];
      Parsed& r = out[i];
      RuleParser parser(env, p.text, &p.map);
      r.ok = parser.Parse(&r.rule);
      if (!r.ok) {
        r.error = MakeError(p.map.At(parser.error().offset), parser.error().message);
        continue;
      }
      r.rule.location = p.map.At(0);
      r.rule.text = std::move(p.text);
    }
  }

  // Parses the queued rules and adds them in file order. Rules parse
  // independently, so a large batch is split over the CPUs, each part with
  // its own copy of the environment (its address and port caches are
  // written while parsing); duplicate sids are then found in order.
  void Flush() {
    const size_t n = pending_.size();
    if (n == 0) return;
    std::vector<Parsed> parsed(n);
    const size_t cpus = std::max(1u, std::thread::hardware_concurrency());
    const size_t parts = std::clamp<size_t>(n / kRulesPerThread, 1, cpus);
    std::vector<ParseEnv> envs(parts - 1, env_);
    std::vector<std::thread> threads;
    size_t started = 1;
    for (; started < parts; ++started) {
      try {
        threads.emplace_back(ParseRange, std::ref(pending_), std::ref(parsed), n * started / parts,
                             n * (started + 1) / parts, &envs[started - 1]);
      } catch (const std::system_error&) {
        break;  // no thread to be had: this thread parses the rest
      }
    }
    ParseRange(pending_, parsed, 0, n / parts, &env_);
    if (started < parts) ParseRange(pending_, parsed, n * started / parts, n, &env_);
    for (std::thread& t : threads) t.join();
    // A variable is cached under its name once some rule resolved it.
    NoteUsedVariables(env_);
    for (const ParseEnv& e : envs) NoteUsedVariables(e);
    pending_.clear();
    if (set_.rules.capacity() < set_.rules.size() + n) {
      set_.rules.reserve(std::max(set_.rules.size() + n, 2 * set_.rules.capacity()));
    }
    for (Parsed& r : parsed) {
      if (!r.ok) {
        set_.diagnostics.push_back(std::move(r.error));
        continue;
      }
      auto [it, inserted] = seen_.try_emplace({r.rule.gid, r.rule.sid}, r.rule.location);
      if (!inserted) {
        set_.diagnostics.push_back(MakeError(r.rule.location, Cat("duplicate rule gid ", r.rule.gid, " sid ",
                                                                  r.rule.sid, ": first defined at ",
                                                                  LocationText(it->second))));
        continue;
      }
      set_.rules.push_back(std::move(r.rule));
    }
  }

  ParseEnv env_;
  ClassificationTable own_classes_;
  RuleSet set_;
  std::map<std::pair<uint32_t, uint32_t>, SourceLocation> seen_;
  std::vector<std::string> stack_;
  std::vector<Pending> pending_;  // parsed at the next include or the end of the text
};

}  // namespace

RuleSet LoadRules(const std::vector<std::string>& paths, const LoadOptions& options) {
  Loader loader(options);
  for (const std::string& p : paths) loader.LoadPath(p);
  return loader.Take();
}

std::string CheckVariable(const std::string& name, const std::map<std::string, std::string>& variables) {
  ParseEnv env;
  for (auto& [k, v] : DefaultVariables()) env.variables[k] = v;
  for (const auto& [k, v] : variables) env.variables[k] = v;
  ClassificationTable none;
  env.classifications = &none;
  const bool port = name.ends_with("_PORT") || name.ends_with("_PORTS");
  const std::string text = port ? Cat("alert tcp any $", name, " -> any any (sid:1;)")
                                : Cat("alert ip $", name, " any -> any any (sid:1;)");
  SourceMap map;
  map.file = "--var";
  map.pieces.push_back({0, 1, 1});
  Rule rule;
  RuleParser parser(&env, text, &map);
  if (parser.Parse(&rule)) return "";
  return parser.error().message;
}

RuleSet ParseRules(std::string_view text, std::string_view name, const LoadOptions& options) {
  Loader loader(options);
  loader.ParseText(text, name.empty() ? "<string>" : name, "");
  return loader.Take();
}

}  // namespace kagami::rules
