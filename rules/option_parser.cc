// RuleParser driver, the keyword registry, and the non-payload options:
// rule metadata, header checks (dsize, ttl, flags, ...), flow, flowbits,
// threshold and detection_filter.

#include <algorithm>

#include "absl/strings/ascii.h"
#include "rules/text_util.h"
#include "rules/rule_parser.h"

namespace kagami::rules {

bool ParseUint64(std::string_view s, uint64_t* out) {
  s = Trim(s);
  if (s.empty()) return false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    if (s.empty() || s.size() > 16 || !std::all_of(s.begin(), s.end(), absl::ascii_isxdigit)) return false;
    uint64_t v = 0;
    for (char c : s) v = v * 16 + static_cast<uint64_t>(absl::ascii_isdigit(c) ? c - '0' : (absl::ascii_tolower(c) - 'a' + 10));
    *out = v;
    return true;
  }
  if (!std::all_of(s.begin(), s.end(), absl::ascii_isdigit) || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  s = Trim(s);
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t v = 0;
  if (!ParseUint64(s, &v) || v > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

std::vector<Token> SplitArgs(std::string_view s, size_t base, char sep) {
  std::vector<Token> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      size_t lead = 0;
      std::string_view piece = Trim(s.substr(start, i - start), &lead);
      out.push_back({piece, base + start + lead});
      start = i + 1;
    }
  }
  return out;
}

// ---- driver ----

bool RuleParser::Fail(size_t offset, std::string message) {
  error_.offset = offset;
  error_.message = std::move(message);
  return false;
}

bool RuleParser::NeedValue(const RawOption& o) {
  if (o.has_value && !o.value.text.empty()) return true;
  return Fail(o.has_value ? o.value.offset : o.keyword.offset,
              Cat("option '", o.keyword.text, "' needs a value"));
}

bool RuleParser::NoValue(const RawOption& o) {
  if (!o.has_value) return true;
  return Fail(o.value.offset, Cat("option '", o.keyword.text, "' takes no value"));
}

bool RuleParser::Parse(Rule* rule) {
  rule_ = rule;
  RawRule raw;
  if (!LexRule(text_, &raw, &error_)) return false;
  if (!ParseHeader(raw.header)) return false;
  const auto& keywords = Keywords();
  for (const RawOption& o : raw.options) {
    std::string lower = Lower(o.keyword.text);
    auto it = keywords.find(lower);
    if (it == keywords.end()) return Fail(o.keyword.offset, Cat("unknown keyword '", o.keyword.text, "'"));
    if (!(this->*(it->second.handler))(o, it->second.arg)) return false;
  }
  return Finish();
}

bool RuleParser::Finish() {
  if (!sid_given_) return Fail(0, "rule has no 'sid' option");
  if (!rule_->classtype.empty()) {
    auto it = env_->classifications->find(rule_->classtype);
    // Existence was checked by OptClasstype.
    if (it != env_->classifications->end()) {
      rule_->category = it->second.description;
      if (!priority_given_) rule_->priority = it->second.priority;
    }
  }
  return true;
}

const std::map<std::string_view, RuleParser::Keyword, std::less<>>& RuleParser::Keywords() {
  static const auto* table = [] {
    auto* t = new std::map<std::string_view, Keyword, std::less<>>();
    RegisterAll(t);
    return t;
  }();
  return *table;
}

void RuleParser::RegisterAll(std::map<std::string_view, Keyword, std::less<>>* t) {
  auto add = [t](std::string_view name, Handler h, std::string_view arg = {}) { (*t)[name] = Keyword{h, arg}; };
  // Rule metadata.
  add("msg", &RuleParser::OptMsg);
  add("sid", &RuleParser::OptUint, "sid");
  add("gid", &RuleParser::OptUint, "gid");
  add("rev", &RuleParser::OptUint, "rev");
  add("classtype", &RuleParser::OptClasstype);
  add("priority", &RuleParser::OptPriority);
  add("reference", &RuleParser::OptReference);
  add("metadata", &RuleParser::OptMetadata);
  add("target", &RuleParser::OptTarget);
  add("app-layer-protocol", &RuleParser::OptAppLayerProtocol);
  // Header checks.
  for (std::string_view k : {"dsize", "ttl", "itype", "icode", "icmp_id", "icmp_seq", "seq", "ack", "window"}) {
    add(k, &RuleParser::OptHeaderNumber, k);
  }
  add("ip_proto", &RuleParser::OptIpProto);
  add("flags", &RuleParser::OptFlags);
  add("fragbits", &RuleParser::OptFragbits);
  add("ipopts", &RuleParser::OptIpopts);
  // Flow state.
  add("flow", &RuleParser::OptFlow);
  add("flowbits", &RuleParser::OptFlowbits);
  add("flowint", &RuleParser::OptFlowint);
  add("noalert", &RuleParser::OptNoalert);
  add("threshold", &RuleParser::OptThreshold, "threshold");
  add("detection_filter", &RuleParser::OptThreshold, "detection_filter");
  // Payload.
  add("content", &RuleParser::OptContent, "");
  add("uricontent", &RuleParser::OptContent, "http.uri");
  for (std::string_view k : {"nocase", "rawbytes", "startswith", "endswith"}) add(k, &RuleParser::OptContentFlag, k);
  for (std::string_view k : {"offset", "depth", "distance", "within"}) add(k, &RuleParser::OptContentPosition, k);
  add("fast_pattern", &RuleParser::OptFastPattern);
  add("pcre", &RuleParser::OptPcre);
  add("byte_test", &RuleParser::OptByteTest);
  add("byte_jump", &RuleParser::OptByteJump);
  add("byte_extract", &RuleParser::OptByteExtract);
  add("isdataat", &RuleParser::OptIsdataat);
  add("bsize", &RuleParser::OptBsize);
  add("urilen", &RuleParser::OptUrilen);
  // Sticky buffers: select the buffer for the options that follow.
  static constexpr std::pair<std::string_view, std::string_view> kSticky[] = {
      {"pkt_data", ""},
      {"http.uri", "http.uri"},
      {"http.uri.raw", "http.uri.raw"},
      {"http.method", "http.method"},
      {"http.host", "http.host"},
      {"http.host.raw", "http.host.raw"},
      {"http.user_agent", "http.user_agent"},
      {"http.header", "http.header"},
      {"http.header.raw", "http.header.raw"},
      {"http.cookie", "http.cookie"},
      {"http.request_line", "http.request_line"},
      {"http_request_line", "http.request_line"},
      {"http.response_line", "http.response_line"},
      {"http_response_line", "http.response_line"},
      {"http.stat_code", "http.stat_code"},
      {"http.stat_msg", "http.stat_msg"},
      {"http.request_body", "http.request_body"},
      {"http.response_body", "http.response_body"},
      {"http.server_body", "http.response_body"},
      {"file.data", "file.data"},
      {"file_data", "file.data"},
      {"http.content_type", "http.content_type"},
      {"http.start", "http.start"},
      {"http.referer", "http.referer"},
      {"http.location", "http.location"},
      {"http.server", "http.server"},
      {"http.content_len", "http.content_len"},
      {"http.accept", "http.accept"},
      {"http.accept_enc", "http.accept_enc"},
      {"http.accept_lang", "http.accept_lang"},
      {"http.connection", "http.connection"},
      {"http.protocol", "http.protocol"},
      {"http.header_names", "http.header_names"},
      {"http_content_type", "http.content_type"},
      {"tls.certs", "tls.certs"},
      {"dns.query", "dns.query"},
      {"dns_query", "dns.query"},
      {"tls.sni", "tls.sni"},
      {"tls_sni", "tls.sni"},
      {"tls.cert_subject", "tls.cert_subject"},
      {"tls_cert_subject", "tls.cert_subject"},
      {"tls.cert_issuer", "tls.cert_issuer"},
      {"tls_cert_issuer", "tls.cert_issuer"},
      {"tls.cert_serial", "tls.cert_serial"},
      {"tls_cert_serial", "tls.cert_serial"},
      {"tls.cert_fingerprint", "tls.cert_fingerprint"},
      {"tls_cert_fingerprint", "tls.cert_fingerprint"},
      {"ja3.hash", "ja3.hash"},
      {"ja3_hash", "ja3.hash"},
      {"ja3.string", "ja3.string"},
      {"ja3_string", "ja3.string"},
      {"ja3s.hash", "ja3s.hash"},
      {"ja3s_hash", "ja3s.hash"},
      {"ja3s.string", "ja3s.string"},
      {"ja3s_string", "ja3s.string"},
      {"ja4.hash", "ja4.hash"},
  };
  for (const auto& [k, buf] : kSticky) add(k, &RuleParser::OptStickyBuffer, buf);
  add("tls.version", &RuleParser::OptTlsVersion);
  add("dotprefix", &RuleParser::OptDotprefix);
  // Legacy content modifiers: move the preceding content into the buffer.
  static constexpr std::pair<std::string_view, std::string_view> kLegacy[] = {
      {"http_uri", "http.uri"},
      {"http_raw_uri", "http.uri.raw"},
      {"http_method", "http.method"},
      {"http_host", "http.host"},
      {"http_raw_host", "http.host.raw"},
      {"http_user_agent", "http.user_agent"},
      {"http_header", "http.header"},
      {"http_raw_header", "http.header.raw"},
      {"http_cookie", "http.cookie"},
      {"http_stat_code", "http.stat_code"},
      {"http_stat_msg", "http.stat_msg"},
      {"http_client_body", "http.request_body"},
      {"http_server_body", "http.response_body"},
  };
  for (const auto& [k, buf] : kLegacy) add(k, &RuleParser::OptLegacyBuffer, buf);
}

// ---- rule metadata ----

bool RuleParser::OptMsg(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  size_t at = 0;
  std::string err;
  if (!Unquote(o.value.text, &rule_->msg, &at, &err)) return Fail(o.value.offset + at, Cat("msg: ", err));
  return true;
}

bool RuleParser::OptUint(const RawOption& o, std::string_view field) {
  if (!NeedValue(o)) return false;
  uint64_t v = 0;
  if (!ParseUint64(o.value.text, &v) || v > UINT32_MAX) {
    return Fail(o.value.offset, Cat("invalid ", field, " '", o.value.text, "' (expected 0-4294967295)"));
  }
  if (field == "sid") {
    if (sid_given_) return Fail(o.keyword.offset, "duplicate 'sid' option");
    if (v == 0) return Fail(o.value.offset, "sid must be greater than 0");
    rule_->sid = static_cast<uint32_t>(v);
    sid_given_ = true;
  } else if (field == "gid") {
    rule_->gid = static_cast<uint32_t>(v);
  } else {
    rule_->rev = static_cast<uint32_t>(v);
  }
  return true;
}

bool RuleParser::OptClasstype(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::string name = Lower(o.value.text);
  if (!rule_->classtype.empty()) return Fail(o.keyword.offset, "duplicate 'classtype' option");
  if (env_->classifications->find(name) == env_->classifications->end()) {
    return Fail(o.value.offset, Cat("unknown classtype '", o.value.text, "' (not in classification.config)"));
  }
  rule_->classtype = std::move(name);
  return true;
}

bool RuleParser::OptPriority(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  uint64_t v = 0;
  if (!ParseUint64(o.value.text, &v) || v < 1 || v > 255) {
    return Fail(o.value.offset, Cat("invalid priority '", o.value.text, "' (expected 1-255)"));
  }
  rule_->priority = static_cast<int>(v);
  priority_given_ = true;
  return true;
}

bool RuleParser::OptReference(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::string_view v = o.value.text;
  size_t comma = v.find(',');
  if (comma == std::string_view::npos) {
    return Fail(o.value.offset, "reference needs 'system,id'");
  }
  Reference r;
  r.system = Lower(Trim(v.substr(0, comma)));
  r.id = std::string(Trim(v.substr(comma + 1)));
  if (r.system.empty() || r.id.empty()) return Fail(o.value.offset, "reference needs 'system,id'");
  rule_->references.push_back(std::move(r));
  return true;
}

bool RuleParser::OptMetadata(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  for (const Token& t : SplitArgs(o.value.text, o.value.offset)) {
    if (t.text.empty()) continue;
    size_t sp = 0;
    while (sp < t.text.size() && !IsSpace(t.text[sp])) ++sp;
    rule_->metadata.emplace_back(std::string(t.text.substr(0, sp)), std::string(Trim(t.text.substr(sp))));
  }
  return true;
}

bool RuleParser::OptTarget(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  if (o.value.text != "src_ip" && o.value.text != "dest_ip") {
    return Fail(o.value.offset, Cat("invalid target '", o.value.text, "' (expected src_ip or dest_ip)"));
  }
  rule_->target = std::string(o.value.text);
  return true;
}

bool RuleParser::OptAppLayerProtocol(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::string_view v = Trim(o.value.text);
  const bool negated = !v.empty() && v.front() == '!';
  if (negated) v = Trim(v.substr(1));
  std::string name = Lower(v);
  static constexpr std::string_view kKnown[] = {"http", "http1", "dns", "tls", "ssl", "failed"};
  if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
    return Fail(o.value.offset, Cat("app-layer-protocol: unsupported protocol '", v,
                                    "' (Kagami parses http, dns and tls)"));
  }
  if (!rule_->app_protocol.empty()) return Fail(o.keyword.offset, "app-layer-protocol given twice");
  rule_->app_protocol = std::move(name);
  rule_->app_protocol_negated = negated;
  return true;
}

