// content and its modifiers, fast_pattern, pcre, and the buffer selectors
// (sticky buffers and legacy content modifiers).

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "rules/text_util.h"
#include "rules/rule_parser.h"

namespace kagami::rules {

void RuleParser::AddStep(DetectOption option, size_t keyword_offset, std::string buffer) {
  DetectStep step;
  step.buffer = std::move(buffer);
  step.option = std::move(option);
  step.location = At(keyword_offset);
  rule_->steps.push_back(std::move(step));
}

std::string RuleParser::StepBuffer(std::string_view buffer) const {
  if (!buffer.empty()) return std::string(buffer);
  if (sticky_buffer_.empty()) return kPayloadBuffer;
  return sticky_buffer_;
}

ContentOption* RuleParser::LastContent(const RawOption& o, DetectStep** step) {
  for (auto it = rule_->steps.rbegin(); it != rule_->steps.rend(); ++it) {
    if (auto* c = std::get_if<ContentOption>(&it->option)) {
      if (step) *step = &*it;
      return c;
    }
  }
  Fail(o.keyword.offset, Cat("'", o.keyword.text, "' needs a preceding 'content' option"));
  return nullptr;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

bool RuleParser::DecodeContent(const Token& value, ContentOption* c) {
  std::string_view v = value.text;
  size_t i = 0;
  if (!v.empty() && v[0] == '!') {
    c->negated = true;
    ++i;
    while (i < v.size() && IsSpace(v[i])) ++i;
  }
  size_t end = v.size();
  if (i < v.size() && v[i] == '"') {
    if (end - i < 2 || v[end - 1] != '"') return Fail(value.offset + i, "content: unterminated quoted string");
    ++i;
    --end;
  }
  std::string& out = c->bytes;
  bool hex = false;
  size_t hex_start = 0;
  int pending = -1;  // first nibble of a hex byte
  for (; i < end; ++i) {
    char ch = v[i];
    size_t at = value.offset + i;
    if (ch == '|') {
      if (hex && pending >= 0) return Fail(at - 1, "content: odd number of hex digits");
      hex = !hex;
      hex_start = i;
      continue;
    }
    if (hex) {
      if (IsSpace(ch)) {
        if (pending >= 0) return Fail(at - 1, "content: hex bytes must be two digits");
        continue;
      }
      int h = HexValue(ch);
      if (h < 0) return Fail(at, Cat("content: invalid hex digit '", std::string(1, ch), "'"));
      if (pending < 0) {
        pending = h;
      } else {
        out.push_back(static_cast<char>(pending * 16 + h));
        pending = -1;
      }
      continue;
    }
    if (ch == '\\') {
      if (i + 1 >= end) return Fail(at, "content: trailing backslash");
      char e = v[i + 1];
      if (e != '\\' && e != '"' && e != ';' && e != ':' && e != '|') {
        return Fail(at, Cat("content: invalid escape '\\", std::string(1, e), "' (only \\\\ \\\" \\; \\: \\| are allowed; use |hex| for others)"));
      }
      out.push_back(e);
      ++i;
      continue;
    }
    if (ch == '"') {
      if (std::string why = MissingSemicolonAfterQuote(v.substr(i + 1)); !why.empty()) {
        return Fail(at, "content: " + why);
      }
      return Fail(at, "content: unescaped '\"' (write \\\" or |22|)");
    }
    out.push_back(ch);
  }
  if (hex) return Fail(value.offset + hex_start, "content: unterminated |hex| block");
  if (out.empty()) return Fail(value.offset, "content: empty pattern");
  return true;
}

bool RuleParser::OptContent(const RawOption& o, std::string_view buffer) {
  if (!NeedValue(o)) return false;
  ContentOption c;
  if (!DecodeContent(o.value, &c)) return false;
  AddStep(std::move(c), o.keyword.offset, StepBuffer(buffer));
  return true;
}

bool RuleParser::OptContentFlag(const RawOption& o, std::string_view which) {
  if (!NoValue(o)) return false;
  ContentOption* c = LastContent(o);
  if (!c) return false;
  bool* flag = which == "nocase" ? &c->nocase : which == "rawbytes" ? &c->rawbytes
             : which == "startswith" ? &c->startswith : &c->endswith;
  if (*flag) return Fail(o.keyword.offset, Cat("'", which, "' given twice for the same content"));
  if (which == "startswith" && (c->offset || c->depth || c->distance || c->within)) {
    return Fail(o.keyword.offset, "'startswith' cannot be combined with offset, depth, distance or within");
  }
  *flag = true;
  return true;
}

bool RuleParser::OptContentPosition(const RawOption& o, std::string_view which) {
  if (!NeedValue(o)) return false;
  ContentOption* c = LastContent(o);
  if (!c) return false;
  bool relative = which == "distance" || which == "within";
  IntOrVar v;
  if (!ParseIntOrVar(o.value.text, o.value.offset, which == "distance", &v)) return false;
  std::optional<IntOrVar>* slot = which == "offset" ? &c->offset : which == "depth" ? &c->depth
                                : which == "distance" ? &c->distance : &c->within;
  if (slot->has_value()) return Fail(o.keyword.offset, Cat("'", which, "' given twice for the same content"));
  if (relative && (c->offset || c->depth)) {
    return Fail(o.keyword.offset, Cat("'", which, "' (relative) cannot be mixed with offset/depth (absolute) on the same content"));
  }
  if (!relative && (c->distance || c->within)) {
    return Fail(o.keyword.offset, Cat("'", which, "' (absolute) cannot be mixed with distance/within (relative) on the same content"));
  }
  if (c->startswith) return Fail(o.keyword.offset, Cat("'", which, "' cannot be combined with 'startswith'"));
  if (!v.is_var()) {
    if ((which == "depth" || which == "within") && v.value < static_cast<int64_t>(c->bytes.size())) {
      return Fail(o.value.offset, Cat("'", which, ":", v.value, "' is smaller than the content's length (",
                                               c->bytes.size(), " bytes)"));
    }
    if (v.value > 0xffff || v.value < -0xffff) return Fail(o.value.offset, Cat("'", which, "' value out of range"));
  }
  *slot = v;
  return true;
}

bool RuleParser::OptFastPattern(const RawOption& o, std::string_view) {
  ContentOption* c = LastContent(o);
  if (!c) return false;
  if (fast_pattern_used_) return Fail(o.keyword.offset, "'fast_pattern' can be used on only one content per rule");
  if (o.has_value) {
    std::string_view v = o.value.text;
    if (v == "only") {
      c->fast_pattern_only = true;
    } else {
      size_t comma = v.find(',');
      uint64_t off = 0, len = 0;
      if (comma == std::string_view::npos || !ParseUint64(v.substr(0, comma), &off) ||
          !ParseUint64(v.substr(comma + 1), &len) || len == 0) {
        return Fail(o.value.offset, Cat("fast_pattern: invalid value '", v, "' (expected 'only' or 'offset,length')"));
      }
      if (off + len > c->bytes.size()) {
        return Fail(o.value.offset, Cat("fast_pattern: chop ", off, ",", len, " goes past the content's ",
                                                 c->bytes.size(), " bytes"));
      }
      c->fast_pattern_chop = std::make_pair(static_cast<uint32_t>(off), static_cast<uint32_t>(len));
    }
  }
  c->fast_pattern = true;
  fast_pattern_used_ = true;
  return true;
}

bool RuleParser::OptPcre(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::string_view v = o.value.text;
  size_t i = 0, end = v.size();
  PcreOption p;
  if (i < end && v[i] == '!') {
    p.negated = true;
    ++i;
  }
  if (i < end && v[i] == '"') {
    if (end - i < 2 || v[end - 1] != '"') return Fail(o.value.offset + i, "pcre: unterminated quoted string");
    ++i;
    --end;
  }
  if (!p.negated && i < end && v[i] == '!') {
    p.negated = true;
    ++i;
  }
  if (i >= end || v[i] != '/') return Fail(o.value.offset + i, "pcre: expected \"/regex/flags\"");
  size_t close = v.rfind('/', end - 1);
  if (close == i) return Fail(o.value.offset + i, "pcre: missing closing '/'");
  size_t re_at = i + 1;
  p.pattern = std::string(v.substr(re_at, close - re_at));
  p.flags = std::string(v.substr(close + 1, end - close - 1));
  std::string_view buffer;
  for (size_t k = 0; k < p.flags.size(); ++k) {
    char f = p.flags[k];
    std::string_view flag_buffer;
    switch (f) {
      case 'i': p.compile_options |= PCRE2_CASELESS; break;
      case 's': p.compile_options |= PCRE2_DOTALL; break;
      case 'm': p.compile_options |= PCRE2_MULTILINE; break;
      case 'x': p.compile_options |= PCRE2_EXTENDED; break;
      case 'A': p.compile_options |= PCRE2_ANCHORED; break;
      case 'E': p.compile_options |= PCRE2_DOLLAR_ENDONLY; break;
      case 'G': p.compile_options |= PCRE2_UNGREEDY; break;
      case 'R': p.relative = true; break;
      case 'O': p.match_limit_override = true; break;
      case 'B': break;  // Snort's rawbytes: the payload is always raw here
      case 'U': flag_buffer = "http.uri"; break;
      case 'I': flag_buffer = "http.uri.raw"; break;
      case 'P': flag_buffer = "http.request_body"; break;
      case 'Q': flag_buffer = "http.response_body"; break;
      case 'H': flag_buffer = "http.header"; break;
      case 'D': flag_buffer = "http.header.raw"; break;
      case 'M': flag_buffer = "http.method"; break;
      case 'C': flag_buffer = "http.cookie"; break;
      case 'S': flag_buffer = "http.stat_code"; break;
      case 'Y': flag_buffer = "http.stat_msg"; break;
      case 'V': flag_buffer = "http.user_agent"; break;
      case 'W': flag_buffer = "http.host"; break;
      default:
        return Fail(o.value.offset + close + 1 + k, Cat("pcre: unknown flag '", std::string(1, f), "'"));
    }
    // Q after file.data: the response body, which file.data already is.
    if (flag_buffer == "http.response_body" && sticky_buffer_ == "file.data") flag_buffer = "file.data";
    if (!flag_buffer.empty()) {
      if (!buffer.empty() && buffer != flag_buffer) {
        return Fail(o.value.offset + close + 1 + k, "pcre: more than one buffer flag");
      }
      if (!sticky_buffer_.empty() && sticky_buffer_ != flag_buffer) {
        return Fail(o.value.offset + close + 1 + k,
                    Cat("pcre: flag '", std::string(1, f), "' selects ", flag_buffer,
                                 " but the sticky buffer is ", sticky_buffer_));
      }
      buffer = flag_buffer;
    }
  }
  int errcode = 0;
  PCRE2_SIZE erroffset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.pattern.data()), p.pattern.size(),
                                   p.compile_options, &errcode, &erroffset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[256];
    int n = pcre2_get_error_message(errcode, msg, sizeof(msg));
    std::string text = n > 0 ? std::string(reinterpret_cast<char*>(msg), static_cast<size_t>(n)) : "invalid regex";
    size_t at = std::min<size_t>(erroffset, p.pattern.size());
    return Fail(o.value.offset + re_at + at, Cat("pcre: ", text));
  }
  pcre2_code_free(code);
  AddStep(std::move(p), o.keyword.offset, StepBuffer(buffer));
  return true;
}

