#include "rules/feeds/stix_pattern.h"

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "common/find_first_of.h"
#include "common/ip_address.h"
#include "rules/feeds/normalize.h"

namespace kagami::feeds {
namespace {

// Parentheses nested deeper than this (in an observation, or around
// observations) are refused: the parser recurses on them and
// patterns come from outside.
constexpr int kMaxNesting = 64;
// No supported object path has more components than this.
constexpr size_t kMaxPathParts = 6;

using Dnf = std::vector<Clause>;  // OR of clauses; {Clause{}} is "true"

enum class Tok : uint8_t {
  kEnd,
  kLBracket, kRBracket, kLParen, kRParen, kColon, kDot, kComma, kStar,
  kEq, kNeq, kLt, kLe, kGt, kGe,
  kString, kInt, kFloat, kTimestamp, kHex, kBinary,
  kWord,  // identifier, keyword, true/false
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t offset = 0;
  std::string_view text;  // as written
  std::string str;        // kString and typed literals: the contents, unescaped
  int64_t integer = 0;    // kInt, saturated at +-kIntLimit
};
constexpr int64_t kIntLimit = int64_t{1} << 40;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-'; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` for a message: at most `limit` bytes, control bytes shown as '?'.
// Object paths get more room than values: naming them is the point of the
// message.
std::string Shown(std::string_view text, size_t limit = 60) {
  std::string out;
  for (char c : text.substr(0, limit)) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  if (text.size() > limit) out += "...";
  return out;
}
constexpr size_t kPathLimit = 120;

// Keywords that can open a comparison (STIX 2.1: "EXISTS path", and "NOT"
// which the grammar only has after the path, "path NOT = ..."). In the
// grammar's lexer they are keywords, never object types, so "[NOT:x = 'a']"
// is NOT followed by ':', not the object path "NOT:x". Both parsers ask this
// one list: the general parser refuses the keyword, the single-comparison
// shortcut leaves the pattern to it.
bool IsComparisonKeyword(std::string_view word) { return word == "NOT" || word == "EXISTS"; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// What a supported object path compares.
enum class Target : uint8_t {
  kIpv4,      // ipv4-addr:value
  kIpv6,      // ipv6-addr:value
  kAnyIp,     // network-traffic:*_ref.value
  kDomain,
  kUrl,
  kPort,
  kRefType,   // network-traffic:*_ref.type, dropped
  kProtocol,  // network-traffic:protocols[..], dropped
  kUserAgent,
  kHash,
};

struct PathInfo {
  Target target = Target::kDomain;
  Side side = Side::kEither;
  IndicatorType hash = IndicatorType::kFileMd5;  // kHash only
};

struct Path {
  std::string_view object_type;
  std::array<std::string, kMaxPathParts> parts;  // list indexes kept as "[*]" / "[N]"
  size_t count = 0;
  bool too_long = false;
  size_t end = 0;  // offset just past the path
};

enum class LitKind : uint8_t { kString, kInt, kFloat, kBool, kTimestamp, kHex, kBinary };

struct Literal {
  LitKind kind = LitKind::kString;
  size_t offset = 0;
  std::string str;
  int64_t integer = 0;
};

// "SHA-256", "sha256", 'SHA1' ... -> the indicator type, for the hash names
// the engine computes.
std::optional<IndicatorType> HashType(std::string_view name, bool certificate) {
  std::string folded;
  for (char c : name) {
    if (c != '-' && c != '_') folded.push_back(Lower(c));
  }
  if (folded == "sha1") return certificate ? IndicatorType::kCertSha1 : IndicatorType::kFileSha1;
  if (folded == "sha256") return certificate ? IndicatorType::kCertSha256 : IndicatorType::kFileSha256;
  if (folded == "md5" && !certificate) return IndicatorType::kFileMd5;
  return std::nullopt;
}

std::optional<PathInfo> Resolve(const Path& p) {
  if (p.too_long) return std::nullopt;
  auto parts_are = [&p](std::initializer_list<std::string_view> want) {
    if (want.size() != p.count) return false;
    size_t i = 0;
    for (std::string_view w : want) {
      if (p.parts[i++] != w) return false;
    }
    return true;
  };
  PathInfo info;
  const std::string_view type = p.object_type;
  if (type == "ipv4-addr" && parts_are({"value"})) {
    info.target = Target::kIpv4;
  } else if (type == "ipv6-addr" && parts_are({"value"})) {
    info.target = Target::kIpv6;
  } else if (type == "domain-name" && parts_are({"value"})) {
    info.target = Target::kDomain;
  } else if (type == "url" && parts_are({"value"})) {
    info.target = Target::kUrl;
  } else if (type == "network-traffic") {
    if (parts_are({"dst_ref", "value"}) || parts_are({"src_ref", "value"})) {
      info.target = Target::kAnyIp;
    } else if (parts_are({"dst_ref", "type"}) || parts_are({"src_ref", "type"})) {
      info.target = Target::kRefType;
    } else if (parts_are({"dst_port"}) || parts_are({"src_port"})) {
      info.target = Target::kPort;
    } else if (p.count == 2 && p.parts[0] == "protocols" && p.parts[1].front() == '[') {
      info.target = Target::kProtocol;
    } else if (p.count == 4 && p.parts[0] == "extensions" && p.parts[1] == "http-request-ext" &&
               p.parts[2] == "request_header" && EqualsNoCase(p.parts[3], "user-agent")) {
      info.target = Target::kUserAgent;
    } else {
      return std::nullopt;
    }
    if (info.target != Target::kProtocol && info.target != Target::kUserAgent) {
      info.side = p.parts[0].starts_with("dst") ? Side::kDestination : Side::kSource;
    }
  } else if ((type == "file" || type == "x509-certificate") && p.count == 2 && p.parts[0] == "hashes") {
    std::optional<IndicatorType> hash = HashType(p.parts[1], type == "x509-certificate");
    if (!hash) return std::nullopt;
    info.target = Target::kHash;
    info.hash = *hash;
  } else {
    return std::nullopt;
  }
  return info;
}

size_t HexLength(IndicatorType t) {
  switch (t) {
    case IndicatorType::kFileMd5: return 32;
    case IndicatorType::kCertSha1:
    case IndicatorType::kFileSha1: return 40;
    default: return 64;
  }
}

// "a.b.c.d", "a.b.c.d/n", IPv6 and "v6/n" -> an inclusive range; host bits
// below the prefix are ignored. `family` is 4, 6, or 0 for either.
bool ParseAddressRange(std::string_view text, int family, rules::IpRange* range) {
  const size_t slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  const bool v6 = addr_text.find(':') != std::string_view::npos;
  if ((family == 4 && v6) || (family == 6 && !v6)) return false;
  std::optional<IpAddress> addr = IpAddress::Parse(addr_text);
  if (!addr) return false;
  const int width = v6 ? 128 : 32;
  int prefix = width;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return false;
    prefix = 0;
    for (char c : digits) {
      if (!IsDigit(c)) return false;
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > width) return false;
  }
  // Dotted IPv4 lives in the last 32 bits of the IPv4-mapped form.
  const int keep = prefix + (128 - width);
  std::array<uint8_t, 16> lo = addr->bytes(), hi = addr->bytes();
  for (int bit = keep; bit < 128; ++bit) {
    const auto mask = static_cast<uint8_t>(0x80u >> (bit % 8));
    lo[bit / 8] = static_cast<uint8_t>(lo[bit / 8] & ~mask);
    hi[bit / 8] = static_cast<uint8_t>(hi[bit / 8] | mask);
  }
  range->lo = IpAddress::FromV6Bytes(lo.data());
  range->hi = IpAddress::FromV6Bytes(hi.data());
  return true;
}

std::string_view LiteralKindName(LitKind k) {
  switch (k) {
    case LitKind::kString: return "string";
    case LitKind::kInt: return "integer";
    case LitKind::kFloat: return "float";
    case LitKind::kBool: return "boolean";
    case LitKind::kTimestamp: return "timestamp";
    case LitKind::kHex: return "hex";
    case LitKind::kBinary: return "binary";
  }
  return "unknown";
}

class Parser {
 public:
  Parser(std::string_view src, PatternError* error) : src_(src), error_(error) {}

