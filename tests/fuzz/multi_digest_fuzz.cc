// Fuzzes MultiDigest differentially: the input's first byte picks the set of
// digests, then each piece is a length byte and up to that many bytes, fed
// to the stitched engine and to libcrypto; their digests must agree. (On a
// CPU without the SHA extensions both are libcrypto and this only runs it.)

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/multi_digest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kagami::MultiDigest;
  if (size == 0) return 0;
  const auto kinds = static_cast<uint8_t>(1 + data[0] % 7);
  MultiDigest stitched(MultiDigest::Engine::kStitched), reference(MultiDigest::Engine::kLibcrypto);
  if (!stitched.Start(kinds) || !reference.Start(kinds)) return 0;
  for (size_t i = 1; i < size;) {
    size_t len = data[i++];
    if (len > size - i) len = size - i;
    stitched.Update(data + i, len);
    reference.Update(data + i, len);
    i += len;
  }
  MultiDigest::Result a{}, b{};
  stitched.Finish(&a);
  reference.Finish(&b);
  if (std::memcmp(&a, &b, sizeof a) != 0) __builtin_trap();
  return 0;
}