// ---- header checks ----

bool RuleParser::ParseNumberCheck(std::string_view v, size_t offset, NumberCheck* out, bool allow_range) {
  size_t lead = 0;
  std::string_view s = Trim(v, &lead);
  offset += lead;
  auto bad = [&] {
    return Fail(offset, Cat("invalid number check '", s, "' (expected N, !N, <N, >N, <=N, >=N",
                                     allow_range ? ", N<>M or N-M)" : ")"));
  };
  NumberCheck c;
  auto num = [](std::string_view x, uint64_t* r) { return ParseUint64(Trim(x), r); };
  if (size_t r = s.find("<>"); r != std::string_view::npos) {
    if (!allow_range || !num(s.substr(0, r), &c.a) || !num(s.substr(r + 2), &c.b)) return bad();
    if (c.b <= c.a) return Fail(offset, Cat("invalid range '", s, "': the first number must be below the second"));
    c.op = NumberCheck::Op::kRangeExclusive;
  } else if (s.starts_with("<=") || s.starts_with(">=")) {
    c.op = s[0] == '<' ? NumberCheck::Op::kLe : NumberCheck::Op::kGe;
    if (!num(s.substr(2), &c.a)) return bad();
  } else if (s.starts_with("<") || s.starts_with(">") || s.starts_with("!")) {
    c.op = s[0] == '<' ? NumberCheck::Op::kLt : s[0] == '>' ? NumberCheck::Op::kGt : NumberCheck::Op::kNe;
    if (!num(s.substr(1), &c.a)) return bad();
  } else if (s.starts_with("=")) {
    if (!num(s.substr(1), &c.a)) return bad();
  } else if (size_t d = s.find('-'); d != std::string_view::npos && d > 0) {
    if (!allow_range || !num(s.substr(0, d), &c.a) || !num(s.substr(d + 1), &c.b)) return bad();
    if (c.b < c.a) return Fail(offset, Cat("invalid range '", s, "': the first number must not exceed the second"));
    c.op = NumberCheck::Op::kRangeInclusive;
  } else {
    if (!num(s, &c.a)) return bad();
  }
  *out = c;
  return true;
}

