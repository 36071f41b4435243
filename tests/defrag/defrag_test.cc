// Defragmenter: reassembly in any order, IPv6 extension headers, overlaps
// under each policy, timeouts, the memcap and malformed fragments. Fragments
// are cut from packets the builder makes, then decoded like captured ones.

#include "engine/defrag/defragmenter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/packet_view.h"
#include "engine/decode/decoder.h"
#include "engine/decode/packet.h"
#include "tests/support/packet_builder.h"

namespace kagami::defrag {
namespace {

namespace kt = kagami::testing;
using kt::Bytes;

constexpr int64_t kSecond = 1'000'000'000;
constexpr uint8_t kProtoTest = 253;  // RFC 3692 experimental: decoded as plain payload

Bytes Concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Bytes Fill(char c, size_t n) { return Bytes(n, static_cast<uint8_t>(c)); }
kt::IpOptions Id(uint16_t id) {
  kt::IpOptions o;
  o.id = id;
  return o;
}
kt::IpOptions WithOptions(uint16_t id, Bytes options) {
  kt::IpOptions o = Id(id);
  o.ipv4_options = std::move(options);
  return o;
}
std::string AsString(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

void Put16(Bytes& b, size_t at, uint32_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

void FixIpv4Checksum(Bytes& b) {
  const size_t hlen = (b[0] & 0x0f) * 4u;
  b[10] = b[11] = 0;
  uint32_t sum = 0;
  for (size_t i = 0; i < hlen; i += 2) sum += static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  Put16(b, 10, ~sum & 0xffff);
}

// An IPv4 fragment: the header of `ip` (an IPv4 packet, options included)
// with `data` at byte `offset` of the payload.
Bytes V4Frag(const Bytes& ip, uint32_t offset, const Bytes& data, bool more) {
  const size_t hlen = (ip[0] & 0x0f) * 4u;
  Bytes f(ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(hlen));
  f = Concat(f, data);
  Put16(f, 2, static_cast<uint32_t>(f.size()));
  Put16(f, 6, (f[6] & 0x40u) << 8 | (more ? 0x2000u : 0u) | offset / 8);
  FixIpv4Checksum(f);
  return f;
}

// Cuts an IPv4 packet's payload at `cuts` (payload offsets, multiples of 8).
std::vector<Bytes> V4Fragments(const Bytes& ip, std::vector<uint32_t> cuts) {
  const size_t hlen = (ip[0] & 0x0f) * 4u;
  const Bytes payload(ip.begin() + static_cast<std::ptrdiff_t>(hlen), ip.end());
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(static_cast<uint32_t>(payload.size()));
  std::vector<Bytes> out;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    const Bytes data(payload.begin() + cuts[i], payload.begin() + cuts[i + 1]);
    out.push_back(V4Frag(ip, cuts[i], data, i + 2 < cuts.size()));
  }
  return out;
}

// An IPv6 fragment: `unfragmentable` (fixed header and the extension headers
// before the Fragment header, the last Next Header already 44), then a
// Fragment header, then `data` at byte `offset` of the fragmentable part.
Bytes V6Frag(const Bytes& unfragmentable, uint8_t next_header, uint32_t id, uint32_t offset,
             const Bytes& data, bool more) {
  Bytes f = unfragmentable;
  Bytes fh(8, 0);
  fh[0] = next_header;
  Put16(fh, 2, offset | (more ? 1u : 0u));
  Put16(fh, 4, id >> 16);
  Put16(fh, 6, id & 0xffff);
  f = Concat(Concat(f, fh), data);
  Put16(f, 4, static_cast<uint32_t>(f.size() - 40));
  return f;
}

// Cuts an IPv6 packet after its first `unfragmentable_len` bytes. `at_nh` is
// the Next Header field that must name the Fragment header.
std::vector<Bytes> V6Fragments(const Bytes& ip, size_t unfragmentable_len, size_t at_nh,
                               uint32_t id, std::vector<uint32_t> cuts) {
  Bytes unfragmentable(ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(unfragmentable_len));
  const uint8_t next = unfragmentable[at_nh];
  unfragmentable[at_nh] = 44;
  const Bytes payload(ip.begin() + static_cast<std::ptrdiff_t>(unfragmentable_len), ip.end());
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(static_cast<uint32_t>(payload.size()));
  std::vector<Bytes> out;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    const Bytes data(payload.begin() + cuts[i], payload.begin() + cuts[i + 1]);
    out.push_back(V6Frag(unfragmentable, next, id, cuts[i], data, i + 2 < cuts.size()));
  }
  return out;
}

// An IPv6 extension header of `len` bytes (multiple of 8) padded with PadN.
Bytes Ext(uint8_t next, size_t len) {
  Bytes h(len, 0);
  h[0] = next;
  h[1] = static_cast<uint8_t>(len / 8 - 1);
  h[2] = 1;
  h[3] = static_cast<uint8_t>(len - 4);
  return h;
}

std::string Payload(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

class DefragTest : public ::testing::Test {
 protected:
  void Configure(DefragOptions o) { defrag_ = std::make_unique<Defragmenter>(o); }

  // Decodes `frame` (raw IP unless told) and feeds it; returns a copy of
  // what Add returned.
  Bytes Feed(const Bytes& frame, int64_t ts = 0, uint32_t linktype = capture::kLinkRaw,
             uint32_t wirelen = 0) {
    capture::PacketView view;
    view.linktype = linktype;
    view.caplen = static_cast<uint32_t>(frame.size());
    view.wirelen = wirelen ? wirelen : view.caplen;
    view.data = frame.data();
    decode::Packet pkt;
    decoder_.Decode(view, pkt);
    last_ = pkt;
    const std::span<const uint8_t> out = defrag_->Add(pkt, ts);
    return Bytes(out.begin(), out.end());
  }

  // Feeds fragments in order; returns what the last one returned and
  // expects the ones before it to return nothing.
  Bytes FeedAll(const std::vector<Bytes>& frags, int64_t ts = 0) {
    Bytes out;
    for (size_t i = 0; i < frags.size(); ++i) {
      out = Feed(frags[i], ts);
      if (i + 1 < frags.size()) {
        EXPECT_TRUE(out.empty()) << "fragment " << i;
      }
    }
    return out;
  }

  // Decodes a reassembled datagram the way the pipeline will.
  decode::Packet Redecode(const Bytes& ip) {
    redecoded_ = ip;
    view_ = capture::PacketView{};
    view_.linktype = capture::kLinkRaw;
    view_.caplen = view_.wirelen = static_cast<uint32_t>(redecoded_.size());
    view_.data = redecoded_.data();
    decode::Packet pkt;
    EXPECT_EQ(decoder_.Decode(view_, pkt), decode::DecodeResult::kOk);
    return pkt;
  }

  const DefragCounters& counters() const { return defrag_->counters(); }

  decode::Decoder decoder_{decode::DecoderOptions{.verify_checksums = true}};
  std::unique_ptr<Defragmenter> defrag_ = std::make_unique<Defragmenter>(DefragOptions{});
  decode::Packet last_;
  Bytes redecoded_;
  capture::PacketView view_;
};

// ---------------------------------------------------------------- orders

TEST_F(DefragTest, Ipv4UdpEveryOrderOfFourFragments) {
  const std::string text = Payload(100);
  const Bytes ip = kt::Ip("10.0.0.1", "10.0.0.2", 17, kt::Udp("10.0.0.1", 53, "10.0.0.2", 5353, text),
                          Id(0x1234));
  std::vector<Bytes> frags = V4Fragments(ip, {32, 64, 96});  // 108 bytes of UDP
  ASSERT_EQ(frags.size(), 4u);
  std::vector<size_t> order(frags.size());
  std::iota(order.begin(), order.end(), 0);
  int permutations = 0;
  do {
    std::vector<Bytes> shuffled;
    for (size_t i : order) shuffled.push_back(frags[i]);
    const Bytes out = FeedAll(shuffled);
    // Reassembly gives back exactly the packet that was fragmented.
    ASSERT_EQ(out, ip) << "permutation " << permutations;
    const decode::Packet p = Redecode(out);
    EXPECT_TRUE(p.has_udp());
    EXPECT_FALSE(p.is_fragment);
    EXPECT_FALSE(p.ip_checksum_bad);
    EXPECT_FALSE(p.l4_checksum_bad);
    EXPECT_EQ(p.dst_port, 5353);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.payload), p.payload_len), text);
    EXPECT_EQ(defrag_->memory_in_use(), 0u);
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 24);
  EXPECT_EQ(counters().reassembled, 24u);
  EXPECT_EQ(counters().fragments, 96u);
  EXPECT_EQ(counters().overlaps, 0u);
  EXPECT_EQ(counters().in_progress, 0u);
}

