#pragma once
// A small seeded generator with its own integer-to-range mapping, so a given
// seed writes the same capture with any standard library (std::*_distribution
// results differ between implementations).

#include <cstdint>
#include <string>
#include <string_view>

namespace kagami::gen {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  // splitmix64: fast, and every seed (0 included) gives a full-period stream.
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64); }
  // Uniform in [lo, hi].
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) { return items[Below(N)]; }

  // `n` characters drawn from `alphabet`.
  std::string Text(size_t n, std::string_view alphabet) {
    std::string out(n, '\0');
    for (char& c : out) c = alphabet[Below(alphabet.size())];
    return out;
  }
  std::string Lower(size_t n) { return Text(n, "abcdefghijklmnopqrstuvwxyz"); }
  std::string Hex(size_t n) { return Text(n, "0123456789abcdef"); }

 private:
  uint64_t state_;
};

}  // namespace kagami::gen