bool RuleParser::OptHeaderNumber(const RawOption& o, std::string_view field) {
  if (!NeedValue(o)) return false;
  HeaderChecks& h = rule_->header;
  std::optional<NumberCheck>* slot = nullptr;
  uint64_t max = UINT32_MAX;
  bool range = true;
  if (field == "dsize") {
    slot = &h.dsize;
    max = 65535;
  } else if (field == "ttl") {
    slot = &h.ttl;
    max = 255;
  } else if (field == "itype") {
    slot = &h.itype;
    max = 255;
  } else if (field == "icode") {
    slot = &h.icode;
    max = 255;
  } else if (field == "icmp_id") {
    slot = &h.icmp_id;
    max = 65535;
  } else if (field == "icmp_seq") {
    slot = &h.icmp_seq;
    max = 65535;
  } else if (field == "seq") {
    slot = &h.tcp_seq;
  } else if (field == "ack") {
    slot = &h.tcp_ack;
  } else {
    slot = &h.window;
    max = 65535;
    range = false;
  }
  if (slot->has_value()) return Fail(o.keyword.offset, Cat("duplicate '", field, "' option"));
  NumberCheck c;
  if (!ParseNumberCheck(o.value.text, o.value.offset, &c, range)) return false;
  if (field == "seq" || field == "ack" || field == "window") {
    if (c.op != NumberCheck::Op::kEq && !(field == "window" && c.op == NumberCheck::Op::kNe)) {
      return Fail(o.value.offset, Cat("'", field, "' takes a plain number", field == "window" ? " (or !N)" : ""));
    }
  }
  if (c.a > max || c.b > max) {
    return Fail(o.value.offset, Cat("'", field, "' value out of range (maximum ", max, ")"));
  }
  *slot = c;
  return true;
}

