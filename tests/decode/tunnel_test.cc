// Tunnel decapsulation (Decoder::DecodeTunnel): GRE, ERSPAN I/II/III, VXLAN,
// Geneve, IP-in-IP, nesting and the depth limit, strict header checks, and
// every truncation of tunnelled frames.

#include "tests/decode/decode_test_util.h"

#include <cstring>
#include <memory>

namespace kagami::decode::test {
namespace {

namespace kt = kagami::testing;

constexpr std::string_view kSrc = "192.0.2.1", kDst = "192.0.2.2";      // outer
constexpr std::string_view kSrc6 = "2001:db8::a", kDst6 = "2001:db8::b";
constexpr std::string_view kInnerPayload = "inner payload";
constexpr size_t kEth = 14, kIp4 = 20, kIp6 = 40, kUdp = 8;

// What most tunnels carry here: 10.0.0.1:1234 -> 10.0.0.2:80 over TCP.
Bytes InnerIp() {
  return kt::Ip("10.0.0.1", "10.0.0.2", 6, kt::Tcp("10.0.0.1", 1234, "10.0.0.2", 80, kInnerPayload));
}
Bytes InnerIp6() {
  return kt::Ip("2001:db8::1", "2001:db8::2", 17,
                kt::Udp("2001:db8::1", 5353, "2001:db8::2", 53, kInnerPayload));
}
Bytes InnerEth() { return kt::Ethernet(InnerIp()); }

Bytes OverIp(uint8_t proto, const Bytes& l4, bool v6 = false) {
  return kt::Ethernet(v6 ? kt::Ip(kSrc6, kDst6, proto, l4) : kt::Ip(kSrc, kDst, proto, l4));
}
Bytes OverGre(const Bytes& gre, bool v6 = false) { return OverIp(47, gre, v6); }
Bytes OverUdp(uint16_t dport, const Bytes& payload, bool v6 = false) {
  return v6 ? OverIp(17, kt::UdpBytes(kSrc6, 50000, kDst6, dport, payload), true)
            : OverIp(17, kt::UdpBytes(kSrc, 50000, kDst, dport, payload));
}

std::string PayloadOf(const Packet& p) {
  return std::string(reinterpret_cast<const char*>(p.payload), p.payload_len);
}

class TunnelTest : public DecoderTest {
 protected:
  DecodeResult Tunnel(const Packet& outer, Packet& inner) {
    return decoder_.DecodeTunnel(outer, inner);
  }
  const DecoderCounters& Counters() const { return decoder_.counters(); }
  void Reconfigure(DecoderOptions o) {
    o.verify_checksums = true;
    decoder_ = Decoder(o);
  }

  // The inner packet every InnerIp()/InnerEth() tunnel carries, one level in.
  void ExpectInnerTcp(const Packet& in, TunnelType type) {
    EXPECT_EQ(in.ip_version, 4);
    EXPECT_EQ(in.src.ToString(), "10.0.0.1");
    EXPECT_EQ(in.dst.ToString(), "10.0.0.2");
    EXPECT_TRUE(in.has_tcp());
    EXPECT_EQ(in.src_port, 1234);
    EXPECT_EQ(in.dst_port, 80);
    EXPECT_EQ(PayloadOf(in), kInnerPayload);
    EXPECT_FALSE(in.ip_checksum_bad);
    EXPECT_FALSE(in.l4_checksum_bad);  // pseudo header of the inner addresses
    EXPECT_EQ(in.tunnel_type, type);
    EXPECT_EQ(in.tunnel_depth, 1);
    EXPECT_EQ(in.outer, &pkt_);
    EXPECT_EQ(&in.root(), &pkt_);
    EXPECT_EQ(in.view, &view_);
    // Inside the outer payload.
    EXPECT_GE(in.l3, pkt_.payload);
    EXPECT_LE(in.l3 + in.l3_len, pkt_.payload + pkt_.payload_len);
  }

