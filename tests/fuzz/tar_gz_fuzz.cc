// libFuzzer target for ReadTarGz (fetch/tar_gz.h), the reader of rule
// tarballs downloaded by `kagami rules update`.
//
// Input: one flags byte, two bytes of cap (in units of 64 bytes), then the
// archive. Whatever the archive, a result must keep the contract: paths
// relative and without "..", contents within the cap, errors prefixed with
// "tar: " or "gzip: ". With the flags' low bit set, an archive that is not
// gzip already is also gzipped here and read again: decompression must not
// change the result (the same entries, or the same error, since tar errors
// name offsets in the decompressed tar).

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fetch/gunzip.h"
#include "fetch/tar_gz.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string GzipFast(std::string_view in) {
  z_stream zs{};
  // 31: a gzip wrapper; level 1, since only the wrapping matters here.
  Check(deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  Check(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void CheckContract(const absl::StatusOr<std::vector<kagami::fetch::TarEntry>>& result, size_t cap) {
  if (!result.ok()) {
    const std::string_view m(result.status().message().data(), result.status().message().size());
    Check(m.substr(0, 5) == "tar: " || m.substr(0, 6) == "gzip: ");
    return;
  }
  size_t total = 0;
  for (const kagami::fetch::TarEntry& e : *result) {
    const std::string& p = e.path;
    Check(!p.empty() && p.front() != '/' && p.find('\0') == std::string::npos);
    Check(p != ".." && p.rfind("../", 0) != 0 && p.find("/../") == std::string::npos &&
          (p.size() < 3 || p.compare(p.size() - 3, 3, "/..") != 0));
    total += e.contents.size();
  }
  Check(total <= cap);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const bool also_gzipped = data[0] & 1;
  const size_t cap = (data[1] | (size_t{data[2]} << 8)) * 64;
  const std::string_view archive(reinterpret_cast<const char*>(data + 3), size - 3);

  const auto plain = kagami::fetch::ReadTarGz(archive, cap);
  CheckContract(plain, cap);
  if (!also_gzipped || kagami::fetch::LooksGzipped(archive)) return 0;

  const auto wrapped = kagami::fetch::ReadTarGz(GzipFast(archive), cap);
  CheckContract(wrapped, cap);
  Check(plain.ok() == wrapped.ok());
  if (plain.ok()) {
    Check(plain->size() == wrapped->size());
    for (size_t i = 0; i < plain->size(); ++i) {
      Check((*plain)[i].path == (*wrapped)[i].path && (*plain)[i].contents == (*wrapped)[i].contents);
    }
  } else {
    // Over the cap, the plain and the gzip paths word it differently.
    Check(plain.status().code() == wrapped.status().code());
    if (plain.status().code() != absl::StatusCode::kResourceExhausted) Check(plain.status() == wrapped.status());
  }
  return 0;
}