bool RuleParser::OptIpProto(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  if (rule_->header.ip_proto) return Fail(o.keyword.offset, "duplicate 'ip_proto' option");
  std::string_view v = o.value.text;
  NumberCheck c;
  size_t skip = 0;
  if (v.starts_with("!")) {
    c.op = NumberCheck::Op::kNe;
    skip = 1;
  } else if (v.starts_with("<")) {
    c.op = NumberCheck::Op::kLt;
    skip = 1;
  } else if (v.starts_with(">")) {
    c.op = NumberCheck::Op::kGt;
    skip = 1;
  }
  std::string name = Lower(Trim(v.substr(skip)));
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"hopopt", 0}, {"icmp", 1}, {"igmp", 2}, {"ipip", 4}, {"ipv4", 4}, {"tcp", 6}, {"egp", 8}, {"udp", 17},
      {"ipv6", 41}, {"ipv6-route", 43}, {"ipv6-frag", 44}, {"rsvp", 46}, {"gre", 47}, {"esp", 50},
      {"ah", 51}, {"ipv6-icmp", 58}, {"icmpv6", 58}, {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"eigrp", 88},
      {"ospf", 89}, {"pim", 103}, {"vrrp", 112}, {"l2tp", 115}, {"sctp", 132}};
  uint64_t n = 0;
  bool found = false;
  for (const auto& [pname, num] : kNames) {
    if (pname == name) {
      n = static_cast<uint64_t>(num);
      found = true;
    }
  }
  if (!found && (!ParseUint64(name, &n) || n > 255)) {
    return Fail(o.value.offset, Cat("invalid ip_proto '", v, "' (expected 0-255 or a protocol name)"));
  }
  c.a = n;
  rule_->header.ip_proto = c;
  return true;
}

