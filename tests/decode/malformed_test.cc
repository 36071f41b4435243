// Every truncation and a few corruptions of valid frames: never crash (run
// under ASan), never read past caplen, count an anomaly whenever a header
// is cut.

#include "tests/decode/decode_test_util.h"

#include <memory>

namespace kagami::decode::test {
namespace {

namespace kt = kagami::testing;

class MalformedTest : public DecoderTest {
 protected:
  // Decodes each prefix of `frame` from a heap buffer of exactly that size,
  // so that ASan catches any read past caplen. `headers` is how long the
  // frame's headers are: a cut inside them must be counted as an anomaly.
  void EveryTruncation(const Bytes& frame, uint32_t linktype, size_t headers) {
    for (size_t len = 0; len <= frame.size(); ++len) {
      std::unique_ptr<uint8_t[]> buf(new uint8_t[len ? len : 1]);
      std::copy(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(len), buf.get());
      capture::PacketView v;
      v.linktype = linktype;
      v.caplen = static_cast<uint32_t>(len);
      v.wirelen = static_cast<uint32_t>(frame.size());
      v.data = buf.get();
      const uint64_t before = TotalAnomalies();
      const DecodeResult r = decoder_.Decode(v, pkt_);
      if (len < headers) {
        EXPECT_EQ(r, DecodeResult::kMalformed) << "caplen " << len;
        EXPECT_EQ(TotalAnomalies(), before + 1) << "caplen " << len;
      } else {
        EXPECT_EQ(r, DecodeResult::kOk) << "caplen " << len;
        EXPECT_EQ(TotalAnomalies(), before) << "caplen " << len;
        EXPECT_LE(pkt_.payload + pkt_.payload_len, buf.get() + len);
      }
    }
  }
};

TEST_F(MalformedTest, EveryTruncationOfTcpIpv4) {
  kt::L4Options l4;
  l4.tcp_options = {2, 4, 5, 0xb4, 1, 1, 4, 2};
  kt::IpOptions ip;
  ip.ipv4_options = {1, 1, 1, 0};
  Bytes f = kt::EthTcp("10.0.0.1", 1234, "10.0.0.2", 80, "payload bytes", l4, ip);
  EveryTruncation(f, capture::kLinkEthernet, 14 + 24 + 28);
}

TEST_F(MalformedTest, EveryTruncationOfUdpIpv6WithExtensions) {
  Bytes ext(16, 0);
  ext[0] = 17;
  ext[1] = 1;
  Bytes udp = kt::Udp("2001:db8::1", 1, "2001:db8::2", 2, "dns query");
  kt::IpOptions vlan;
  vlan.vlans = {7, 8};
  Bytes f = kt::Ethernet(kt::Ip("2001:db8::1", "2001:db8::2", 60, Concat(ext, udp)), vlan);
  EveryTruncation(f, capture::kLinkEthernet, 22 + 40 + 16 + 8);
}

TEST_F(MalformedTest, EveryTruncationOfTcpIpv6) {
  Bytes ip = kt::Ip("2001:db8::1", "2001:db8::2", 6,
                    kt::Tcp("2001:db8::1", 1, "2001:db8::2", 2, "hello"));
  EveryTruncation(ip, capture::kLinkRaw, 60);
}

TEST_F(MalformedTest, EveryTruncationOfIcmpOverSll) {
  Bytes sll(16, 0);
  sll[14] = 0x08;
  Bytes f = Concat(sll, kt::Ip("10.0.0.1", "10.0.0.2", 1, kt::Icmp("10.0.0.1", "10.0.0.2", "p")));
  EveryTruncation(f, capture::kLinkLinuxSll, 16 + 20 + 8);
}

TEST_F(MalformedTest, EveryTruncationOfOtherLinks) {
  Bytes ip = kt::Ip("10.0.0.1", "10.0.0.2", 17, kt::Udp("10.0.0.1", 1, "10.0.0.2", 2, "u"));
  Bytes sll2(20, 0);
  sll2[0] = 0x08;
  EveryTruncation(Concat(sll2, ip), capture::kLinkLinuxSll2, 20 + 28);
  EveryTruncation(Concat({2, 0, 0, 0}, ip), capture::kLinkNull, 4 + 28);
  EveryTruncation(Concat({0, 0, 0, 2}, ip), capture::kLinkLoop, 4 + 28);
  EveryTruncation(Concat({0x0f, 0, 0x08, 0}, ip), capture::kLinkCiscoHdlc, 4 + 28);
  EveryTruncation(ip, capture::kLinkIpv4, 28);
}

TEST_F(MalformedTest, ArbitraryBytesNeverCrash) {
  // A cheap deterministic scramble of valid frames across all link types.
  const uint32_t links[] = {capture::kLinkNull, capture::kLinkEthernet, capture::kLinkRaw,
                            capture::kLinkCiscoHdlc, capture::kLinkLoop, capture::kLinkLinuxSll,
                            capture::kLinkIpv4, capture::kLinkIpv6, capture::kLinkLinuxSll2};
  Bytes base = kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "0123456789abcdef");
  uint32_t seed = 12345;
  for (int round = 0; round < 20000; ++round) {
    Bytes f = base;
    for (int k = 0; k < 4; ++k) {
      seed = seed * 1103515245u + 12345u;
      f[(seed >> 8) % f.size()] = static_cast<uint8_t>(seed >> 24);
    }
    seed = seed * 1103515245u + 12345u;
    f.resize((seed >> 8) % (f.size() + 1));
    std::unique_ptr<uint8_t[]> buf(new uint8_t[f.size() + 1]);
    std::copy(f.begin(), f.end(), buf.get());
    capture::PacketView v;
    v.linktype = links[round % std::size(links)];
    v.caplen = v.wirelen = static_cast<uint32_t>(f.size());
    v.data = buf.get();
    decoder_.Decode(v, pkt_);
    if (pkt_.payload) {
      ASSERT_LE(pkt_.payload + pkt_.payload_len, buf.get() + f.size());
    }
    if (pkt_.l4) {
      ASSERT_LE(pkt_.l4 + pkt_.l4_len, buf.get() + f.size());
    }
    if (pkt_.l3) {
      ASSERT_LE(pkt_.l3 + pkt_.l3_len, buf.get() + f.size());
    }
  }
  EXPECT_EQ(decoder_.counters().packets, 20000u);
}

}  // namespace
}  // namespace kagami::decode::test