  Packet in_[5];
};

TEST_F(TunnelTest, PlainPacketIsNoTunnel) {
  ASSERT_EQ(Decode(kt::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x")), DecodeResult::kOk);
  in_[0].ip_version = 4;  // reset by DecodeTunnel
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
  EXPECT_EQ(in_[0].ip_version, 0);
  EXPECT_EQ(in_[0].outer, nullptr);
  EXPECT_EQ(pkt_.tunnel_depth, 0);
  EXPECT_EQ(&pkt_.root(), &pkt_);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, NonIpIsNoTunnel) {
  Bytes arp = kt::Ethernet(Bytes(28, 0));
  arp[12] = 0x08;
  arp[13] = 0x06;
  ASSERT_EQ(Decode(arp), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
}

// --- GRE ---

TEST_F(TunnelTest, GreIpv4) {
  const Bytes gre = kt::Gre(0x0800, InnerIp());
  ASSERT_EQ(Decode(OverGre(gre)), DecodeResult::kOk);
  // The outer packet decodes as before: GRE is its payload.
  EXPECT_EQ(pkt_.ip_proto, 47);
  EXPECT_EQ(pkt_.src.ToString(), kSrc);
  EXPECT_EQ(pkt_.l4, nullptr);
  EXPECT_EQ(pkt_.payload_len, gre.size());
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kGre);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 4);
  EXPECT_EQ(in_[0].tunnel_id, 0u);
  EXPECT_EQ(Counters().gre, 1u);
  EXPECT_EQ(Counters().ipv4, 2u);  // outer and inner
  EXPECT_EQ(Counters().tcp, 1u);
  EXPECT_EQ(Counters().packets, 1u);
  EXPECT_EQ(TotalAnomalies(), 0u);
  // The inner packet carries no further tunnel.
  EXPECT_EQ(Tunnel(in_[0], in_[1]), DecodeResult::kNoTunnel);
}

TEST_F(TunnelTest, GreWithChecksumKeyAndSequence) {
  kt::GreOptions o;
  o.checksum = true;
  o.has_key = true;
  o.key = 0xdeadbeef;
  o.has_seq = true;
  o.seq = 7;
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x0800, InnerIp(), o))), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kGre);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 16);
  EXPECT_EQ(in_[0].tunnel_id, 0xdeadbeefu);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, GreKeyOnlyAndSequenceOnly) {
  kt::GreOptions key;
  key.has_key = true;
  key.key = 42;
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x0800, InnerIp(), key))), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 8);
  EXPECT_EQ(in_[0].tunnel_id, 42u);

  kt::GreOptions seq;
  seq.has_seq = true;
  seq.seq = 42;
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x0800, InnerIp(), seq))), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 8);
  EXPECT_EQ(in_[0].tunnel_id, 0u);
}

TEST_F(TunnelTest, GreIpv6InnerOverIpv6) {
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x86dd, InnerIp6()), /*v6=*/true)), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_version, 6);
  EXPECT_EQ(pkt_.ip_proto, 47);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  const Packet& in = in_[0];
  EXPECT_EQ(in.ip_version, 6);
  EXPECT_EQ(in.src.ToString(), "2001:db8::1");
  EXPECT_EQ(in.dst.ToString(), "2001:db8::2");
  EXPECT_TRUE(in.has_udp());
  EXPECT_EQ(in.src_port, 5353);
  EXPECT_EQ(in.dst_port, 53);
  EXPECT_EQ(PayloadOf(in), kInnerPayload);
  EXPECT_FALSE(in.l4_checksum_bad);
  EXPECT_EQ(in.tunnel_type, TunnelType::kGre);
  EXPECT_EQ(Counters().ipv6, 2u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, GreTransparentEthernetBridging) {
  kt::IpOptions tagged;
  tagged.vlans = {5};
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x6558, kt::Ethernet(InnerIp(), tagged)))), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kGre);
  EXPECT_EQ(in_[0].vlan_count, 1);
  EXPECT_EQ(in_[0].vlan_id[0], 5);
  EXPECT_EQ(pkt_.vlan_count, 0);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 4 + 18);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, GreInnerNonIpEthernet) {
  Bytes arp = kt::Ethernet(Bytes(28, 0));
  arp[12] = 0x08;
  arp[13] = 0x06;
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x6558, arp))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  EXPECT_EQ(in_[0].ip_version, 0);  // decoded, but nothing to inspect
  EXPECT_EQ(in_[0].tunnel_depth, 1);
  EXPECT_EQ(Counters().gre, 1u);
  EXPECT_EQ(Tunnel(in_[0], in_[1]), DecodeResult::kNoTunnel);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, GreWithRouting) {
  // RFC 1701: R bit, checksum/offset word, one SRE of 4 bytes, NULL SRE.
  Bytes gre = {0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0,
               0x08, 0x00, 0x00, 0x04, 10, 0, 0, 9,
               0x00, 0x00, 0x00, 0x00};
  ASSERT_EQ(Decode(OverGre(Concat(gre, InnerIp()))), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kGre);
  EXPECT_EQ(in_[0].l3, pkt_.payload + gre.size());

  // Without the NULL entry the routing runs into the inner packet and past.
  Bytes no_end(gre.begin(), gre.end() - 4);
  no_end[11] = 0xf0;  // an SRE longer than what is left
  ASSERT_EQ(Decode(OverGre(Concat(no_end, Bytes(40, 1)))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kGreTruncated), 1u);
}