TEST_F(DefragTest, Ipv4TcpEveryOrderOfThreeFragments) {
  const std::string text = Payload(60);
  const Bytes ip = kt::Ip("192.168.1.1", "192.168.1.2", 6,
                          kt::Tcp("192.168.1.1", 40000, "192.168.1.2", 80, text), Id(7));
  const std::vector<Bytes> frags = V4Fragments(ip, {16, 48});  // 80 bytes of TCP
  std::vector<size_t> order = {0, 1, 2};
  do {
    const Bytes out = FeedAll({frags[order[0]], frags[order[1]], frags[order[2]]});
    ASSERT_EQ(out, ip);
    const decode::Packet p = Redecode(out);
    ASSERT_TRUE(p.has_tcp());
    EXPECT_FALSE(p.l4_checksum_bad);
    EXPECT_EQ(p.dst_port, 80);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.payload), p.payload_len), text);
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(counters().reassembled, 6u);
}

TEST_F(DefragTest, Ipv6UdpEveryOrderOfFourFragments) {
  const std::string text = Payload(90);
  const Bytes ip = kt::Ip("2001:db8::1", "2001:db8::2", 17,
                          kt::Udp("2001:db8::1", 1000, "2001:db8::2", 2000, text));
  const std::vector<Bytes> frags = V6Fragments(ip, 40, 6, 0xdeadbeef, {24, 48, 80});
  std::vector<size_t> order = {0, 1, 2, 3};
  int permutations = 0;
  do {
    std::vector<Bytes> shuffled;
    for (size_t i : order) shuffled.push_back(frags[i]);
    const Bytes out = FeedAll(shuffled);
    ASSERT_EQ(out, ip) << "permutation " << permutations;
    const decode::Packet p = Redecode(out);
    ASSERT_TRUE(p.has_udp());
    EXPECT_FALSE(p.l4_checksum_bad);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.payload), p.payload_len), text);
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 24);
  EXPECT_EQ(counters().reassembled, 24u);
  EXPECT_EQ(defrag_->memory_in_use(), 0u);
}

