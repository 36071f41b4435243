#pragma once
// A small strict JSON checker for the output tests (RFC 8259: one value,
// no trailing garbage, strings with valid escapes, no raw control bytes and
// only well-formed UTF-8). It also decodes strings to bytes so tests can
// check that escaping round-trips: \u00XX below 0x100 decodes to byte XX.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kagami::output::testing {

class JsonCheck {
 public:
  // True when `text` is exactly one valid JSON value (surrounding spaces ok).
  static bool IsValid(std::string_view text, std::string* error = nullptr) {
    JsonCheck c(text);
    c.SkipSpace();
    bool ok = c.Value(0);
    c.SkipSpace();
    if (ok && c.pos_ != text.size()) {
      ok = false;
      c.error_ = "trailing bytes";
    }
    if (!ok && error != nullptr) *error = c.error_ + " at byte " + std::to_string(c.pos_);
    return ok;
  }

  // Decodes one JSON string literal (with quotes) to bytes; nullopt if it is
  // not exactly one valid string.
  static std::optional<std::string> DecodeString(std::string_view text) {
    JsonCheck c(text);
    std::string out;
    if (!c.String(&out) || c.pos_ != text.size()) return std::nullopt;
    return out;
  }

 private:
  explicit JsonCheck(std::string_view t) : t_(t) {}

  bool Fail(const char* why) {
    error_ = why;
    return false;
  }
  int Peek() const { return pos_ < t_.size() ? static_cast<uint8_t>(t_[pos_]) : -1; }
  void SkipSpace() {
    while (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r') ++pos_;
  }
  bool Literal(std::string_view word) {
    if (t_.substr(pos_, word.size()) != word) return Fail("bad literal");
    pos_ += word.size();
    return true;
  }

  bool Value(int depth) {
    if (depth > 64) return Fail("too deep");
    switch (Peek()) {
      case '{': return Object(depth);
      case '[': return Array(depth);
      case '"': return String(nullptr);
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: return Number();
    }
  }

  bool Object(int depth) {
    ++pos_;
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (Peek() != '"') return Fail("expected key");
      if (!String(nullptr)) return false;
      SkipSpace();
      if (Peek() != ':') return Fail("expected ':'");
      ++pos_;
      SkipSpace();
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  bool Array(int depth) {
    ++pos_;
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool Digits() {
    if (Peek() < '0' || Peek() > '9') return Fail("expected digit");
    while (Peek() >= '0' && Peek() <= '9') ++pos_;
    return true;
  }

  bool Number() {
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    if (Peek() == '.') {
      ++pos_;
      if (!Digits()) return false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!Digits()) return false;
    }
    return true;
  }

  static int HexValue(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool String(std::string* out) {
    if (Peek() != '"') return Fail("expected string");
    ++pos_;
    for (;;) {
      const int c = Peek();
      if (c < 0) return Fail("unterminated string");
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("raw control byte in string");
      if (c == '\\') {
        ++pos_;
        const int e = Peek();
        ++pos_;
        char simple = 0;
        switch (e) {
          case '"': simple = '"'; break;
          case '\\': simple = '\\'; break;
          case '/': simple = '/'; break;
          case 'b': simple = '\b'; break;
          case 'f': simple = '\f'; break;
          case 'n': simple = '\n'; break;
          case 'r': simple = '\r'; break;
          case 't': simple = '\t'; break;
          case 'u': {
            int v = 0;
            for (int i = 0; i < 4; ++i) {
              const int h = HexValue(Peek());
              if (h < 0) return Fail("bad \\u escape");
              v = v * 16 + h;
              ++pos_;
            }
            if (v >= 0xD800 && v <= 0xDFFF) return Fail("surrogate escape");
            if (out != nullptr) {
              if (v >= 0x100) return Fail("test decoder only takes \\u00XX");
              out->push_back(static_cast<char>(v));
            }
            continue;
          }
          default:
            return Fail("bad escape");
        }
        if (out != nullptr) out->push_back(simple);
        continue;
      }
      const size_t n = Utf8Length(c);
      if (n == 0) return Fail("invalid UTF-8");
      if (out != nullptr) out->append(t_.substr(pos_, n));
      pos_ += n;
    }
  }

  // Length of the well-formed UTF-8 sequence at pos_, 0 if there is none.
  size_t Utf8Length(int b0) const {
    if (b0 < 0x80) return 1;
    auto byte = [&](size_t k) -> int {
      return pos_ + k < t_.size() ? static_cast<uint8_t>(t_[pos_ + k]) : -1;
    };
    auto in = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
    if (in(b0, 0xC2, 0xDF)) return in(byte(1), 0x80, 0xBF) ? 2 : 0;
    if (b0 == 0xE0) return in(byte(1), 0xA0, 0xBF) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
    if (b0 == 0xED) return in(byte(1), 0x80, 0x9F) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
    if (in(b0, 0xE1, 0xEF)) return in(byte(1), 0x80, 0xBF) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
    if (b0 == 0xF0) {
      return in(byte(1), 0x90, 0xBF) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4
                                                                                            : 0;
    }
    if (in(b0, 0xF1, 0xF3)) {
      return in(byte(1), 0x80, 0xBF) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4
                                                                                            : 0;
    }
    if (b0 == 0xF4) {
      return in(byte(1), 0x80, 0x8F) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4
                                                                                            : 0;
    }
    return 0;
  }

  std::string_view t_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace kagami::output::testing
