#include "cli/test_case.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/ip_address.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

namespace kagami::cli {
namespace {

namespace fs = std::filesystem;

// A position in the text as 1-based line and column (bytes).
void PlaceAt(std::string_view text, size_t offset, rules::SourceLocation* where) {
  offset = std::min(offset, text.size());
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  where->line = line;
  where->column = static_cast<int>(offset - line_start) + 1;
}

// Where `"key":` first occurs at or after `from`: the DOM keeps no
// positions, and pointing at the key is what makes a type error findable.
// npos when the text spells the key with escapes.
size_t FindKey(std::string_view text, std::string_view key, size_t from) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  for (size_t at = text.find(quoted, from); at != std::string_view::npos; at = text.find(quoted, at + 1)) {
    size_t after = at + quoted.size();
    while (after < text.size() && std::strchr(" \t\r\n", text[after]) != nullptr) ++after;
    if (after < text.size() && text[after] == ':') return at;
  }
  return std::string_view::npos;
}

// Collects the first error with the position of the key it is about.
class Checker {
 public:
  Checker(std::string_view text, const std::string& file, rules::Diagnostic* error)
      : text_(text), file_(file), error_(error) {}

  // `key_offset`: where the offending key is (npos: unknown).
  bool Fail(size_t key_offset, std::string message) {
    error_->severity = rules::Diagnostic::Severity::kError;
    error_->location = rules::SourceLocation{file_, 0, 0};
    if (key_offset != std::string_view::npos) PlaceAt(text_, key_offset, &error_->location);
    error_->message = std::move(message);
    return false;
  }
  size_t Key(std::string_view key, size_t from = 0) const { return FindKey(text_, key, from); }

 private:
  std::string_view text_;
  const std::string& file_;
  rules::Diagnostic* error_;
};

// An integer written as a JSON number or a decimal string (the runner
// accepts both for sids and ports).
std::optional<int64_t> IntegerOf(const rapidjson::Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsString()) {
    std::string_view s(v.GetString(), v.GetStringLength());
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return n;
  }
  return std::nullopt;
}

bool ParseCount(const rapidjson::Value& v, int64_t* out) {
  if (!v.IsInt64() || v.GetInt64() < 0) return false;
  *out = v.GetInt64();
  return true;
}

bool ParseExactEntry(const rapidjson::Value& v, size_t index, size_t at, Checker& check, ExpectedExact* out) {
  const std::string where = "exact[" + std::to_string(index) + "]";
  if (!v.IsObject()) return check.Fail(at, where + ": expected an object");
  bool has_count = false;
  for (const auto& m : v.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const std::string field = where + "." + std::string(name);
    if (name == "count") {
      if (!ParseCount(m.value, &out->count)) return check.Fail(at, field + ": expected a non-negative integer");
      has_count = true;
    } else if (name == "sid") {
      const std::optional<int64_t> sid = IntegerOf(m.value);
      if (!sid || *sid < 0) return check.Fail(at, field + ": expected a signature id");
      out->sid = static_cast<uint64_t>(*sid);
    } else if (name == "src_ip" || name == "dest_ip") {
      if (!m.value.IsString()) return check.Fail(at, field + ": expected an address string");
      std::string ip = NormalizeIp(std::string_view(m.value.GetString(), m.value.GetStringLength()));
      (name == "src_ip" ? out->src_ip : out->dest_ip) = std::move(ip);
    } else if (name == "src_port" || name == "dest_port") {
      const std::optional<int64_t> port = IntegerOf(m.value);
      if (!port || *port < 0 || *port > 65535) return check.Fail(at, field + ": expected a port (0-65535)");
      (name == "src_port" ? out->src_port : out->dest_port) = static_cast<uint32_t>(*port);
    } else {
      return check.Fail(at, field + ": unknown field (known: sid, src_ip, dest_ip, src_port, dest_port, count)");
    }
  }
  if (!has_count) return check.Fail(at, where + ": needs an integer \"count\"");
  return true;
}

bool ParseVars(const rapidjson::Value& v, size_t at, Checker& check, ExpectedAlerts* out) {
  if (!v.IsObject()) return check.Fail(at, "vars: expected an object of NAME: VALUE");
  std::string home = kDefaultHomeNet, external = kDefaultExternalNet;
  std::vector<std::pair<std::string, std::string>> others;
  for (const auto& m : v.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsString()) return check.Fail(check.Key(name, at), "vars." + name + ": expected a string");
    std::string value(m.value.GetString(), m.value.GetStringLength());
    if (name == "HOME_NET") {
      home = std::move(value);
    } else if (name == "EXTERNAL_NET") {
      external = std::move(value);
    } else {
      others.emplace_back(std::move(name), std::move(value));
    }
  }
  // As the runner hands EXTERNAL_NET to an engine: $HOME_NET spelled out.
  for (size_t at_var = external.find("$HOME_NET"); at_var != std::string::npos;
       at_var = external.find("$HOME_NET", at_var + home.size())) {
    external.replace(at_var, 9, home);
  }
  out->vars.clear();
  out->vars.emplace_back("HOME_NET", std::move(home));
  out->vars.emplace_back("EXTERNAL_NET", std::move(external));
  std::sort(others.begin(), others.end());
  out->vars.insert(out->vars.end(), others.begin(), others.end());
  return true;
}