  bool Parse(std::vector<Clause>* out) {
    out->clear();
    if (!Advance()) return false;
    if (tok_.kind == Tok::kEnd) return Fail(0, "empty pattern");
    if (!ParseObservationOr(out, 0)) return false;
    if (tok_.kind != Tok::kEnd) return Fail(tok_.offset, "unexpected " + Describe() + " after the pattern");
    return true;
  }

  // The usual feed pattern, one comparison in one observation
  // ("[domain-name:value = 'x.example']", "[file:hashes.'SHA-256' = '...']"),
  // read in one pass without the lexer or the normal-form machinery; the
  // path, the literal and the term go through the same Resolve and MakeTerm,
  // so results and errors are the grammar's. nullopt when the pattern has any
  // other shape (operators, escapes, list indexes, more comparisons...): the
  // general parser takes it then, and so it does when the object type is a
  // keyword (IsComparisonKeyword).
  std::optional<bool> ParseSingleComparison(std::vector<Clause>* out) {
    size_t p = 0;
    auto skip_blanks = [&] {
      while (p < src_.size() && IsBlank(src_[p])) ++p;
    };
    auto at = [&](char c) { return p < src_.size() && src_[p] == c; };
    // A word token (not a typed literal's prefix such as t'...').
    auto word = [&](std::string_view* w) {
      if (p >= src_.size() || !(IsAlpha(src_[p]) || src_[p] == '_')) return false;
      const size_t start = p;
      while (p < src_.size() && IsWordChar(src_[p])) ++p;
      *w = src_.substr(start, p - start);
      return !at('\'');
    };
    // A quoted literal without escapes.
    auto quoted = [&](std::string_view* contents) {
      if (!at('\'')) return false;
      const size_t close = FindFirstOf(src_, "'\\", p + 1);
      if (close == std::string_view::npos || src_[close] != '\'') return false;
      *contents = src_.substr(p + 1, close - p - 1);
      p = close + 1;
      return true;
    };
    skip_blanks();
    if (!at('[')) return std::nullopt;
    const size_t open = p++;
    skip_blanks();
    const size_t path_offset = p;
    Path path;
    if (!word(&path.object_type) || IsComparisonKeyword(path.object_type)) return std::nullopt;
    skip_blanks();
    if (!at(':')) return std::nullopt;
    ++p;
    for (;;) {
      skip_blanks();
      std::string_view part;
      if (!(at('\'') ? quoted(&part) : word(&part)) || part.empty()) return std::nullopt;
      if (path.count == kMaxPathParts) return std::nullopt;
      path.parts[path.count++].assign(part);
      path.end = p;
      skip_blanks();
      if (!at('.')) break;
      ++p;
    }
    if (!at('=')) return std::nullopt;
    p += p + 1 < src_.size() && src_[p + 1] == '=' ? 2 : 1;
    skip_blanks();
    Literal lit;
    lit.offset = p;
    std::string_view contents;
    if (!quoted(&contents)) return std::nullopt;
    skip_blanks();
    if (!at(']')) return std::nullopt;
    ++p;
    skip_blanks();
    if (p != src_.size()) return std::nullopt;

    const std::string_view path_text = src_.substr(path_offset, path.end - path_offset);
    const std::optional<PathInfo> info = Resolve(path);
    if (!info) return Unsupported(path_offset, "object path '" + Shown(path_text, kPathLimit) + "' is unsupported");
    lit.str.assign(contents);
    std::optional<Term> term;
    if (!MakeTerm(*info, path_text, lit, &term)) return false;
    if (!term) {
      return Unsupported(open, "observation has a branch with nothing to match "
                        "(only network-traffic type or protocol comparisons)");
    }
    // A string literal never makes a port term: the one term is matchable.
    // The clause and its term vector are reused when the caller's had one.
    out->resize(1);
    std::vector<Term>& terms = (*out)[0].terms;
    terms.resize(1);
    terms[0] = std::move(*term);
    return true;
  }

