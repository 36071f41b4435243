#include "fetch/tar_gz.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "fetch/gunzip.h"
#include "fetch/text.h"

namespace kagami::fetch {
namespace {

constexpr size_t kBlock = 512;

// Header fields: offset and length (POSIX.1-1988 ustar).
struct Field {
  size_t at, len;
};
constexpr Field kName{0, 100}, kSize{124, 12}, kChecksum{148, 8}, kType{156, 1}, kMagic{257, 6},
    kPrefix{345, 155};

std::string_view Get(std::string_view header, Field f) { return header.substr(f.at, f.len); }

// A NUL-terminated text field.
std::string_view Text(std::string_view header, Field f) {
  std::string_view s = Get(header, f);
  return s.substr(0, s.find('\0'));
}

// A numeric field: octal digits between optional leading spaces and a NUL
// or space terminator, or GNU tar's base-256 (first byte 0x80) for values
// that do not fit in octal.
std::optional<uint64_t> Number(std::string_view field) {
  const auto first = static_cast<unsigned char>(field[0]);
  if (first & 0x80) {
    if (first != 0x80) return std::nullopt;  // 0xff: negative, never a size
    uint64_t v = 0;
    for (size_t i = 1; i < field.size(); ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | static_cast<unsigned char>(field[i]);
    }
    return v;
  }
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  uint64_t v = 0;
  bool digits = false;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 61) return std::nullopt;
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
    digits = true;
  }
  // Only terminators may follow the digits.
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') return std::nullopt;
  }
  if (!digits && field.find_first_not_of(std::string_view("\0 ", 2)) != std::string_view::npos) return std::nullopt;
  return v;
}

// The header's checksum: the sum of its bytes with the checksum field read
// as spaces. Some old tars summed signed chars, so both sums are accepted.
bool ChecksumMatches(std::string_view header) {
  const std::optional<uint64_t> stored = Number(Get(header, kChecksum));
  if (!stored) return false;
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= kChecksum.at && i < kChecksum.at + kChecksum.len;
    const char c = in_field ? ' ' : header[i];
    unsigned_sum += static_cast<unsigned char>(c);
    signed_sum += static_cast<signed char>(c);
  }
  return *stored == unsigned_sum || static_cast<int64_t>(*stored) == signed_sum;
}

bool AllZero(std::string_view block) { return block.find_first_not_of('\0') == std::string_view::npos; }

struct Pax {
  std::optional<std::string> path;
  std::optional<uint64_t> size;
};

// Pax extended header records: "LEN key=value\n", LEN counting the whole
// record. Returns the offset in `data` of a malformed record, if any.
std::optional<size_t> ParsePax(std::string_view data, Pax* pax) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (data[pos] == '\0') break;  // padding some writers leave
    const size_t space = data.find(' ', pos);
    uint64_t len = 0;
    if (space == std::string_view::npos || !absl::SimpleAtoi(AsAbsl(data.substr(pos, space - pos)), &len) ||
        len <= space - pos + 1 || len > data.size() - pos) {
      return pos;
    }
    const std::string_view record = data.substr(space + 1, pos + len - space - 1);
    const size_t eq = record.find('=');
    if (record.empty() || record.back() != '\n' || eq == std::string_view::npos) return pos;
    const std::string_view key = record.substr(0, eq);
    const std::string_view value = record.substr(eq + 1, record.size() - eq - 2);
    if (key == "path") {
      pax->path = std::string(value);
    } else if (key == "size") {
      uint64_t size = 0;
      if (!absl::SimpleAtoi(AsAbsl(value), &size)) return pos;
      pax->size = size;
    }
    pos += len;
  }
  return std::nullopt;
}

// The path a caller may use: a leading "./" dropped; nullopt when it is
// absolute, climbs with "..", or holds a NUL.
std::optional<std::string> SafePath(std::string_view path) {
  while (path.substr(0, 2) == "./") path.remove_prefix(2);
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) return std::nullopt;
  for (size_t begin = 0; begin <= path.size();) {
    const size_t slash = std::min(path.find('/', begin), path.size());
    if (path.substr(begin, slash - begin) == "..") return std::nullopt;
    begin = slash + 1;
  }
  return std::string(path);
}