bool IsCaseDir(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "expected.json", ec) || fs::exists(dir / "input.pcap", ec) ||
         fs::exists(dir / "rules", ec);
}

std::string Describe(const std::error_code& ec) { return ec.message(); }

}  // namespace

std::string NormalizeIp(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '[')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == ']')) s.remove_suffix(1);
  if (std::optional<IpAddress> ip = IpAddress::Parse(s)) return ip->ToString();
  return std::string(text);
}

bool ParseExpected(std::string_view text, const std::string& file, ExpectedAlerts* out, rules::Diagnostic* error) {
  *out = ExpectedAlerts{};
  out->vars = {{"HOME_NET", kDefaultHomeNet}, {"EXTERNAL_NET", std::string("!") + kDefaultHomeNet}};
  Checker check(text, file, error);
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return check.Fail(doc.GetErrorOffset(),
                      std::string("malformed JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return check.Fail(0, "expected a JSON object at the top level");
  // Iterated through a const reference: comparing a non-const member
  // iterator with its own kind is ambiguous in C++20 (clang warns).
  const rapidjson::Value& root = doc;
  for (const auto& m : root.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const rapidjson::Value& v = m.value;
    const size_t at = check.Key(name);
    if (name == "alerts_total") {
      if (v.IsNull()) continue;
      int64_t total = 0;
      if (!ParseCount(v, &total)) return check.Fail(at, "alerts_total: expected a non-negative integer or null");
      out->alerts_total = total;
    } else if (name == "by_sid") {
      if (v.IsNull()) continue;
      if (!v.IsObject()) return check.Fail(at, "by_sid: expected an object of \"SID\": count");
      for (const auto& e : v.GetObject()) {
        const std::string key(e.name.GetString(), e.name.GetStringLength());
        const std::optional<int64_t> sid = IntegerOf(e.name);
        if (!sid || *sid < 0) return check.Fail(check.Key(key, at), "by_sid: \"" + key + "\" is not a signature id");
        int64_t count = 0;
        if (!ParseCount(e.value, &count)) {
          return check.Fail(check.Key(key, at), "by_sid." + key + ": expected a non-negative integer count");
        }
        out->by_sid.emplace_back(static_cast<uint64_t>(*sid), count);
      }
      std::stable_sort(out->by_sid.begin(), out->by_sid.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    } else if (name == "exact") {
      if (v.IsNull()) continue;
      if (!v.IsArray()) return check.Fail(at, "exact: expected a list of entries");
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        ExpectedExact entry;
        if (!ParseExactEntry(v[i], i, at, check, &entry)) return false;
        out->exact.push_back(std::move(entry));
      }
    } else if (name == "checksums") {
      const std::string_view mode = v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : "";
      if (mode == "ignore") {
        out->verify_checksums = false;
      } else if (mode == "verify" || mode == "auto") {
        out->verify_checksums = true;
      } else {
        return check.Fail(at, "checksums: expected \"verify\" or \"ignore\"");
      }
    } else if (name == "midstream") {
      if (!v.IsBool()) return check.Fail(at, "midstream: expected true or false");
      out->midstream = v.GetBool();
    } else if (name == "vars") {
      if (v.IsNull()) continue;
      if (!ParseVars(v, at, check, out)) return false;
    }
    // name, origin and anything else describe the case; nothing to check.
  }
  return true;
}

bool FindTestCases(const std::vector<std::string>& dirs, std::vector<TestCaseDir>* out, std::string* error) {
  for (const std::string& d : dirs) {
    const fs::path dir(d);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      *error = d + ": " + (ec ? Describe(ec) : fs::exists(dir) ? "not a directory" : "no such directory");
      return false;
    }
    if (IsCaseDir(dir)) {
      const fs::path name = dir.lexically_normal().has_filename() ? dir.lexically_normal().filename()
                                                                  : dir.lexically_normal().parent_path().filename();
      out->push_back({name.string(), d});
      continue;
    }
    std::vector<TestCaseDir> found;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      *error = d + ": " + Describe(ec);
      return false;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code sub_ec;
      if (it->is_directory(sub_ec) && IsCaseDir(it->path())) {
        found.push_back({it->path().filename().string(), it->path().string()});
      }
    }
    if (ec) {
      *error = d + ": " + Describe(ec);
      return false;
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    out->insert(out->end(), found.begin(), found.end());
  }
  return true;
}

std::vector<std::string> CaseRuleFiles(const std::string& dir) {
  std::error_code ec;
  const fs::path single = fs::path(dir) / "rules";
  if (fs::is_regular_file(single, ec)) return {single.string()};
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code sub_ec;
    if (it->path().extension() == ".rules" && it->is_regular_file(sub_ec)) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string CasePackDir(const std::string& case_dir) {
  const fs::path dir = fs::path(case_dir).lexically_normal();
  const fs::path tests = (dir.has_filename() ? dir : dir.parent_path()).parent_path();
  if (tests.filename() != "tests") return "";
  const std::string pack = tests.parent_path().string();
  std::error_code ec;
  if (pack.empty() || (CaseRuleFiles(pack).empty() && !fs::is_directory(fs::path(pack) / "intel", ec))) return "";
  return pack;
}

std::vector<std::string> CaseIntelFeeds(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (fs::directory_iterator it(fs::path(dir) / "intel", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code sub_ec;
    if (it->is_regular_file(sub_ec)) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace kagami::cli
