// byte_test, byte_jump, byte_extract, isdataat, bsize and urilen.

#include <algorithm>

#include "absl/strings/ascii.h"
#include "rules/text_util.h"
#include "rules/rule_parser.h"

namespace kagami::rules {
namespace {

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !(absl::ascii_isalpha(s[0]) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; });
}

// Splits "multiplier 4" into key and value.
std::pair<std::string, std::string_view> KeyValue(std::string_view t) {
  size_t sp = 0;
  while (sp < t.size() && !IsSpace(t[sp])) ++sp;
  return {Lower(t.substr(0, sp)), Trim(t.substr(sp))};
}

constexpr uint32_t kMaxBinaryBytes = 8;
constexpr uint32_t kMaxStringBytes = 10;

}  // namespace

bool RuleParser::HasVar(std::string_view name) const {
  return std::find(byte_vars_.begin(), byte_vars_.end(), name) != byte_vars_.end();
}

bool RuleParser::ParseIntOrVar(std::string_view v, size_t offset, bool allow_negative, IntOrVar* out) {
  v = Trim(v);
  int64_t n = 0;
  if (ParseInt64(v, &n)) {
    if (n < 0 && !allow_negative) return Fail(offset, Cat("'", v, "' must not be negative"));
    *out = IntOrVar{n, {}};
    return true;
  }
  if (IsIdentifier(v)) {
    if (!HasVar(v)) return Fail(offset, Cat("unknown variable '", v, "' (define it with an earlier byte_extract)"));
    *out = IntOrVar{0, std::string(v)};
    return true;
  }
  return Fail(offset, Cat("invalid number '", v, "'"));
}

// Parses the shared "big|little|dce|string|hex|dec|oct|bitmask N" words;
// returns false for a word it does not know (the caller reports it).
namespace {
struct CommonByteArgs {
  Endian endian = Endian::kBig;
  bool endian_set = false;
  bool string = false;
  NumberBase base = NumberBase::kBinary;
  bool base_set = false;
  std::optional<uint64_t> bitmask;
};

enum class WordResult { kOk, kUnknown, kBad };

WordResult CommonWord(const std::string& key, std::string_view val, CommonByteArgs* a, std::string* err) {
  if (key == "big" || key == "little" || key == "dce") {
    if (a->endian_set) {
      *err = "only one of big, little and dce may be given";
      return WordResult::kBad;
    }
    a->endian = key == "big" ? Endian::kBig : key == "little" ? Endian::kLittle : Endian::kDce;
    a->endian_set = true;
  } else if (key == "string") {
    a->string = true;
    if (!val.empty()) {  // "string hex" written without a comma
      std::string b = Lower(val);
      if (b != "hex" && b != "dec" && b != "oct") {
        *err = Cat("unknown number base '", val, "'");
        return WordResult::kBad;
      }
      a->base = b == "hex" ? NumberBase::kHex : b == "dec" ? NumberBase::kDec : NumberBase::kOct;
      a->base_set = true;
    }
  } else if (key == "hex" || key == "dec" || key == "oct") {
    if (a->base_set) {
      *err = "only one of hex, dec and oct may be given";
      return WordResult::kBad;
    }
    a->base = key == "hex" ? NumberBase::kHex : key == "dec" ? NumberBase::kDec : NumberBase::kOct;
    a->base_set = true;
  } else if (key == "bitmask") {
    uint64_t m = 0;
    if (!ParseUint64(val, &m) || m == 0) {
      *err = Cat("invalid bitmask '", val, "'");
      return WordResult::kBad;
    }
    a->bitmask = m;
  } else {
    return WordResult::kUnknown;
  }
  if (!val.empty() && key != "bitmask" && key != "string") {
    *err = Cat("'", key, "' takes no value");
    return WordResult::kBad;
  }
  return WordResult::kOk;
}
}  // namespace

// byte_jump alone accepts 0 bytes: it then moves the cursor by its offsets only.
#define KAGAMI_COMMON_FINISH(kw, nbytes_tok, nbytes_val, args, min_bytes)                              \
  do {                                                                                                 \
    if ((args).base_set && !(args).string) return Fail(o.value.offset, kw ": hex/dec/oct need 'string'"); \
    if ((args).string && !(args).base_set) (args).base = NumberBase::kDec;                             \
    uint32_t max_bytes = (args).string ? kMaxStringBytes : kMaxBinaryBytes;                            \
    if (static_cast<int64_t>(nbytes_val) < (min_bytes) || (nbytes_val) > max_bytes)                                    \
      return Fail((nbytes_tok).offset, Cat(kw ": number of bytes must be ", (min_bytes), "-", max_bytes, \
                                                    (args).string ? " with 'string'" : " (binary)"));  \
  } while (0)

