#include "common/multi_digest.h"

#include <cpuid.h>
#include <immintrin.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace kagami {
namespace {

// The block functions use the SHA extensions; they run only where
// StitchedAvailable() says the CPU has them.
#define KAGAMI_SHA_FN __attribute__((target("sha,sse4.1,ssse3"), always_inline)) inline

// ---- MD5 (RFC 1321) ----

constexpr uint32_t kMd5K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391};
constexpr int kMd5Shift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
constexpr uint32_t kMd5Init[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

struct Md5Work {
  uint32_t a, b, c, d;
  uint32_t x[16];  // the block as little-endian words
};

// Steps 16R+I..16R+I+3 (in round R) of one block.
template <int R, int I>
KAGAMI_SHA_FN void Md5Steps(Md5Work& w) {
#pragma GCC unroll 4
  for (int i = I; i < I + 4; ++i) {
    // The step waits on b, the previous step's result; everything that does
    // not need b is added first, so b's path is as short as it can be.
    uint32_t early, late;
    int k;
    if constexpr (R == 0) {
      early = 0;
      late = w.d ^ (w.b & (w.c ^ w.d));
      k = i;
    } else if constexpr (R == 1) {
      early = w.c & ~w.d;  // G = (b & d) | (c & ~d): disjoint bits, so a sum
      late = w.b & w.d;
      k = (5 * i + 1) & 15;
    } else if constexpr (R == 2) {
      early = 0;
      late = w.b ^ w.c ^ w.d;
      k = (3 * i + 5) & 15;
    } else {
      early = 0;
      late = w.c ^ (w.b | ~w.d);
      k = (7 * i) & 15;
    }
    const uint32_t sum = (w.a + w.x[k] + kMd5K[R * 16 + i] + early) + late;
    const int s = kMd5Shift[R][i & 3];
    const uint32_t next = w.b + ((sum << s) | (sum >> (32 - s)));
    w.a = w.d;
    w.d = w.c;
    w.c = w.b;
    w.b = next;
  }
}

// ---- SHA-1 and SHA-256 (FIPS 180-4) with the SHA extensions ----

constexpr uint32_t kSha1Init[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
constexpr uint32_t kSha256Init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
alignas(16) constexpr uint32_t kSha256K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

// SHA-1: message words with w[0] in the top lane, ABCD with A in the top lane,
// E in the top lane of its own vector (the layout SHA1RNDS4 works on).
struct Sha1Work {
  __m128i abcd, e;  // chaining value at the block's start
  __m128i state;    // ABCD as the rounds go
  __m128i prev;     // ABCD before the last four rounds: gives the next E
  __m128i w[4];     // the last sixteen message words
};

// Rounds 4G..4G+3.
template <int G>
KAGAMI_SHA_FN void Sha1Group(Sha1Work& s, const uint8_t* p) {
  __m128i m;
  if constexpr (G < 4) {
    const __m128i reverse = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    m = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * G)), reverse);
  } else {
    m = _mm_sha1msg2_epu32(
        _mm_xor_si128(_mm_sha1msg1_epu32(s.w[G & 3], s.w[(G + 1) & 3]), s.w[(G + 2) & 3]),
        s.w[(G + 3) & 3]);
  }
  s.w[G & 3] = m;
  const __m128i e = G == 0 ? _mm_add_epi32(s.e, m) : _mm_sha1nexte_epu32(s.prev, m);
  s.prev = s.state;
  s.state = _mm_sha1rnds4_epu32(s.state, e, G / 5);
}

// SHA-256: ABEF and CDGH vectors (A and C in the top lanes), message words
// with w[0] in the bottom lane (the layout SHA256RNDS2 works on).
struct Sha256Work {
  __m128i abef, cdgh;  // chaining value at the block's start
  __m128i s0, s1;      // ABEF, CDGH as the rounds go
  __m128i w[4];
};

// Rounds 4G..4G+3.
template <int G>
KAGAMI_SHA_FN void Sha256Group(Sha256Work& s, const uint8_t* p) {
  __m128i m;
  if constexpr (G < 4) {
    const __m128i swap32 = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    m = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * G)), swap32);
  } else {
    m = _mm_sha256msg2_epu32(
        _mm_add_epi32(_mm_sha256msg1_epu32(s.w[G & 3], s.w[(G + 1) & 3]),
                      _mm_alignr_epi8(s.w[(G + 3) & 3], s.w[(G + 2) & 3], 4)),
        s.w[(G + 3) & 3]);
  }
  s.w[G & 3] = m;
  const __m128i k =
      _mm_add_epi32(m, _mm_load_si128(reinterpret_cast<const __m128i*>(kSha256K + 4 * G)));
  s.s1 = _mm_sha256rnds2_epu32(s.s1, s.s0, k);  // s1 is now ABEF, s0 CDGH
  s.s0 = _mm_sha256rnds2_epu32(s.s0, s.s1, _mm_shuffle_epi32(k, 0x0e));
}