TEST_F(DefragTest, Ipv6ExtensionHeadersBeforeAndAfterTheFragmentHeader) {
  // Unfragmentable: hop-by-hop (8) and routing (24, no segments left).
  // Fragmentable: destination options (16), then UDP.
  Bytes routing = Ext(60, 24);
  routing[2] = 0;  // a type 0 routing header with no segments left
  routing[3] = 0;
  const Bytes ext = Concat(Concat(Ext(43, 8), routing), Ext(17, 16));
  const std::string text = Payload(70);
  const Bytes ip = kt::Ip("2001:db8::1", "2001:db8::2", 0,
                          Concat(ext, kt::Udp("2001:db8::1", 1, "2001:db8::2", 2, text)));
  // The routing header's Next Header (at 40 + 8) names the Fragment header.
  const std::vector<Bytes> frags = V6Fragments(ip, 72, 48, 42, {40, 64});

  Feed(frags[1]);
  EXPECT_TRUE(last_.is_fragment);
  EXPECT_EQ(last_.ipv6_frag_offset, 72);  // the decoder says where it is
  Feed(frags[2]);
  const Bytes out = Feed(frags[0]);
  ASSERT_EQ(out, ip);
  const decode::Packet p = Redecode(out);
  EXPECT_EQ(p.ipv6_frag_offset, 0);
  ASSERT_TRUE(p.has_udp());
  EXPECT_FALSE(p.l4_checksum_bad);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.payload), p.payload_len), text);
}