bool RuleParser::OptFlags(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  if (rule_->header.flags) return Fail(o.keyword.offset, "duplicate 'flags' option");
  auto bit = [](char c) -> int {
    switch (c) {
      case 'F': return 0x01;
      case 'S': return 0x02;
      case 'R': return 0x04;
      case 'P': return 0x08;
      case 'A': return 0x10;
      case 'U': return 0x20;
      case 'E': case '2': return 0x40;
      case 'C': case '1': return 0x80;
      default: return -1;
    }
  };
  std::string_view v = o.value.text;
  std::string_view flags = v, mask;
  size_t comma = v.find(',');
  if (comma != std::string_view::npos) {
    flags = Trim(v.substr(0, comma));
    mask = Trim(v.substr(comma + 1));
  }
  TcpFlagsCheck f;
  bool mode_set = false, zero = false;
  for (size_t i = 0; i < flags.size(); ++i) {
    char c = flags[i];
    if (IsSpace(c)) continue;
    if (c == '!' || c == '+' || c == '*') {
      if (mode_set) return Fail(o.value.offset + i, "flags: only one of the modifiers ! + * may be given");
      mode_set = true;
      f.mode = c == '!' ? TcpFlagsCheck::Mode::kNot : c == '+' ? TcpFlagsCheck::Mode::kPlus : TcpFlagsCheck::Mode::kAny;
      continue;
    }
    if (c == '0') {
      zero = true;
      continue;
    }
    int b = bit(c);
    if (b < 0) return Fail(o.value.offset + i, Cat("flags: unknown TCP flag '", std::string(1, c), "' (expected FSRPAUCE12 or 0)"));
    f.flags |= static_cast<uint8_t>(b);
  }
  if (zero && f.flags != 0) return Fail(o.value.offset, "flags: '0' (no flags) cannot be combined with other flags");
  if (!zero && f.flags == 0) return Fail(o.value.offset, "flags: no TCP flags given");
  for (char c : mask) {
    int b = bit(c);
    if (b < 0) return Fail(o.value.offset + comma + 1, Cat("flags: unknown TCP flag '", std::string(1, c), "' in the mask"));
    f.ignore |= static_cast<uint8_t>(b);
  }
  rule_->header.flags = f;
  return true;
}