bool RuleParser::OptByteTest(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::vector<Token> args = SplitArgs(o.value.text, o.value.offset);
  if (args.size() < 4) return Fail(o.value.offset, "byte_test needs: bytes, [!]operator, value, offset[, options]");
  ByteTestOption b;
  uint64_t n = 0;
  if (ParseUint64(args[0].text, &n) && n <= 64) {
    b.nbytes = static_cast<uint32_t>(n);
  } else {
    // As for byte_jump, Suricata takes a byte_extract variable for the count.
    IntOrVar count;
    if (!ParseIntOrVar(args[0].text, args[0].offset, false, &count) || !count.is_var()) {
      return Fail(args[0].offset, Cat("byte_test: invalid number of bytes '", args[0].text, "'"));
    }
    b.nbytes_var = count.var;
  }
  std::string_view op = args[1].text;
  if (op.starts_with("!")) {
    b.op_negated = true;
    op = Trim(op.substr(1));
    if (op.empty()) op = "=";  // "!" alone means "not equal"
  }
  if (op != "<" && op != ">" && op != "=" && op != "<=" && op != ">=" && op != "&" && op != "^") {
    return Fail(args[1].offset, Cat("byte_test: unknown operator '", args[1].text, "' (expected <, >, =, <=, >=, &, ^, optionally with !)"));
  }
  b.op = std::string(op);
  if (!ParseIntOrVar(args[2].text, args[2].offset, false, &b.value)) return false;
  if (!ParseIntOrVar(args[3].text, args[3].offset, true, &b.offset)) return false;
  CommonByteArgs common;
  for (size_t i = 4; i < args.size(); ++i) {
    auto [key, val] = KeyValue(args[i].text);
    std::string err;
    if (key == "relative" && val.empty()) {
      b.relative = true;
      continue;
    }
    WordResult r = CommonWord(key, val, &common, &err);
    if (r == WordResult::kBad) return Fail(args[i].offset, Cat("byte_test: ", err));
    if (r == WordResult::kUnknown) return Fail(args[i].offset, Cat("byte_test: unknown option '", args[i].text, "'"));
  }
  KAGAMI_COMMON_FINISH("byte_test", args[0], b.nbytes, common, b.nbytes_var.empty() ? 1 : 0);
  b.endian = common.endian;
  b.base = common.base;
  b.bitmask = common.bitmask;
  AddStep(std::move(b), o.keyword.offset, StepBuffer({}));
  return true;
}

bool RuleParser::OptByteJump(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::vector<Token> args = SplitArgs(o.value.text, o.value.offset);
  if (args.size() < 2) return Fail(o.value.offset, "byte_jump needs: bytes, offset[, options]");
  ByteJumpOption b;
  uint64_t n = 0;
  if (ParseUint64(args[0].text, &n) && n <= 64) {
    b.nbytes = static_cast<uint32_t>(n);
  } else {
    // Suricata also takes a byte_extract variable for the count.
    IntOrVar count;
    if (!ParseIntOrVar(args[0].text, args[0].offset, false, &count) || !count.is_var()) {
      return Fail(args[0].offset, Cat("byte_jump: invalid number of bytes '", args[0].text, "'"));
    }
    b.nbytes_var = count.var;
  }
  if (!ParseIntOrVar(args[1].text, args[1].offset, true, &b.offset)) return false;
  CommonByteArgs common;
  for (size_t i = 2; i < args.size(); ++i) {
    auto [key, val] = KeyValue(args[i].text);
    std::string err;
    if (val.empty() && (key == "relative" || key == "align" || key == "from_beginning" || key == "from_end")) {
      bool& f = key == "relative" ? b.relative : key == "align" ? b.align : key == "from_beginning" ? b.from_beginning : b.from_end;
      f = true;
      continue;
    }
    if (key == "multiplier") {
      uint64_t m = 0;
      if (!ParseUint64(val, &m) || m == 0 || m > 65535) return Fail(args[i].offset, Cat("byte_jump: invalid multiplier '", val, "'"));
      b.multiplier = static_cast<uint32_t>(m);
      continue;
    }
    if (key == "post_offset") {
      int64_t p = 0;
      if (!ParseInt64(val, &p) || p > 0xffff || p < -0xffff) return Fail(args[i].offset, Cat("byte_jump: invalid post_offset '", val, "'"));
      b.post_offset = p;
      continue;
    }
    WordResult r = CommonWord(key, val, &common, &err);
    if (r == WordResult::kBad) return Fail(args[i].offset, Cat("byte_jump: ", err));
    if (r == WordResult::kUnknown) return Fail(args[i].offset, Cat("byte_jump: unknown option '", args[i].text, "'"));
  }
  if (b.from_beginning && b.from_end) return Fail(o.value.offset, "byte_jump: from_beginning and from_end exclude each other");
  KAGAMI_COMMON_FINISH("byte_jump", args[0], b.nbytes, common, 0);
  b.endian = common.endian;
  b.base = common.base;
  b.bitmask = common.bitmask;
  AddStep(std::move(b), o.keyword.offset, StepBuffer({}));
  return true;
}