// A sixteenth of a block for each digest: MD5 steps 4J..4J+3, SHA-256
// rounds 4J..4J+3 and SHA-1 rounds 5J..5J+4 (four or eight of them). The
// three chains are independent; interleaved this finely, the core has all
// three in its window and overlaps them.
template <int J, bool kMd5, bool kSha1, bool kSha256>
KAGAMI_SHA_FN void Sixteenth(Md5Work& m, Sha1Work& s1, Sha256Work& s2, const uint8_t* p) {
  if constexpr (kMd5) Md5Steps<J / 4, (J % 4) * 4>(m);
  if constexpr (kSha256) Sha256Group<J>(s2, p);
  if constexpr (kSha1) {
    Sha1Group<J + J / 4>(s1, p);
    if constexpr (J % 4 == 3) Sha1Group<J + J / 4 + 1>(s1, p);
  }
}

template <bool kMd5, bool kSha1, bool kSha256, int... J>
KAGAMI_SHA_FN void Block(Md5Work& m, Sha1Work& s1, Sha256Work& s2, const uint8_t* p,
                         std::integer_sequence<int, J...>) {
  (Sixteenth<J, kMd5, kSha1, kSha256>(m, s1, s2, p), ...);
}

template <bool kMd5, bool kSha1, bool kSha256>
__attribute__((target("sha,sse4.1,ssse3"))) void StitchedBlocks(uint32_t* md5, uint32_t* sha1,
                                                                 uint32_t* sha256,
                                                                 const uint8_t* p, size_t n) {
  Md5Work m{};
  Sha1Work s1{};
  Sha256Work s2{};
  s1.abcd = _mm_load_si128(reinterpret_cast<const __m128i*>(sha1));
  s1.e = _mm_load_si128(reinterpret_cast<const __m128i*>(sha1 + 4));
  s2.abef = _mm_load_si128(reinterpret_cast<const __m128i*>(sha256));
  s2.cdgh = _mm_load_si128(reinterpret_cast<const __m128i*>(sha256 + 4));
  uint32_t h0 = md5[0], h1 = md5[1], h2 = md5[2], h3 = md5[3];
  for (; n > 0; --n, p += 64) {
    if constexpr (kMd5) {
      m.a = h0, m.b = h1, m.c = h2, m.d = h3;
      std::memcpy(m.x, p, 64);  // little-endian words on x86
    }
    s1.state = s1.abcd;
    s2.s0 = s2.abef, s2.s1 = s2.cdgh;
    Block<kMd5, kSha1, kSha256>(m, s1, s2, p, std::make_integer_sequence<int, 16>());
    if constexpr (kMd5) h0 += m.a, h1 += m.b, h2 += m.c, h3 += m.d;
    if constexpr (kSha1) {
      s1.e = _mm_sha1nexte_epu32(s1.prev, s1.e);
      s1.abcd = _mm_add_epi32(s1.state, s1.abcd);
    }
    if constexpr (kSha256) {
      s2.abef = _mm_add_epi32(s2.s0, s2.abef);
      s2.cdgh = _mm_add_epi32(s2.s1, s2.cdgh);
    }
  }
  md5[0] = h0, md5[1] = h1, md5[2] = h2, md5[3] = h3;
  _mm_store_si128(reinterpret_cast<__m128i*>(sha1), s1.abcd);
  _mm_store_si128(reinterpret_cast<__m128i*>(sha1 + 4), s1.e);
  _mm_store_si128(reinterpret_cast<__m128i*>(sha256), s2.abef);
  _mm_store_si128(reinterpret_cast<__m128i*>(sha256 + 4), s2.cdgh);
}

#undef KAGAMI_SHA_FN

// Fetched once: in OpenSSL 3 the EVP_md5()-style getters look the
// implementation up again on every init.
const EVP_MD* LibcryptoMd(int i) {
  static const EVP_MD* const kMds[3] = {EVP_MD_fetch(nullptr, "MD5", nullptr),
                                        EVP_MD_fetch(nullptr, "SHA1", nullptr),
                                        EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  return kMds[i];
}

void PutBigEndian(uint32_t v, uint8_t* out) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

}  // namespace

bool MultiDigest::StitchedAvailable() {
  static const bool kAvailable = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool ssse3 = (c & (1u << 9)) != 0, sse41 = (c & (1u << 19)) != 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return ssse3 && sse41 && (b & (1u << 29)) != 0;  // leaf 7 EBX bit 29: SHA
  }();
  return kAvailable;
}

MultiDigest::MultiDigest(Engine engine) {
  const bool stitched = engine != Engine::kLibcrypto && StitchedAvailable();
  engine_ = stitched ? Engine::kStitched : Engine::kLibcrypto;
}

MultiDigest::~MultiDigest() {
  for (EVP_MD_CTX* c : ctx_) EVP_MD_CTX_free(c);
}

