#pragma once
// Builds DNS messages byte by byte for the parser tests.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/app/dns/dns_parser.h"

namespace kagami::app::dns::testing {

using Bytes = std::vector<uint8_t>;

class MessageBuilder {
 public:
  MessageBuilder(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
    U16(id);
    U16(flags);
    U16(qd);
    U16(an);
    U16(ns);
    U16(ar);
  }

  size_t size() const { return b_.size(); }
  const Bytes& bytes() const { return b_; }

  MessageBuilder& U8(uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  MessageBuilder& U16(uint16_t v) {
    b_.push_back(static_cast<uint8_t>(v >> 8));
    b_.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  MessageBuilder& U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    return U16(static_cast<uint16_t>(v));
  }
  MessageBuilder& Raw(std::string_view s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  MessageBuilder& Raw(const Bytes& s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  // Labels of a dotted name, then the root label unless `pointer` >= 0, in
  // which case a compression pointer to that offset ends the name.
  MessageBuilder& Name(std::string_view dotted, int pointer = -1) {
    while (!dotted.empty()) {
      const size_t dot = dotted.find('.');
      const std::string_view label = dotted.substr(0, dot);
      U8(static_cast<uint8_t>(label.size()));
      Raw(label);
      dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
    }
    if (pointer >= 0) return U16(static_cast<uint16_t>(0xC000 | pointer));
    return U8(0);
  }
  MessageBuilder& Question(std::string_view name, uint16_t type, uint16_t cls = 1) {
    Name(name);
    U16(type);
    return U16(cls);
  }
  // Record header with its owner name already written; `rdata` follows.
  MessageBuilder& RrHeader(uint16_t type, uint32_t ttl, uint16_t rdlength, uint16_t cls = 1) {
    U16(type);
    U16(cls);
    U32(ttl);
    return U16(rdlength);
  }
  MessageBuilder& Rr(std::string_view name, uint16_t type, uint32_t ttl, const Bytes& rdata,
                     int name_pointer = -1) {
    Name(name, name_pointer);
    RrHeader(type, ttl, static_cast<uint16_t>(rdata.size()));
    return Raw(rdata);
  }
  // Patches a 16-bit field (counts, rdlength) after the fact.
  void Patch16(size_t offset, uint16_t v) {
    b_[offset] = static_cast<uint8_t>(v >> 8);
    b_[offset + 1] = static_cast<uint8_t>(v);
  }

 private:
  Bytes b_;
};

// A name in wire form, for building rdata.
inline Bytes WireName(std::string_view dotted, int pointer = -1) {
  MessageBuilder m(0, 0, 0, 0, 0, 0);
  m.Name(dotted, pointer);
  return Bytes(m.bytes().begin() + 12, m.bytes().end());
}

inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Parses from an exactly sized heap copy, so ASan catches any read past the end.
inline bool ParseCopy(const uint8_t* data, size_t len, Message& out, const DnsOptions& options = {}) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[len == 0 ? 1 : len]);
  for (size_t i = 0; i < len; ++i) copy[i] = data[i];
  return ParseMessage(copy.get(), len, options, out);
}
inline bool ParseCopy(const Bytes& b, Message& out, const DnsOptions& options = {}) {
  return ParseCopy(b.data(), b.size(), out, options);
}

}  // namespace kagami::app::dns::testing