bool RuleParser::OptFragbits(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  if (rule_->header.fragbits) return Fail(o.keyword.offset, "duplicate 'fragbits' option");
  FragBitsCheck f;
  bool mode_set = false;
  std::string_view v = o.value.text;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (IsSpace(c)) continue;
    if (c == '!' || c == '+' || c == '*') {
      if (mode_set) return Fail(o.value.offset + i, "fragbits: only one of the modifiers ! + * may be given");
      mode_set = true;
      f.mode = c == '!' ? FragBitsCheck::Mode::kNot : c == '+' ? FragBitsCheck::Mode::kPlus : FragBitsCheck::Mode::kAny;
    } else if (c == 'M' || c == 'm') {
      f.bits |= 1;
    } else if (c == 'D' || c == 'd') {
      f.bits |= 2;
    } else if (c == 'R' || c == 'r') {
      f.bits |= 4;
    } else {
      return Fail(o.value.offset + i, Cat("fragbits: unknown bit '", std::string(1, c), "' (expected M, D, R)"));
    }
  }
  if (f.bits == 0) return Fail(o.value.offset, "fragbits: no bits given");
  rule_->header.fragbits = f;
  return true;
}

bool RuleParser::OptIpopts(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  if (rule_->header.ipopts) return Fail(o.keyword.offset, "duplicate 'ipopts' option");
  static constexpr std::pair<std::string_view, uint16_t> kOpts[] = {
      {"rr", 1 << 0},   {"eol", 1 << 1},  {"nop", 1 << 2},  {"ts", 1 << 3},     {"sec", 1 << 4},
      {"esec", 1 << 5}, {"lsrr", 1 << 6}, {"ssrr", 1 << 7}, {"satid", 1 << 8}, {"any", 1 << 15}};
  std::string v = Lower(o.value.text);
  for (const auto& [name, bit] : kOpts) {
    if (name == v) {
      rule_->header.ipopts = bit;
      return true;
    }
  }
  return Fail(o.value.offset, Cat("ipopts: unknown option '", o.value.text,
                                           "' (expected rr, eol, nop, ts, sec, esec, lsrr, ssrr, satid or any)"));
}

// ---- flow state ----

bool RuleParser::OptFlow(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  if (rule_->flow) return Fail(o.keyword.offset, "duplicate 'flow' option");
  FlowOption f;
  for (const Token& t : SplitArgs(o.value.text, o.value.offset)) {
    std::string w = Lower(t.text);
    bool* slot = nullptr;
    if (w == "established") slot = &f.established;
    else if (w == "not_established") slot = &f.not_established;
    else if (w == "stateless") slot = &f.stateless;
    else if (w == "to_server" || w == "from_client") slot = &f.to_server;
    else if (w == "to_client" || w == "from_server") slot = &f.to_client;
    else if (w == "only_stream") slot = &f.only_stream;
    else if (w == "no_stream") slot = &f.no_stream;
    else if (w == "only_frag") slot = &f.only_frag;
    else if (w == "no_frag") slot = &f.no_frag;
    else return Fail(t.offset, Cat("flow: unknown option '", t.text, "'"));
    if (*slot) return Fail(t.offset, Cat("flow: '", t.text, "' given twice"));
    *slot = true;
    const char* clash = nullptr;
    if (f.established + f.not_established + f.stateless > 1) clash = "established, not_established and stateless exclude each other";
    if (f.to_server && f.to_client) clash = "to_server and to_client exclude each other";
    if (f.only_stream && f.no_stream) clash = "only_stream and no_stream exclude each other";
    if (f.only_frag && f.no_frag) clash = "only_frag and no_frag exclude each other";
    if (clash) return Fail(t.offset, Cat("flow: ", clash));
  }
  rule_->flow = f;
  return true;
}