TEST_F(DefragTest, Ipv4OptionsComeFromTheFirstFragment) {
  const std::string text = Payload(40);
  // Record route (7 bytes) + NOP: a 28-byte header.
  const Bytes ip = kt::Ip("10.0.0.1", "10.0.0.2", 17, kt::Udp("10.0.0.1", 1, "10.0.0.2", 2, text),
                          WithOptions(5, {7, 7, 4, 0, 0, 0, 0, 1}));
  ASSERT_EQ(ip[0], 0x47);
  std::vector<Bytes> frags = V4Fragments(ip, {24});
  // Later fragments carry only the options that are copied; none here.
  const Bytes plain = kt::Ip("10.0.0.1", "10.0.0.2", 17, {}, Id(5));
  frags[1] = V4Frag(plain, 24, Bytes(ip.begin() + 28 + 24, ip.end()), false);
  Feed(frags[1]);
  ASSERT_EQ(Feed(frags[0]), ip);
}

TEST_F(DefragTest, EthernetAndVlansKeepDatagramsApart) {
  const Bytes a = kt::Ip("10.0.0.1", "10.0.0.2", 17, kt::Udp("10.0.0.1", 1, "10.0.0.2", 2, Payload(30)),
                         Id(9));
  Bytes b = kt::Ip("10.0.0.1", "10.0.0.2", 17,
                   kt::Udp("10.0.0.1", 1, "10.0.0.2", 2, std::string(30, 'Z')), Id(9));
  const std::vector<Bytes> fa = V4Fragments(a, {16});
  const std::vector<Bytes> fb = V4Fragments(b, {16});
  kt::IpOptions vlan10, vlan20;
  vlan10.vlans = {10};
  vlan20.vlans = {20};
  EXPECT_TRUE(Feed(kt::Ethernet(fa[0], vlan10), 0, capture::kLinkEthernet).empty());
  EXPECT_TRUE(Feed(kt::Ethernet(fb[1], vlan20), 0, capture::kLinkEthernet).empty());
  EXPECT_EQ(counters().in_progress, 2u);
  EXPECT_EQ(Feed(kt::Ethernet(fa[1], vlan10), 0, capture::kLinkEthernet), a);
  EXPECT_EQ(Feed(kt::Ethernet(fb[0], vlan20), 0, capture::kLinkEthernet), b);
  EXPECT_EQ(counters().overlaps, 0u);
}

TEST_F(DefragTest, Ipv4ProtocolIsPartOfTheKey) {
  const Bytes a = kt::Ip("10.0.0.1", "10.0.0.2", 17, Fill('u', 24), Id(3));
  const Bytes b = kt::Ip("10.0.0.1", "10.0.0.2", 6, Fill('t', 24), Id(3));
  const std::vector<Bytes> fa = V4Fragments(a, {8}), fb = V4Fragments(b, {8});
  Feed(fa[0]);
  Feed(fb[0]);
  EXPECT_EQ(counters().in_progress, 2u);
  EXPECT_EQ(Feed(fb[1]), b);
  EXPECT_EQ(Feed(fa[1]), a);
}

TEST_F(DefragTest, Ipv6NextHeaderIsNotPartOfTheKey) {
  // RFC 8200 4.5: only the offset-0 fragment's Next Header counts; later
  // ones may differ and still belong to the datagram (as in Linux).
  const Bytes ip = kt::Ip("2001:db8::1", "2001:db8::2", kProtoTest, Fill('x', 32));
  std::vector<Bytes> frags = V6Fragments(ip, 40, 6, 77, {16});
  frags[1][40] = 6;  // the later fragment claims TCP
  Feed(frags[1]);
  EXPECT_EQ(Feed(frags[0]), ip);
}

// ---------------------------------------------------------------- duplicates

TEST_F(DefragTest, DuplicatesChangeNothing) {
  const Bytes ip = kt::Ip("10.0.0.1", "10.0.0.2", 17,
                          kt::Udp("10.0.0.1", 1, "10.0.0.2", 2, Payload(50)), Id(11));
  const std::vector<Bytes> f = V4Fragments(ip, {16, 40});
  EXPECT_TRUE(Feed(f[1]).empty());
  EXPECT_TRUE(Feed(f[1]).empty());
  EXPECT_TRUE(Feed(f[0]).empty());
  EXPECT_TRUE(Feed(f[0]).empty());
  EXPECT_EQ(Feed(f[2]), ip);
  EXPECT_EQ(counters().overlaps, 2u);  // a duplicate overlaps what it repeats
  EXPECT_EQ(counters().reassembled, 1u);
  // A copy arriving after reassembly starts a new datagram that times out.
  EXPECT_TRUE(Feed(f[2], kSecond).empty());
  EXPECT_EQ(counters().in_progress, 1u);
  defrag_->Expire(kSecond + 61 * kSecond);
  EXPECT_EQ(counters().timeouts, 1u);
  EXPECT_EQ(defrag_->memory_in_use(), 0u);
}

