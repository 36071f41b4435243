#include "engine/output/sinks/fast_format.h"

#include <charconv>
#include <cstdint>
#include <ctime>
#include <optional>

namespace kagami::output {
namespace {

// Deeper nesting is refused rather than recursed into: a record comes from
// a file or a spool and must not be able to exhaust the stack.
constexpr int kMaxDepth = 64;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Just enough JSON to walk an object, take strings (still escaped, escapes
// checked) and non-negative integers, and skip any other value.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }

  bool String(std::optional<std::string_view>* out) {
    if (!Consume('"')) return false;
    const size_t start = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '"') {
        *out = s_.substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;  // JSON forbids raw controls
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_];
        if (e == 'u') {
          for (size_t k = 1; k <= 4; ++k) {
            if (i_ + k >= s_.size() || HexDigit(s_[i_ + k]) < 0) return false;
          }
          i_ += 4;
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
      ++i_;
    }
    return false;  // cut off inside the string
  }

  // An integer without sign, fraction or exponent (what EVE writes for ids,
  // ports and severity); anything else is the wrong type.
  bool Uint(std::optional<uint64_t>* out) {
    SkipSpace();
    const size_t start = i_;
    while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    if (i_ == start || (s_[start] == '0' && i_ - start > 1)) return false;
    if (i_ < s_.size() && (s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) return false;
    uint64_t v = 0;
    if (std::from_chars(s_.data() + start, s_.data() + i_, v).ec != std::errc()) return false;  // too large
    *out = v;
    return true;
  }

  // Calls member(key) for each member of an object at `depth`; member reads
  // the value (or skips it) and says whether that went well.
  template <typename F>
  bool Object(int depth, F&& member) {
    if (depth > kMaxDepth || !Consume('{')) return false;
    if (Consume('}')) return true;
    for (;;) {
      std::optional<std::string_view> key;
      if (!String(&key) || !Consume(':') || !member(*key)) return false;
      if (Consume(',')) continue;
      return Consume('}');
    }
  }

  bool Skip(int depth) {
    if (depth > kMaxDepth) return false;
    SkipSpace();
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '"': {
        std::optional<std::string_view> ignored;
        return String(&ignored);
      }
      case '{':
        return Object(depth + 1, [this, depth](std::string_view) { return Skip(depth + 1); });
      case '[':
        ++i_;
        if (Consume(']')) return true;
        for (;;) {
          if (!Skip(depth + 1)) return false;
          if (Consume(',')) continue;
          return Consume(']');
        }
      case 't': return Word("true");
      case 'f': return Word("false");
      case 'n': return Word("null");
      default: return Number();
    }
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != c) return false;
    ++i_;
    return true;
  }

