// MultiDigest gives libcrypto's one-shot digests whatever the engine, the
// set of digests, the data length and the way the data is cut into updates.

#include "common/multi_digest.h"

#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kagami {
namespace {

std::string Hex(const uint8_t* d, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[d[i] >> 4]);
    s.push_back(kHex[d[i] & 15]);
  }
  return s;
}

std::string Reference(const EVP_MD* md, const std::vector<uint8_t>& data) {
  uint8_t d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), d, &n, md, nullptr), 1);
  return Hex(d, n);
}

// The engines to test: libcrypto always, the stitched one where the CPU has it.
std::vector<MultiDigest::Engine> Engines() {
  std::vector<MultiDigest::Engine> e = {MultiDigest::Engine::kLibcrypto};
  if (MultiDigest::StitchedAvailable()) e.push_back(MultiDigest::Engine::kStitched);
  return e;
}

TEST(MultiDigest, KnownAnswers) {
  const std::string abc = "abc";
  for (MultiDigest::Engine engine : Engines()) {
    MultiDigest d(engine);
    MultiDigest::Result r{};
    ASSERT_TRUE(d.Start(MultiDigest::kMd5 | MultiDigest::kSha1 | MultiDigest::kSha256));
    d.Update(reinterpret_cast<const uint8_t*>(abc.data()), abc.size());
    d.Finish(&r);
    EXPECT_EQ(Hex(r.md5, 16), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(Hex(r.sha1, 20), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(Hex(r.sha256, 32),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}

TEST(MultiDigest, AgreesWithLibcryptoForEveryLengthSplitAndSet) {
  std::mt19937 rng(11);
  const EVP_MD* md5 = EVP_md5();
  const EVP_MD* sha1 = EVP_sha1();
  const EVP_MD* sha256 = EVP_sha256();
  for (MultiDigest::Engine engine : Engines()) {
    MultiDigest d(engine);  // one object for every stream: Start resets it
    for (int round = 0; round < 1500; ++round) {
      // Lengths around the one- and two-block padding boundaries, and longer.
      const size_t len = round < 300 ? static_cast<size_t>(round) : rng() % 5000;
      std::vector<uint8_t> data(len);
      for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
      const uint8_t kinds = static_cast<uint8_t>(1 + rng() % 7);
      ASSERT_TRUE(d.Start(kinds));
      for (size_t at = 0; at < len;) {
        const size_t n = std::min<size_t>(len - at, rng() % 3 == 0 ? rng() % 8 : rng() % 300);
        d.Update(data.data() + at, n);
        at += n;
      }
      MultiDigest::Result r{};
      d.Finish(&r);
      const std::string where = "engine " + std::to_string(static_cast<int>(engine)) +
                                " length " + std::to_string(len) + " kinds " +
                                std::to_string(kinds);
      if (kinds & MultiDigest::kMd5) {
        EXPECT_EQ(Hex(r.md5, 16), Reference(md5, data)) << where;
      }
      if (kinds & MultiDigest::kSha1) {
        EXPECT_EQ(Hex(r.sha1, 20), Reference(sha1, data)) << where;
      }
      if (kinds & MultiDigest::kSha256) {
        EXPECT_EQ(Hex(r.sha256, 32), Reference(sha256, data)) << where;
      }
    }
  }
}

TEST(MultiDigest, StartDiscardsAStreamInProgress) {
  const std::vector<uint8_t> junk(100, 'x'), data(70, 'y');
  for (MultiDigest::Engine engine : Engines()) {
    MultiDigest d(engine);
    ASSERT_TRUE(d.Start(MultiDigest::kSha256));
    d.Update(junk.data(), junk.size());
    ASSERT_TRUE(d.Start(MultiDigest::kSha256 | MultiDigest::kMd5));
    d.Update(data.data(), data.size());
    MultiDigest::Result r{};
    d.Finish(&r);
    EXPECT_EQ(Hex(r.sha256, 32), Reference(EVP_sha256(), data));
    EXPECT_EQ(Hex(r.md5, 16), Reference(EVP_md5(), data));
  }
}

TEST(MultiDigest, AutoPicksTheStitchedEngineWhereTheCpuHasIt) {
  EXPECT_EQ(MultiDigest().engine(), MultiDigest::StitchedAvailable()
                                        ? MultiDigest::Engine::kStitched
                                        : MultiDigest::Engine::kLibcrypto);
  EXPECT_EQ(MultiDigest(MultiDigest::Engine::kLibcrypto).engine(),
            MultiDigest::Engine::kLibcrypto);
}

}  // namespace
}  // namespace kagami
