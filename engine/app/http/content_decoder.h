#pragma once
// ContentDecoder: undoes Content-Encoding layers of one message body.
//
// Servers label compressed bodies loosely ("deflate" for zlib streams and
// for raw deflate alike, made-up names, gzip headers with odd flags), so each
// layer sniffs its data rather than trusting the label: a gzip magic starts a
// gzip member (header parsed here, so reserved flag bits and a missing or
// corrupt trailer do not matter), a valid zlib header a zlib stream, anything
// else is tried as raw deflate. Data that does not decode before the layer
// produced any output is passed through unchanged (the label lied: the body
// was not compressed); a stream that breaks later passes the rest through,
// as libhtp does. Output stops as soon as the sink is full, which bounds the
// work a decompression bomb can cause.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kagami::app::http {

// How a layer's first two bytes say its data is framed: a gzip member
// (magic 1f 8b), a zlib stream (a valid RFC 1950 header), else a guess of raw
// deflate.
enum class Framing : uint8_t { kGzip, kZlib, kRawDeflate };
Framing SniffFraming(uint8_t b0, uint8_t b1);

class ContentSink {
 public:
  virtual ~ContentSink() = default;
  // Takes decoded bytes; returns false when no more output is wanted.
  virtual bool Write(const uint8_t* data, size_t len) = 0;
};

class ContentDecoder {
 public:
  ContentDecoder();
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Starts a body with `layers` compression layers (0: identity).
  void Reset(size_t layers);
  size_t layers() const { return layers_.size(); }
  // Feeds body bytes (after de-chunking). Returns false once the sink
  // refused more output.
  bool Decode(const uint8_t* data, size_t len, ContentSink& sink);
  // The body ended: data a layer still held undecided is passed through.
  bool Finish(ContentSink& sink);
  // Bytes lost: the compressed stream cannot continue; later input is dropped.
  void Break();
  // A layer passed data through or broke off since the last call.
  bool TakeFailure() {
    const bool f = failed_;
    failed_ = false;
    return f;
  }

  struct Layer;

 private:
  bool Run(size_t index, const uint8_t* data, size_t len, ContentSink& sink);
  bool Emit(size_t index, const uint8_t* data, size_t len, ContentSink& sink);
  bool Consume(size_t index, const uint8_t* data, size_t len, ContentSink& sink);
  bool Inflate(size_t index, const uint8_t* data, size_t len, ContentSink& sink);
  bool Fail(size_t index, const uint8_t* rest, size_t len, ContentSink& sink);
  // Ends a raw-deflate guess's probation: its held output goes on.
  bool Prove(size_t index, ContentSink& sink);

  std::vector<std::unique_ptr<Layer>> layers_;
  bool broken_ = false;
  bool full_ = false;
  bool failed_ = false;
};

}  // namespace kagami::app::http