// ---------------------------------------------------------------- overlaps

// One datagram that tells the six policies apart. In 8-byte units
// (lower case: the earlier fragments, upper case: the later ones):
//
//   unit   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14
//   old    Z  a     b  b     c     d  d        e  e      Z = first and last fragments
//   new       E  F  F  F  G  G  G     H  H  I  I
//
//   E  same begin and end as a              (linux, last win)
//   F  begins before b, ends with it        (bsd, linux, solaris, last win)
//   G  strictly encloses c                  (all but first)
//   H  begins inside d, ends after it       (only last)
//   I  begins before e, ends inside it      (bsd, linux, last)
struct PolicyCase {
  Policy policy;
  std::string_view units;  // expected letter of each 8-byte unit
};

class OverlapPolicyTest : public DefragTest, public ::testing::WithParamInterface<PolicyCase> {
 protected:
  // Each fragment of the scenario: begin and end unit, letter, MF.
  struct Piece {
    uint32_t begin, end;
    char c;
    bool more;
  };
  static constexpr Piece kPieces[] = {
      {1, 2, 'a', true},   {3, 5, 'b', true},   {6, 7, 'c', true},   {8, 10, 'd', true},
      {12, 14, 'e', true}, {0, 1, 'Z', true},   {1, 2, 'E', true},   {2, 5, 'F', true},
      {5, 8, 'G', true},   {9, 11, 'H', true},  {11, 13, 'I', true}, {14, 15, 'Z', false},
  };

  static std::string Expand(std::string_view units) {
    std::string s;
    for (char c : units) s.append(8, c);
    return s;
  }
};

TEST_P(OverlapPolicyTest, Ipv4) {
  Configure({.policy = GetParam().policy});
  const Bytes header = kt::Ip("10.1.1.1", "10.2.2.2", kProtoTest, {}, Id(0x4242));
  Bytes out;
  for (const Piece& p : kPieces) {
    out = Feed(V4Frag(header, p.begin * 8, Fill(p.c, (p.end - p.begin) * 8), p.more));
  }
  ASSERT_FALSE(out.empty());
  const decode::Packet pkt = Redecode(out);
  EXPECT_FALSE(pkt.ip_checksum_bad);
  EXPECT_EQ(pkt.ip_proto, kProtoTest);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pkt.payload), pkt.payload_len),
            Expand(GetParam().units))
      << PolicyName(GetParam().policy);
  EXPECT_EQ(counters().overlaps, 5u);  // E F G H I
}

TEST_P(OverlapPolicyTest, Ipv6) {
  Configure({.policy = GetParam().policy});
  Bytes unfragmentable = kt::Ip("2001:db8::1", "2001:db8::2", 44, {});
  Bytes out;
  for (const Piece& p : kPieces) {
    out = Feed(V6Frag(unfragmentable, kProtoTest, 99, p.begin * 8,
                      Fill(p.c, (p.end - p.begin) * 8), p.more));
  }
  ASSERT_FALSE(out.empty());
  const decode::Packet pkt = Redecode(out);
  EXPECT_EQ(pkt.ip_proto, kProtoTest);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pkt.payload), pkt.payload_len),
            Expand(GetParam().units))
      << PolicyName(GetParam().policy);
}

INSTANTIATE_TEST_SUITE_P(
    Policies, OverlapPolicyTest,
    ::testing::Values(
        //                          unit: 0         1
        //                                012345678901234
        PolicyCase{Policy::kFirst,   "ZaFbbGcGddHIeeZ"},
        PolicyCase{Policy::kLast,    "ZEFFFGGGdHHIIeZ"},
        PolicyCase{Policy::kBsd,     "ZaFFFGGGddHIIeZ"},
        PolicyCase{Policy::kLinux,   "ZEFFFGGGddHIIeZ"},
        PolicyCase{Policy::kWindows, "ZaFbbGGGddHIeeZ"},
        PolicyCase{Policy::kSolaris, "ZaFFFGGGddHIeeZ"}),
    [](const ::testing::TestParamInfo<PolicyCase>& info) {
      return std::string(PolicyName(info.param.policy));
    });

