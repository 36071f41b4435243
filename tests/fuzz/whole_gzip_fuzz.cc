// Fuzzes DecodeWholeGzip differentially against ContentDecoder with one
// layer, the decoder a body's digest comes from otherwise. The first two
// bytes give the cap; the rest is a raw deflate stream, which the target
// wraps in a gzip member whose trailer (CRC-32, size) is computed over
// ContentDecoder's output, so that mutated streams still reach the decoding
// rather than a trailer mismatch. A member decoded whole must give exactly
// what ContentDecoder gives for it, without a failure and within the cap.
// (The one known way to differ, symbols RFC 1951 forbids with a trailer
// matching libdeflate's output, is not generated: see whole_gzip.h.)

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "engine/app/http/content_decoder.h"
#include "engine/app/http/whole_gzip.h"

namespace {

class Collect final : public kagami::app::http::ContentSink {
 public:
  explicit Collect(uint64_t cap) : cap_(cap) {}
  bool Write(const uint8_t* data, size_t len) override {
    if (len > cap_ - out.size()) {
      over = true;
      return false;
    }
    out.append(reinterpret_cast<const char*>(data), len);
    return true;
  }
  std::string out;
  bool over = false;

 private:
  uint64_t cap_;
};

struct Streamed {
  std::string out;
  bool clean = false;  // no failure, within the cap
};

Streamed Stream(const std::string& body, uint64_t cap) {
  kagami::app::http::ContentDecoder decoder;
  decoder.Reset(1);
  Collect sink(cap);
  const auto* p = reinterpret_cast<const uint8_t*>(body.data());
  if (decoder.Decode(p, body.size(), sink)) decoder.Finish(sink);
  Streamed s;
  s.clean = !decoder.TakeFailure() && !sink.over;
  s.out = std::move(sink.out);
  return s;
}

void PutLe32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint64_t cap = 1 + (data[0] | (uint64_t{data[1]} << 8)) * 4;
  static const char kHeader[10] = {0x1f, static_cast<char>(0x8b), 8, 0, 0, 0, 0, 0, 0, 3};
  std::string member(kHeader, sizeof kHeader);
  member.append(reinterpret_cast<const char*>(data + 2), size - 2);
  const Streamed first = Stream(member, cap);
  const auto crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(first.out.data()), static_cast<uInt>(first.out.size())));
  PutLe32(member, crc);
  PutLe32(member, static_cast<uint32_t>(first.out.size()));

  std::span<const uint8_t> whole;
  if (!kagami::app::http::DecodeWholeGzip(
          {reinterpret_cast<const uint8_t*>(member.data()), member.size()}, cap, &whole)) {
    return 0;
  }
  const Streamed streamed = Stream(member, cap);
  const std::string decoded(reinterpret_cast<const char*>(whole.data()), whole.size());
  if (!streamed.clean || streamed.out != decoded) __builtin_trap();
  return 0;
}
