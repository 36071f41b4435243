// The rule header: action, protocol, address and port expressions, direction.

#include <algorithm>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "rules/text_util.h"
#include "rules/rule_parser.h"

namespace kagami::rules {
namespace {

constexpr std::string_view kProtocols[] = {
    "ip", "tcp", "udp", "icmp", "icmpv4", "icmpv6", "pkthdr", "sctp", "tcp-pkt", "tcp-stream",
    "udp-pkt",
    // application layer
    "http", "http1", "http2", "dns", "tls", "ssl", "ssh", "smtp", "ftp", "ftp-data", "smb", "dcerpc",
    "dhcp", "dnp3", "enip", "nfs", "ntp", "tftp", "ike", "ikev2", "krb5", "snmp", "sip", "rfb", "mqtt",
    "rdp", "modbus", "imap", "pop3", "quic", "bittorrent-dht", "telnet", "pgsql", "websocket", "ldap",
    "irc", "cip", "template"};

bool KnownProtocol(std::string_view p) {
  return std::find(std::begin(kProtocols), std::end(kProtocols), p) != std::end(kProtocols);
}

struct ExprError {
  size_t offset;  // within the expression text
  std::string message;
};

// Address atoms: any, IPv4/IPv6, CIDR, a/netmask, lo-hi.
bool AddressAtom(std::string_view s, AddressSet* out, std::string* err) {
  if (s == "any") {
    *out = AddressSet::Any();
    return true;
  }
  if (size_t dash = s.find('-'); dash != std::string_view::npos) {
    auto lo = IpAddress::Parse(s.substr(0, dash));
    auto hi = IpAddress::Parse(s.substr(dash + 1));
    if (!lo || !hi || lo->is_v4() != hi->is_v4() || *hi < *lo) {
      *err = Cat("invalid address range '", s, "'");
      return false;
    }
    *out = AddressSet::FromRanges({{*lo, *hi}});
    return true;
  }
  std::string_view addr = s, len;
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    addr = s.substr(0, slash);
    len = s.substr(slash + 1);
  }
  auto ip = IpAddress::Parse(addr);
  if (!ip) {
    *err = Cat("invalid address '", s, "'");
    return false;
  }
  int prefix = 128;  // in bits of the 128-bit (IPv4-mapped) form
  if (slash != std::string_view::npos) {
    uint64_t n = 0;
    if (!len.empty() && absl::ascii_isdigit(len[0]) && ParseUint64(len, &n)) {
      if (n > (ip->is_v4() ? 32u : 128u)) {
        *err = Cat("invalid prefix length '/", len, "' for '", addr, "'");
        return false;
      }
      prefix = static_cast<int>(n) + (ip->is_v4() ? 96 : 0);
    } else if (auto mask = IpAddress::Parse(len); mask && ip->is_v4() && mask->is_v4()) {
      uint32_t m = mask->v4();
      int ones = 0;
      while (ones < 32 && (m & (0x80000000u >> ones))) ++ones;
      if (ones < 32 && (m << ones) != 0) {
        *err = Cat("netmask '", len, "' is not contiguous");
        return false;
      }
      prefix = ones + 96;
    } else {
      *err = Cat("invalid prefix length '/", len, "'");
      return false;
    }
  }
  std::array<uint8_t, 16> lo = ip->bytes(), hi = ip->bytes();
  for (int bit = prefix; bit < 128; ++bit) {
    uint8_t m = static_cast<uint8_t>(0x80 >> (bit % 8));
    lo[bit / 8] &= static_cast<uint8_t>(~m);
    hi[bit / 8] |= m;
  }
  *out = AddressSet::FromRanges({{IpAddress::FromV6Bytes(lo.data()), IpAddress::FromV6Bytes(hi.data())}});
  return true;
}

bool ParsePort(std::string_view s, uint16_t* out) {
  uint64_t v = 0;
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), absl::ascii_isdigit) ||
      !ParseUint64(s, &v) || v > 65535) {
    return false;
  }
  *out = static_cast<uint16_t>(v);
  return true;
}

// Port atoms: any, N, N:M, N:, :M.
bool PortAtom(std::string_view s, PortSet* out, std::string* err) {
  if (s == "any") {
    *out = PortSet::Any();
    return true;
  }
  size_t colon = s.find(':');
  uint16_t lo = 0, hi = 65535;
  bool ok;
  if (colon == std::string_view::npos) {
    ok = ParsePort(s, &lo);
    hi = lo;
  } else {
    std::string_view a = s.substr(0, colon), b = s.substr(colon + 1);
    ok = (!a.empty() || !b.empty()) && (a.empty() || ParsePort(a, &lo)) && (b.empty() || ParsePort(b, &hi));
  }
  if (!ok) {
    *err = Cat("invalid port '", s, "' (expected any, N, N:M, N: or :M with 0-65535)");
    return false;
  }
  if (hi < lo) {
    *err = Cat("invalid port range '", s, "': start is above end");
    return false;
  }
  *out = PortSet::FromRanges({{lo, hi}});
  return true;
}