bool RuleParser::OptStickyBuffer(const RawOption& o, std::string_view buffer) {
  if (!NoValue(o)) return false;
  sticky_buffer_ = std::string(buffer);
  return true;
}

// dotprefix: the transform that puts a '.' before a name, so
// content:".example.com"; endswith; matches example.com and its subdomains
// but not notexample.com. Supported on the name buffers; the transformed
// buffer is a buffer of its own ("dns.query.dotprefix"), filled by the app
// layer, so it has its own prefilter like any other.
bool RuleParser::OptDotprefix(const RawOption& o, std::string_view) {
  if (!NoValue(o)) return false;
  if (sticky_buffer_ != "dns.query" && sticky_buffer_ != "tls.sni" && sticky_buffer_ != "http.host") {
    return Fail(o.keyword.offset, Cat("dotprefix: supported after dns.query, tls.sni or http.host, not ",
                                      sticky_buffer_.empty() ? std::string("the packet payload") : sticky_buffer_));
  }
  for (const DetectStep& step : rule_->steps) {
    if (step.buffer == sticky_buffer_) {
      return Fail(o.keyword.offset, Cat("dotprefix: a transform must come before the buffer's first match"));
    }
  }
  sticky_buffer_ += ".dotprefix";
  return true;
}

// tls.version:1.2 — the negotiated version. Stored as an exact match on the
// "tls.version" buffer, which holds the version as four hex digits ("0303").
bool RuleParser::OptTlsVersion(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::string v = Lower(Trim(o.value.text));
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"1.0", "0301"}, {"1.1", "0302"}, {"1.2", "0303"}, {"1.3", "0304"}, {"3.0", "0300"},
      {"ssl3", "0300"}, {"sslv3", "0300"}, {"tls1.0", "0301"}, {"tls1.1", "0302"}, {"tls1.2", "0303"},
      {"tls1.3", "0304"}};
  std::string hex;
  for (const auto& [name, code] : kNames) {
    if (v == name) hex = std::string(code);
  }
  if (hex.empty() && v.size() == 6 && v.starts_with("0x") &&
      v.find_first_not_of("0123456789abcdef", 2) == std::string::npos) {
    hex = v.substr(2);
  }
  if (hex.empty()) {
    return Fail(o.value.offset, Cat("tls.version: unknown version '", o.value.text,
                                    "' (expected 1.0, 1.1, 1.2, 1.3, 3.0 or 0xNNNN)"));
  }
  ContentOption c;
  c.bytes = hex;
  c.startswith = true;
  c.endswith = true;
  AddStep(std::move(c), o.keyword.offset, "tls.version");
  return true;
}

bool RuleParser::OptLegacyBuffer(const RawOption& o, std::string_view buffer) {
  if (!NoValue(o)) return false;
  DetectStep* step = nullptr;
  if (!LastContent(o, &step)) return false;
  if (step->buffer != kPayloadBuffer) {
    return Fail(o.keyword.offset, Cat("'", o.keyword.text, "': the preceding content already inspects ",
                                               step->buffer));
  }
  step->buffer = std::string(buffer);
  return true;
}

}  // namespace kagami::rules