bool RuleParser::OptFlowbits(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::string_view v = o.value.text;
  size_t comma = v.find(',');
  std::string cmd = Lower(Trim(v.substr(0, comma)));
  FlowbitsOption f;
  if (cmd == "set") f.command = FlowbitsOption::Command::kSet;
  else if (cmd == "unset") f.command = FlowbitsOption::Command::kUnset;
  else if (cmd == "toggle") f.command = FlowbitsOption::Command::kToggle;
  else if (cmd == "isset") f.command = FlowbitsOption::Command::kIsSet;
  else if (cmd == "isnotset") f.command = FlowbitsOption::Command::kIsNotSet;
  else if (cmd == "noalert") f.command = FlowbitsOption::Command::kNoAlert;
  else return Fail(o.value.offset, Cat("flowbits: unknown command '", Trim(v.substr(0, comma)),
                                              "' (expected set, unset, toggle, isset, isnotset or noalert)"));
  if (f.command == FlowbitsOption::Command::kNoAlert) {
    if (comma != std::string_view::npos) return Fail(o.value.offset + comma, "flowbits: noalert takes no name");
    rule_->flowbits.push_back(f);
    return true;
  }
  if (comma == std::string_view::npos) return Fail(o.value.offset, Cat("flowbits: '", cmd, "' needs a name"));
  size_t names_at = o.value.offset + comma + 1;
  std::string_view names = v.substr(comma + 1);
  bool has_or = names.find('|') != std::string_view::npos;
  bool has_and = names.find('&') != std::string_view::npos;
  if (has_or && has_and) return Fail(names_at, "flowbits: names cannot mix '|' and '&'");
  f.any_of = has_or;
  for (const Token& t : SplitArgs(names, names_at, has_or ? '|' : '&')) {
    if (t.text.empty() || std::any_of(t.text.begin(), t.text.end(), [](char c) { return IsSpace(c) || c == ','; })) {
      return Fail(t.offset, Cat("flowbits: invalid name '", t.text, "'"));
    }
    f.names.emplace_back(t.text);
  }
  rule_->flowbits.push_back(std::move(f));
  return true;
}

bool RuleParser::OptFlowint(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::vector<Token> args = SplitArgs(o.value.text, o.value.offset, ',');
  if (args.size() < 2 || args.size() > 3) {
    return Fail(o.value.offset, "flowint: expected 'name, operator[, value]'");
  }
  auto valid_name = [](std::string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
  };
  FlowintOption f;
  if (!valid_name(args[0].text)) return Fail(args[0].offset, Cat("flowint: invalid name '", args[0].text, "'"));
  f.name = std::string(args[0].text);
  using Op = FlowintOption::Op;
  static const std::pair<std::string_view, Op> kOps[] = {
      {"=", Op::kAssign}, {"+", Op::kAdd},   {"-", Op::kSub},  {"==", Op::kEq},
      {"!=", Op::kNe},    {"<", Op::kLt},    {">", Op::kGt},   {"<=", Op::kLe},
      {">=", Op::kGe},    {"isset", Op::kIsSet}, {"notset", Op::kIsNotSet}, {"isnotset", Op::kIsNotSet},
  };
  const std::string op = Lower(args[1].text);
  auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& e) { return e.first == op; });
  if (it == std::end(kOps)) {
    return Fail(args[1].offset, Cat("flowint: unknown operator '", args[1].text,
                                    "' (expected =, +, -, ==, !=, <, >, <=, >=, isset or notset)"));
  }
  f.op = it->second;
  const bool existence = f.op == Op::kIsSet || f.op == Op::kIsNotSet;
  if (existence != (args.size() == 2)) {
    return Fail(args[1].offset, existence ? Cat("flowint: '", op, "' takes no value")
                                          : Cat("flowint: '", op, "' needs a value"));
  }
  if (!existence) {
    if (!ParseInt64(args[2].text, &f.value)) {
      if (!valid_name(args[2].text)) {
        return Fail(args[2].offset, Cat("flowint: value '", args[2].text, "' is neither a number nor a flowint name"));
      }
      f.value_var = std::string(args[2].text);
    }
  }
  rule_->flowints.push_back(std::move(f));
  return true;
}

