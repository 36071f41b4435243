// The segment list after Insert became a binary search plus a splice of
// the run a fragment touches (it used to be rebuilt whole per fragment).
// These tests hold the result to a byte-by-byte model of the overlap rule
// for random fragment sets under every policy, up to the per-datagram
// fragment cap, in order, reversed and shuffled.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "engine/defrag/defragmenter.h"

namespace kagami::defrag {
namespace {

using Bytes = std::vector<uint8_t>;

struct Frag {
  uint32_t begin, end;
  bool more;
  uint8_t fill;  // every data byte of the fragment: tells fragments apart
};

Bytes V4Fragment(const Frag& f, uint16_t id) {
  Bytes b(20 + (f.end - f.begin), f.fill);
  b[0] = 0x45;
  b[1] = 0;
  b[2] = static_cast<uint8_t>(b.size() >> 8);
  b[3] = static_cast<uint8_t>(b.size());
  b[4] = static_cast<uint8_t>(id >> 8);
  b[5] = static_cast<uint8_t>(id);
  const uint32_t frag = (f.more ? 0x2000u : 0u) | f.begin / 8;
  b[6] = static_cast<uint8_t>(frag >> 8);
  b[7] = static_cast<uint8_t>(frag);
  b[8] = 64;
  b[9] = 17;
  b[10] = b[11] = 0;
  const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  std::memcpy(b.data() + 12, src, 4);
  std::memcpy(b.data() + 16, dst, 4);
  return b;
}

// The rule as the README states it, byte by byte: a byte nobody held takes
// the new data; a held byte takes it when the policy prefers the new
// fragment over the one holding that byte now.
class Model {
 public:
  Model(Policy policy, uint32_t length) : policy_(policy), data_(length), owner_(length, -1) {}
  bool Add(const Frag& f, const std::vector<Frag>& all, int index) {
    bool overlap = false;
    for (uint32_t x = f.begin; x < f.end; ++x) {
      if (owner_[x] < 0) {
        owner_[x] = index;
        data_[x] = f.fill;
        continue;
      }
      overlap = true;
      const Frag& o = all[static_cast<size_t>(owner_[x])];
      if (NewDataWins(policy_, f.begin, f.end, o.begin, o.end)) {
        owner_[x] = index;
        data_[x] = f.fill;
      }
    }
    return overlap;
  }
  const Bytes& data() const { return data_; }

 private:
  Policy policy_;
  Bytes data_;
  std::vector<int> owner_;
};

// Feeds `frags` in order until one completes the datagram; checks the
// payload and the overlap count against the model.
void CheckAgainstModel(Policy policy, uint32_t length, const std::vector<Frag>& frags) {
  Defragmenter d(DefragOptions{.policy = policy});
  Model model(policy, length);
  uint64_t overlaps = 0;
  decode::Packet p;
  p.ip_version = 4;
  p.is_fragment = true;
  p.src = IpAddress::FromV4(0x0a000001);
  p.dst = IpAddress::FromV4(0x0a000002);
  for (size_t i = 0; i < frags.size(); ++i) {
    const Bytes wire = V4Fragment(frags[i], 0x4242);
    p.l3 = wire.data();
    p.l3_len = static_cast<uint32_t>(wire.size());
    if (model.Add(frags[i], frags, static_cast<int>(i))) ++overlaps;
    const std::span<const uint8_t> out = d.Add(p, 1);
    if (out.empty()) continue;
    ASSERT_EQ(out.size(), 20 + length) << "fragment " << i;
    ASSERT_TRUE(std::equal(out.begin() + 20, out.end(), model.data().begin()))
        << PolicyName(policy) << ", completed by fragment " << i << " of " << frags.size();
    EXPECT_EQ(d.counters().overlaps, overlaps);
    EXPECT_EQ(d.counters().reassembled, 1u);
    return;
  }
  FAIL() << "never completed: " << PolicyName(policy);
}

constexpr Policy kPolicies[] = {Policy::kFirst, Policy::kLast,    Policy::kBsd,
                                Policy::kLinux, Policy::kWindows, Policy::kSolaris};

// Random overlapping fragments (any 8-byte-aligned extent, last ones ending
// at the datagram's end), then a cover of one-block fragments in random
// order so the datagram completes; up to 250 fragments, under the cap.
TEST(DefragGrowth, RandomOverlapsMatchTheModelUnderEveryPolicy) {
  std::mt19937 rng(2026);
  for (int round = 0; round < 1500; ++round) {
    const uint32_t blocks = 2 + rng() % 120;
    const uint32_t length = blocks * 8 - (rng() % 2 ? rng() % 7 : 0);  // the tail may be short
    std::vector<Frag> frags;
    const size_t random_ones = rng() % (250 - blocks);
    for (size_t k = 0; k < random_ones; ++k) {
      const uint32_t b = (rng() % blocks) * 8;
      const bool last = rng() % 4 == 0;
      uint32_t e = last ? length : std::min<uint32_t>(b + 8 * (1 + rng() % 16), (blocks - 1) * 8);
      if (e <= b) e = length;  // b is in the last block: only a last fragment fits
      // A last fragment at offset 0 would be a whole packet, not a fragment.
      if (e == length && b == 0) continue;
      frags.push_back({b, e, e != length, 0});
    }
    std::vector<Frag> cover;
    for (uint32_t i = 0; i < blocks; ++i) {
      const uint32_t e = std::min(length, (i + 1) * 8);
      cover.push_back({i * 8, e, e != length, 0});
    }
    std::shuffle(cover.begin(), cover.end(), rng);
    frags.insert(frags.end(), cover.begin(), cover.end());
    for (size_t k = 0; k < frags.size(); ++k) frags[k].fill = static_cast<uint8_t>(1 + k % 255);
    for (Policy policy : kPolicies) {
      CheckAgainstModel(policy, length, frags);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

// The shapes the growth benchmark sends: 250 one-block fragments in order,
// reversed and shuffled, and each overlapping the next.
TEST(DefragGrowth, ManyTinyFragmentsInEveryOrder) {
  constexpr uint32_t kBlocks = 250;
  std::vector<Frag> in_order, overlapping;
  for (uint32_t i = 0; i < kBlocks; ++i) {
    const bool last = i + 1 == kBlocks;
    in_order.push_back({i * 8, (i + 1) * 8, !last, static_cast<uint8_t>(1 + i % 255)});
    overlapping.push_back({i * 8, last ? (i + 1) * 8 : (i + 2) * 8, !last, static_cast<uint8_t>(1 + i % 255)});
  }
  std::vector<Frag> reversed(in_order.rbegin(), in_order.rend());
  std::vector<Frag> shuffled = in_order;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(5));
  for (Policy policy : kPolicies) {
    for (const auto* frags : {&in_order, &reversed, &shuffled, &overlapping}) {
      CheckAgainstModel(policy, kBlocks * 8, *frags);
    }
  }
}

}  // namespace
}  // namespace kagami::defrag
