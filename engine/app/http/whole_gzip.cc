#include "engine/app/http/whole_gzip.h"

#include <libdeflate.h>

#include <algorithm>
#include <memory>

#include "engine/app/http/content_decoder.h"

namespace kagami::app::http {
namespace {

// Bodies decoded whole are bounded by the body limit (100 KiB by default);
// with no limit the cap is the bomb cap, too large for a scratch buffer, and
// larger bodies go to the streaming decoder.
constexpr size_t kMaxScratch = size_t{4} << 20;

// One decompressor and output buffer per thread, grown to the largest cap
// seen and then reused: decoding allocates nothing in the steady state.
struct Scratch {
  libdeflate_decompressor* decompressor = nullptr;
  std::unique_ptr<uint8_t[]> out;
  size_t size = 0;
  ~Scratch() {
    if (decompressor) libdeflate_free_decompressor(decompressor);
  }
};

}  // namespace

bool DecodeWholeGzip(std::span<const uint8_t> encoded, uint64_t cap,
                     std::span<const uint8_t>* decoded) {
  if (encoded.size() < 2 || SniffFraming(encoded[0], encoded[1]) != Framing::kGzip) return false;
  thread_local Scratch scratch;
  if (!scratch.decompressor) {
    scratch.decompressor = libdeflate_alloc_decompressor();
    if (!scratch.decompressor) return false;
  }
  const size_t room = static_cast<size_t>(std::min<uint64_t>(cap, kMaxScratch));
  if (scratch.size < room) {
    scratch.out.reset(new uint8_t[room]);  // not zeroed: only decoded bytes are read
    scratch.size = room;
  }
  size_t used_in = 0, produced = 0;
  // Past `room` libdeflate says INSUFFICIENT_SPACE, which is no proof the
  // body is too large: it reads missing input as zero bits, so a cut stream
  // can run on. Only success counts.
  if (libdeflate_gzip_decompress_ex(scratch.decompressor, encoded.data(), encoded.size(),
                                    scratch.out.get(), room, &used_in, &produced) !=
      LIBDEFLATE_SUCCESS) {
    return false;
  }
  *decoded = std::span<const uint8_t>(scratch.out.get(), produced);
  return true;
}

}  // namespace kagami::app::http