// Evaluates "[a,!b,[c,d],$VAR]" expressions over AddressSet or PortSet: a
// list is the union of its positive items minus the union of its negated
// items (starting from "any" when all items are negated).
template <typename Set>
class SetExpr {
 public:
  using Atom = bool (*)(std::string_view, Set*, std::string*);
  using Cache = std::map<std::string, Set, std::less<>>;
  using RangeVec = std::decay_t<decltype(std::declval<Set>().ranges())>;

  SetExpr(ParseEnv* env, Cache* cache, Atom atom, std::string_view what)
      : env_(env), cache_(cache), atom_(atom), what_(what) {}

  bool Evaluate(std::string_view s, Set* out, ExprError* err) {
    size_t pos = 0;
    bool negated = false;
    if (!Item(s, &pos, out, &negated, err)) return false;
    SkipSpace(s, &pos);
    if (pos != s.size()) return Fail(pos, Cat("unexpected '", s.substr(pos, 1), "' in ", what_), err);
    if (negated) *out = out->Complement();
    if (out->empty()) return Fail(0, Cat(what_, " '", s, "' matches nothing"), err);
    return true;
  }

 private:
  static void SkipSpace(std::string_view s, size_t* pos) {
    while (*pos < s.size() && IsSpace(s[*pos])) ++*pos;
  }

  bool Fail(size_t offset, std::string msg, ExprError* err) {
    if (!var_stack_.empty()) {
      err->offset = var_offset_;
      err->message = Cat(msg, " (in the value of $", var_stack_.front(), ")");
    } else {
      err->offset = offset;
      err->message = std::move(msg);
    }
    return false;
  }

  bool Item(std::string_view s, size_t* pos, Set* out, bool* negated, ExprError* err) {
    SkipSpace(s, pos);
    *negated = false;
    size_t start = *pos;
    while (*pos < s.size() && s[*pos] == '!') {
      *negated = !*negated;
      ++*pos;
      SkipSpace(s, pos);
    }
    if (*pos >= s.size()) return Fail(*pos, Cat("expected ", what_), err);
    char c = s[*pos];
    if (c == '[') {
      if (++depth_ > kMaxNesting) return Fail(*pos, Cat(what_, " lists nested more than ", kMaxNesting, " deep"), err);
      ++*pos;
      bool ok = List(s, pos, out, err);
      --depth_;
      if (!ok) return false;
    } else if (c == '$') {
      size_t name_start = ++*pos;
      while (*pos < s.size() && (absl::ascii_isalnum(s[*pos]) || s[*pos] == '_' || s[*pos] == '-')) ++*pos;
      std::string_view name = s.substr(name_start, *pos - name_start);
      if (!Variable(name, name_start - 1, out, err)) return false;
    } else {
      size_t b = *pos;
      while (*pos < s.size() && s[*pos] != ',' && s[*pos] != ']' && s[*pos] != '[' && !IsSpace(s[*pos])) ++*pos;
      if (*pos == b) return Fail(b, Cat("expected ", what_, ", found '", s.substr(b, 1), "'"), err);
      std::string msg;
      if (!atom_(s.substr(b, *pos - b), out, &msg)) return Fail(b, std::move(msg), err);
    }
    if (*negated && out->is_any()) return Fail(start, Cat("'!any' is not a valid ", what_, " (it matches nothing)"), err);
    return true;
  }

  bool List(std::string_view s, size_t* pos, Set* out, ExprError* err) {
    size_t open = *pos - 1;
    RangeVec positive, negative;
    bool positive_any = false, negative_any = false, have_positive = false;
    int items = 0;
    while (true) {
      SkipSpace(s, pos);
      if (*pos < s.size() && s[*pos] == ']' && items == 0) return Fail(*pos, Cat("empty ", what_, " list"), err);
      Set item;
      bool neg = false;
      if (!Item(s, pos, &item, &neg, err)) return false;
      ++items;
      RangeVec& into = neg ? negative : positive;
      if (item.is_any()) {
        (neg ? negative_any : positive_any) = true;
      } else {
        into.insert(into.end(), item.ranges().begin(), item.ranges().end());
      }
      if (!neg) have_positive = true;
      SkipSpace(s, pos);
      if (*pos >= s.size()) return Fail(open, Cat("unterminated '[' in ", what_), err);
      if (s[*pos] == ',') {
        ++*pos;
        continue;
      }
      if (s[*pos] == ']') {
        ++*pos;
        break;
      }
      return Fail(*pos, Cat("expected ',' or ']' in ", what_, " list, found '", s.substr(*pos, 1), "'"), err);
    }
    Set pos_set = (!have_positive || positive_any) ? Set::Any() : Set::FromRanges(std::move(positive));
    if (negative_any) {
      *out = Set();
    } else {
      *out = pos_set.Minus(Set::FromRanges(std::move(negative)));
    }
    return true;
  }

