#include "fetch/gunzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "absl/strings/str_cat.h"

namespace kagami::fetch {
namespace {

struct InflateEnd {
  void operator()(z_stream* z) const { inflateEnd(z); }
};

}  // namespace

absl::StatusOr<std::string> Gunzip(std::string_view gz, size_t max_bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: a gzip wrapper, whose CRC-32 and length zlib checks.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return absl::ResourceExhaustedError("gzip: cannot start zlib");
  std::unique_ptr<z_stream, InflateEnd> guard(&zs);

  const auto* begin = reinterpret_cast<const Bytef*>(gz.data());
  const auto* end = begin + gz.size();
  auto offset = [&] { return static_cast<size_t>(zs.next_in - begin); };
  zs.next_in = const_cast<Bytef*>(begin);
  zs.avail_in = 0;

  std::string out;
  out.reserve(std::min(max_bytes, gz.size() * 4));
  unsigned char buf[64 * 1024];
  for (;;) {
    // zlib counts input in uInt; a larger buffer is fed in parts.
    if (zs.avail_in == 0) zs.avail_in = static_cast<uInt>(std::min<size_t>(end - zs.next_in, UINT_MAX));
    zs.next_out = buf;
    zs.avail_out = sizeof buf;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof buf - zs.avail_out;
    if (produced > max_bytes - out.size()) {
      return absl::ResourceExhaustedError(absl::StrCat("gzip: more than ", max_bytes, " bytes once decompressed"));
    }
    out.append(reinterpret_cast<const char*>(buf), produced);
    if (rc == Z_STREAM_END) {
      const std::string_view rest(reinterpret_cast<const char*>(zs.next_in), end - zs.next_in);
      if (!LooksGzipped(rest)) return out;
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.next_in == end) {
      return absl::InvalidArgumentError(absl::StrCat("gzip: truncated at byte ", gz.size()));
    }
    if (rc == Z_BUF_ERROR) continue;  // no progress possible in this call only
    if (rc == Z_MEM_ERROR) return absl::ResourceExhaustedError("gzip: zlib is out of memory");
    return absl::InvalidArgumentError(
        absl::StrCat("gzip: byte ", offset(), ": ", zs.msg ? zs.msg : "corrupt data"));
  }
}

}  // namespace kagami::fetch