 private:
  // Fail: not a STIX pattern (a syntax error, a bad value). Unsupported: a
  // valid pattern Kagami cannot match on packets (or one too large).
  bool Fail(size_t offset, std::string message) {
    error_->offset = offset;
    error_->message = std::move(message);
    error_->unsupported = false;
    return false;
  }
  bool Unsupported(size_t offset, std::string message) {
    Fail(offset, std::move(message));
    error_->unsupported = true;
    return false;
  }

  std::string Describe() const {
    if (tok_.kind == Tok::kEnd) return "end of pattern";
    return "'" + Shown(tok_.text) + "'";
  }

  bool IsWord(std::string_view w) const { return tok_.kind == Tok::kWord && tok_.text == w; }

  bool Expect(Tok kind, const char* what) {
    if (tok_.kind != kind) return Fail(tok_.offset, std::string("expected ") + what + ", found " + Describe());
    return Advance();
  }

  // ---- lexer ----

  // Reads a quoted literal starting at src_[pos] == '\'' into tok_.str.
  bool LexQuoted(size_t pos) {
    const size_t open = pos++;
    tok_.str.clear();
    while (pos < src_.size()) {
      // Copy the run up to the next quote or backslash in one go.
      size_t stop = pos;
      while (stop < src_.size() && src_[stop] != '\'' && src_[stop] != '\\') ++stop;
      tok_.str.append(src_.data() + pos, stop - pos);
      pos = stop;
      if (pos == src_.size()) break;
      if (src_[pos] == '\'') {
        pos_ = pos + 1;
        return true;
      }
      // A backslash.
      if (pos + 1 >= src_.size()) break;
      const char e = src_[pos + 1];
      if (e != '\'' && e != '\\') {
        return Fail(pos, std::string("invalid escape '\\") + e + "' in string literal (only \\' and \\\\)");
      }
      tok_.str.push_back(e);
      pos += 2;
    }
    return Fail(open, "unterminated string literal");
  }

