#include "engine/output/sinks/output_spec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/byte_size.h"

namespace kagami::output {
namespace {

absl::Status ErrorAt(absl::string_view url, size_t column, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("output '", url, "': column ", column, ": ", what));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding; false (with the column of the bad escape) on a broken one.
bool PercentDecode(absl::string_view in, size_t first_column, std::string* out, size_t* bad_column) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    const int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
    const int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      *bad_column = first_column + i;
      return false;
    }
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool IsSchemeChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-'; }

// Applies a parameter every output has; false when `p` is the scheme's own.
absl::Status ApplyCommonParam(OutputSpec& spec, OutputParam& p, bool* common) {
  *common = true;
  if (p.key == "name") {
    if (p.value.empty()) return ParamError(spec, p, "name: must not be empty");
    for (char c : p.value) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        return ParamError(spec, p, "name: letters, digits, '-' and '_' only (it names counters)");
      }
    }
    spec.name = p.value;
    spec.name_given = true;
  } else if (p.key == "types") {
    std::string why;
    if (!ParseEventTypes(p.value, &spec.types, &why)) return ParamError(spec, p, "types: " + why);
    spec.types_given = true;
  } else if (p.key == "queue") {
    if (!ParseByteSize(p.value, &spec.queue_max) || spec.queue_max == 0) {
      return ParamError(spec, p, "queue: expected a size such as 16mb");
    }
  } else if (p.key == "spool") {
    if (p.value.empty()) return ParamError(spec, p, "spool: expected a directory");
    spec.spool_dir = p.value;
  } else if (p.key == "spool_max") {
    if (!ParseByteSize(p.value, &spec.spool_max) || spec.spool_max == 0) {
      return ParamError(spec, p, "spool_max: expected a size such as 1gb");
    }
  } else if (p.key == "reconnect_max") {
    if (!ParseDuration(p.value, &spec.reconnect_max) || spec.reconnect_max.count() == 0) {
      return ParamError(spec, p, "reconnect_max: expected a duration such as 500ms or 5s");
    }
  } else {
    *common = false;
  }
  return absl::OkStatus();
}

absl::Status ParseAuthority(OutputSpec& spec, absl::string_view url, absl::string_view authority, size_t column) {
  size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) {
    const absl::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    size_t bad = 0;
    if (!PercentDecode(userinfo.substr(0, colon), column, &spec.user, &bad)) {
      return ErrorAt(url, bad, "broken %-escape");
    }
    if (colon != absl::string_view::npos) {
      if (!PercentDecode(userinfo.substr(colon + 1), column + colon + 1, &spec.password, &bad)) {
        return ErrorAt(url, bad, "broken %-escape");
      }
      spec.has_password = true;
    }
    authority.remove_prefix(at + 1);
    column += at + 1;
  }
  absl::string_view port_text;
  size_t port_column = 0;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return ErrorAt(url, column, "IPv6 address without its closing ']'");
    spec.host = std::string(authority.substr(1, close - 1));
    absl::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return ErrorAt(url, column + close + 1, "expected ':PORT' after the address");
      port_text = rest.substr(1);
      port_column = column + close + 2;
    }
  } else {
    const size_t colon = authority.rfind(':');
    spec.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      port_column = column + colon + 1;
    }
  }
  if (port_column != 0) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535) {
      return ErrorAt(url, port_column, absl::StrCat("port: expected 1 to 65535, got '", port_text, "'"));
    }
    spec.port = static_cast<uint16_t>(port);
  }
  return absl::OkStatus();
}

}  // namespace

bool ParseDuration(std::string_view text_in, std::chrono::milliseconds* out) {
  absl::string_view text(text_in.data(), text_in.size());
  uint64_t unit = 1000;
  auto strip = [&text](absl::string_view suffix) {
    if (text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
      text.remove_suffix(suffix.size());
      return true;
    }
    return false;
  };
  if (strip("ms")) unit = 1;
  else if (strip("s")) unit = 1000;
  else if (strip("m")) unit = 60'000;
  uint64_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n > 86'400'000ull) return false;
  *out = std::chrono::milliseconds(n * unit);
  return true;
}