  bool Word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number() {
    auto digits = [this] {
      const size_t start = i_;
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
      return i_ > start;
    };
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.' && (++i_, !digits())) return false;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// What the line needs from a record; strings still JSON-escaped.
struct AlertFields {
  std::optional<std::string_view> timestamp, event_type, src_ip, dest_ip, proto;
  std::optional<std::string_view> action, signature, category;
  std::optional<uint64_t> src_port, dest_port, icmp_type, icmp_code;
  std::optional<uint64_t> gid, sid, rev, severity;
};

bool ReadAlert(std::string_view record, AlertFields& a) {
  Reader r(record);
  auto alert_member = [&](std::string_view key) {
    if (key == "action") return r.String(&a.action);
    if (key == "gid") return r.Uint(&a.gid);
    if (key == "signature_id") return r.Uint(&a.sid);
    if (key == "rev") return r.Uint(&a.rev);
    if (key == "signature") return r.String(&a.signature);
    if (key == "category") return r.String(&a.category);
    if (key == "severity") return r.Uint(&a.severity);
    return r.Skip(2);
  };
  auto member = [&](std::string_view key) {
    if (key == "timestamp") return r.String(&a.timestamp);
    if (key == "event_type") return r.String(&a.event_type);
    if (key == "src_ip") return r.String(&a.src_ip);
    if (key == "src_port") return r.Uint(&a.src_port);
    if (key == "dest_ip") return r.String(&a.dest_ip);
    if (key == "dest_port") return r.Uint(&a.dest_port);
    if (key == "proto") return r.String(&a.proto);
    if (key == "icmp_type") return r.Uint(&a.icmp_type);
    if (key == "icmp_code") return r.Uint(&a.icmp_code);
    if (key == "alert") return r.Object(2, alert_member);
    return r.Skip(1);
  };
  return r.Object(1, member) && r.AtEnd();
}

// Reads `n` digits at `at` into `v`.
bool Digits(std::string_view s, size_t at, size_t n, int* v) {
  if (at + n > s.size()) return false;
  *v = 0;
  for (size_t k = at; k < at + n; ++k) {
    if (!IsDigit(s[k])) return false;
    *v = *v * 10 + (s[k] - '0');
  }
  return true;
}

// Days from 1970-01-01 to a proleptic Gregorian date, counting in 400-year
// eras that start on March 1st so the leap day ends a year.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// "2023-11-14T22:13:20.014276+0000" (EVE's form; also Z and +HH:MM) to
// seconds since the epoch and microseconds.
bool ParseTimestamp(std::string_view ts, int64_t* secs, int* usec) {
  int y, mo, d, h, mi, s;
  if (!Digits(ts, 0, 4, &y) || ts.substr(4, 1) != "-" || !Digits(ts, 5, 2, &mo) || ts.substr(7, 1) != "-" ||
      !Digits(ts, 8, 2, &d) || ts.substr(10, 1) != "T" || !Digits(ts, 11, 2, &h) || ts.substr(13, 1) != ":" ||
      !Digits(ts, 14, 2, &mi) || ts.substr(16, 1) != ":" || !Digits(ts, 17, 2, &s)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  size_t at = 19;
  *usec = 0;
  if (ts.substr(at, 1) == ".") {
    int scale = 100000;
    for (++at; at < ts.size() && IsDigit(ts[at]); ++at, scale /= 10) *usec += (ts[at] - '0') * scale;
    if (ts[at - 1] == '.') return false;  // a point without digits
  }
  int offset = 0;  // seconds east of UTC
  const std::string_view zone = ts.substr(at);
  if (zone != "Z") {
    int zh, zm;
    const bool colon = zone.size() == 6 && zone[3] == ':';
    if (zone.size() != (colon ? 6u : 5u) || (zone[0] != '+' && zone[0] != '-') || !Digits(zone, 1, 2, &zh) ||
        !Digits(zone, colon ? 4 : 3, 2, &zm)) {
      return false;
    }
    offset = (zone[0] == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
  }
  *secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  return true;
}

void AppendNumber(std::string& out, uint64_t v, int width = 0) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  for (int pad = width - static_cast<int>(end - buf); pad > 0; --pad) out.push_back('0');
  out.append(buf, end);
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | cp >> 6));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | cp >> 12));
    out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | cp >> 18));
    out.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
  }
  out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
}

// A control character as \xNN: the line stays one line.
void AppendControl(std::string& out, uint32_t c) {
  constexpr char kHex[] = "0123456789abcdef";
  const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
  out.append(esc, 4);
}

uint32_t Hex4(std::string_view s) {
  return static_cast<uint32_t>(HexDigit(s[0]) << 12 | HexDigit(s[1]) << 8 | HexDigit(s[2]) << 4 | HexDigit(s[3]));
}

// A JSON string's text (escapes already checked by Reader::String).
void AppendText(std::string& out, std::string_view raw) {
  size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    if (c != '\\') {
      if (c == 0x7F) {
        AppendControl(out, 0x7F);
      } else {
        out.push_back(c);
      }
      ++i;
      continue;
    }
    const char e = raw[i + 1];
    i += 2;
    switch (e) {
      case 'b': AppendControl(out, '\b'); continue;
      case 'f': AppendControl(out, '\f'); continue;
      case 'n': AppendControl(out, '\n'); continue;
      case 'r': AppendControl(out, '\r'); continue;
      case 't': AppendControl(out, '\t'); continue;
      case 'u': break;
      default: out.push_back(e); continue;  // " \ /
    }
    uint32_t cp = Hex4(raw.substr(i, 4));
    i += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && raw.substr(i, 2) == "\\u") {
      const uint32_t low = Hex4(raw.substr(i + 2, 4));
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 6;
      }
    }
    if (cp < 0x20 || cp == 0x7F) {
      AppendControl(out, cp);
    } else if (cp < 0x100) {
      out.push_back(static_cast<char>(cp));  // ASCII, or a byte that was not UTF-8 (see the header)
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      AppendUtf8(out, 0xFFFD);  // half a surrogate pair stands for nothing
    } else {
      AppendUtf8(out, cp);
    }
  }
}

