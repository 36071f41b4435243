// Fuzzes HttpParser: the input is a script of pieces. Each piece starts with
// a control byte: bit 0 picks the direction, bits 1-6 the piece length
// (0-63 bytes follow), and a value of 0xff means a gap of the next byte's
// size. Closing both sides at the end drains everything. Small body and
// header limits keep the limits themselves under test; body digests are on.
//
// The script runs twice, keeping bodies and not (then encoded bodies are
// decoded for their digest alone, in one go at the end): a digest the
// second run finds must be the one the first run found.

#include <cstddef>
#include <cstdint>

#include "engine/app/http/http_parser.h"

namespace {

using kagami::app::http::Direction;
using kagami::app::http::HttpParser;

void Run(HttpParser& parser, const uint8_t* data, size_t size) {
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
}

void SameOrAbsent(const kagami::app::http::BodyDigest& kept,
                  const kagami::app::http::BodyDigest& unkept) {
  if (!unkept.empty() && (unkept.md5 != kept.md5 || unkept.sha1 != kept.sha1 ||
                          unkept.sha256 != kept.sha256)) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kagami::app::http::HttpOptions opts;
  opts.request_body_limit = 512;
  opts.response_body_limit = 2048;
  opts.max_header_bytes = 1024;
  opts.max_open_transactions = 8;
  opts.max_decompressed_bytes = 1 << 16;
  opts.body_digests = kagami::app::http::kDigestMd5 | kagami::app::http::kDigestSha1 |
                      kagami::app::http::kDigestSha256;
  HttpParser kept(opts);
  Run(kept, data, size);
  for (const auto& tx : kept.transactions()) {
    if (tx.response_body.size() > 2048 || tx.request_body.size() > 512) __builtin_trap();
  }
  opts.keep_bodies = false;
  HttpParser unkept(opts);
  Run(unkept, data, size);
  if (unkept.transactions().size() != kept.transactions().size()) __builtin_trap();
  for (size_t t = 0; t < kept.transactions().size(); ++t) {
    SameOrAbsent(kept.transactions()[t].request_digest, unkept.transactions()[t].request_digest);
    SameOrAbsent(kept.transactions()[t].response_digest, unkept.transactions()[t].response_digest);
  }
  return 0;
}
