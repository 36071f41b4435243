#include "engine/app/dns/dns_wire.h"

#include <cstring>

namespace kagami::app::dns::wire {

namespace {

// ReadName's walk; the name text goes to `buf` (kMaxNameText bytes, or null),
// its length to `text_len`.
size_t Walk(const uint8_t* msg, size_t len, size_t pos, size_t limit, char* buf, size_t& text_len,
            bool& truncated, const AnomalySink& sink) {
  // Running out of bytes is truncation when the bound is the message, and a
  // bad rdlength when it is the rdata's end.
  const auto cut_anomaly = [&](size_t bound) {
    return bound >= len ? Anomaly::kTruncated : Anomaly::kBadRdataLength;
  };

  size_t cur = pos;
  size_t bound = limit;       // in-place reads stop here; after a jump, at len
  size_t seg_start = pos;     // pointers must land strictly before this
  size_t end = kNoName;       // end of the in-place part, once known
  bool jumped = false;
  uint32_t hops = 0;
  size_t wire = 0;            // wire bytes of the labels so far
  bool too_long = false;
  for (;;) {
    if (cur >= bound) {
      sink.Add(cut_anomaly(bound), cur);
      return end;
    }
    const uint8_t b = msg[cur];
    if (b == 0) {
      if (!jumped) end = cur + 1;
      return end;
    }
    if ((b & 0xC0) == 0xC0) {
      if (cur + 1 >= bound) {
        sink.Add(cut_anomaly(bound), cur);
        return end;
      }
      const size_t target = static_cast<size_t>(b & 0x3F) << 8 | msg[cur + 1];
      if (!jumped) end = cur + 2;
      if (target < kHeaderLen) {
        sink.Add(Anomaly::kBadPointer, cur);
        return end;
      }
      if (target >= cur) {
        sink.Add(Anomaly::kForwardPointer, cur);
        return end;
      }
      if (target >= seg_start || ++hops > kMaxPointerHops) {
        sink.Add(Anomaly::kCompressionLoop, cur);
        return end;
      }
      jumped = true;
      seg_start = target;
      cur = target;
      bound = len;
      continue;
    }
    if ((b & 0xC0) != 0) {
      sink.Add(Anomaly::kLabelTooLong, cur);
      return end;
    }
    const size_t label = b;
    if (cur + 1 + label > bound) {
      sink.Add(cut_anomaly(bound), cur);
      return end;
    }
    wire += 1 + label;
    if (!too_long && wire + 1 > 255) {
      too_long = true;
      sink.Add(Anomaly::kNameTooLong, pos);
    }
    if (!truncated) {
      const size_t add = label + (text_len == 0 ? 0 : 1);
      if (text_len + add > kMaxNameText) {
        truncated = true;
      } else {
        if (buf != nullptr) {
          if (text_len != 0) buf[text_len] = '.';
          std::memcpy(buf + text_len + add - label, msg + cur + 1, label);
        }
        text_len += add;
      }
    }
    // Once the text is full, stop following pointers (bounds the work of a
    // long chain); the in-place part is still scanned to find its end.
    if (truncated && jumped) return end;
    cur += 1 + label;
  }
}

}  // namespace

size_t ReadName(const uint8_t* msg, size_t len, size_t pos, size_t limit, NameOut& out,
                const AnomalySink& sink) {
  // Built on the stack and assigned once: cheaper than growing the string
  // label by label, and the string keeps its capacity.
  char buf[kMaxNameText];
  size_t text_len = 0;
  out.truncated = false;
  const size_t end = Walk(msg, len, pos, limit, out.text != nullptr ? buf : nullptr, text_len,
                          out.truncated, sink);
  if (out.text != nullptr) out.text->assign(buf, text_len);
  return end;
}

}  // namespace kagami::app::dns::wire
