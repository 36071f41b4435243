#include "engine/app/http/whole_gzip.h"

#include <optional>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "tests/support/http_body.h"

namespace kagami::app::http {
namespace {

using kagami::testing::Deflate;
using kagami::testing::Gzip;

std::string File(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>((i * 7 + i / 13) & 0xff));
  return s;
}

// The decoded body, or nullopt when the body is left to ContentDecoder.
std::optional<std::string> Decode(std::string_view encoded, uint64_t cap) {
  std::span<const uint8_t> out;
  if (!DecodeWholeGzip({reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()}, cap, &out)) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

TEST(WholeGzip, ACleanMemberDecodesWithinTheCap) {
  const std::string file = File(5000);
  EXPECT_EQ(Decode(Gzip(file), 100 * 1024), file);
  EXPECT_EQ(Decode(Gzip(file), 5000), file);  // exactly the cap
  EXPECT_EQ(Decode(Gzip(file), 4999), std::nullopt);
  EXPECT_EQ(Decode(Gzip(""), 100), "");
}

TEST(WholeGzip, BytesAfterTheMemberAreDroppedAsTheStreamingDecoderDropsThem) {
  const std::string file = File(2000);
  EXPECT_EQ(Decode(Gzip(file) + "\r\n\r\ntrailing junk", 100 * 1024), file);
}

TEST(WholeGzip, AnythingButACleanGzipMemberIsLeftToTheStreamingDecoder) {
  const std::string file = File(4000);
  const std::string gz = Gzip(file);
  // Cut short: the streaming decoder keeps what decoded before the cut.
  EXPECT_EQ(Decode(gz.substr(0, gz.size() / 2), 100 * 1024), std::nullopt);
  EXPECT_EQ(Decode(gz.substr(0, gz.size() - 4), 100 * 1024), std::nullopt);  // no size
  // A wrong CRC: the streaming decoder ignores the trailer.
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x55;
  EXPECT_EQ(Decode(bad_crc, 100 * 1024), std::nullopt);
  // A reserved header flag: the streaming decoder's own header parser skips it.
  std::string reserved = gz;
  reserved[3] |= 0x20;
  EXPECT_EQ(Decode(reserved, 100 * 1024), std::nullopt);
  // Other framings, and data that is not compressed at all.
  EXPECT_EQ(Decode(Deflate(file, 15), 100 * 1024), std::nullopt);
  EXPECT_EQ(Decode(Deflate(file, -15), 100 * 1024), std::nullopt);
  EXPECT_EQ(Decode(std::string(400, 'x'), 100 * 1024), std::nullopt);
  EXPECT_EQ(Decode("\x1f", 100 * 1024), std::nullopt);
  EXPECT_EQ(Decode("", 100 * 1024), std::nullopt);
}

TEST(WholeGzip, BodiesPastTheScratchSizeAreLeftToTheStreamingDecoder) {
  // With no body limit the cap is the bomb cap (64 MiB), far above the
  // scratch buffer (4 MiB).
  EXPECT_EQ(Decode(Gzip(std::string(5u << 20, 'a')), uint64_t{64} << 20), std::nullopt);
  const std::string small = File(1000);
  EXPECT_EQ(Decode(Gzip(small), uint64_t{64} << 20), small);
}

}  // namespace
}  // namespace kagami::app::http