// Prints a path from the archive for a message: quoted, bytes that are not
// printable as \xNN.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  if (s.size() > 200) out += "...";
  return out + "\"";
}

absl::Status HeaderError(size_t offset, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("tar: header at offset ", offset, ": ", AsAbsl(what)));
}

absl::StatusOr<std::vector<TarEntry>> ReadTar(std::string_view tar) {
  std::vector<TarEntry> entries;
  if (tar.empty()) return absl::InvalidArgumentError("tar: empty archive");
  // Names and sizes a GNU 'L' or pax 'x' entry gives the entry after it.
  std::optional<std::string> long_name;
  Pax pax;
  size_t off = 0;
  while (off < tar.size()) {
    if (tar.size() - off < kBlock) {
      return HeaderError(off, absl::StrCat("truncated (", tar.size() - off, " of 512 bytes)"));
    }
    const std::string_view header = tar.substr(off, kBlock);
    if (AllZero(header)) break;  // the end-of-archive marker
    if (!ChecksumMatches(header)) return HeaderError(off, "bad checksum");
    std::optional<uint64_t> size = Number(Get(header, kSize));
    if (!size) return HeaderError(off, "bad size field");
    if (pax.size) size = pax.size;

    std::string name;
    if (pax.path) {
      name = *pax.path;
    } else if (long_name) {
      name = *long_name;
    } else {
      // POSIX ustar splits long names into prefix "/" name; GNU tar's
      // "ustar  " header keeps other data where the prefix would be.
      const std::string_view prefix = Text(header, kPrefix);
      if (Get(header, kMagic) == std::string_view("ustar\0", 6) && !prefix.empty()) {
        name = absl::StrCat(AsAbsl(prefix), "/", AsAbsl(Text(header, kName)));
      } else {
        name = std::string(Text(header, kName));
      }
    }

    const size_t data_off = off + kBlock;
    const size_t left = tar.size() - data_off;
    if (*size > left) {
      return HeaderError(off, absl::StrCat("entry ", Quoted(name), " of ", *size,
                                           " bytes runs past the end of the archive (", left, " bytes left)"));
    }
    const std::string_view data = tar.substr(data_off, *size);
    // The last entry's padding may be missing, as when a writer stopped
    // after the data; nothing is lost.
    const size_t padded = (*size + kBlock - 1) / kBlock * kBlock;
    off = padded > left ? tar.size() : data_off + padded;

    const char type = Get(header, kType)[0];
    switch (type) {
      case 'L':  // GNU long name of the next entry
        long_name = std::string(data.substr(0, data.find('\0')));
        continue;
      case 'x':  // pax header of the next entry
        if (const std::optional<size_t> bad = ParsePax(data, &pax)) {
          return HeaderError(data_off - kBlock, absl::StrCat("bad pax record at offset ", data_off + *bad));
        }
        continue;
      case 'K':  // GNU long link name, a link's target: not needed
      case 'g':  // pax global header: nothing in it is used
        continue;
      default:
        break;
    }
    long_name.reset();
    pax = Pax{};
    // '0', NUL (old tars) and '7' (contiguous file) hold regular files; an
    // old tar marks a directory by the trailing slash alone.
    const bool regular = (type == '0' || type == '\0' || type == '7') && !name.empty() && name.back() != '/';
    if (!regular) continue;
    std::optional<std::string> path = SafePath(name);
    if (!path) return HeaderError(data_off - kBlock, absl::StrCat("unsafe path ", Quoted(name)));
    entries.push_back(TarEntry{std::move(*path), std::string(data)});
  }
  return entries;
}

}  // namespace

absl::StatusOr<std::vector<TarEntry>> ReadTarGz(std::string_view archive, size_t max_bytes) {
  if (!LooksGzipped(archive)) {
    if (archive.size() > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("tar: archive of ", archive.size(), " bytes is over the limit of ", max_bytes));
    }
    return ReadTar(archive);
  }
  absl::StatusOr<std::string> tar = Gunzip(archive, max_bytes);
  if (!tar.ok()) return tar.status();
  return ReadTar(*tar);
}

}  // namespace kagami::fetch
