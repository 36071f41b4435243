#include "common/community_id.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace kagami {
namespace {

IpAddress Ip(const char* text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

// One flow tuple as the spec's baseline lists it. For ICMP / ICMPv6 `a` and
// `b` are the message type and code (the README tables) and for the pcap
// baseline the type and its mapped counterpart, which give the same id.
struct Vector {
  uint8_t proto;
  const char* src;
  const char* dst;
  int a;  // source port, or ICMP type; -1: no ports (port-less protocol)
  int b;  // destination port, or ICMP code
  const char* id;
};

CommunityIdInput Input(const Vector& v) {
  CommunityIdInput in;
  in.src = Ip(v.src);
  in.dst = Ip(v.dst);
  in.is_ipv6 = !in.src.is_v4();
  in.proto = v.proto;
  in.has_l4 = v.a >= 0;
  if (v.proto == 1 || v.proto == 58) {
    in.icmp_type = static_cast<uint8_t>(v.a);
    in.icmp_code = static_cast<uint8_t>(v.b);
  } else if (v.a >= 0) {
    in.src_port = static_cast<uint16_t>(v.a);
    in.dst_port = static_cast<uint16_t>(v.b);
  }
  return in;
}

std::string Id(const CommunityIdInput& in, uint16_t seed = 0) {
  char out[kCommunityIdBufferSize];
  std::memset(out, 'x', sizeof(out));
  const size_t n = CommunityId(in, seed, out);
  EXPECT_EQ(std::strlen(out), n);  // NUL-terminated
  return std::string(out, n);
}

void CheckAll(const std::vector<Vector>& vectors, uint16_t seed) {
  for (const Vector& v : vectors) {
    const std::string id = Id(Input(v), seed);
    EXPECT_EQ(id, v.id) << "proto " << int{v.proto} << " " << v.src << " " << v.a << " -> "
                        << v.dst << " " << v.b << " seed " << seed;
    EXPECT_EQ(id.size(), kCommunityIdLength);
  }
}

// community-id-spec, baseline/README.md, "Default settings" table
// (make-tables.py over pycommunityid).
const char* const kSrc4 = "1.2.3.4";
const char* const kDst4 = "5.6.7.8";
const char* const kSrc6 = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D";
const char* const kDst6 = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D";

TEST(CommunityId, SpecTableDefaultSeed) {
  CheckAll(
      {
          {6, kSrc4, kDst4, 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
          {6, kDst4, kSrc4, 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
          {17, kSrc4, kDst4, 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
          {17, kDst4, kSrc4, 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
          {132, kSrc4, kDst4, 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
          {132, kDst4, kSrc4, 3344, 1122, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
          {1, kSrc4, kDst4, 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},  // echo request
          {1, kDst4, kSrc4, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},  // echo reply
          {1, kSrc4, kDst4, 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="},  // one-way
          {58, kSrc6, kDst6, 128, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
          {58, kDst6, kSrc6, 129, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
          {58, kSrc6, kDst6, 146, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10="},
          {46, kSrc4, kDst4, -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768="},  // RSVP: no ports
          {46, kDst4, kSrc4, -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768="},
          {46, kSrc6, kDst6, -1, -1, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
          {46, kDst6, kSrc6, -1, -1, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
      },
      0);
}

// Same README, "A custom seed=1 value" table.
TEST(CommunityId, SpecTableSeedOne) {
  CheckAll(
      {
          {6, kSrc4, kDst4, 1122, 3344, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
          {6, kDst4, kSrc4, 3344, 1122, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
          {17, kSrc4, kDst4, 1122, 3344, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
          {132, kSrc4, kDst4, 1122, 3344, "1:uitchpn5MMGAQKBJh7bIr/bAr7s="},
          {1, kSrc4, kDst4, 8, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
          {1, kDst4, kSrc4, 0, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
          {1, kSrc4, kDst4, 11, 0, "1:1DD7cWGC/Yg91YGsQeni8du3pIA="},
          {58, kSrc6, kDst6, 128, 0, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
          {58, kDst6, kSrc6, 129, 0, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
          {58, kSrc6, kDst6, 146, 0, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s="},
          {46, kSrc4, kDst4, -1, -1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8="},
          {46, kSrc6, kDst6, -1, -1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="},
      },
      1);
}

// community-id-spec, baseline/baseline_deflt.json (pycommunityid's
// community-id-pcap over pcaps/combined.pcap.gz).
TEST(CommunityId, SpecPcapBaselineDefaultSeed) {
  CheckAll(
      {
          {6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
          {6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
          {17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
          {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
          {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
           "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
          {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
           "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
          {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
          {132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
          {1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
          {1, "192.168.0.1", "192.168.0.89", 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
          {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
          // Neighbor solicitation and its advertisement: one flow ...
          {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0,
           "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
          {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0,
           "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
          // ... and the solicitation the other way round: another.
          {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0,
           "1:zavyT/cezQr1fmImYCwYnMXbgck="},
          {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 0,
           "1:zavyT/cezQr1fmImYCwYnMXbgck="},
          {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
           "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},  // time exceeded: one-way
          {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
           "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},  // unreachable, code 4
          {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0,
           "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
          {58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0,
           "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
          {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
          {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
          {46, "10.1.12.1", "10.1.12.2", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
          {46, "10.1.12.2", "10.1.12.1", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
      },
      0);
}

// baseline/baseline_seed1.json.
TEST(CommunityId, SpecPcapBaselineSeedOne) {
  CheckAll(
      {
          {6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
          {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
          {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
           "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
          {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
          {1, "192.168.0.1", "192.168.0.89", 0, 0, "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
          {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:XjUibYHaafLQ3pxQeiMI8g25q20="},
          {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0,
           "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
          {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
           "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="},
          {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="},
          {46, "10.1.12.2", "10.1.12.1", -1, -1, "1:rYir8gphR31noO9iDRQmF/BteEI="},
      },
      1);
}

// The README's "No base64-encoding" table gives the raw SHA-1: decoding our
// base64 must give those bytes (checks the encoder independently of the
// other vectors).
TEST(CommunityId, Base64DecodesToTheSpecsRawDigest) {
  const auto decode = [](const std::string& id) {
    std::string hex;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : id.substr(2)) {
      if (c == '=') break;
      const char* alphabet =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      acc = (acc << 6) | static_cast<uint32_t>(std::strchr(alphabet, c) - alphabet);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        char b[3];
        std::snprintf(b, sizeof(b), "%02x", (acc >> bits) & 0xFF);
        hex += b;
      }
    }
    return hex;
  };
  EXPECT_EQ(decode(Id(Input({6, kSrc4, kDst4, 1122, 3344, ""}))),
            "c026f7386ef200559e95a53276ed03fb5db908b3");
  EXPECT_EQ(decode(Id(Input({58, kSrc6, kDst6, 146, 0, ""}))),
            "7d80bcfa9cf6e04f8484034fd44661a57d03c35d");
  EXPECT_EQ(decode(Id(Input({46, kDst6, kSrc6, -1, -1, ""}))),
            "c10ff69b0ae75cfe259897077462f978f8d1f9ed");
}

TEST(CommunityId, PortProtocolWithoutTransportHeaderHasNoId) {
  for (uint8_t proto : {1, 6, 17, 58, 132}) {
    CommunityIdInput in = Input({proto, "10.0.0.1", "10.0.0.2", 1, 2, ""});
    in.has_l4 = false;  // e.g. a non-first fragment
    char out[kCommunityIdBufferSize] = "junk";
    EXPECT_EQ(CommunityId(in, 0, out), 0u) << int{proto};
    EXPECT_STREQ(out, "");
  }
}

TEST(CommunityId, PortlessProtocolsIgnorePortsAndTransportFlag) {
  // GRE: hashed on addresses and protocol only, whatever the other fields say.
  CommunityIdInput a = Input({47, "10.0.0.1", "10.0.0.2", -1, -1, ""});
  CommunityIdInput b = a;
  b.has_l4 = true;
  b.src_port = 1234;
  b.dst_port = 80;
  b.icmp_type = 8;
  EXPECT_EQ(Id(a), Id(b));
  EXPECT_EQ(Id(a).size(), kCommunityIdLength);
  // Direction does not matter, the protocol does.
  EXPECT_EQ(Id(a), Id(Input({47, "10.0.0.2", "10.0.0.1", -1, -1, ""})));
  EXPECT_NE(Id(a), Id(Input({50, "10.0.0.1", "10.0.0.2", -1, -1, ""})));
}

TEST(CommunityId, EqualAddressesOrderedByPort) {
  EXPECT_EQ(Id(Input({6, "10.0.0.1", "10.0.0.1", 80, 1234, ""})),
            Id(Input({6, "10.0.0.1", "10.0.0.1", 1234, 80, ""})));
  EXPECT_NE(Id(Input({6, "10.0.0.1", "10.0.0.1", 80, 1234, ""})),
            Id(Input({6, "10.0.0.1", "10.0.0.1", 80, 1235, ""})));
}

TEST(CommunityId, OneWayIcmpKeepsItsDirection) {
  EXPECT_NE(Id(Input({1, "10.0.0.1", "10.0.0.2", 3, 1, ""})),
            Id(Input({1, "10.0.0.2", "10.0.0.1", 3, 1, ""})));
  // The code matters for one-way messages, not for request/reply pairs.
  EXPECT_NE(Id(Input({1, "10.0.0.1", "10.0.0.2", 3, 1, ""})),
            Id(Input({1, "10.0.0.1", "10.0.0.2", 3, 3, ""})));
  EXPECT_EQ(Id(Input({1, "10.0.0.1", "10.0.0.2", 8, 0, ""})),
            Id(Input({1, "10.0.0.1", "10.0.0.2", 8, 5, ""})));
}

TEST(CommunityId, IcmpPortEquivalents) {
  const auto check = [](bool v6, uint8_t type, uint8_t code, uint16_t sp, uint16_t dp,
                        bool one_way) {
    const CommunityIdIcmpPorts p = CommunityIdIcmpPortEquivalents(v6, type, code);
    EXPECT_EQ(p.src_port, sp) << v6 << " " << int{type};
    EXPECT_EQ(p.dst_port, dp) << v6 << " " << int{type};
    EXPECT_EQ(p.one_way, one_way) << v6 << " " << int{type};
  };
  check(false, 8, 0, 8, 0, false);
  check(false, 0, 0, 0, 8, false);
  check(false, 13, 0, 13, 14, false);
  check(false, 16, 0, 16, 15, false);
  check(false, 10, 0, 10, 9, false);
  check(false, 9, 0, 9, 10, false);
  check(false, 17, 0, 17, 18, false);
  check(false, 3, 13, 3, 13, true);
  check(false, 128, 0, 128, 0, true);  // an ICMPv6 type means nothing in ICMPv4
  check(true, 128, 0, 128, 129, false);
  check(true, 131, 0, 131, 130, false);
  check(true, 133, 0, 133, 134, false);
  check(true, 136, 0, 136, 135, false);
  check(true, 139, 0, 139, 140, false);
  check(true, 145, 0, 145, 144, false);
  check(true, 1, 4, 1, 4, true);
  check(true, 8, 0, 8, 0, true);
}

TEST(CommunityId, RepeatedCallsAgree) {
  // The digest context is reused per thread: many calls, same answers.
  const CommunityIdInput tcp = Input({6, kSrc4, kDst4, 1122, 3344, ""});
  const CommunityIdInput rsvp = Input({46, kSrc6, kDst6, -1, -1, ""});
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(Id(tcp), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    ASSERT_EQ(Id(rsvp, 1), "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=");
  }
}

TEST(CommunityId, WorksOnManyThreads) {
  const CommunityIdInput udp = Input({17, kDst4, kSrc4, 3344, 1122, ""});
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (size_t t = 0; t < ok.size(); ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 200; ++i) {
        char out[kCommunityIdBufferSize];
        CommunityId(udp, 0, out);
        good += std::strcmp(out, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=") == 0;
      }
      ok[t] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int good : ok) EXPECT_EQ(good, 200);
}

}  // namespace
}  // namespace kagami