  bool Variable(std::string_view name, size_t ref_offset, Set* out, ExprError* err) {
    if (name.empty()) return Fail(ref_offset, "expected a variable name after '$'", err);
    if (auto it = cache_->find(name); it != cache_->end()) {
      *out = it->second;
      return true;
    }
    auto var = env_->variables.find(name);
    if (var == env_->variables.end()) return Fail(ref_offset, Cat("unknown variable '$", name, "'"), err);
    if (std::find(var_stack_.begin(), var_stack_.end(), name) != var_stack_.end()) {
      std::string chain;
      for (const std::string& v : var_stack_) chain += Cat("$", v, " -> ");
      return Fail(ref_offset, Cat("variable '$", name, "' refers to itself (", chain, "$", name, ")"), err);
    }
    if (var_stack_.empty()) var_offset_ = ref_offset;
    var_stack_.emplace_back(name);
    std::string_view value = var->second;
    size_t p = 0;
    bool negated = false;
    bool ok = Item(value, &p, out, &negated, err);
    if (ok) {
      SkipSpace(value, &p);
      if (p != value.size()) ok = Fail(p, Cat("unexpected '", value.substr(p, 1), "' in ", what_), err);
    }
    if (ok && negated) *out = out->Complement();
    var_stack_.pop_back();
    if (!ok) return false;
    cache_->emplace(std::string(name), *out);
    return true;
  }

  ParseEnv* env_;
  Cache* cache_;
  Atom atom_;
  std::string_view what_;
  static constexpr int kMaxNesting = 64;  // bounds recursion on hostile input
  std::vector<std::string> var_stack_;
  size_t var_offset_ = 0;
  int depth_ = 0;
};

}  // namespace

bool RuleParser::ParseAddressExpr(const Token& t, AddressSet* out) {
  SetExpr<AddressSet> expr(env_, &env_->address_cache, &AddressAtom, "address");
  ExprError err;
  if (!expr.Evaluate(t.text, out, &err)) return Fail(t.offset + err.offset, err.message);
  return true;
}

bool RuleParser::ParsePortExpr(const Token& t, PortSet* out) {
  SetExpr<PortSet> expr(env_, &env_->port_cache, &PortAtom, "port");
  ExprError err;
  if (!expr.Evaluate(t.text, out, &err)) return Fail(t.offset + err.offset, err.message);
  return true;
}

bool RuleParser::ParseHeader(const std::vector<Token>& h) {
  if (h.empty()) return Fail(0, "expected a rule action (alert, pass, drop, reject)");
  std::string action = Lower(h[0].text);
  if (action == "alert") {
    rule_->action = Action::kAlert;
  } else if (action == "pass") {
    rule_->action = Action::kPass;
  } else if (action == "drop") {
    rule_->action = Action::kDrop;
  } else if (action == "reject" || action == "rejectsrc" || action == "rejectdst" || action == "rejectboth") {
    rule_->action = Action::kReject;
  } else {
    return Fail(h[0].offset, Cat("unknown rule action '", h[0].text, "' (expected alert, pass, drop or reject)"));
  }
  if (h.size() < 2) return Fail(h[0].offset + h[0].text.size(), "expected a protocol after the action");
  rule_->protocol = Lower(h[1].text);
  if (!KnownProtocol(rule_->protocol)) {
    return Fail(h[1].offset, Cat("unknown protocol '", h[1].text, "'"));
  }
  if (h.size() == 2) {
    // "alert http (...)": Suricata's header-less app-layer form.
    rule_->src_addr = rule_->dst_addr = AddressSet::Any();
    rule_->src_port = rule_->dst_port = PortSet::Any();
    return true;
  }
  if (h.size() != 7) {
    size_t at = h.size() > 7 ? h[7].offset : h.back().offset + h.back().text.size();
    return Fail(at, Cat("expected 'source port direction destination port' after the protocol, found ",
                                 h.size() - 2, " fields instead of 5"));
  }
  if (!ParseAddressExpr(h[2], &rule_->src_addr)) return false;
  if (!ParsePortExpr(h[3], &rule_->src_port)) return false;
  if (h[4].text == "->") {
    rule_->bidirectional = false;
  } else if (h[4].text == "<>") {
    rule_->bidirectional = true;
  } else {
    return Fail(h[4].offset, Cat("invalid direction '", h[4].text, "' (expected -> or <>)"));
  }
  if (!ParseAddressExpr(h[5], &rule_->dst_addr)) return false;
  if (!ParsePortExpr(h[6], &rule_->dst_port)) return false;
  // ip rules may name ports (ET has such rules and Suricata loads them): they
  // then only match packets that have ports. ICMP has none to name.
  bool portless = rule_->protocol == "icmp" || rule_->protocol == "icmpv4" ||
                  rule_->protocol == "icmpv6";
  if (portless) {
    if (!rule_->src_port.is_any()) return Fail(h[3].offset, Cat("'", rule_->protocol, "' rules have no ports: use 'any'"));
    if (!rule_->dst_port.is_any()) return Fail(h[6].offset, Cat("'", rule_->protocol, "' rules have no ports: use 'any'"));
  }
  return true;
}

}  // namespace kagami::rules