TEST_F(DefragTest, LaterFragmentsCompareWithWhoeverHoldsTheBytes) {
  // Under bsd a fragment beats an earlier one only if it begins before it.
  // Bytes 8-15: held by A [8,24), then taken by B [0,16) (begins before A);
  // C [8,16) begins after B, so B keeps them, though C equals A's start.
  Configure({.policy = Policy::kBsd});
  const Bytes header = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, {}, Id(1));
  Feed(V4Frag(header, 8, Fill('A', 16), true));
  Feed(V4Frag(header, 0, Fill('B', 16), true));
  Feed(V4Frag(header, 8, Fill('C', 8), true));
  const Bytes out = Feed(V4Frag(header, 24, Fill('D', 8), false));
  ASSERT_EQ(out.size(), 20u + 32);
  EXPECT_EQ(AsString(std::span(out).subspan(20)), "BBBBBBBBBBBBBBBBAAAAAAAADDDDDDDD");
  EXPECT_EQ(counters().overlaps, 2u);
}

// ---------------------------------------------------------------- time and memory

TEST_F(DefragTest, IncompleteDatagramsTimeOut) {
  Configure({.timeout_ns = 30 * kSecond});
  const Bytes ip = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, Fill('x', 48), Id(2));
  const std::vector<Bytes> f = V4Fragments(ip, {16, 32});
  Feed(f[0], 100 * kSecond);
  Feed(f[1], 120 * kSecond);  // a later fragment does not extend the deadline
  EXPECT_GT(defrag_->memory_in_use(), 0u);
  defrag_->Expire(130 * kSecond);  // exactly the timeout: not older than it
  EXPECT_EQ(counters().in_progress, 1u);
  defrag_->Expire(130 * kSecond + 1);
  EXPECT_EQ(counters().timeouts, 1u);
  EXPECT_EQ(counters().in_progress, 0u);
  EXPECT_EQ(defrag_->memory_in_use(), 0u);
  // The missing piece alone now completes nothing.
  EXPECT_TRUE(Feed(f[2], 131 * kSecond).empty());
  EXPECT_EQ(counters().reassembled, 0u);
}

TEST_F(DefragTest, AStaleDatagramIsNotCompletedEvenWithoutExpire) {
  Configure({.timeout_ns = 30 * kSecond});
  const Bytes ip = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, Fill('x', 32), Id(2));
  const std::vector<Bytes> f = V4Fragments(ip, {16});
  Feed(f[0], 0);
  EXPECT_TRUE(Feed(f[1], 31 * kSecond).empty());
  EXPECT_EQ(counters().timeouts, 1u);
  EXPECT_EQ(counters().in_progress, 1u);  // f[1] waits in a new datagram
  EXPECT_EQ(Feed(f[0], 32 * kSecond), ip);
}

TEST_F(DefragTest, MemcapEvictsTheOldestDatagramFirst) {
  // Three datagrams of a 1200-byte and an 8-byte fragment; the cap holds two
  // first halves and a little more.
  auto halves = [](uint16_t id) {
    const Bytes ip = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, Fill('m', 1208), Id(id));
    return V4Fragments(ip, {1200});
  };
  const std::vector<Bytes> a = halves(1), b = halves(2), c = halves(3);
  Feed(a[0]);
  const size_t one = defrag_->memory_in_use();
  const size_t cap = one * 5 / 2;
  Configure({.memcap = cap});

  Feed(a[0]);
  Feed(b[0]);
  EXPECT_EQ(counters().memcap_drops, 0u);
  EXPECT_EQ(defrag_->memory_in_use(), 2 * one);
  Feed(c[0]);  // does not fit with a and b: a, the oldest, goes
  EXPECT_EQ(counters().memcap_drops, 1u);
  EXPECT_EQ(counters().in_progress, 2u);
  EXPECT_LE(defrag_->memory_in_use(), cap);
  const Bytes whole_b = Feed(b[1]);  // b survived
  EXPECT_EQ(whole_b.size(), 20u + 1208);
  EXPECT_TRUE(Feed(a[1]).empty());  // a is gone: its second half starts over
  EXPECT_FALSE(Feed(c[1]).empty());
  EXPECT_EQ(counters().memcap_drops, 1u);
  EXPECT_LE(defrag_->memory_in_use(), cap);
}

