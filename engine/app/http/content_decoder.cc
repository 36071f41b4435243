#include "engine/app/http/content_decoder.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace kagami::app::http {
namespace {

constexpr size_t kOutChunk = 16 * 1024;
// Input a layer keeps while it has produced nothing, so it can hand it on
// unchanged if the data turns out not to be compressed.
constexpr size_t kMaxHeld = 64 * 1024;
// A raw deflate stream is only a guess (no header says so): plain text often
// "inflates" into a few bytes of garbage before zlib notices. Its output is
// held until this much input decoded cleanly, or the stream ended.
constexpr size_t kProveBytes = 256;

enum GzipFlag : uint8_t { kFhcrc = 0x02, kFextra = 0x04, kFname = 0x08, kFcomment = 0x10 };

}  // namespace

struct ContentDecoder::Layer {
  enum class State : uint8_t { kSniff, kGzipHeader, kInflate, kDone, kPassthrough };
  enum class GzStage : uint8_t { kFixed, kXlen, kExtra, kName, kComment, kHcrc, kEnd };
  State state = State::kSniff;
  uint8_t head[2] = {0, 0};
  size_t head_len = 0;
  GzStage gz = GzStage::kFixed;
  uint8_t gz_fixed[10] = {};
  size_t gz_pos = 0;
  uint32_t gz_skip = 0;
  bool produced = false;
  bool held_overflow = false;
  bool guessed = false;    // raw deflate chosen without a header
  bool proven = false;     // the guess decoded kProveBytes cleanly or ended
  std::string unproven;    // output of a guess not yet proven
  std::string held;
  z_stream zs{};
  bool zs_init = false;
  std::unique_ptr<uint8_t[]> out;

  ~Layer() {
    if (zs_init) inflateEnd(&zs);
  }
  bool StartInflate(int window_bits) {
    zs = z_stream{};
    if (inflateInit2(&zs, window_bits) != Z_OK) return false;
    zs_init = true;
    if (!out) out = std::make_unique<uint8_t[]>(kOutChunk);
    state = State::kInflate;
    return true;
  }
  // The gzip header field after `gz` given the flags.
  void NextGzStage() {
    const uint8_t flags = gz_fixed[3];
    for (;;) {
      gz = static_cast<GzStage>(static_cast<uint8_t>(gz) + 1);
      gz_pos = 0;
      if (gz == GzStage::kXlen && !(flags & kFextra)) continue;
      if (gz == GzStage::kExtra && !(flags & kFextra)) continue;
      if (gz == GzStage::kName && !(flags & kFname)) continue;
      if (gz == GzStage::kComment && !(flags & kFcomment)) continue;
      if (gz == GzStage::kHcrc && !(flags & kFhcrc)) continue;
      return;
    }
  }
};