bool RuleParser::OptNoalert(const RawOption& o, std::string_view) {
  if (!NoValue(o)) return false;
  FlowbitsOption f;
  f.command = FlowbitsOption::Command::kNoAlert;
  rule_->flowbits.push_back(f);
  return true;
}

bool RuleParser::OptThreshold(const RawOption& o, std::string_view kind) {
  if (!NeedValue(o)) return false;
  bool df = kind == "detection_filter";
  std::optional<ThresholdOption>& slot = df ? rule_->detection_filter : rule_->threshold;
  if (slot) return Fail(o.keyword.offset, Cat("duplicate '", kind, "' option"));
  ThresholdOption t;
  if (df) t.type = ThresholdOption::Type::kDetectionFilter;
  bool have_type = df, have_track = false, have_count = false, have_seconds = false, have_multiplier = false;
  for (const Token& arg : SplitArgs(o.value.text, o.value.offset)) {
    size_t sp = 0;
    while (sp < arg.text.size() && !IsSpace(arg.text[sp])) ++sp;
    std::string key = Lower(arg.text.substr(0, sp));
    std::string val = Lower(Trim(arg.text.substr(sp)));
    if (key == "type" && !df) {
      if (val == "limit") t.type = ThresholdOption::Type::kLimit;
      else if (val == "threshold") t.type = ThresholdOption::Type::kThreshold;
      else if (val == "both") t.type = ThresholdOption::Type::kBoth;
      else if (val == "backoff") t.type = ThresholdOption::Type::kBackoff;
      else return Fail(arg.offset, Cat(kind, ": unknown type '", val, "' (expected limit, threshold, both or backoff)"));
      have_type = true;
    } else if (key == "track") {
      if (val == "by_src") t.track = ThresholdOption::Track::kBySrc;
      else if (val == "by_dst") t.track = ThresholdOption::Track::kByDst;
      else if (val == "by_rule") t.track = ThresholdOption::Track::kByRule;
      else if (val == "by_both") t.track = ThresholdOption::Track::kByBoth;
      else if (val == "by_flow") t.track = ThresholdOption::Track::kByFlow;
      else return Fail(arg.offset, Cat(kind, ": unknown track '", val, "' (expected by_src, by_dst, by_rule, by_both or by_flow)"));
      have_track = true;
    } else if (key == "count" || key == "seconds" || key == "multiplier") {
      uint64_t n = 0;
      if (!ParseUint64(val, &n) || n > UINT32_MAX) return Fail(arg.offset, Cat(kind, ": invalid ", key, " '", val, "'"));
      if (key == "count") {
        t.count = static_cast<uint32_t>(n);
        have_count = true;
      } else if (key == "seconds") {
        t.seconds = static_cast<uint32_t>(n);
        have_seconds = true;
      } else {
        if (n < 2) return Fail(arg.offset, Cat(kind, ": multiplier must be at least 2"));
        t.multiplier = static_cast<uint32_t>(n);
        have_multiplier = true;
      }
    } else if (key == "unique_on" && df) {
      if (val == "src_port") t.unique_on = ThresholdOption::UniqueOn::kSrcPort;
      else if (val == "dst_port") t.unique_on = ThresholdOption::UniqueOn::kDstPort;
      else return Fail(arg.offset, Cat(kind, ": unknown unique_on '", val, "' (expected src_port or dst_port)"));
    } else {
      return Fail(arg.offset, Cat(kind, ": unknown setting '", arg.text, "'"));
    }
  }
  if (t.type == ThresholdOption::Type::kBackoff) {
    if (!have_track || !have_count || !have_multiplier || have_seconds) {
      return Fail(o.value.offset, Cat(kind, ": type backoff needs track, count and multiplier (and no seconds)"));
    }
    if (t.count == 0) return Fail(o.value.offset, Cat(kind, ": count must be at least 1"));
  } else if (!have_type || !have_track || !have_count || !have_seconds || have_multiplier) {
    return Fail(o.value.offset, Cat(kind, " needs ", df ? "" : "type, ", "track, count and seconds",
                                    have_multiplier ? " (multiplier is for type backoff)" : ""));
  }
  slot = t;
  return true;
}

}  // namespace kagami::rules