TEST_F(DefragTest, ADatagramLargerThanTheMemcapIsDropped) {
  Configure({.memcap = 3000});
  const Bytes small = kt::Ip("10.0.0.9", "10.0.0.2", kProtoTest, Fill('s', 16), Id(1));
  const std::vector<Bytes> s = V4Fragments(small, {8});
  Feed(s[0]);
  const Bytes big = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, Fill('b', 6000), Id(2));
  const std::vector<Bytes> f = V4Fragments(big, {1000, 2000, 3000, 4000, 5000});
  for (const Bytes& frag : f) {
    EXPECT_TRUE(Feed(frag).empty());
    EXPECT_LE(defrag_->memory_in_use(), 3000u);
  }
  EXPECT_EQ(counters().reassembled, 0u);
  EXPECT_GE(counters().memcap_drops, 1u);
  // A datagram that cannot fit even alone does not push the others out.
  EXPECT_EQ(Feed(s[1]), small);

  // A single fragment above the cap is refused outright.
  Configure({.memcap = 500});
  Feed(f[0]);
  EXPECT_EQ(counters().memcap_drops, 1u);
  EXPECT_EQ(counters().in_progress, 0u);
  EXPECT_EQ(defrag_->memory_in_use(), 0u);
}

TEST_F(DefragTest, TooLargeDatagramsAreDropped) {
  const Bytes header = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, {}, Id(4));
  Feed(V4Frag(header, 0, Fill('a', 64), true));
  EXPECT_EQ(counters().in_progress, 1u);
  // 20 + 65512 + 16 > 65535
  EXPECT_TRUE(Feed(V4Frag(header, 65512, Fill('z', 16), false)).empty());
  EXPECT_EQ(counters().too_large, 1u);
  EXPECT_EQ(counters().in_progress, 0u);  // the datagram went with it
  EXPECT_EQ(defrag_->memory_in_use(), 0u);

  // The largest legal one still reassembles: 20 + 65515 bytes.
  Bytes out;
  for (uint32_t off = 0; off < 65515; off += 1480) {
    const uint32_t n = std::min<uint32_t>(1480, 65515 - off);
    out = Feed(V4Frag(header, off, Fill('q', n), off + n < 65515));
  }
  ASSERT_EQ(out.size(), 65535u);
  EXPECT_EQ(Redecode(out).payload_len, 65515u);

  // IPv6: the payload length counts the fragmentable part.
  const Bytes v6 = kt::Ip("2001:db8::1", "2001:db8::2", 44, {});
  EXPECT_TRUE(Feed(V6Frag(v6, kProtoTest, 1, 65528, Fill('z', 16), false)).empty());
  EXPECT_EQ(counters().too_large, 2u);
}

TEST_F(DefragTest, TooManyFragmentsDropTheDatagram) {
  Configure({.max_fragments_per_datagram = 4});
  const Bytes header = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, {}, Id(4));
  for (uint32_t i = 0; i < 5; ++i) Feed(V4Frag(header, 8 + i * 16, Fill('x', 8), true));
  EXPECT_EQ(counters().too_many_fragments, 1u);
  EXPECT_EQ(counters().in_progress, 0u);
  EXPECT_EQ(defrag_->memory_in_use(), 0u);
}

// ---------------------------------------------------------------- malformed