// EVE names a protocol Suricata has no name for by its number; fast.log
// writes it as PROTO:NNN.
void AppendProto(std::string& out, std::string_view proto) {
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(proto.data(), proto.data() + proto.size(), n);
  if (!proto.empty() && ec == std::errc() && end == proto.data() + proto.size() && n <= 255) {
    out.append("PROTO:");
    AppendNumber(out, n, 3);
  } else {
    AppendText(out, proto);
  }
}

}  // namespace

bool FastLine(std::string_view eve_record, std::string& out) {
  AlertFields a;
  if (!ReadAlert(eve_record, a) || a.event_type != "alert") return false;
  if (!a.timestamp || !a.gid || !a.sid || !a.rev || !a.signature || !a.severity || !a.proto || !a.src_ip ||
      !a.dest_ip) {
    return false;
  }
  // Suricata puts an ICMP message's type and code where the ports go, and
  // 0 for a protocol without ports.
  const bool icmp = *a.proto == "ICMP" || *a.proto == "IPv6-ICMP";
  const uint64_t sport = icmp ? a.icmp_type.value_or(0) : a.src_port.value_or(0);
  const uint64_t dport = icmp ? a.icmp_code.value_or(0) : a.dest_port.value_or(0);
  if (sport > 65535 || dport > 65535) return false;
  int64_t secs = 0;
  int usec = 0;
  struct tm tm {};
  if (!ParseTimestamp(*a.timestamp, &secs, &usec)) return false;
  const time_t t = static_cast<time_t>(secs);
  if (localtime_r(&t, &tm) == nullptr || tm.tm_year < -1900) return false;

  AppendNumber(out, static_cast<uint64_t>(tm.tm_mon + 1), 2);
  out.push_back('/');
  AppendNumber(out, static_cast<uint64_t>(tm.tm_mday), 2);
  out.push_back('/');
  AppendNumber(out, static_cast<uint64_t>(tm.tm_year + 1900), 2);
  out.push_back('-');
  AppendNumber(out, static_cast<uint64_t>(tm.tm_hour), 2);
  out.push_back(':');
  AppendNumber(out, static_cast<uint64_t>(tm.tm_min), 2);
  out.push_back(':');
  AppendNumber(out, static_cast<uint64_t>(tm.tm_sec), 2);
  out.push_back('.');
  AppendNumber(out, static_cast<uint64_t>(usec), 6);
  // Kagami is an IDS: "blocked" is a reject rule, which Suricata in IDS
  // mode marks as "would drop".
  out.append(a.action == "blocked" ? "  [wDrop] [**] [" : "  [**] [");
  AppendNumber(out, *a.gid);
  out.push_back(':');
  AppendNumber(out, *a.sid);
  out.push_back(':');
  AppendNumber(out, *a.rev);
  out.append("] ");
  AppendText(out, *a.signature);
  out.append(" [**] [Classification: ");
  // Suricata prints a rule without classtype's missing class with printf's
  // "(null)"; Kagami's EVE has "" for it.
  if (a.category && !a.category->empty()) {
    AppendText(out, *a.category);
  } else {
    out.append("(null)");
  }
  out.append("] [Priority: ");
  AppendNumber(out, *a.severity);
  out.append("] {");
  AppendProto(out, *a.proto);
  out.append("} ");
  AppendText(out, *a.src_ip);
  out.push_back(':');
  AppendNumber(out, sport);
  out.append(" -> ");
  AppendText(out, *a.dest_ip);
  out.push_back(':');
  AppendNumber(out, dport);
  out.push_back('\n');
  return true;
}

}  // namespace kagami::output