TEST_F(TunnelTest, GreUnknownProtocolAndPptpAreNotDecapsulated) {
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x8847, Bytes(20, 0)))), DecodeResult::kOk);  // MPLS
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);

  // Version 1 (PPTP): K set, protocol PPP.
  Bytes pptp = {0x30, 0x81, 0x88, 0x0b, 0, 4, 0, 1, 0, 0, 0, 1, 0xff, 0x03, 0x00, 0x21};
  ASSERT_EQ(Decode(OverGre(pptp)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
  EXPECT_EQ(Counters().gre, 0u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, GreBadVersionAndFlags) {
  Bytes gre = kt::Gre(0x0800, InnerIp());
  gre[1] = 0x02;  // version 2
  ASSERT_EQ(Decode(OverGre(gre)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kGreBadVersion), 1u);
  EXPECT_EQ(in_[0].ip_version, 0);

  gre[1] = 0x00;
  gre[0] = 0x01;  // recursion control
  ASSERT_EQ(Decode(OverGre(gre)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  gre[0] = 0x00;
  gre[1] = 0x40;  // reserved flag bits
  ASSERT_EQ(Decode(OverGre(gre)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kGreBadHeader), 2u);
  EXPECT_EQ(Counters().gre, 0u);
}

TEST_F(TunnelTest, GreInnerVersionMismatch) {
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x0800, InnerIp6()))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kIpBadVersion), 1u);
}

// --- ERSPAN ---

TEST_F(TunnelTest, ErspanTypeI) {
  // No GRE sequence number: the mirrored frame follows GRE directly.
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x88be, InnerEth()))), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kErspan);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 4 + kEth);
  EXPECT_EQ(Counters().erspan, 1u);
  EXPECT_EQ(Counters().gre, 1u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, ErspanTypeII) {
  kt::GreOptions seq;
  seq.has_seq = true;
  seq.seq = 99;
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x88be, kt::Erspan2(0x155, InnerEth(), 12), seq))),
            DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kErspan);
  EXPECT_EQ(in_[0].tunnel_id, 0x155u);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 8 + 8 + kEth);
  EXPECT_EQ(Counters().erspan, 1u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, ErspanTypeIIBadVersion) {
  kt::GreOptions seq;
  seq.has_seq = true;
  Bytes erspan = kt::Erspan2(1, InnerEth());
  erspan[0] = static_cast<uint8_t>(0x20 | (erspan[0] & 0x0f));  // version 2 in a type II
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x88be, erspan, seq))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kErspanBadHeader), 1u);
  EXPECT_EQ(Counters().erspan, 0u);
}

TEST_F(TunnelTest, ErspanTypeIII) {
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x22eb, kt::Erspan3(0x2aa, InnerEth())))), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kErspan);
  EXPECT_EQ(in_[0].tunnel_id, 0x2aau);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 4 + 12 + kEth);

  // With the platform-specific subheader.
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x22eb, kt::Erspan3(3, InnerEth(), true)))),
            DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kErspan);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 4 + 20 + kEth);

  // Frame type 2: an IP packet, no Ethernet header.
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x22eb, kt::Erspan3(3, InnerIp6(), false, 2)))),
            DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  EXPECT_EQ(in_[0].ip_version, 6);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 4 + 12);
  EXPECT_EQ(Counters().erspan, 3u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, ErspanTypeIIIBadHeader) {
  Bytes bad_version = kt::Erspan3(3, InnerEth());
  bad_version[0] = 0x10;
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x22eb, bad_version))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x22eb, kt::Erspan3(3, InnerEth(), false, 5)))),
            DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kErspanBadHeader), 2u);
  // Frame type 2 and nothing after the header.
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x22eb, kt::Erspan3(3, {}, false, 2)))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kErspanTruncated), 1u);
}

// --- VXLAN ---