TEST_F(DefragTest, MalformedFragmentsAreCountedAndIgnored) {
  const Bytes header = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, {}, Id(6));
  // Empty fragment.
  EXPECT_TRUE(Feed(V4Frag(header, 8, {}, true)).empty());
  // A non-last fragment whose length is not a multiple of 8.
  EXPECT_TRUE(Feed(V4Frag(header, 0, Fill('x', 12), true)).empty());
  EXPECT_EQ(counters().bad_fragments, 2u);
  EXPECT_EQ(counters().in_progress, 0u);
  // Cut by the snaplen: the missing bytes must not be invented.
  Bytes cut = V4Frag(header, 0, Fill('x', 64), true);
  const uint32_t wirelen = static_cast<uint32_t>(cut.size());
  cut.resize(cut.size() - 10);
  EXPECT_TRUE(Feed(cut, 0, capture::kLinkRaw, wirelen).empty());
  EXPECT_EQ(counters().bad_fragments, 3u);
  // Not a fragment at all.
  const Bytes whole = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, Fill('w', 8));
  EXPECT_TRUE(Feed(whole).empty());
  EXPECT_EQ(counters().bad_fragments, 4u);
  // Garbage that does not decode as IP.
  EXPECT_TRUE(Feed(Bytes{0x45, 0x00}).empty());
  EXPECT_EQ(counters().bad_fragments, 5u);
  EXPECT_EQ(counters().fragments, 5u);
  EXPECT_EQ(counters().in_progress, 0u);
}

TEST_F(DefragTest, TheFirstLastFragmentFixesTheLength) {
  const Bytes header = kt::Ip("10.0.0.1", "10.0.0.2", kProtoTest, {}, Id(8));
  Feed(V4Frag(header, 16, Fill('c', 8), false));         // ends at 24
  EXPECT_TRUE(Feed(V4Frag(header, 24, Fill('x', 8), true)).empty());   // past the end
  EXPECT_TRUE(Feed(V4Frag(header, 8, Fill('y', 24), false)).empty());  // another end
  EXPECT_EQ(counters().bad_fragments, 2u);
  const Bytes out = Feed(V4Frag(header, 0, Fill('a', 16), true));
  ASSERT_EQ(out.size(), 20u + 24);
  EXPECT_EQ(AsString(std::span(out).subspan(20)), "aaaaaaaaaaaaaaaacccccccc");

  // A last fragment ending before data already held is ignored too.
  Feed(V4Frag(header, 32, Fill('z', 8), true));
  EXPECT_TRUE(Feed(V4Frag(header, 8, Fill('z', 8), false)).empty());
  EXPECT_EQ(counters().bad_fragments, 3u);
}

TEST_F(DefragTest, MalformedIpv6Fragments) {
  const Bytes v6 = kt::Ip("2001:db8::1", "2001:db8::2", 44, {});
  // Payload length pointing past the capture (cut fragment).
  Bytes f = V6Frag(v6, kProtoTest, 1, 0, Fill('x', 32), true);
  const uint32_t wirelen = static_cast<uint32_t>(f.size());
  f.resize(f.size() - 8);
  EXPECT_TRUE(Feed(f, 0, capture::kLinkRaw, wirelen).empty());
  // Empty and odd-sized non-last fragments.
  EXPECT_TRUE(Feed(V6Frag(v6, kProtoTest, 1, 8, {}, true)).empty());
  EXPECT_TRUE(Feed(V6Frag(v6, kProtoTest, 1, 8, Fill('x', 9), true)).empty());
  EXPECT_EQ(counters().bad_fragments, 3u);
  EXPECT_EQ(counters().in_progress, 0u);
}

TEST_F(DefragTest, EveryTruncationOfEveryFragmentIsSafe) {
  // Whatever the capture cut off, nothing crashes and nothing is reassembled
  // from a cut fragment.
  const Bytes ip = kt::Ip("2001:db8::1", "2001:db8::2", 0,
                          Concat(Ext(17, 8), kt::Udp("2001:db8::1", 1, "2001:db8::2", 2, Payload(40))));
  const std::vector<Bytes> frags = V6Fragments(ip, 48, 40, 5, {24});
  for (size_t cut = 0; cut < frags[0].size(); ++cut) {
    Configure({});
    Bytes first(frags[0].begin(), frags[0].begin() + static_cast<std::ptrdiff_t>(cut));
    Feed(first, 0, capture::kLinkRaw, static_cast<uint32_t>(frags[0].size()));
    EXPECT_TRUE(Feed(frags[1]).empty()) << cut;
  }
}

}  // namespace
}  // namespace kagami::defrag