bool RuleParser::OptByteExtract(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::vector<Token> args = SplitArgs(o.value.text, o.value.offset);
  if (args.size() < 3) return Fail(o.value.offset, "byte_extract needs: bytes, offset, name[, options]");
  ByteExtractOption b;
  uint64_t n = 0;
  if (!ParseUint64(args[0].text, &n) || n > 64) return Fail(args[0].offset, Cat("byte_extract: invalid number of bytes '", args[0].text, "'"));
  b.nbytes = static_cast<uint32_t>(n);
  if (!ParseInt64(args[1].text, &b.offset) || b.offset > 0xffff || b.offset < -0xffff) {
    return Fail(args[1].offset, Cat("byte_extract: invalid offset '", args[1].text, "'"));
  }
  if (!IsIdentifier(args[2].text)) return Fail(args[2].offset, Cat("byte_extract: invalid variable name '", args[2].text, "'"));
  b.name = std::string(args[2].text);
  CommonByteArgs common;
  for (size_t i = 3; i < args.size(); ++i) {
    auto [key, val] = KeyValue(args[i].text);
    std::string err;
    if (key == "relative" && val.empty()) {
      b.relative = true;
      continue;
    }
    if (key == "multiplier") {
      uint64_t m = 0;
      if (!ParseUint64(val, &m) || m == 0 || m > 65535) return Fail(args[i].offset, Cat("byte_extract: invalid multiplier '", val, "'"));
      b.multiplier = static_cast<uint32_t>(m);
      continue;
    }
    if (key == "align") {
      uint64_t a = 0;
      if (!ParseUint64(val, &a) || (a != 2 && a != 4)) return Fail(args[i].offset, "byte_extract: align must be 2 or 4");
      b.align = static_cast<uint32_t>(a);
      continue;
    }
    WordResult r = CommonWord(key, val, &common, &err);
    if (r == WordResult::kBad) return Fail(args[i].offset, Cat("byte_extract: ", err));
    if (r == WordResult::kUnknown) return Fail(args[i].offset, Cat("byte_extract: unknown option '", args[i].text, "'"));
  }
  KAGAMI_COMMON_FINISH("byte_extract", args[0], b.nbytes, common, 1);
  b.endian = common.endian;
  b.base = common.base;
  b.bitmask = common.bitmask;
  if (!HasVar(b.name)) byte_vars_.push_back(b.name);
  AddStep(std::move(b), o.keyword.offset, StepBuffer({}));
  return true;
}

#undef KAGAMI_COMMON_FINISH

bool RuleParser::OptIsdataat(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::vector<Token> args = SplitArgs(o.value.text, o.value.offset);
  IsDataAtOption d;
  std::string_view first = args[0].text;
  size_t first_at = args[0].offset;
  if (first.starts_with("!")) {
    d.negated = true;
    first = Trim(first.substr(1));
    ++first_at;
  }
  if (!ParseIntOrVar(first, first_at, false, &d.offset)) return false;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string w = Lower(args[i].text);
    if (w == "relative") {
      d.relative = true;
    } else if (w == "rawbytes") {
      d.rawbytes = true;
    } else {
      return Fail(args[i].offset, Cat("isdataat: unknown option '", args[i].text, "' (expected relative or rawbytes)"));
    }
  }
  AddStep(std::move(d), o.keyword.offset, StepBuffer({}));
  return true;
}

bool RuleParser::OptBsize(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  BsizeOption b;
  if (!ParseNumberCheck(o.value.text, o.value.offset, &b.check, true)) return false;
  AddStep(std::move(b), o.keyword.offset, StepBuffer({}));
  return true;
}

// urilen is bsize on the URI: "urilen:N[,norm|raw]" checks http.uri (or
// http.uri.raw).
bool RuleParser::OptUrilen(const RawOption& o, std::string_view) {
  if (!NeedValue(o)) return false;
  std::string_view v = o.value.text;
  std::string buffer = "http.uri";
  if (size_t comma = v.find(','); comma != std::string_view::npos) {
    std::string kind = Lower(Trim(v.substr(comma + 1)));
    if (kind == "raw") {
      buffer = "http.uri.raw";
    } else if (kind != "norm") {
      return Fail(o.value.offset + comma + 1, Cat("urilen: unknown option '", Trim(v.substr(comma + 1)), "' (expected norm or raw)"));
    }
    v = v.substr(0, comma);
  }
  BsizeOption b;
  if (!ParseNumberCheck(v, o.value.offset, &b.check, true)) return false;
  AddStep(std::move(b), o.keyword.offset, std::move(buffer));
  return true;
}

}  // namespace kagami::rules
