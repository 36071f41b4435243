#pragma once
// MultiDigest: any of MD5, SHA-1 and SHA-256 of one byte stream, in one pass.
//
// Indicator feeds name files by all three hashes, so every HTTP body may need
// all three. Computed one after the other (libcrypto), each is a long chain of
// dependent instructions: MD5 waits on the scalar adder, SHA-1 and SHA-256 on
// the latency of the CPU's SHA instructions, and the three together ran at
// 340 MB/s here against 650 MB/s for MD5 alone. On a CPU with the SHA
// extensions this class compresses each 64-byte block for all the requested
// digests in one loop, their rounds interleaved, so the chains overlap in the
// out-of-order core. Elsewhere it falls back to libcrypto, one digest after
// the other. Both give the same digests (tests/common/multi_digest_test.cc).

#include <cstddef>
#include <cstdint>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace kagami {

class MultiDigest {
 public:
  // Which digests (bits; the same values as app::http::DigestKind).
  static constexpr uint8_t kMd5 = 1, kSha1 = 2, kSha256 = 4;

  enum class Engine { kAuto, kStitched, kLibcrypto };
  struct Result {
    uint8_t md5[16], sha1[20], sha256[32];
  };

  // kAuto picks kStitched where the CPU has the SHA extensions.
  explicit MultiDigest(Engine engine = Engine::kAuto);
  ~MultiDigest();
  MultiDigest(const MultiDigest&) = delete;
  MultiDigest& operator=(const MultiDigest&) = delete;

  static bool StitchedAvailable();
  Engine engine() const { return engine_; }

  // Starts a stream for the digests in `kinds`; false when libcrypto could
  // not set up a context (then Update and Finish do nothing).
  bool Start(uint8_t kinds);
  void Update(const uint8_t* data, size_t len);
  // Writes the digests of the kinds started; the others are left alone.
  void Finish(Result* out);

 private:
  void Blocks(const uint8_t* p, size_t blocks, uint8_t kinds);

  Engine engine_;
  uint8_t kinds_ = 0;
  bool ok_ = false;
  // Stitched engine: the chaining values, a partial block, the length.
  alignas(16) uint32_t md5_[4];
  alignas(16) uint32_t sha1_[8];    // ABCD as one vector, then E in lane 3
  alignas(16) uint32_t sha256_[8];  // ABEF, CDGH (the SHA instructions' layout)
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;
  // Libcrypto engine.
  EVP_MD_CTX* ctx_[3] = {nullptr, nullptr, nullptr};
};

}  // namespace kagami