absl::StatusOr<OutputSpec> ParseOutputUrl(std::string_view url_text) {
  const absl::string_view url(url_text.data(), url_text.size());
  OutputSpec spec;
  spec.url = std::string(url);
  if (url.empty()) return absl::InvalidArgumentError("output '': empty; expected a URL such as file:eve.json");
  absl::string_view rest;
  size_t column = 0;  // of rest[0]
  if (url == "-" || absl::StartsWith(url, "-?")) {
    spec.scheme = spec.name = "stdout";
    rest = url.substr(1);
    column = 2;
  } else {
    size_t colon = 0;
    while (colon < url.size() && IsSchemeChar(url[colon])) ++colon;
    if (colon == 0 || colon >= url.size() || url[colon] != ':') {
      return ErrorAt(url, colon + 1, "expected SCHEME: (file:, unix-stream:, syslog:, redis://, ...) or -");
    }
    spec.scheme = absl::AsciiStrToLower(url.substr(0, colon));
    spec.name = spec.scheme;
    rest = url.substr(colon + 1);
    column = colon + 2;
  }
  const size_t query = rest.find('?');
  absl::string_view where = rest.substr(0, query);
  size_t bad = 0;
  if (where.substr(0, 2) == "//") {
    // Authority form: //[user[:password]@]host[:port][/path]
    where.remove_prefix(2);
    const size_t slash = where.find('/');
    spec.authority = std::string(where.substr(0, slash));
    if (spec.authority.find(',') == std::string::npos) {
      if (absl::Status s = ParseAuthority(spec, url, where.substr(0, slash), column + 2); !s.ok()) return s;
    }
    if (slash != absl::string_view::npos) {
      if (!PercentDecode(where.substr(slash), column + 2 + slash, &spec.url_path, &bad)) {
        return ErrorAt(url, bad, "broken %-escape");
      }
    }
  } else if (!PercentDecode(where, column, &spec.path, &bad)) {
    return ErrorAt(url, bad, "broken %-escape");
  }
  if (query != absl::string_view::npos) {
    size_t pos = query + 1;
    while (pos <= rest.size()) {
      size_t amp = rest.find('&', pos);
      if (amp == absl::string_view::npos) amp = rest.size();
      const absl::string_view item = rest.substr(pos, amp - pos);
      const size_t item_column = column + pos;
      if (!item.empty()) {
        const size_t eq = item.find('=');
        if (eq == absl::string_view::npos || eq == 0) {
          return ErrorAt(url, item_column, absl::StrCat("expected KEY=VALUE, got '", item, "'"));
        }
        OutputParam p;
        p.column = item_column;
        if (!PercentDecode(item.substr(0, eq), item_column, &p.key, &bad) ||
            !PercentDecode(item.substr(eq + 1), item_column + eq + 1, &p.value, &bad)) {
          return ErrorAt(url, bad, "broken %-escape");
        }
        for (const OutputParam& q : spec.params) {
          if (q.key == p.key) return ErrorAt(url, item_column, absl::StrCat("'", p.key, "' given twice"));
        }
        bool common = false;
        if (absl::Status s = ApplyCommonParam(spec, p, &common); !s.ok()) return s;
        p.used = common;
        spec.params.push_back(std::move(p));
      }
      pos = amp + 1;
    }
  }
  return spec;
}

const OutputParam* TakeParam(OutputSpec& spec, std::string_view key) {
  for (OutputParam& p : spec.params) {
    if (p.key == key) {
      p.used = true;
      return &p;
    }
  }
  return nullptr;
}

absl::Status CheckAllParamsUsed(const OutputSpec& spec, absl::string_view known) {
  for (const OutputParam& p : spec.params) {
    if (!p.used) {
      return ParamError(spec, p,
                        absl::StrCat("unknown parameter '", p.key, "' for ", spec.scheme, " (it takes ", known,
                                     known.empty() ? "" : ", ",
                                     "name, types, queue, spool, spool_max, reconnect_max)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParamError(const OutputSpec& spec, const OutputParam& param, absl::string_view what) {
  return ErrorAt(spec.url, param.column, what);
}

}  // namespace kagami::output
