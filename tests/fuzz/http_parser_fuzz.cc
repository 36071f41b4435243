// Fuzzes HttpParser: the input is a script of pieces. Each piece starts with
// a control byte: bit 0 picks the direction, bits 1-6 the piece length
// (0-63 bytes follow), and a value of 0xff means a gap of the next byte's
// size. Closing both sides at the end drains everything. Small body and
// header limits keep the limits themselves under test; body digests are on.

#include <cstddef>
#include <cstdint>

#include "engine/app/http/http_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kagami::app::http::Direction;
  kagami::app::http::HttpOptions opts;
  opts.request_body_limit = 512;
  opts.response_body_limit = 2048;
  opts.max_header_bytes = 1024;
  opts.max_open_transactions = 8;
  opts.max_decompressed_bytes = 1 << 16;
  opts.body_digests = kagami::app::http::kDigestMd5 | kagami::app::http::kDigestSha1 |
                      kagami::app::http::kDigestSha256;
  kagami::app::http::HttpParser parser(opts);
  size_t i = 0;
  while (i < size) {
    const uint8_t control = data[i++];
    const Direction dir = (control & 1) ? Direction::kToClient : Direction::kToServer;
    if (control == 0xff) {
      if (i < size) parser.Gap(dir, data[i++]);
      continue;
    }
    size_t len = (control >> 1) & 0x3f;
    if (len > size - i) len = size - i;
    parser.Feed(dir, data + i, len);
    i += len;
    if (parser.transactions().size() > 4) parser.RetireCompleted(2);
  }
  parser.Close(Direction::kToServer);
  parser.Close(Direction::kToClient);
  for (const auto& tx : parser.transactions()) {
    if (tx.response_body.size() > 2048 || tx.request_body.size() > 512) __builtin_trap();
  }
  return 0;
}