TEST_F(TunnelTest, Vxlan) {
  ASSERT_EQ(Decode(OverUdp(4789, kt::Vxlan(0x123456, InnerEth()))), DecodeResult::kOk);
  // The outer packet is still an ordinary UDP packet.
  EXPECT_TRUE(pkt_.has_udp());
  EXPECT_EQ(pkt_.dst_port, 4789);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kVxlan);
  EXPECT_EQ(in_[0].tunnel_id, 0x123456u);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 8 + kEth);
  EXPECT_EQ(Counters().vxlan, 1u);
  EXPECT_EQ(Counters().udp, 1u);
  EXPECT_EQ(Counters().tcp, 1u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, VxlanOverIpv6WithIpv6Inner) {
  ASSERT_EQ(Decode(OverUdp(4789, kt::Vxlan(7, kt::Ethernet(InnerIp6())), true)),
            DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  EXPECT_EQ(in_[0].ip_version, 6);
  EXPECT_EQ(in_[0].dst.ToString(), "2001:db8::2");
  EXPECT_TRUE(in_[0].has_udp());
  EXPECT_EQ(in_[0].dst_port, 53);
  EXPECT_EQ(PayloadOf(in_[0]), kInnerPayload);
  EXPECT_EQ(in_[0].tunnel_id, 7u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, VxlanBadHeaderIsNotDecapsulated) {
  const size_t flags = 0, reserved1 = 2, reserved2 = 7;
  const std::pair<size_t, uint8_t> edits[] = {
      {flags, 0x00}, {flags, 0x0c}, {flags, 0x88}, {reserved1, 0x01}, {reserved2, 0x80}};
  uint64_t n = 0;
  for (const auto& [at, value] : edits) {
    Bytes vx = kt::Vxlan(1, InnerEth());
    vx[at] = value;
    ASSERT_EQ(Decode(OverUdp(4789, vx)), DecodeResult::kOk);  // the outer UDP is fine
    EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed) << at;
    EXPECT_EQ(in_[0].ip_version, 0);
    EXPECT_EQ(Count(Anomaly::kVxlanBadHeader), ++n);
  }
  EXPECT_EQ(Counters().vxlan, 0u);
}

TEST_F(TunnelTest, VxlanOnlyOnConfiguredPorts) {
  const Bytes vx = kt::Vxlan(1, InnerEth());
  ASSERT_EQ(Decode(OverUdp(4790, vx)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
  // The source port does not count.
  Bytes reply = kt::Ethernet(kt::Ip(kSrc, kDst, 17, kt::UdpBytes(kSrc, 4789, kDst, 5000, vx)));
  ASSERT_EQ(Decode(reply), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);

  DecoderOptions o;
  o.vxlan_ports = {4790, 8472, 0, 0};
  Reconfigure(o);
  ASSERT_EQ(Decode(OverUdp(4790, vx)), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kVxlan);
  ASSERT_EQ(Decode(OverUdp(8472, vx)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ASSERT_EQ(Decode(OverUdp(4789, vx)), DecodeResult::kOk);  // no longer configured
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
  // Port 0 in the list is an unused slot, not a port.
  ASSERT_EQ(Decode(OverUdp(0, vx)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

// --- Geneve ---

TEST_F(TunnelTest, GeneveWithOptions) {
  const Bytes options = Concat(kt::GeneveOption(0x0102, 0x80, {1, 2, 3, 4, 5}),
                               kt::GeneveOption(0xffff, 0x01, {}));
  ASSERT_EQ(options.size(), 16u);
  ASSERT_EQ(Decode(OverUdp(6081, kt::Geneve(0xabcdef, 0x6558, InnerEth(), options))),
            DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kGeneve);
  EXPECT_EQ(in_[0].tunnel_id, 0xabcdefu);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 8 + 16 + kEth);
  EXPECT_EQ(Counters().geneve, 1u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, GeneveCarryingIp) {
  ASSERT_EQ(Decode(OverUdp(6081, kt::Geneve(1, 0x0800, InnerIp()))), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kGeneve);
  EXPECT_EQ(in_[0].l3, pkt_.payload + 8);
  ASSERT_EQ(Decode(OverUdp(6081, kt::Geneve(1, 0x86dd, InnerIp6()), true)), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  EXPECT_EQ(in_[0].ip_version, 6);
  EXPECT_EQ(PayloadOf(in_[0]), kInnerPayload);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, GeneveBadHeader) {
  Bytes version1 = kt::Geneve(1, 0x6558, InnerEth());
  version1[0] |= 0x40;
  ASSERT_EQ(Decode(OverUdp(6081, version1)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);

  // An option claiming more than the option length.
  Bytes overrun = kt::Geneve(1, 0x6558, InnerEth(), kt::GeneveOption(1, 1, {1, 2, 3, 4}));
  overrun[8 + 3] = 2;  // 2 words of data, only 1 in the options area
  ASSERT_EQ(Decode(OverUdp(6081, overrun)), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kGeneveBadHeader), 2u);

  // Options longer than the packet.
  Bytes cut = kt::Geneve(1, 0x6558, {});
  cut[0] = 0x3f;
  ASSERT_EQ(Decode(OverUdp(6081, Concat(cut, Bytes(20, 0)))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kGeneveTruncated), 1u);
  EXPECT_EQ(Counters().geneve, 0u);
}

TEST_F(TunnelTest, GeneveUnknownProtocolAndPortOff) {
  ASSERT_EQ(Decode(OverUdp(6081, kt::Geneve(1, 0x8847, InnerIp()))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
  DecoderOptions o;
  o.geneve_port = 0;
  Reconfigure(o);
  ASSERT_EQ(Decode(OverUdp(6081, kt::Geneve(1, 0x6558, InnerEth()))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

// --- IP in IP ---

TEST_F(TunnelTest, IpInIp) {
  ASSERT_EQ(Decode(OverIp(4, InnerIp())), DecodeResult::kOk);
  EXPECT_EQ(pkt_.ip_proto, 4);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kIpInIp);
  EXPECT_EQ(in_[0].l3, pkt_.payload);
  EXPECT_EQ(Counters().ipip, 1u);

  ASSERT_EQ(Decode(OverIp(4, InnerIp(), /*v6=*/true)), DecodeResult::kOk);  // 4 in 6
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  ExpectInnerTcp(in_[0], TunnelType::kIpInIp);
  EXPECT_EQ(Counters().ipip, 2u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, Ipv6InIp) {
  for (bool outer_v6 : {false, true}) {  // 6in4 (RFC 4213), 6in6 (RFC 2473)
    ASSERT_EQ(Decode(OverIp(41, InnerIp6(), outer_v6)), DecodeResult::kOk);
    ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
    EXPECT_EQ(in_[0].ip_version, 6);
    EXPECT_EQ(in_[0].tunnel_type, TunnelType::kIpv6InIp);
    EXPECT_EQ(in_[0].src.ToString(), "2001:db8::1");
    EXPECT_EQ(PayloadOf(in_[0]), kInnerPayload);
  }
  EXPECT_EQ(Counters().ipv6_in_ip, 2u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, FragmentedOuterIsNotDecapsulated) {
  kt::IpOptions frag;
  frag.mf = true;
  ASSERT_EQ(Decode(kt::Ethernet(kt::Ip(kSrc, kDst, 47, kt::Gre(0x0800, InnerIp()), frag))),
            DecodeResult::kOk);
  EXPECT_TRUE(pkt_.is_fragment);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
}

TEST_F(TunnelTest, TunnelsOff) {
  DecoderOptions o;
  o.decode_tunnels = false;
  Reconfigure(o);
  ASSERT_EQ(Decode(OverGre(kt::Gre(0x0800, InnerIp()))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
  ASSERT_EQ(Decode(OverUdp(4789, kt::Vxlan(1, InnerEth()))), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
}

// The inner packet never reaches past the outer payload: an inner length
// claiming more than the outer packet holds is clipped (and an anomaly when
// the frame was captured whole), and link padding after the outer IP packet
// is not inner data.
TEST_F(TunnelTest, InnerBoundedByOuterPayload) {
  Bytes f = OverGre(kt::Gre(0x0800, InnerIp()));
  const size_t inner_ip = kEth + kIp4 + 4;
  const uint16_t total = static_cast<uint16_t>(f[inner_ip + 2] << 8 | f[inner_ip + 3]);
  f[inner_ip + 2] = static_cast<uint8_t>((total + 10) >> 8);
  f[inner_ip + 3] = static_cast<uint8_t>(total + 10);
  FixIpv4Checksum(f, inner_ip);
  f.resize(f.size() + 10, 0xee);  // Ethernet padding, outside the outer IP packet
  ASSERT_EQ(Decode(f), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  EXPECT_EQ(in_[0].l3 + in_[0].l3_len, pkt_.payload + pkt_.payload_len);
  EXPECT_EQ(PayloadOf(in_[0]), kInnerPayload);
  EXPECT_EQ(Count(Anomaly::kIpv4BadTotalLength), 1u);
}

// --- Nesting and depth ---

// Ethernet / IPv4 / GRE / IPv4 / UDP 4789 / VXLAN / Ethernet / IPv4 / TCP.
Bytes VxlanInGre() {
  const Bytes middle = kt::Ip("172.16.0.1", "172.16.0.2", 17,
                              kt::UdpBytes("172.16.0.1", 40000, "172.16.0.2", 4789,
                                           kt::Vxlan(77, InnerEth())));
  return OverGre(kt::Gre(0x0800, middle));
}

TEST_F(TunnelTest, VxlanInsideGre) {
  ASSERT_EQ(Decode(VxlanInGre()), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  const Packet& middle = in_[0];
  EXPECT_EQ(middle.tunnel_depth, 1);
  EXPECT_EQ(middle.tunnel_type, TunnelType::kGre);
  EXPECT_EQ(middle.src.ToString(), "172.16.0.1");
  EXPECT_TRUE(middle.has_udp());
  EXPECT_EQ(middle.dst_port, 4789);

  ASSERT_EQ(Tunnel(in_[0], in_[1]), DecodeResult::kOk);
  const Packet& in = in_[1];
  EXPECT_EQ(in.tunnel_depth, 2);
  EXPECT_EQ(in.tunnel_type, TunnelType::kVxlan);
  EXPECT_EQ(in.tunnel_id, 77u);
  EXPECT_EQ(in.outer, &in_[0]);
  EXPECT_EQ(&in.root(), &pkt_);
  EXPECT_EQ(in.view, &view_);
  EXPECT_EQ(in.src.ToString(), "10.0.0.1");
  EXPECT_EQ(in.dst_port, 80);
  EXPECT_EQ(PayloadOf(in), kInnerPayload);
  EXPECT_FALSE(in.l4_checksum_bad);
  EXPECT_GE(in.l3, middle.payload);
  EXPECT_LE(in.l3 + in.l3_len, middle.payload + middle.payload_len);

  EXPECT_EQ(Tunnel(in_[1], in_[2]), DecodeResult::kNoTunnel);
  EXPECT_EQ(Counters().gre, 1u);
  EXPECT_EQ(Counters().vxlan, 1u);
  EXPECT_EQ(TotalAnomalies(), 0u);
}

TEST_F(TunnelTest, DepthLimit) {
  DecoderOptions o;
  o.max_tunnel_depth = 1;
  Reconfigure(o);
  ASSERT_EQ(Decode(VxlanInGre()), DecodeResult::kOk);
  ASSERT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(in_[0], in_[1]), DecodeResult::kMalformed);
  EXPECT_EQ(in_[1].ip_version, 0);
  EXPECT_EQ(Count(Anomaly::kTunnelTooDeep), 1u);
  EXPECT_EQ(Counters().vxlan, 0u);

  o.max_tunnel_depth = 0;  // no tunnel at all
  Reconfigure(o);
  ASSERT_EQ(Decode(VxlanInGre()), DecodeResult::kOk);
  EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kTunnelTooDeep), 1u);
}

TEST_F(TunnelTest, DefaultDepthIsThree) {
  // IPv4 in IPv4, four times over.
  Bytes ip = InnerIp();
  for (int i = 0; i < 4; ++i) ip = kt::Ip(kSrc, kDst, 4, ip);
  ASSERT_EQ(Decode(kt::Ethernet(ip)), DecodeResult::kOk);
  const Packet* outer = &pkt_;
  for (int depth = 1; depth <= 3; ++depth) {
    ASSERT_EQ(Tunnel(*outer, in_[depth - 1]), DecodeResult::kOk) << depth;
    EXPECT_EQ(in_[depth - 1].tunnel_depth, depth);
    EXPECT_EQ(in_[depth - 1].ip_proto, 4);
    outer = &in_[depth - 1];
  }
  EXPECT_EQ(Tunnel(*outer, in_[3]), DecodeResult::kMalformed);
  EXPECT_EQ(Count(Anomaly::kTunnelTooDeep), 1u);
  EXPECT_EQ(Counters().ipip, 3u);
  EXPECT_EQ(&in_[2].root(), &pkt_);
}

TEST_F(TunnelTest, Names) {
  EXPECT_EQ(AnomalyName(Anomaly::kGreTruncated), "gre.truncated");
  EXPECT_EQ(AnomalyName(Anomaly::kVxlanBadHeader), "vxlan.bad_header");
  EXPECT_EQ(AnomalyName(Anomaly::kTunnelTooDeep), "tunnel.too_deep");
  EXPECT_EQ(TunnelTypeName(TunnelType::kNone), "none");
  EXPECT_EQ(TunnelTypeName(TunnelType::kGre), "gre");
  EXPECT_EQ(TunnelTypeName(TunnelType::kErspan), "erspan");
  EXPECT_EQ(TunnelTypeName(TunnelType::kVxlan), "vxlan");
  EXPECT_EQ(TunnelTypeName(TunnelType::kGeneve), "geneve");
  EXPECT_EQ(TunnelTypeName(TunnelType::kIpInIp), "ipip");
  EXPECT_EQ(TunnelTypeName(TunnelType::kIpv6InIp), "ipv6_in_ip");
}

// --- Truncation and garbage ---

class TunnelMalformedTest : public TunnelTest {
 protected:
  // Decodes the frame and every tunnel level, as the pipeline would, and
  // checks that each inner packet stays inside its outer packet's payload.
  // Returns the result of the last level tried (kNoTunnel: the chain ended).
  DecodeResult DecodeChain(const capture::PacketView& v, const uint8_t* end) {
    if (decoder_.Decode(v, pkt_) != DecodeResult::kOk) {
      EXPECT_EQ(Tunnel(pkt_, in_[0]), DecodeResult::kNoTunnel);
      return DecodeResult::kMalformed;
    }
    CheckInside(pkt_, v.data, end);
    const Packet* outer = &pkt_;
    for (Packet& in : in_) {
      const DecodeResult r = Tunnel(*outer, in);
      if (in.ip_version != 0 || in.l3 || in.l4 || in.payload) {
        CheckInside(in, outer->payload, outer->payload + outer->payload_len);
      }
      if (r != DecodeResult::kOk || in.ip_version == 0) return r;
      outer = &in;
    }
    return DecodeResult::kOk;
  }

  static void CheckInside(const Packet& p, const uint8_t* begin, const uint8_t* end) {
    if (p.l3) {
      ASSERT_GE(p.l3, begin);
      ASSERT_LE(p.l3 + p.l3_len, end);
    }
    if (p.l4) {
      ASSERT_GE(p.l4, begin);
      ASSERT_LE(p.l4 + p.l4_len, end);
    }
    if (p.payload) {
      ASSERT_GE(p.payload, begin);
      ASSERT_LE(p.payload + p.payload_len, end);
    }
  }

  // Every prefix of `frame`, from a heap buffer of exactly that size, cut
  // by the snaplen (wirelen stays the full size). Below `outer` bytes the
  // outer packet itself is cut; up to the innermost payload (the last
  // `payload` bytes) exactly one anomaly is counted along the chain; after
  // that none. Then the same prefixes captured whole, where length fields
  // lie: only no crash and no pointer outside.
  void EveryTruncation(const Bytes& frame, size_t outer, size_t payload) {
    const size_t headers = frame.size() - payload;
    for (int whole = 0; whole < 2; ++whole) {
      for (size_t len = 0; len <= frame.size(); ++len) {
        std::unique_ptr<uint8_t[]> buf(new uint8_t[len ? len : 1]);
        std::memcpy(buf.get(), frame.data(), len);
        capture::PacketView v;
        v.linktype = capture::kLinkEthernet;
        v.caplen = static_cast<uint32_t>(len);
        v.wirelen = whole ? v.caplen : static_cast<uint32_t>(frame.size());
        v.data = buf.get();
        const uint64_t before = TotalAnomalies();
        const DecodeResult r = DecodeChain(v, buf.get() + len);
        if (whole) continue;
        if (len < outer) {
          EXPECT_EQ(r, DecodeResult::kMalformed) << "caplen " << len;
        } else if (len < headers) {
          EXPECT_EQ(r, DecodeResult::kMalformed) << "caplen " << len;
          EXPECT_EQ(TotalAnomalies(), before + 1) << "caplen " << len;
        } else {
          EXPECT_EQ(r, DecodeResult::kNoTunnel) << "caplen " << len;
          EXPECT_EQ(TotalAnomalies(), before) << "caplen " << len;
        }
      }
    }
  }
};

TEST_F(TunnelMalformedTest, EveryTruncationOfGre) {
  kt::GreOptions o;
  o.checksum = o.has_key = o.has_seq = true;
  EveryTruncation(OverGre(kt::Gre(0x0800, InnerIp(), o)), kEth + kIp4, kInnerPayload.size());
  EveryTruncation(OverGre(kt::Gre(0x86dd, InnerIp6()), true), kEth + kIp6, kInnerPayload.size());
  EveryTruncation(OverGre(kt::Gre(0x6558, InnerEth())), kEth + kIp4, kInnerPayload.size());
}

TEST_F(TunnelMalformedTest, EveryTruncationOfErspan) {
  kt::GreOptions seq;
  seq.has_seq = true;
  EveryTruncation(OverGre(kt::Gre(0x88be, InnerEth())), kEth + kIp4, kInnerPayload.size());
  EveryTruncation(OverGre(kt::Gre(0x88be, kt::Erspan2(1, InnerEth()), seq)), kEth + kIp4,
                  kInnerPayload.size());
  EveryTruncation(OverGre(kt::Gre(0x22eb, kt::Erspan3(1, InnerEth(), true), seq)), kEth + kIp4,
                  kInnerPayload.size());
  EveryTruncation(OverGre(kt::Gre(0x22eb, kt::Erspan3(1, InnerIp(), false, 2))), kEth + kIp4,
                  kInnerPayload.size());
}

TEST_F(TunnelMalformedTest, EveryTruncationOfVxlanAndGeneve) {
  EveryTruncation(OverUdp(4789, kt::Vxlan(1, InnerEth())), kEth + kIp4 + kUdp,
                  kInnerPayload.size());
  EveryTruncation(OverUdp(4789, kt::Vxlan(1, kt::Ethernet(InnerIp6())), true),
                  kEth + kIp6 + kUdp, kInnerPayload.size());
  const Bytes options = Concat(kt::GeneveOption(1, 2, {1, 2, 3}), kt::GeneveOption(3, 4, {}));
  EveryTruncation(OverUdp(6081, kt::Geneve(1, 0x6558, InnerEth(), options)),
                  kEth + kIp4 + kUdp, kInnerPayload.size());
  EveryTruncation(OverUdp(6081, kt::Geneve(1, 0x0800, InnerIp())), kEth + kIp4 + kUdp,
                  kInnerPayload.size());
}

TEST_F(TunnelMalformedTest, EveryTruncationOfIpInIpAndNesting) {
  EveryTruncation(OverIp(4, InnerIp()), kEth + kIp4, kInnerPayload.size());
  EveryTruncation(OverIp(41, InnerIp6()), kEth + kIp4, kInnerPayload.size());
  EveryTruncation(OverIp(41, InnerIp6(), true), kEth + kIp6, kInnerPayload.size());
  EveryTruncation(VxlanInGre(), kEth + kIp4, kInnerPayload.size());
}

TEST_F(TunnelMalformedTest, ArbitraryBytesNeverCrash) {
  kt::GreOptions o;
  o.has_key = o.has_seq = true;
  const Bytes frames[] = {
      OverGre(kt::Gre(0x0800, InnerIp(), o)),
      OverGre(kt::Gre(0x88be, kt::Erspan2(1, InnerEth()), o)),
      OverGre(kt::Gre(0x22eb, kt::Erspan3(1, InnerEth(), true))),
      OverUdp(4789, kt::Vxlan(1, InnerEth())),
      OverUdp(6081, kt::Geneve(1, 0x6558, InnerEth(), kt::GeneveOption(1, 2, {3}))),
      OverIp(41, InnerIp6(), true),
      VxlanInGre(),
  };
  uint32_t seed = 4242;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return seed;
  };
  for (int round = 0; round < 30000; ++round) {
    const Bytes& base = frames[static_cast<size_t>(round) % std::size(frames)];
    Bytes f = base;
    // Mostly scramble the tunnel headers (past the outer Ethernet + IP).
    for (int k = 0; k < 3; ++k) {
      const uint32_t r = next();
      const size_t from = (r & 1) ? kEth + kIp4 : 0;
      f[from + (r >> 8) % (f.size() - from)] = static_cast<uint8_t>(next() >> 24);
    }
    f.resize(f.size() - (next() >> 8) % 24);
    std::unique_ptr<uint8_t[]> buf(new uint8_t[f.size()]);
    std::memcpy(buf.get(), f.data(), f.size());
    capture::PacketView v;
    v.caplen = v.wirelen = static_cast<uint32_t>(f.size());
    v.data = buf.get();
    DecodeChain(v, buf.get() + f.size());
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(Counters().packets, 30000u);
  EXPECT_GT(Counters().gre + Counters().vxlan + Counters().geneve, 0u);
}

}  // namespace
}  // namespace kagami::decode::test