Framing SniffFraming(uint8_t b0, uint8_t b1) {
  if (b0 == 0x1f && b1 == 0x8b) return Framing::kGzip;
  // Deflate method, window of at most 32 KiB, header check bits (RFC 1950).
  if ((b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0) return Framing::kZlib;
  return Framing::kRawDeflate;
}

ContentDecoder::ContentDecoder() = default;
ContentDecoder::~ContentDecoder() = default;

void ContentDecoder::Reset(size_t layers) {
  layers_.clear();
  for (size_t i = 0; i < layers; ++i) layers_.push_back(std::make_unique<Layer>());
  broken_ = full_ = failed_ = false;
}

void ContentDecoder::Break() {
  broken_ = true;
}

bool ContentDecoder::Decode(const uint8_t* data, size_t len, ContentSink& sink) {
  if (full_) return false;
  if (len == 0) return true;
  if (broken_) {
    // A compressed stream cannot resume after lost bytes; an identity body
    // (or one passed through) can.
    bool all_pass = true;
    for (const auto& l : layers_) all_pass = all_pass && l->state == Layer::State::kPassthrough;
    if (!all_pass) return true;
  }
  if (layers_.empty()) {
    if (!sink.Write(data, len)) full_ = true;
    return !full_;
  }
  return Run(0, data, len, sink);
}

bool ContentDecoder::Finish(ContentSink& sink) {
  for (size_t i = 0; i < layers_.size() && !full_ && !broken_; ++i) {
    Layer& l = *layers_[i];
    if (l.produced || l.held.empty() || l.held_overflow) continue;
    if (l.state == Layer::State::kDone || l.state == Layer::State::kPassthrough) continue;
    // Never decided (too short) or decoded nothing: it was not compressed.
    failed_ = true;
    l.state = Layer::State::kPassthrough;
    std::string held;
    held.swap(l.held);
    if (!Emit(i, reinterpret_cast<const uint8_t*>(held.data()), held.size(), sink)) return false;
  }
  return !full_;
}

bool ContentDecoder::Emit(size_t index, const uint8_t* data, size_t len, ContentSink& sink) {
  if (len == 0) return !full_;
  if (index + 1 < layers_.size()) return Run(index + 1, data, len, sink);
  if (!sink.Write(data, len)) full_ = true;
  return !full_;
}

bool ContentDecoder::Run(size_t index, const uint8_t* data, size_t len, ContentSink& sink) {
  Layer& l = *layers_[index];
  if (l.state == Layer::State::kDone) return true;
  if (l.state == Layer::State::kPassthrough) return Emit(index, data, len, sink);
  if (!l.produced && !l.held_overflow) {
    if (l.held.size() + len > kMaxHeld) {
      l.held_overflow = true;
      l.held.clear();
      l.held.shrink_to_fit();
    } else {
      l.held.append(reinterpret_cast<const char*>(data), len);
    }
  }
  return Consume(index, data, len, sink);
}

bool ContentDecoder::Consume(size_t index, const uint8_t* data, size_t len, ContentSink& sink) {
  Layer& l = *layers_[index];
  while (len > 0) {
    switch (l.state) {
      case Layer::State::kDone:
        return true;
      case Layer::State::kPassthrough:
        return Emit(index, data, len, sink);
      case Layer::State::kSniff: {
        l.head[l.head_len++] = *data++;
        --len;
        if (l.head_len < 2) break;
        const uint8_t b0 = l.head[0], b1 = l.head[1];
        uint8_t head[2] = {b0, b1};
        bool ok = true;
        const Framing framing = SniffFraming(b0, b1);
        if (framing == Framing::kGzip) {
          l.state = Layer::State::kGzipHeader;
          l.gz_fixed[0] = b0;
          l.gz_fixed[1] = b1;
          l.gz_pos = 2;
          break;
        } else if (framing == Framing::kZlib) {
          ok = l.StartInflate(15);
        } else {
          ok = l.StartInflate(-15);
          l.guessed = true;
        }
        if (!ok) return Fail(index, head, 2, sink);
        if (!Inflate(index, head, 2, sink)) return false;
        break;
      }
      case Layer::State::kGzipHeader: {
        switch (l.gz) {
          case Layer::GzStage::kFixed:
            l.gz_fixed[l.gz_pos++] = *data++;
            --len;
            if (l.gz_pos == 10) {
              if (l.gz_fixed[2] != 8) return Fail(index, data, len, sink);
              l.NextGzStage();
            }
            break;
          case Layer::GzStage::kXlen:
            l.gz_skip |= static_cast<uint32_t>(*data++) << (8 * l.gz_pos);
            --len;
            if (++l.gz_pos == 2) l.NextGzStage();
            break;
          case Layer::GzStage::kExtra: {
            const size_t n = std::min<size_t>(len, l.gz_skip);
            data += n;
            len -= n;
            l.gz_skip -= static_cast<uint32_t>(n);
            if (l.gz_skip == 0) l.NextGzStage();
            break;
          }
          case Layer::GzStage::kName:
          case Layer::GzStage::kComment: {
            const void* nul = std::memchr(data, 0, len);
            if (!nul) return true;  // all of it belongs to the field
            const size_t n = static_cast<size_t>(static_cast<const uint8_t*>(nul) - data) + 1;
            data += n;
            len -= n;
            l.NextGzStage();
            break;
          }
          case Layer::GzStage::kHcrc:
            ++data;
            --len;
            if (++l.gz_pos == 2) l.NextGzStage();
            break;
          case Layer::GzStage::kEnd:
            break;
        }
        if (l.gz == Layer::GzStage::kEnd && !l.StartInflate(-15)) return Fail(index, data, len, sink);
        break;
      }
      case Layer::State::kInflate:
        return Inflate(index, data, len, sink);
    }
  }
  // A gzip header that ends exactly here starts its inflater now.
  return true;
}

bool ContentDecoder::Inflate(size_t index, const uint8_t* data, size_t len, ContentSink& sink) {
  Layer& l = *layers_[index];
  l.zs.next_in = const_cast<Bytef*>(data);
  l.zs.avail_in = static_cast<uInt>(len);
  for (;;) {
    l.zs.next_out = l.out.get();
    l.zs.avail_out = kOutChunk;
    const int rc = inflate(&l.zs, Z_NO_FLUSH);
    const size_t produced = kOutChunk - l.zs.avail_out;
    const bool on_probation = l.guessed && !l.proven;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      // Output already made before the error is good; keep it. A guess that
      // fails on probation was never compressed: its output is dropped and
      // Fail hands on the input it held.
      if (on_probation) l.unproven.clear();
      if (produced && l.produced && !Emit(index, l.out.get(), produced, sink)) return false;
      return Fail(index, l.zs.next_in, l.zs.avail_in, sink);
    }
    if (on_probation) {
      l.unproven.append(reinterpret_cast<const char*>(l.out.get()), produced);
      if ((l.zs.total_in >= kProveBytes || rc == Z_STREAM_END) && !Prove(index, sink)) return false;
    } else if (produced) {
      if (!l.produced) {
        l.produced = true;
        l.held.clear();
        l.held.shrink_to_fit();
      }
      if (!Emit(index, l.out.get(), produced, sink)) return false;
    }
    if (rc == Z_STREAM_END) {
      // Trailer (CRC, size) and anything after the stream are dropped.
      l.state = Layer::State::kDone;
      return true;
    }
    if (l.zs.avail_in == 0 && l.zs.avail_out != 0) return true;
    if (rc == Z_BUF_ERROR && produced == 0) return true;
  }
}

bool ContentDecoder::Prove(size_t index, ContentSink& sink) {
  Layer& l = *layers_[index];
  l.proven = true;
  l.produced = true;
  l.held.clear();
  l.held.shrink_to_fit();
  std::string out;
  out.swap(l.unproven);
  return Emit(index, reinterpret_cast<const uint8_t*>(out.data()), out.size(), sink);
}

bool ContentDecoder::Fail(size_t index, const uint8_t* rest, size_t len, ContentSink& sink) {
  Layer& l = *layers_[index];
  failed_ = true;
  l.state = Layer::State::kPassthrough;
  if (!l.produced && !l.held_overflow) {
    // Nothing decoded yet: the data was never compressed; hand all of it on.
    std::string held;
    held.swap(l.held);
    return Emit(index, reinterpret_cast<const uint8_t*>(held.data()), held.size(), sink);
  }
  return Emit(index, rest, len, sink);
}

}  // namespace kagami::app::http