  bool Advance() {
    while (pos_ < src_.size() && IsBlank(src_[pos_])) ++pos_;
    const size_t start = pos_;
    tok_.offset = start;
    if (start >= src_.size()) {
      tok_.kind = Tok::kEnd;
      tok_.text = {};
      return true;
    }
    const char c = src_[start];
    const char next = start + 1 < src_.size() ? src_[start + 1] : '\0';
    auto single = [&](Tok kind, size_t len) {
      tok_.kind = kind;
      pos_ = start + len;
      tok_.text = src_.substr(start, len);
      return true;
    };
    switch (c) {
      case '[': return single(Tok::kLBracket, 1);
      case ']': return single(Tok::kRBracket, 1);
      case '(': return single(Tok::kLParen, 1);
      case ')': return single(Tok::kRParen, 1);
      case ':': return single(Tok::kColon, 1);
      case '.': return single(Tok::kDot, 1);
      case ',': return single(Tok::kComma, 1);
      case '*': return single(Tok::kStar, 1);
      case '=': return single(Tok::kEq, next == '=' ? 2 : 1);
      case '!':
        if (next == '=') return single(Tok::kNeq, 2);
        break;
      case '<':
        if (next == '=') return single(Tok::kLe, 2);
        if (next == '>') return single(Tok::kNeq, 2);
        return single(Tok::kLt, 1);
      case '>':
        if (next == '=') return single(Tok::kGe, 2);
        return single(Tok::kGt, 1);
      case '\'':
        if (!LexQuoted(start)) return false;
        tok_.kind = Tok::kString;
        tok_.text = src_.substr(start, pos_ - start);
        return true;
      default: break;
    }
    if (IsDigit(c) || ((c == '-' || c == '+') && IsDigit(next))) {
      size_t p = start + 1;
      while (p < src_.size() && IsDigit(src_[p])) ++p;
      tok_.kind = Tok::kInt;
      if (p + 1 < src_.size() && src_[p] == '.' && IsDigit(src_[p + 1])) {
        tok_.kind = Tok::kFloat;
        for (++p; p < src_.size() && IsDigit(src_[p]);) ++p;
      }
      tok_.text = src_.substr(start, p - start);
      pos_ = p;
      if (tok_.kind == Tok::kInt) {
        int64_t v = 0;
        for (char d : tok_.text) {
          if (IsDigit(d) && v < kIntLimit) v = v * 10 + (d - '0');
        }
        if (v > kIntLimit) v = kIntLimit;
        tok_.integer = c == '-' ? -v : v;
      }
      return true;
    }
    if (IsAlpha(c) || c == '_') {
      size_t p = start + 1;
      while (p < src_.size() && IsWordChar(src_[p])) ++p;
      const std::string_view word = src_.substr(start, p - start);
      if (p < src_.size() && src_[p] == '\'') {  // t'...', h'...', b'...'
        Tok kind;
        if (word == "t") {
          kind = Tok::kTimestamp;
        } else if (word == "h") {
          kind = Tok::kHex;
        } else if (word == "b" || word == "b64") {
          kind = Tok::kBinary;
        } else {
          return Fail(start, "unknown literal prefix '" + Shown(word) + "'");
        }
        if (!LexQuoted(p)) return false;
        tok_.kind = kind;
        tok_.text = src_.substr(start, pos_ - start);
        return true;
      }
      tok_.kind = Tok::kWord;
      tok_.text = word;
      pos_ = p;
      return true;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return Fail(start, std::string("unexpected character '") + c + "'");
    static constexpr char kHex[] = "0123456789abcdef";
    return Fail(start, std::string("unexpected byte 0x") + kHex[u >> 4] + kHex[u & 15]);
  }

  // ---- observation expressions ----

  bool ParseObservationOr(std::vector<Clause>* out, int depth) {
    if (!ParseObservation(out, depth)) return false;
    for (;;) {
      if (IsWord("OR")) {
        const size_t at = tok_.offset;
        if (!Advance()) return false;
        std::vector<Clause> more;
        if (!ParseObservation(&more, depth)) return false;
        if (out->size() + more.size() > kMaxPatternClauses) {
          return Unsupported(at, "pattern expands to more than " + std::to_string(kMaxPatternClauses) + " clauses");
        }
        for (Clause& c : more) out->push_back(std::move(c));
      } else if (IsWord("AND")) {
        return Unsupported(tok_.offset,
                    "observation expressions joined by AND are unsupported (they need state across flows)");
      } else if (IsWord("FOLLOWEDBY")) {
        return Unsupported(tok_.offset, "FOLLOWEDBY is unsupported (it needs state across flows)");
      } else {
        return true;
      }
    }
  }

  bool ParseObservation(std::vector<Clause>* out, int depth) {
    if (tok_.kind == Tok::kLBracket) {
      const size_t open = tok_.offset;
      if (!Advance()) return false;
      Dnf dnf;
      if (!ParseComparisonOr(&dnf, 0)) return false;
      if (!Expect(Tok::kRBracket, "AND, OR or ']'")) return false;
      for (const Clause& clause : dnf) {
        if (clause.terms.empty()) {
          return Unsupported(open, "observation has a branch with nothing to match "
                            "(only network-traffic type or protocol comparisons)");
        }
        bool only_ports = true;
        for (const Term& t : clause.terms) only_ports = only_ports && t.type == IndicatorType::kPort;
        if (only_ports) {
          return Unsupported(open, "observation has a branch with only port comparisons; "
                            "a port needs an address or value beside it");
        }
      }
      if (out->size() + dnf.size() > kMaxPatternClauses) {
        return Unsupported(open, "pattern expands to more than " + std::to_string(kMaxPatternClauses) + " clauses");
      }
      for (Clause& c : dnf) out->push_back(std::move(c));
    } else if (tok_.kind == Tok::kLParen) {
      if (depth == kMaxNesting) return Fail(tok_.offset, "parentheses nested too deeply");
      if (!Advance()) return false;
      if (!ParseObservationOr(out, depth + 1)) return false;
      if (!Expect(Tok::kRParen, "OR or ')'")) return false;
    } else {
      return Fail(tok_.offset, "expected '[' or '(' to start an observation expression, found " + Describe());
    }
    for (std::string_view q : {"WITHIN", "REPEATS", "START", "STOP"}) {
      if (IsWord(q)) {
        return Unsupported(tok_.offset,
                    "qualifier " + std::string(q) + " is unsupported (it needs state across flows)");
      }
    }
    return true;
  }

  // ---- comparison expressions, in disjunctive normal form ----

  bool ParseComparisonOr(Dnf* out, int depth) {
    if (!ParseComparisonAnd(out, depth)) return false;
    while (IsWord("OR")) {
      const size_t at = tok_.offset;
      if (!Advance()) return false;
      Dnf more;
      if (!ParseComparisonAnd(&more, depth)) return false;
      if (out->size() + more.size() > kMaxPatternClauses) {
        return Unsupported(at, "pattern expands to more than " + std::to_string(kMaxPatternClauses) + " clauses");
      }
      for (Clause& c : more) out->push_back(std::move(c));
    }
    return true;
  }

  bool ParseComparisonAnd(Dnf* out, int depth) {
    if (!ParseComparisonUnit(out, depth)) return false;
    while (IsWord("AND")) {
      const size_t at = tok_.offset;
      if (!Advance()) return false;
      Dnf right;
      if (!ParseComparisonUnit(&right, depth)) return false;
      if (out->size() * right.size() > kMaxPatternClauses) {
        return Unsupported(at, "pattern expands to more than " + std::to_string(kMaxPatternClauses) + " clauses");
      }
      Dnf product;
      product.reserve(out->size() * right.size());
      for (const Clause& a : *out) {
        for (const Clause& b : right) {
          Clause& c = product.emplace_back();
          c.terms.reserve(a.terms.size() + b.terms.size());
          c.terms.insert(c.terms.end(), a.terms.begin(), a.terms.end());
          c.terms.insert(c.terms.end(), b.terms.begin(), b.terms.end());
        }
      }
      *out = std::move(product);
    }
    return true;
  }

  bool ParseComparisonUnit(Dnf* out, int depth) {
    if (tok_.kind == Tok::kLParen) {
      if (depth == kMaxNesting) return Fail(tok_.offset, "parentheses nested too deeply");
      if (!Advance()) return false;
      if (!ParseComparisonOr(out, depth + 1)) return false;
      return Expect(Tok::kRParen, "AND, OR or ')'");
    }
    if (tok_.kind == Tok::kWord && IsComparisonKeyword(tok_.text)) {
      return Unsupported(tok_.offset, std::string(tok_.text) + " is unsupported");
    }
    if (tok_.kind != Tok::kWord) {
      return Fail(tok_.offset, "expected a comparison (object-type:property ...), found " + Describe());
    }
    return ParseComparison(out);
  }

  bool ParsePath(Path* path) {
    path->object_type = tok_.text;
    if (!Advance()) return false;
    if (!Expect(Tok::kColon, "':' after the object type")) return false;
    bool first = true;
    for (;;) {
      std::string part;
      size_t part_offset = 0;
      if (first || tok_.kind == Tok::kDot) {
        if (!first && !Advance()) return false;
        if (tok_.kind == Tok::kWord) {
          part.assign(tok_.text);
        } else if (tok_.kind == Tok::kString) {
          part = std::move(tok_.str);
        } else {
          return Fail(tok_.offset, "expected a property name, found " + Describe());
        }
        part_offset = tok_.offset;
        path->end = tok_.offset + tok_.text.size();
        if (!Advance()) return false;
      } else if (tok_.kind == Tok::kLBracket) {
        if (!Advance()) return false;
        if (tok_.kind != Tok::kStar && !(tok_.kind == Tok::kInt && tok_.integer >= 0)) {
          return Fail(tok_.offset, "expected a list index or '*', found " + Describe());
        }
        part = "[" + std::string(tok_.text) + "]";
        if (!Advance()) return false;
        path->end = tok_.offset + tok_.text.size();
        if (!Expect(Tok::kRBracket, "']' after the list index")) return false;
      } else {
        return true;
      }
      first = false;
      if (part.empty()) return Fail(part_offset, "empty property name");
      if (path->count == kMaxPathParts) {
        path->too_long = true;
      } else {
        path->parts[path->count++] = std::move(part);
      }
    }
  }

  bool ParseLiteral(Literal* lit) {
    lit->offset = tok_.offset;
    switch (tok_.kind) {
      case Tok::kString: lit->kind = LitKind::kString; break;
      case Tok::kInt: lit->kind = LitKind::kInt; break;
      case Tok::kFloat: lit->kind = LitKind::kFloat; break;
      case Tok::kTimestamp: lit->kind = LitKind::kTimestamp; break;
      case Tok::kHex: lit->kind = LitKind::kHex; break;
      case Tok::kBinary: lit->kind = LitKind::kBinary; break;
      case Tok::kWord:
        if (tok_.text == "true" || tok_.text == "false") {
          lit->kind = LitKind::kBool;
          break;
        }
        [[fallthrough]];
      default: return Fail(tok_.offset, "expected a literal, found " + Describe());
    }
    lit->integer = tok_.integer;
    lit->str.swap(tok_.str);
    return Advance();
  }

  // One literal compared with '=' (or a member of an IN set): a term, or
  // nullopt for a comparison that is dropped as always true here.
  bool MakeTerm(const PathInfo& info, std::string_view path_text, Literal& lit, std::optional<Term>* out) {
    out->reset();
    if (info.target == Target::kPort) {
      if (lit.kind != LitKind::kInt) {
        return Fail(lit.offset, "expected an integer port for '" + Shown(path_text, kPathLimit) + "', found a " +
                                    std::string(LiteralKindName(lit.kind)) + " literal");
      }
      if (lit.integer < 0 || lit.integer > 65535) return Fail(lit.offset, "port out of range");
      Term& t = out->emplace();
      t.type = IndicatorType::kPort;
      t.side = info.side;
      t.port_lo = t.port_hi = static_cast<uint16_t>(lit.integer);
      return true;
    }
    if (lit.kind != LitKind::kString) {
      if (lit.kind == LitKind::kTimestamp || lit.kind == LitKind::kHex || lit.kind == LitKind::kBinary) {
        return Unsupported(lit.offset, std::string(LiteralKindName(lit.kind)) + " literal is unsupported");
      }
      return Fail(lit.offset, "expected a string literal for '" + Shown(path_text, kPathLimit) + "', found a " +
                                  std::string(LiteralKindName(lit.kind)) + " literal");
    }
    switch (info.target) {
      case Target::kIpv4:
      case Target::kIpv6:
      case Target::kAnyIp: {
        const int family = info.target == Target::kIpv4 ? 4 : info.target == Target::kIpv6 ? 6 : 0;
        Term t;
        t.type = IndicatorType::kIp;
        t.side = info.side;
        if (!ParseAddressRange(lit.str, family, &t.range)) {
          const char* what = family == 4 ? "IPv4 address or CIDR" : family == 6 ? "IPv6 address or CIDR"
                                                                               : "IP address or CIDR";
          return Fail(lit.offset, std::string("invalid ") + what + " '" + Shown(lit.str) + "'");
        }
        *out = std::move(t);
        return true;
      }
      case Target::kDomain: {
        std::optional<std::string> v = NormalizeDomain(lit.str);
        if (!v) return Fail(lit.offset, "invalid domain name '" + Shown(lit.str) + "'");
        Term& t = out->emplace();
        t.type = IndicatorType::kDomain;
        t.value = std::move(*v);
        return true;
      }
      case Target::kUrl: {
        std::optional<std::string> v = NormalizeUrl(lit.str);
        if (!v) return Fail(lit.offset, "invalid URL '" + Shown(lit.str) + "'");
        Term& t = out->emplace();
        t.type = IndicatorType::kUrl;
        t.value = std::move(*v);
        return true;
      }
      case Target::kUserAgent: {
        if (lit.str.empty()) return Fail(lit.offset, "empty User-Agent");
        Term& t = out->emplace();
        t.type = IndicatorType::kUserAgent;
        t.value = std::move(lit.str);
        return true;
      }
      case Target::kHash: {
        const size_t len = HexLength(info.hash);
        std::optional<std::string> v = NormalizeHexDigest(lit.str, len);
        if (!v) {
          return Fail(lit.offset, "invalid " + std::string(IndicatorTypeName(info.hash)) + " digest '" + Shown(lit.str) +
                                      "' (want " + std::to_string(len) + " hex digits)");
        }
        Term& t = out->emplace();
        t.type = info.hash;
        t.value = std::move(*v);
        return true;
      }
      case Target::kRefType:
        // The address term beside it already says which family it is.
        if (lit.str != "ipv4-addr" && lit.str != "ipv6-addr") {
          return Unsupported(lit.offset, "'" + Shown(path_text, kPathLimit) + "' = '" + Shown(lit.str) + "' is unsupported");
        }
        return true;
      case Target::kProtocol:
        if (lit.str.empty()) return Fail(lit.offset, "empty protocol name");
        return true;
      case Target::kPort: break;  // handled above
    }
    return true;
  }

  bool ParseComparison(Dnf* out) {
    const size_t path_offset = tok_.offset;
    Path path;
    if (!ParsePath(&path)) return false;
    const std::string_view path_text = src_.substr(path_offset, path.end - path_offset);
    const std::optional<PathInfo> info = Resolve(path);
    if (!info) return Fail(path_offset, "object path '" + Shown(path_text, kPathLimit) + "' is unsupported");

    const size_t op_offset = tok_.offset;
    out->clear();
    Literal lit;
    std::optional<Term> term;
    switch (tok_.kind) {
      case Tok::kEq:
        if (!Advance() || !ParseLiteral(&lit) || !MakeTerm(*info, path_text, lit, &term)) return false;
        out->emplace_back();
        if (term) out->back().terms.push_back(std::move(*term));
        return true;
      case Tok::kNeq: return Fail(op_offset, "operator '" + std::string(tok_.text) + "' is unsupported");
      case Tok::kLt:
      case Tok::kLe:
      case Tok::kGt:
      case Tok::kGe: return ParsePortRange(*info, path_text, out);
      case Tok::kWord: break;
      default:
        return Fail(op_offset, "expected a comparison operator after '" + Shown(path_text, kPathLimit) + "', found " +
                                   Describe());
    }
    if (IsWord("NOT")) return Fail(op_offset, "NOT is unsupported");
    if (IsWord("LIKE") || IsWord("MATCHES") || IsWord("ISSUPERSET")) {
      return Fail(op_offset, "operator " + std::string(tok_.text) + " is unsupported");
    }
    if (IsWord("ISSUBSET")) {
      if (info->target != Target::kIpv4 && info->target != Target::kIpv6 && info->target != Target::kAnyIp) {
        return Fail(op_offset, "ISSUBSET is only supported on address paths, not '" + Shown(path_text, kPathLimit) + "'");
      }
      if (!Advance() || !ParseLiteral(&lit) || !MakeTerm(*info, path_text, lit, &term)) return false;
      out->emplace_back().terms.push_back(std::move(*term));
      return true;
    }
    if (IsWord("IN")) return ParseSet(*info, path_text, out);
    return Fail(op_offset, "expected a comparison operator after '" + Shown(path_text, kPathLimit) + "', found " +
                               Describe());
  }

  // path IN (lit, lit, ...): one clause per member.
  bool ParseSet(const PathInfo& info, std::string_view path_text, Dnf* out) {
    if (!Advance()) return false;
    if (!Expect(Tok::kLParen, "'(' to open the IN set")) return false;
    if (tok_.kind == Tok::kRParen) return Fail(tok_.offset, "empty IN set");
    bool always_true = false;
    for (;;) {
      Literal lit;
      std::optional<Term> term;
      if (!ParseLiteral(&lit) || !MakeTerm(info, path_text, lit, &term)) return false;
      if (!term) {
        always_true = true;
      } else {
        if (out->size() == kMaxPatternClauses) {
          return Fail(lit.offset, "pattern expands to more than " + std::to_string(kMaxPatternClauses) + " clauses");
        }
        out->emplace_back().terms.push_back(std::move(*term));
      }
      if (tok_.kind == Tok::kRParen) break;
      if (!Expect(Tok::kComma, "',' or ')' in the IN set")) return false;
    }
    if (always_true) {
      out->clear();
      out->emplace_back();
    }
    return Advance();
  }

  // dst_port < 1024 and friends: one port-range term.
  bool ParsePortRange(const PathInfo& info, std::string_view path_text, Dnf* out) {
    const Tok op = tok_.kind;
    const size_t op_offset = tok_.offset;
    if (info.target != Target::kPort) {
      return Fail(op_offset, "operator '" + std::string(tok_.text) + "' is only supported on port paths, not '" +
                                 Shown(path_text, kPathLimit) + "'");
    }
    Literal lit;
    if (!Advance() || !ParseLiteral(&lit)) return false;
    if (lit.kind != LitKind::kInt) return Fail(lit.offset, "expected an integer port");
    int64_t lo = 0, hi = 65535;
    switch (op) {
      case Tok::kLt: hi = lit.integer - 1; break;
      case Tok::kLe: hi = lit.integer; break;
      case Tok::kGt: lo = lit.integer + 1; break;
      default: lo = lit.integer; break;
    }
    if (lo < 0) lo = 0;
    if (hi > 65535) hi = 65535;
    if (lo > hi) return Fail(lit.offset, "port range is empty");
    Term t;
    t.type = IndicatorType::kPort;
    t.side = info.side;
    t.port_lo = static_cast<uint16_t>(lo);
    t.port_hi = static_cast<uint16_t>(hi);
    out->emplace_back().terms.push_back(std::move(t));
    return true;
  }

  std::string_view src_;
  PatternError* error_;
  size_t pos_ = 0;
  Token tok_;
};

}  // namespace

bool ParseStixPattern(std::string_view pattern, std::vector<Clause>* clauses, PatternError* error) {
  Parser parser(pattern, error);
  if (const std::optional<bool> single = parser.ParseSingleComparison(clauses)) {
    if (*single) return true;
    clauses->clear();
    return false;
  }
  return ParseStixPatternGeneral(pattern, clauses, error);
}

bool ParseStixPatternGeneral(std::string_view pattern, std::vector<Clause>* clauses, PatternError* error) {
  Parser parser(pattern, error);
  if (parser.Parse(clauses)) return true;
  clauses->clear();
  return false;
}

}  // namespace kagami::feeds