bool MultiDigest::Start(uint8_t kinds) {
  kinds_ = kinds & (kMd5 | kSha1 | kSha256);
  ok_ = true;
  if (engine_ == Engine::kLibcrypto) {
    for (int i = 0; i < 3; ++i) {
      if (!(kinds_ & (1u << i))) continue;
      if (!ctx_[i]) ctx_[i] = EVP_MD_CTX_new();
      ok_ = ok_ && ctx_[i] && LibcryptoMd(i) &&
            EVP_DigestInit_ex(ctx_[i], LibcryptoMd(i), nullptr) == 1;
    }
    return ok_;
  }
  std::memcpy(md5_, kMd5Init, sizeof(md5_));
  // ABCD with A in lane 3; E alone in lane 3.
  sha1_[0] = kSha1Init[3], sha1_[1] = kSha1Init[2], sha1_[2] = kSha1Init[1];
  sha1_[3] = kSha1Init[0];
  sha1_[4] = sha1_[5] = sha1_[6] = 0;
  sha1_[7] = kSha1Init[4];
  // ABEF (F in lane 0) and CDGH (H in lane 0).
  const uint32_t* h = kSha256Init;
  sha256_[0] = h[5], sha256_[1] = h[4], sha256_[2] = h[1], sha256_[3] = h[0];
  sha256_[4] = h[7], sha256_[5] = h[6], sha256_[6] = h[3], sha256_[7] = h[2];
  buffered_ = 0;
  length_ = 0;
  return true;
}

void MultiDigest::Blocks(const uint8_t* p, size_t blocks, uint8_t kinds) {
  switch (kinds) {
    case kMd5: return StitchedBlocks<true, false, false>(md5_, sha1_, sha256_, p, blocks);
    case kSha1: return StitchedBlocks<false, true, false>(md5_, sha1_, sha256_, p, blocks);
    case kSha256: return StitchedBlocks<false, false, true>(md5_, sha1_, sha256_, p, blocks);
    case kMd5 | kSha1: return StitchedBlocks<true, true, false>(md5_, sha1_, sha256_, p, blocks);
    case kMd5 | kSha256: return StitchedBlocks<true, false, true>(md5_, sha1_, sha256_, p, blocks);
    case kSha1 | kSha256: return StitchedBlocks<false, true, true>(md5_, sha1_, sha256_, p, blocks);
    case kMd5 | kSha1 | kSha256:
      return StitchedBlocks<true, true, true>(md5_, sha1_, sha256_, p, blocks);
    default: return;
  }
}

void MultiDigest::Update(const uint8_t* data, size_t len) {
  if (!ok_ || len == 0 || kinds_ == 0) return;
  if (engine_ == Engine::kLibcrypto) {
    for (int i = 0; i < 3; ++i) {
      if (kinds_ & (1u << i)) EVP_DigestUpdate(ctx_[i], data, len);
    }
    return;
  }
  length_ += len;
  if (buffered_ > 0) {
    const size_t take = std::min(len, sizeof(buffer_) - buffered_);
    std::memcpy(buffer_ + buffered_, data, take);
    buffered_ += take;
    data += take;
    len -= take;
    if (buffered_ < sizeof(buffer_)) return;
    Blocks(buffer_, 1, kinds_);
    buffered_ = 0;
  }
  const size_t blocks = len / 64;
  if (blocks > 0) Blocks(data, blocks, kinds_);
  std::memcpy(buffer_, data + blocks * 64, len - blocks * 64);
  buffered_ = len - blocks * 64;
}

void MultiDigest::Finish(Result* out) {
  if (!ok_ || kinds_ == 0) return;
  ok_ = false;
  if (engine_ == Engine::kLibcrypto) {
    uint8_t* fields[3] = {out->md5, out->sha1, out->sha256};
    unsigned n = 0;
    for (int i = 0; i < 3; ++i) {
      if (kinds_ & (1u << i)) EVP_DigestFinal_ex(ctx_[i], fields[i], &n);
    }
    return;
  }
  // Padding: 0x80, zeros, then the length in bits in the last eight bytes
  // (little-endian for MD5, big-endian for SHA), in one or two blocks.
  uint8_t tail[128] = {};
  std::memcpy(tail, buffer_, buffered_);
  tail[buffered_] = 0x80;
  const size_t size = buffered_ + 9 <= 64 ? 64 : 128;
  const uint64_t bits = length_ * 8;
  if (kinds_ & kMd5) {
    for (int i = 0; i < 8; ++i) tail[size - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
    Blocks(tail, size / 64, kMd5);
    std::memcpy(out->md5, md5_, 16);  // little-endian words
  }
  if (const uint8_t sha = kinds_ & (kSha1 | kSha256)) {
    for (int i = 0; i < 8; ++i) tail[size - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
    Blocks(tail, size / 64, sha);
  }
  if (kinds_ & kSha1) {
    const uint32_t words[5] = {sha1_[3], sha1_[2], sha1_[1], sha1_[0], sha1_[7]};
    for (int i = 0; i < 5; ++i) PutBigEndian(words[i], out->sha1 + 4 * i);
  }
  if (kinds_ & kSha256) {
    const uint32_t words[8] = {sha256_[3], sha256_[2], sha256_[7], sha256_[6],
                               sha256_[1], sha256_[0], sha256_[5], sha256_[4]};
    for (int i = 0; i < 8; ++i) PutBigEndian(words[i], out->sha256 + 4 * i);
  }
}

}  // namespace kagami
