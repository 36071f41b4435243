#pragma once
// DecodeWholeGzip: a complete gzip body decoded in one call by libdeflate,
// for the digest of a body no rule keeps (HttpParser::DecodeHeldForDigest).
//
// libdeflate decodes a held body whole about 1.7 times as fast as zlib's
// streaming inflate, but only clean members are decoded that way: the deflate
// stream ends inside the body, and the CRC-32 and size in the member's
// trailer match the output. ContentDecoder (zlib) produces exactly these
// bytes from such a member: it decodes the same stream and drops whatever
// follows its end. Anything else (a cut stream, a bad CRC or size, reserved
// header flags, a body past the cap or the scratch size, another framing) is
// left to ContentDecoder, whose rules for those cases (output before an error
// is kept, the trailer is ignored, data that never decoded passes through)
// stay the only ones.
//
// The two libraries decode every valid deflate stream alike. They differ on
// streams RFC 1951 forbids (fixed-code symbols 286-287 and distances 30-31),
// which zlib rejects and libdeflate decodes: a member made that way on
// purpose, with a trailer computed over libdeflate's output, would get a
// digest here and none when kept. It cannot hide a file, since what zlib
// decodes libdeflate decodes the same; raw deflate and zlib streams, whose
// check values are missing or weaker, are not decoded here for that reason.

#include <cstddef>
#include <cstdint>
#include <span>

namespace kagami::app::http {

// True when `encoded` is one clean gzip member (plus anything after it)
// decoding to at most `cap` bytes; *decoded then points into a per-thread
// scratch buffer, valid until the thread's next call.
bool DecodeWholeGzip(std::span<const uint8_t> encoded, uint64_t cap,
                     std::span<const uint8_t>* decoded);

}  // namespace kagami::app::http
