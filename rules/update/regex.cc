#include "rules/update/regex.h"

#include <algorithm>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace kagami::rules::update {

namespace {

// A management regex is run against every rule of a set (ET Open: 60,000
// lines); this bounds what one pathological pattern can cost per rule.
constexpr uint32_t kMatchLimit = 1'000'000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsOctal(char c) { return c >= '0' && c <= '7'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

struct Regex::Impl {
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  uint32_t groups = 0;
  ~Impl() {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

bool Regex::Compile(std::string_view pattern, bool caseless, std::string* error, size_t* error_offset) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                       caseless ? PCRE2_CASELESS : 0, &code, &offset, nullptr);
  if (compiled == nullptr) {
    PCRE2_UCHAR message[256];
    const int n = pcre2_get_error_message(code, message, sizeof(message));
    *error = n > 0 ? std::string(reinterpret_cast<const char*>(message), static_cast<size_t>(n)) : "bad regex";
    *error_offset = offset;
    return false;
  }
  // JIT is an optimisation only: without it (unsupported CPU, no
  // executable memory) the interpreter gives the same answers.
  (void)pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
  auto impl = std::make_shared<Impl>();
  impl->code = compiled;
  impl->context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(impl->context, kMatchLimit);
  pcre2_pattern_info(compiled, PCRE2_INFO_CAPTURECOUNT, &impl->groups);
  impl_ = std::move(impl);
  return true;
}

bool Regex::Search(std::string_view subject, bool* limit_hit) const {
  if (!impl_) return false;
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  const int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, data,
                             impl_->context);
  pcre2_match_data_free(data);
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
    if (limit_hit) *limit_hit = true;
  }
  return rc >= 0;
}

long Regex::ReplaceAll(std::string_view subject, const Replacement& with, std::string* out) const {
  out->clear();
  if (!impl_) {
    out->assign(subject);
    return 0;
  }
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  const auto* bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
  long replaced = 0;
  size_t copied = 0;  // subject[0, copied) is already in *out
  size_t pos = 0;
  bool after_empty = false;  // the last match was empty and ended at pos
  while (pos <= subject.size()) {
    // After an empty match the next one may not be empty at the same
    // place (else the loop would not advance): try a non-empty match
    // anchored there, and step one byte if there is none.
    const uint32_t flags = after_empty ? (PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED) : 0;
    const int rc = pcre2_match(impl_->code, bytes, subject.size(), pos, flags, data, impl_->context);
    if (rc == PCRE2_ERROR_NOMATCH) {
      if (!after_empty) break;
      after_empty = false;
      ++pos;
      continue;
    }
    if (rc < 0) {
      pcre2_match_data_free(data);
      return -1;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data);
    const size_t start = ov[0], end = ov[1];
    out->append(subject.substr(copied, start - copied));
    for (const Replacement::Piece& piece : with.pieces) {
      if (piece.group < 0) {
        out->append(piece.literal);
        continue;
      }
      const auto g = static_cast<uint32_t>(piece.group);
      if (g < static_cast<uint32_t>(rc) && ov[2 * g] != PCRE2_UNSET) {
        out->append(subject.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
      }
    }
    ++replaced;
    copied = end;
    pos = end;
    after_empty = start == end;
  }
  out->append(subject.substr(copied));
  pcre2_match_data_free(data);
  return replaced;
}

bool Regex::ParseReplacement(std::string_view text, Replacement* out, size_t* error_at, std::string* error) const {
  out->pieces.clear();
  const uint32_t groups = impl_ ? impl_->groups : 0;
  auto literal = [&](std::string_view s) {
    if (out->pieces.empty() || out->pieces.back().group >= 0) out->pieces.push_back({});
    out->pieces.back().literal.append(s);
  };
  auto group = [&](long n, size_t at) {
    if (n < 0 || static_cast<uint32_t>(n) > groups) {
      *error_at = at;
      *error = "invalid group reference " + std::to_string(n) + " (the pattern has " + std::to_string(groups) +
               (groups == 1 ? " group)" : " groups)");
      return false;
    }
    out->pieces.push_back({"", static_cast<int>(n)});
    return true;
  };
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '\\') {
      literal(std::string_view(&text[i], 1));
      ++i;
      continue;
    }
    const size_t at = i;
    if (i + 1 >= text.size()) {
      *error_at = at;
      *error = "bad escape (end of template)";
      return false;
    }
    const char e = text[i + 1];
    i += 2;
    if (e == 'g') {
      if (i >= text.size() || text[i] != '<') {
        *error_at = at;
        *error = "missing '<' after \\g";
        return false;
      }
      const size_t close = text.find('>', i + 1);
      if (close == std::string_view::npos) {
        *error_at = at;
        *error = "missing '>' in \\g<...>";
        return false;
      }
      const std::string_view name = text.substr(i + 1, close - i - 1);
      i = close + 1;
      if (name.empty()) {
        *error_at = at;
        *error = "missing group name in \\g<>";
        return false;
      }
      bool digits = true;
      for (char d : name) digits = digits && IsDigit(d);
      if (digits) {
        long n = 0;
        for (char d : name) n = std::min(n * 10 + (d - '0'), 100000L);
        if (!group(n, at)) return false;
        continue;
      }
      const std::string name_z(name);
      const int n = impl_ ? pcre2_substring_number_from_name(impl_->code, reinterpret_cast<PCRE2_SPTR>(name_z.c_str()))
                          : PCRE2_ERROR_NOSUBSTRING;
      if (n < 0) {
        *error_at = at;
        *error = "unknown group name '" + name_z + "'";
        return false;
      }
      out->pieces.push_back({"", n});
      continue;
    }
    if (e == '0') {
      // \0 and up to two more octal digits: a byte.
      int value = 0;
      for (int k = 0; k < 2 && i < text.size() && IsOctal(text[i]); ++k) value = value * 8 + (text[i++] - '0');
      const char b = static_cast<char>(value);
      literal(std::string_view(&b, 1));
      continue;
    }
    if (IsDigit(e)) {
      // Three octal digits are a byte; otherwise one or two digits name a group.
      if (i < text.size() && IsDigit(text[i])) {
        if (IsOctal(e) && IsOctal(text[i]) && i + 1 < text.size() && IsOctal(text[i + 1])) {
          const int value = (e - '0') * 64 + (text[i] - '0') * 8 + (text[i + 1] - '0');
          if (value > 0377) {
            *error_at = at;
            *error = "octal escape value outside of range 0-0o377";
            return false;
          }
          i += 2;
          const char b = static_cast<char>(value);
          literal(std::string_view(&b, 1));
          continue;
        }
        const long n = (e - '0') * 10 + (text[i] - '0');
        ++i;
        if (!group(n, at)) return false;
        continue;
      }
      if (!group(e - '0', at)) return false;
      continue;
    }
    char escaped = 0;
    switch (e) {
      case 'a': escaped = '\a'; break;
      case 'b': escaped = '\b'; break;
      case 'f': escaped = '\f'; break;
      case 'n': escaped = '\n'; break;
      case 'r': escaped = '\r'; break;
      case 't': escaped = '\t'; break;
      case 'v': escaped = '\v'; break;
      case '\\': escaped = '\\'; break;
      default: break;
    }
    if (escaped != 0) {
      literal(std::string_view(&escaped, 1));
      continue;
    }
    if (IsAsciiLetter(e)) {
      *error_at = at;
      *error = std::string("bad escape \\") + e;
      return false;
    }
    literal(text.substr(at, 2));  // e.g. "\." stays as written
  }
  return true;
}

}  // namespace kagami::rules::update
