#pragma once
// TarBuilder: tar archives made in the tests, byte for byte, including the
// forms ReadTarGz must read (ustar prefixes, GNU long names, pax headers,
// base-256 sizes) and the damage it must report.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace kagami::fetch::testing {

class TarBuilder {
 public:
  enum class Magic { kPosix, kGnu, kNone };

  // One header block (and the data with its padding).
  TarBuilder& Entry(std::string_view name, std::string_view data, char type = '0', Magic magic = Magic::kPosix,
                    std::string_view prefix = "") {
    std::string h(512, '\0');
    std::memcpy(&h[0], name.data(), std::min<size_t>(name.size(), 100));
    Octal(h, 100, 8, 0644);
    Octal(h, 108, 8, 1000);
    Octal(h, 116, 8, 1000);
    Octal(h, 124, 12, data.size());
    Octal(h, 136, 12, 1700000000);
    h[156] = type;
    if (magic == Magic::kPosix) std::memcpy(&h[257], "ustar\0" "00", 8);
    if (magic == Magic::kGnu) std::memcpy(&h[257], "ustar  \0", 8);
    std::memcpy(&h[345], prefix.data(), std::min<size_t>(prefix.size(), 155));
    Seal(h);
    last_at_ = out_.size();
    out_ += h;
    out_ += data;
    out_.append((512 - data.size() % 512) % 512, '\0');
    return *this;
  }
  TarBuilder& File(std::string_view name, std::string_view data) { return Entry(name, data); }
  // A GNU 'L' entry carrying `name`, then the file under a cut name.
  TarBuilder& GnuLongFile(std::string_view name, std::string_view data) {
    std::string with_nul(name);
    with_nul.push_back('\0');
    Entry("././@LongLink", with_nul, 'L', Magic::kGnu);
    return Entry(name.substr(0, 100), data, '0', Magic::kGnu);
  }
  // A pax 'x' entry with a path record, then the file under a cut name.
  TarBuilder& PaxFile(std::string_view path, std::string_view data) {
    Entry("PaxHeaders/x", PaxRecord("path", path), 'x');
    return Entry("cut-name", data);
  }
  // The file with its size in GNU's base-256 form.
  TarBuilder& Base256File(std::string_view name, std::string_view data) {
    Entry(name, data, '0', Magic::kGnu);
    std::string& h = last_header();
    std::memset(&h[124], 0, 12);
    h[124] = static_cast<char>(0x80);
    uint64_t n = data.size();
    for (int i = 11; i >= 4; --i, n >>= 8) h[124 + i] = static_cast<char>(n & 0xff);
    Seal(h);
    out_.replace(last_at_, 512, h);
    return *this;
  }

  // The archive so far, with the two zero blocks that end it unless not.
  std::string Finish(bool end_marker = true) const {
    return end_marker ? out_ + std::string(1024, '\0') : out_;
  }
  size_t size() const { return out_.size(); }

  static std::string PaxRecord(std::string_view key, std::string_view value) {
    // LEN counts itself: find the length whose digits make it true.
    const size_t rest = key.size() + value.size() + 3;  // ' ', '=', '\n'
    size_t len = rest + 1;
    while (std::to_string(len).size() + rest != len) ++len;
    return std::to_string(len) + " " + std::string(key) + "=" + std::string(value) + "\n";
  }

 private:
  static void Octal(std::string& h, size_t at, size_t len, uint64_t v) {
    std::snprintf(&h[at], len, "%0*llo", static_cast<int>(len - 1), static_cast<unsigned long long>(v));
  }
  static void Seal(std::string& h) {
    std::memset(&h[148], ' ', 8);
    unsigned sum = 0;
    for (const char c : h) sum += static_cast<unsigned char>(c);
    char field[8];
    std::snprintf(field, sizeof field, "%06o", sum);
    std::memcpy(&h[148], field, 7);  // six digits, NUL, and the space left
  }
  std::string& last_header() {
    scratch_ = out_.substr(last_at_, 512);
    return scratch_;
  }

  std::string out_;
  size_t last_at_ = 0;
  std::string scratch_;
};

}  // namespace kagami::fetch::testing
