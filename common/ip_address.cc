#include "common/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace kagami {
namespace {
constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}  // namespace

IpAddress IpAddress::FromV4(uint32_t host_order) {
  IpAddress a;
  std::memcpy(a.b_.data(), kV4MappedPrefix, 12);
  a.b_[12] = static_cast<uint8_t>(host_order >> 24);
  a.b_[13] = static_cast<uint8_t>(host_order >> 16);
  a.b_[14] = static_cast<uint8_t>(host_order >> 8);
  a.b_[15] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::FromV4Bytes(const uint8_t* p) {
  IpAddress a;
  std::memcpy(a.b_.data(), kV4MappedPrefix, 12);
  std::memcpy(a.b_.data() + 12, p, 4);
  return a;
}

IpAddress IpAddress::FromV6Bytes(const uint8_t* p) {
  IpAddress a;
  std::memcpy(a.b_.data(), p, 16);
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t raw[16];
  if (inet_pton(AF_INET, buf, raw) == 1) return FromV4Bytes(raw);
  if (inet_pton(AF_INET6, buf, raw) == 1) return FromV6Bytes(raw);
  return std::nullopt;
}

bool IpAddress::is_v4() const { return std::memcmp(b_.data(), kV4MappedPrefix, 12) == 0; }

uint32_t IpAddress::v4() const {
  return (uint32_t{b_[12]} << 24) | (uint32_t{b_[13]} << 16) | (uint32_t{b_[14]} << 8) | b_[15];
}

size_t IpAddress::Format(char* buf) const {
  if (is_v4()) {
    // Written here: glibc's inet_ntop formats IPv4 with sprintf, which cost
    // a loader of a million address indicators a tenth of its time.
    char* p = buf;
    for (int i = 12; i < 16; ++i) {
      const unsigned v = b_[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
      *p++ = i < 15 ? '.' : '\0';
    }
    return static_cast<size_t>(p - buf) - 1;
  }
  const char* r = inet_ntop(AF_INET6, b_.data(), buf, INET6_ADDRSTRLEN);
  return r ? std::strlen(buf) : 0;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  return std::string(buf, Format(buf));
}

}  // namespace kagami
