#pragma once
// IpAddress: an IPv4 or IPv6 address in one 16-byte form. IPv4 addresses are
// stored IPv4-mapped (::ffff:a.b.c.d) so that one ordered key space serves
// both families (rule address sets, indicator prefix tables).

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace kagami {

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress FromV4(uint32_t host_order);
  static IpAddress FromV4Bytes(const uint8_t* network_order4);
  static IpAddress FromV6Bytes(const uint8_t* network_order16);
  // Parses dotted IPv4 or any RFC 4291 IPv6 spelling; nullopt when invalid.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool is_v4() const;
  uint32_t v4() const;  // host order; only when is_v4()
  const std::array<uint8_t, 16>& bytes() const { return b_; }
  // Canonical text: dotted quad, or RFC 5952 IPv6.
  std::string ToString() const;
  // Writes the canonical text into buf (>= 46 bytes) without allocating;
  // returns its length.
  size_t Format(char* buf) const;

  auto operator<=>(const IpAddress&) const = default;
  // Two 8-byte compares: the defaulted one called memcmp for every flow
  // lookup (a few percent of a pass without rules).
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.b_.data(), 8);
    std::memcpy(&a1, a.b_.data() + 8, 8);
    std::memcpy(&b0, b.b_.data(), 8);
    std::memcpy(&b1, b.b_.data() + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }

 private:
  std::array<uint8_t, 16> b_{};
};

}  // namespace kagami
