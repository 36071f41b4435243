#include "engine/output/eve_writer.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/output/json_check.h"

namespace kagami::output {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::JsonCheck;

const uint8_t kL4[64] = {};  // stands in for a decoded transport header

IpAddress Ip(const char* text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

// A packet and the view it points into; copies re-point at their own view.
struct Fixture {
  capture::PacketView view;
  decode::Packet packet;

  Fixture() { packet.view = &view; }
  Fixture(const Fixture& o) : view(o.view), packet(o.packet) { packet.view = &view; }
  Fixture& operator=(const Fixture& o) {
    view = o.view;
    packet = o.packet;
    packet.view = &view;
    return *this;
  }
};

// A decoded packet as the decoder would leave it.
Fixture MakePacket(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                   uint8_t proto, int64_t ts_ns = 1713694272123456789) {
  Fixture f;
  f.view.ts_ns = ts_ns;
  f.packet.src = Ip(src);
  f.packet.dst = Ip(dst);
  f.packet.ip_version = f.packet.src.is_v4() ? 4 : 6;
  f.packet.ip_proto = proto;
  f.packet.l4 = kL4;
  f.packet.l4_len = sizeof(kL4);
  f.packet.src_port = sport;
  f.packet.dst_port = dport;
  return f;
}

rules::Rule MakeRule(uint32_t sid, std::string msg) {
  rules::Rule r;
  r.sid = sid;
  r.rev = 2;
  r.msg = std::move(msg);
  r.category = "A Network Trojan was detected";
  r.priority = 1;
  return r;
}

std::string Format(const Fixture& f, const rules::Rule& rule, const EveContext& ctx = {}) {
  std::string out;
  EveWriter::FormatAlert(f.packet, rule, ctx, out);
  return out;
}

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string Timestamp(int64_t ns) {
  std::string out;
  AppendEveTimestamp(out, ns);
  return out;
}

// One scratch directory per test process, removed when the process exits.
const std::filesystem::path& ScratchDir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      const char* env = std::getenv("TEST_TMPDIR");
      path = env != nullptr ? env : std::filesystem::temp_directory_path();
      path /= "kagami_output_test_" + std::to_string(getpid());
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

std::string TempPath(const std::string& name) { return (ScratchDir() / name).string(); }

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// ---- JSON strings -------------------------------------------------------

TEST(AppendJsonString, EscapesQuotesBackslashAndControls) {
  EXPECT_EQ(Json("plain"), "\"plain\"");
  EXPECT_EQ(Json(""), "\"\"");
  EXPECT_EQ(Json("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(Json("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Json(std::string_view("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\\u007f\"");
}

TEST(AppendJsonString, EveryByteAloneIsValidAndRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    const std::string in(1, static_cast<char>(b));
    const std::string json = Json(in);
    std::string error;
    EXPECT_TRUE(JsonCheck::IsValid(json, &error)) << "byte " << b << ": " << error;
    EXPECT_EQ(JsonCheck::DecodeString(json), in) << "byte " << b << " -> " << json;
    if (b >= 0x80) {
      // A lone byte >= 0x80 is never valid UTF-8: written as \u00XX.
      char expect[16];
      std::snprintf(expect, sizeof(expect), "\"\\u00%02x\"", b);
      EXPECT_EQ(json, expect);
    }
  }
}

TEST(AppendJsonString, ValidUtf8PassesThrough) {
  EXPECT_EQ(Json("caf\xc3\xa9"), "\"caf\xc3\xa9\"");                  // é
  EXPECT_EQ(Json("\xe6\x97\xa5\xe6\x9c\xac"), "\"\xe6\x97\xa5\xe6\x9c\xac\"");  // 日本
  EXPECT_EQ(Json("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");        // U+1F600
  EXPECT_EQ(Json("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");        // U+10FFFF
}

TEST(AppendJsonString, InvalidUtf8IsEscapedBytewise) {
  EXPECT_EQ(Json("\xc0\x80"), "\"\\u00c0\\u0080\"");                // overlong NUL
  EXPECT_EQ(Json("\xe0\x80\xaf"), "\"\\u00e0\\u0080\\u00af\"");      // overlong '/'
  EXPECT_EQ(Json("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");      // surrogate D800
  EXPECT_EQ(Json("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"");  // > U+10FFFF
  EXPECT_EQ(Json("\xe6\x97"), "\"\\u00e6\\u0097\"");                 // truncated at end
  EXPECT_EQ(Json("\xe6\x97x"), "\"\\u00e6\\u0097x\"");               // truncated mid-string
  EXPECT_EQ(Json("\xff\xc3\xa9"), "\"\\u00ff\xc3\xa9\"");            // resyncs on valid
}

TEST(AppendJsonString, RandomBytesAlwaysGiveValidJson) {
  std::mt19937 rng(20240421);
  std::uniform_int_distribution<int> len(0, 64);
  std::uniform_int_distribution<int> byte(0, 255);
  // Bias towards UTF-8 lead and continuation bytes to hit the edge cases.
  std::uniform_int_distribution<int> utf8ish(0x80, 0xF7);
  for (int i = 0; i < 20000; ++i) {
    std::string in(static_cast<size_t>(len(rng)), '\0');
    for (char& c : in) c = static_cast<char>(i % 2 == 0 ? byte(rng) : utf8ish(rng));
    const std::string json = Json(in);
    std::string error;
    ASSERT_TRUE(JsonCheck::IsValid(json, &error)) << error << " in " << json;
    ASSERT_EQ(JsonCheck::DecodeString(json), in);
  }
}

TEST(AppendJsonString, PythonAgreesOnEveryByteAndRandomStrings) {
  if (std::system("/usr/bin/python3 -c 'import json' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no /usr/bin/python3";
  }
  const std::string path = TempPath("strings.jsonl");
  {
    std::ofstream out(path, std::ios::binary);
    for (int b = 0; b < 256; ++b) out << Json(std::string(1, static_cast<char>(b))) << "\n";
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int i = 0; i < 2000; ++i) {
      std::string in(32, '\0');
      for (char& c : in) c = static_cast<char>(byte(rng));
      out << Json(in) << "\n";
    }
  }
  const std::string cmd =
      "/usr/bin/python3 -c 'import json,sys\n"
      "for l in open(sys.argv[1], \"rb\"): json.loads(l.decode(\"utf-8\"))' " + path;
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

// ---- timestamps -----------------------------------------------------------

TEST(AppendEveTimestamp, FormatsUtcWithMicroseconds) {
  EXPECT_EQ(Timestamp(0), "1970-01-01T00:00:00.000000+0000");
  EXPECT_EQ(Timestamp(1713694272123456789), "2024-04-21T10:11:12.123456+0000");
  EXPECT_EQ(Timestamp(951868799'000000000), "2000-02-29T23:59:59.000000+0000");
  EXPECT_EQ(Timestamp(951868800'000000000), "2000-03-01T00:00:00.000000+0000");
  EXPECT_EQ(Timestamp(4107542400'000000000 - 1), "2100-02-28T23:59:59.999999+0000");
  EXPECT_EQ(Timestamp(1483228799'000000000), "2016-12-31T23:59:59.000000+0000");
  EXPECT_EQ(Timestamp(2147483648'000000000), "2038-01-19T03:14:08.000000+0000");
}

TEST(AppendEveTimestamp, TruncatesToMicroseconds) {
  // Never rounds up: .999999999 stays in the same second (and year).
  EXPECT_EQ(Timestamp(946684799'999999999), "1999-12-31T23:59:59.999999+0000");
  EXPECT_EQ(Timestamp(1'000'999), "1970-01-01T00:00:00.001000+0000");
  EXPECT_EQ(Timestamp(999), "1970-01-01T00:00:00.000000+0000");
}

TEST(AppendEveTimestamp, BeforeTheEpochAndExtremes) {
  EXPECT_EQ(Timestamp(-1), "1969-12-31T23:59:59.999999+0000");
  EXPECT_EQ(Timestamp(-2203848000'000000000), "1900-03-01T12:00:00.000000+0000");
  EXPECT_EQ(Timestamp(INT64_MAX), "2262-04-11T23:47:16.854775+0000");
  EXPECT_EQ(Timestamp(INT64_MIN), "1677-09-21T00:12:43.145224+0000");
}

// ---- protocol names and addresses ------------------------------------------

TEST(EveProtoName, NamesAsSuricata) {
  EXPECT_EQ(EveProtoName(6), "TCP");
  EXPECT_EQ(EveProtoName(17), "UDP");
  EXPECT_EQ(EveProtoName(1), "ICMP");
  EXPECT_EQ(EveProtoName(58), "IPv6-ICMP");
  EXPECT_EQ(EveProtoName(132), "SCTP");
  EXPECT_EQ(EveProtoName(47), "GRE");
  EXPECT_EQ(EveProtoName(253), "");
}

TEST(AppendEveIp, Ipv4DottedIpv6FullyExpanded) {
  std::string out;
  AppendEveIp(out, Ip("192.168.0.1"), false);
  EXPECT_EQ(out, "192.168.0.1");
  out.clear();
  AppendEveIp(out, Ip("2001:db8::1"), true);
  EXPECT_EQ(out, "2001:0db8:0000:0000:0000:0000:0000:0001");
  out.clear();
  AppendEveIp(out, Ip("fe80::202:b3ff:fe1e:8329"), true);
  EXPECT_EQ(out, "fe80:0000:0000:0000:0202:b3ff:fe1e:8329");
  out.clear();
  // An IPv4-mapped address inside an IPv6 header stays an IPv6 address.
  AppendEveIp(out, Ip("::ffff:10.0.0.1"), true);
  EXPECT_EQ(out, "0000:0000:0000:0000:0000:ffff:0a00:0001");
}

// ---- records ---------------------------------------------------------------

TEST(FormatAlert, TcpRecordExactShape) {
  Fixture f = MakePacket("10.0.0.1", 49152, "192.0.2.7", 80, 6);
  rules::Rule rule = MakeRule(2000001, "ET TEST \"quoted\" msg");
  EveContext ctx;
  ctx.flow_id = 1234567890123;
  ctx.pcap_cnt = 42;
  ctx.pcap_filename = "/cases/x.pcap";
  EXPECT_EQ(Format(f, rule, ctx),
            "{\"timestamp\":\"2024-04-21T10:11:12.123456+0000\",\"flow_id\":1234567890123,"
            "\"pcap_cnt\":42,\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\","
            "\"src_port\":49152,\"dest_ip\":\"192.0.2.7\",\"dest_port\":80,\"proto\":\"TCP\","
            "\"pkt_src\":\"wire/pcap\",\"community_id\":\"1:fFRvOmf1HdkUBnK69sBvQfZlsLk=\","
            "\"alert\":{\"action\":\"allowed\",\"gid\":1,"
            "\"signature_id\":2000001,\"rev\":2,\"signature\":\"ET TEST \\\"quoted\\\" msg\","
            "\"category\":\"A Network Trojan was detected\",\"severity\":1},"
            "\"pcap_filename\":\"/cases/x.pcap\"}");
}

// ---- community_id ------------------------------------------------------------

std::string CommunityIdField(const std::string& record) {
  const std::string key = "\"community_id\":\"";
  const size_t at = record.find(key);
  if (at == std::string::npos) return "<none>";
  const size_t start = at + key.size();
  return record.substr(start, record.find('"', start) - start);
}

// Tuples and ids from the Community ID spec's baseline
// (github.com/corelight/community-id-spec, baseline/baseline_deflt.json and
// baseline_seed1.json), written through decoded packets.
TEST(FormatAlert, CommunityIdOfTcpUdpIcmpAndIpv6PacketsMatchesTheSpec) {
  const rules::Rule rule = MakeRule(30, "cid");
  Fixture tcp = MakePacket("128.232.110.120", 34855, "66.35.250.204", 80, 6);
  Fixture tcp_back = MakePacket("66.35.250.204", 80, "128.232.110.120", 34855, 6);
  EXPECT_EQ(CommunityIdField(Format(tcp, rule)), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(CommunityIdField(Format(tcp_back, rule)), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");

  Fixture udp = MakePacket("192.168.1.52", 54585, "8.8.8.8", 53, 17);
  EXPECT_EQ(CommunityIdField(Format(udp, rule)), "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");

  // Echo request and its reply map to one id.
  Fixture echo = MakePacket("192.168.0.89", 0, "192.168.0.1", 0, 1);
  echo.packet.icmp_type = 8;
  Fixture reply = MakePacket("192.168.0.1", 0, "192.168.0.89", 0, 1);
  reply.packet.icmp_type = 0;
  EXPECT_EQ(CommunityIdField(Format(echo, rule)), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  EXPECT_EQ(CommunityIdField(Format(reply, rule)), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  Fixture ttl = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 1);
  ttl.packet.icmp_type = 11;  // time exceeded: one-way
  EXPECT_EQ(CommunityIdField(Format(ttl, rule)), "1:YHxtAirCG//0OzkcVAukqKQN9xM=");

  Fixture ns = MakePacket("fe80::200:86ff:fe05:80da", 0, "fe80::260:97ff:fe07:69ea", 0, 58);
  ns.packet.icmp_type = 135;
  Fixture na = MakePacket("fe80::260:97ff:fe07:69ea", 0, "fe80::200:86ff:fe05:80da", 0, 58);
  na.packet.icmp_type = 136;
  EXPECT_EQ(CommunityIdField(Format(ns, rule)), "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
  EXPECT_EQ(CommunityIdField(Format(na, rule)), "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");

  Fixture tcp6 = MakePacket("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
                            "2607:f8b0:400c:c03::1a", 25, 6);
  EXPECT_EQ(CommunityIdField(Format(tcp6, rule)), "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");

  // A protocol without ports (RSVP): addresses and protocol only.
  Fixture rsvp = MakePacket("10.1.12.1", 0, "10.1.12.2", 0, 46);
  rsvp.packet.l4 = nullptr;
  EXPECT_EQ(CommunityIdField(Format(rsvp, rule)), "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");

  // Placed after pkt_src, as Suricata writes it.
  EXPECT_THAT(Format(tcp, rule),
              HasSubstr("\"proto\":\"TCP\",\"pkt_src\":\"wire/pcap\",\"community_id\":\"1:"
                        "LQU9qZlK+B5F3KDmev6m5PMibrg=\",\"alert\":{"));
}

TEST(FormatAlert, CommunityIdSeedFromWriterOptions) {
  Fixture tcp = MakePacket("128.232.110.120", 34855, "66.35.250.204", 80, 6);
  const rules::Rule rule = MakeRule(31, "seed");
  EveWriterOptions options;
  options.community_id_seed = 1;
  std::string out;
  EveWriter::FormatAlert(tcp.packet, rule, {}, out, options);
  EXPECT_EQ(CommunityIdField(out), "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");

  // The writer uses its own options.
  const std::string path = TempPath("seed.json");
  std::filesystem::remove(path);
  {
    EveWriter w(options);
    EXPECT_EQ(w.options().community_id_seed, 1);
    ASSERT_TRUE(w.Open(path).ok());
    w.WriteAlert(tcp.packet, rule, {});
  }
  const auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], out);
}

TEST(FormatAlert, CommunityIdOmittedWhenUndefinedOrDisabled) {
  const rules::Rule rule = MakeRule(32, "none");
  Fixture frag = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 6);
  frag.packet.l4 = nullptr;  // a fragment: no ports, so no id for TCP
  frag.packet.is_fragment = true;
  EXPECT_THAT(Format(frag, rule), Not(HasSubstr("community_id")));
  Fixture truncated_icmp = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 1);
  truncated_icmp.packet.l4 = nullptr;
  EXPECT_THAT(Format(truncated_icmp, rule), Not(HasSubstr("community_id")));
  Fixture nonip;
  EXPECT_THAT(Format(nonip, rule), Not(HasSubstr("community_id")));

  Fixture tcp = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  EveWriterOptions off;
  off.community_id = false;
  std::string out;
  EveWriter::FormatAlert(tcp.packet, rule, {}, out, off);
  EXPECT_THAT(out, Not(HasSubstr("community_id")));
  EXPECT_TRUE(JsonCheck::IsValid(out));
}

TEST(FormatAlert, PrecomputedCommunityIdIsWrittenAsIs) {
  Fixture tcp = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  EveContext ctx;
  ctx.community_id = "1:cachedOnTheFlowxxxxxxxxxxxxx=";
  EXPECT_EQ(CommunityIdField(Format(tcp, MakeRule(33, "cached"), ctx)),
            "1:cachedOnTheFlowxxxxxxxxxxxxx=");
}

TEST(CommunityIdOf, MatchesTheCommonFunction) {
  Fixture udp = MakePacket("1.2.3.4", 1122, "5.6.7.8", 3344, 17);
  char out[kCommunityIdBufferSize];
  EXPECT_EQ(CommunityIdOf(udp.packet, 0, out), kCommunityIdLength);
  EXPECT_STREQ(out, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");  // spec README table
  EXPECT_EQ(CommunityIdOf(udp.packet, 1, out), kCommunityIdLength);
  EXPECT_STREQ(out, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
  Fixture nonip;
  EXPECT_EQ(CommunityIdOf(nonip.packet, 0, out), 0u);
  EXPECT_STREQ(out, "");
}

// ---- pkt_src and tunnels -------------------------------------------------------

TEST(FormatAlert, PacketSourceFromContext) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  const rules::Rule rule = MakeRule(34, "src");
  EveContext ctx;
  EXPECT_THAT(Format(f, rule, ctx), HasSubstr("\"pkt_src\":\"wire/pcap\""));
  ctx.pkt_src = EvePacketSource::kDefrag;
  EXPECT_THAT(Format(f, rule, ctx), HasSubstr("\"pkt_src\":\"defrag\""));
  ctx.pkt_src = EvePacketSource::kStreamFlowTimeout;
  EXPECT_THAT(Format(f, rule, ctx), HasSubstr("\"pkt_src\":\"stream (flow timeout)\""));
  ctx.pkt_src = EvePacketSource::kStreamDetectLog;
  EXPECT_THAT(Format(f, rule, ctx), HasSubstr("\"pkt_src\":\"stream (detect/log)\""));
}

// An outer UDP packet to the VXLAN port and the TCP packet inside it.
struct VxlanFixture {
  Fixture outer = MakePacket("192.0.2.1", 54321, "192.0.2.2", 4789, 17);
  Fixture inner = MakePacket("128.232.110.120", 34855, "66.35.250.204", 80, 6);
  VxlanFixture() {
    inner.packet.view = &outer.view;  // same frame
    inner.packet.tunnel_depth = 1;
    inner.packet.tunnel_type = decode::TunnelType::kVxlan;
    inner.packet.tunnel_id = 42;
    inner.packet.outer = &outer.packet;
  }
  VxlanFixture(const VxlanFixture&) = delete;
  VxlanFixture& operator=(const VxlanFixture&) = delete;
};

TEST(FormatAlert, TunnelObjectDescribesTheOutermostPacket) {
  VxlanFixture v;
  EveContext ctx;
  ctx.pcap_cnt = 42;
  ctx.pcap_filename = "/cases/vxlan.pcap";
  EXPECT_EQ(Format(v.inner, MakeRule(35, "inner"), ctx),
            "{\"timestamp\":\"2024-04-21T10:11:12.123456+0000\",\"pcap_cnt\":42,"
            "\"event_type\":\"alert\",\"src_ip\":\"128.232.110.120\",\"src_port\":34855,"
            "\"dest_ip\":\"66.35.250.204\",\"dest_port\":80,\"proto\":\"TCP\","
            "\"pkt_src\":\"vxlan encapsulation\","
            "\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\","
            "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":35,\"rev\":2,"
            "\"signature\":\"inner\",\"category\":\"A Network Trojan was detected\","
            "\"severity\":1},"
            "\"tunnel\":{\"src_ip\":\"192.0.2.1\",\"src_port\":54321,"
            "\"dest_ip\":\"192.0.2.2\",\"dest_port\":4789,\"proto\":\"UDP\",\"depth\":1,"
            "\"pcap_cnt\":42,\"pkt_src\":\"wire/pcap\"},"
            "\"pcap_filename\":\"/cases/vxlan.pcap\"}");
  // Without a pcap_cnt the tunnel has none either.
  EXPECT_THAT(Format(v.inner, MakeRule(35, "inner")),
              HasSubstr("\"proto\":\"UDP\",\"depth\":1,\"pkt_src\":\"wire/pcap\"}}"));
  // The outer packet itself is no tunnel.
  EXPECT_THAT(Format(v.outer, MakeRule(36, "outer")), Not(HasSubstr("tunnel")));
}

TEST(FormatAlert, NestedTunnelReportsTheRootAndTheInnerDepth) {
  // IPv6 GRE (no ports) carrying IPv4, carrying IPv4-in-IPv4 with TCP inside.
  Fixture gre = MakePacket("2001:db8::1", 0, "2001:db8::2", 0, 47);
  gre.packet.l4 = nullptr;
  Fixture mid = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 4);
  mid.packet.l4 = nullptr;
  mid.packet.tunnel_depth = 1;
  mid.packet.tunnel_type = decode::TunnelType::kGre;
  mid.packet.outer = &gre.packet;
  Fixture inner = MakePacket("172.16.0.1", 1234, "172.16.0.2", 443, 6);
  inner.packet.tunnel_depth = 2;
  inner.packet.tunnel_type = decode::TunnelType::kIpInIp;
  inner.packet.outer = &mid.packet;

  const std::string rec = Format(inner, MakeRule(37, "deep"));
  EXPECT_THAT(rec, HasSubstr("\"pkt_src\":\"ipv4 tunnel\""));
  EXPECT_THAT(rec, HasSubstr(",\"tunnel\":{\"src_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0001\","
                             "\"src_port\":0,\"dest_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0002\","
                             "\"dest_port\":0,\"proto\":\"GRE\",\"depth\":2,"
                             "\"pkt_src\":\"wire/pcap\"}}"));
  EXPECT_THAT(Format(mid, MakeRule(38, "mid")), HasSubstr("\"pkt_src\":\"gre tunnel\""));
  EXPECT_TRUE(JsonCheck::IsValid(rec));

  // IP in IPv6 is named after the IPv6 decoder that found it.
  Fixture v6in6 = MakePacket("2001:db8::10", 1, "2001:db8::20", 2, 17);
  v6in6.packet.tunnel_depth = 1;
  v6in6.packet.tunnel_type = decode::TunnelType::kIpv6InIp;
  v6in6.packet.outer = &gre.packet;
  EXPECT_THAT(Format(v6in6, MakeRule(39, "6in6")), HasSubstr("\"pkt_src\":\"ipv6 tunnel\""));
}

TEST(EvePacketSourceName, TunnelKindsAsSuricataNamesThem) {
  Fixture outer4 = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 47);
  Fixture p = MakePacket("10.1.0.1", 1, "10.1.0.2", 2, 6);
  EXPECT_EQ(EvePacketSourceName(p.packet, EvePacketSource::kPacket), "wire/pcap");
  p.packet.tunnel_depth = 1;
  p.packet.outer = &outer4.packet;
  const std::pair<decode::TunnelType, std::string_view> kinds[] = {
      {decode::TunnelType::kGre, "gre tunnel"},
      {decode::TunnelType::kErspan, "gre tunnel"},
      {decode::TunnelType::kVxlan, "vxlan encapsulation"},
      {decode::TunnelType::kGeneve, "geneve encapsulation"},
      {decode::TunnelType::kIpInIp, "ipv4 tunnel"},
      {decode::TunnelType::kIpv6InIp, "ipv4 tunnel"},
  };
  for (const auto& [type, name] : kinds) {
    p.packet.tunnel_type = type;
    EXPECT_EQ(EvePacketSourceName(p.packet, EvePacketSource::kPacket), name);
    // What the caller says wins.
    EXPECT_EQ(EvePacketSourceName(p.packet, EvePacketSource::kDefrag), "defrag");
  }
}

TEST(FormatAlert, NoTunnelObjectWithoutTheOuterPacket) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  f.packet.tunnel_depth = 1;
  f.packet.tunnel_type = decode::TunnelType::kGeneve;
  const std::string rec = Format(f, MakeRule(40, "orphan"));
  EXPECT_THAT(rec, Not(HasSubstr("\"tunnel\"")));
  EXPECT_THAT(rec, HasSubstr("\"pkt_src\":\"geneve encapsulation\""));
}

TEST(FormatAlert, OmitsZeroFlowIdPcapCountAndEmptyFilename) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 53, 17);
  rules::Rule rule = MakeRule(1, "udp");
  rule.category.clear();
  const std::string rec = Format(f, rule);
  EXPECT_THAT(rec, Not(HasSubstr("flow_id")));
  EXPECT_THAT(rec, Not(HasSubstr("pcap_cnt")));
  EXPECT_THAT(rec, Not(HasSubstr("pcap_filename")));
  EXPECT_THAT(rec, HasSubstr("\"proto\":\"UDP\""));
  EXPECT_THAT(rec, HasSubstr("\"src_port\":1,"));
  EXPECT_THAT(rec, HasSubstr("\"dest_port\":53,"));
  EXPECT_THAT(rec, HasSubstr("\"category\":\"\""));
  EXPECT_TRUE(JsonCheck::IsValid(rec));
}

TEST(FormatAlert, IcmpHasTypeAndCodeButNoPorts) {
  Fixture f = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 1);
  f.packet.icmp_type = 8;
  f.packet.icmp_code = 0;
  const std::string rec = Format(f, MakeRule(3, "ping"));
  EXPECT_THAT(rec, HasSubstr("\"dest_ip\":\"10.0.0.2\",\"proto\":\"ICMP\","
                             "\"icmp_type\":8,\"icmp_code\":0,\"pkt_src\""));
  EXPECT_THAT(rec, Not(HasSubstr("_port")));
}

TEST(FormatAlert, Icmpv6AndIpv6Addresses) {
  Fixture f = MakePacket("2001:db8::1", 0, "ff02::1", 0, 58);
  f.packet.icmp_type = 135;
  f.packet.icmp_code = 0;
  const std::string rec = Format(f, MakeRule(4, "ns"));
  EXPECT_THAT(rec, HasSubstr("\"src_ip\":\"2001:0db8:0000:0000:0000:0000:0000:0001\","
                             "\"dest_ip\":\"ff02:0000:0000:0000:0000:0000:0000:0001\","
                             "\"proto\":\"IPv6-ICMP\",\"icmp_type\":135,\"icmp_code\":0"));
  EXPECT_THAT(rec, Not(HasSubstr("_port")));
}

TEST(FormatAlert, OtherProtocolsByNameOrNumberWithoutPorts) {
  Fixture gre = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 47);
  gre.packet.l4 = nullptr;
  EXPECT_THAT(Format(gre, MakeRule(5, "gre")), HasSubstr("\"proto\":\"GRE\",\"pkt_src\""));
  Fixture odd = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 253);
  odd.packet.l4 = nullptr;
  const std::string rec = Format(odd, MakeRule(6, "exp"));
  EXPECT_THAT(rec, HasSubstr("\"proto\":\"253\""));
  EXPECT_THAT(rec, Not(HasSubstr("_port")));
}

TEST(FormatAlert, FragmentWithoutTransportHeaderHasNoPorts) {
  Fixture f = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 6);
  f.packet.l4 = nullptr;
  f.packet.is_fragment = true;
  const std::string rec = Format(f, MakeRule(7, "frag"));
  EXPECT_THAT(rec, HasSubstr("\"proto\":\"TCP\""));
  EXPECT_THAT(rec, Not(HasSubstr("_port")));
}

TEST(FormatAlert, VlanIdsOutermostFirst) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  f.packet.vlan_count = 2;
  f.packet.vlan_id = {100, 200};
  EXPECT_THAT(Format(f, MakeRule(8, "vlan")),
              HasSubstr("\"event_type\":\"alert\",\"vlan\":[100,200],\"src_ip\""));
}

TEST(FormatAlert, MetadataGroupsRepeatedKeysInOrder) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  rules::Rule rule = MakeRule(9, "md");
  rule.metadata = {{"policy", "balanced-ips"},
                   {"created_at", "2024_01_01"},
                   {"policy", "security-ips"},
                   {"malware_family", "Tick"},
                   {"policy", "max-detect"}};
  EXPECT_THAT(Format(f, rule),
              HasSubstr(",\"severity\":1,\"metadata\":{"
                        "\"policy\":[\"balanced-ips\",\"security-ips\",\"max-detect\"],"
                        "\"created_at\":[\"2024_01_01\"],\"malware_family\":[\"Tick\"]}}"));
}

TEST(FormatAlert, NoMetadataObjectWithoutMetadata) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  EXPECT_THAT(Format(f, MakeRule(10, "x")), Not(HasSubstr("metadata")));
}

TEST(FormatAlert, TargetDestIpAndSrcIp) {
  Fixture f = MakePacket("10.0.0.1", 1111, "10.0.0.2", 80, 6);
  rules::Rule rule = MakeRule(11, "t");
  rule.target = "dest_ip";
  EXPECT_THAT(Format(f, rule),
              HasSubstr(",\"source\":{\"ip\":\"10.0.0.1\",\"port\":1111},"
                        "\"target\":{\"ip\":\"10.0.0.2\",\"port\":80}}"));
  rule.target = "src_ip";
  EXPECT_THAT(Format(f, rule),
              HasSubstr(",\"source\":{\"ip\":\"10.0.0.2\",\"port\":80},"
                        "\"target\":{\"ip\":\"10.0.0.1\",\"port\":1111}}"));
  Fixture icmp = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 1);
  rule.target = "dest_ip";
  EXPECT_THAT(Format(icmp, rule),
              HasSubstr(",\"source\":{\"ip\":\"10.0.0.1\"},\"target\":{\"ip\":\"10.0.0.2\"}}"));
}

TEST(FormatAlert, ActionAllowedExceptRejectBlocked) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  rules::Rule rule = MakeRule(12, "a");
  rule.action = rules::Action::kAlert;
  EXPECT_THAT(Format(f, rule), HasSubstr("\"action\":\"allowed\""));
  rule.action = rules::Action::kDrop;
  EXPECT_THAT(Format(f, rule), HasSubstr("\"action\":\"allowed\""));
  rule.action = rules::Action::kReject;
  EXPECT_THAT(Format(f, rule), HasSubstr("\"action\":\"blocked\""));
}

TEST(FormatAlert, HostileStringsStayValidJson) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  rules::Rule rule = MakeRule(13, std::string("evil\0\"\\\n\xff\xc3", 10));
  rule.category = "\x7f\x80";
  rule.metadata = {{"k\"ey", "v\xfe"}};
  EveContext ctx;
  ctx.pcap_filename = "dir\\name\x01.pcap";
  std::string error;
  EXPECT_TRUE(JsonCheck::IsValid(Format(f, rule, ctx), &error)) << error;
}

TEST(FormatAlert, AppendsWithoutGrowingAReservedBuffer) {
  Fixture f = MakePacket("2001:db8::1", 1, "2001:db8::2", 2, 6);
  rules::Rule rule = MakeRule(14, std::string(200, 'm'));
  rule.metadata = {{"a", "b"}, {"a", "c"}};
  std::string out;
  out.reserve(4096);
  const char* data = out.data();
  EveWriter::FormatAlert(f.packet, rule, {}, out);
  EXPECT_EQ(out.data(), data);
  EXPECT_TRUE(JsonCheck::IsValid(out));
}

// ---- writer ------------------------------------------------------------------

TEST(EveWriter, AppendsLinesToAFile) {
  const std::string path = TempPath("append.json");
  std::filesystem::remove(path);
  {
    std::ofstream(path) << "{\"existing\":1}\n";
  }
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  rules::Rule rule = MakeRule(20, "w");
  EveWriter w;
  ASSERT_TRUE(w.Open(path).ok());
  w.WriteAlert(f.packet, rule, {});
  w.WriteAlert(f.packet, rule, {});
  w.Flush();
  EXPECT_EQ(w.records_written(), 2u);
  EXPECT_EQ(w.write_errors(), 0u);
  const auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "{\"existing\":1}");
  EXPECT_EQ(lines[1], Format(f, rule));
  EXPECT_EQ(lines[2], Format(f, rule));
}

TEST(EveWriter, ReopenAfterRenameWritesToTheOriginalPath) {
  const std::string path = TempPath("rotate.json");
  const std::string rotated = path + ".1";
  std::filesystem::remove(path);
  std::filesystem::remove(rotated);
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  rules::Rule before = MakeRule(21, "before");
  rules::Rule after = MakeRule(22, "after");
  EveWriter w;
  ASSERT_TRUE(w.Open(path).ok());
  w.WriteAlert(f.packet, before, {});
  w.Flush();
  std::filesystem::rename(path, rotated);  // what logrotate does
  w.WriteAlert(f.packet, before, {});     // still goes to the renamed file
  ASSERT_TRUE(w.Reopen().ok());
  w.WriteAlert(f.packet, after, {});
  w.Flush();
  const auto old_lines = ReadLines(rotated);
  const auto new_lines = ReadLines(path);
  ASSERT_EQ(old_lines.size(), 2u);
  EXPECT_THAT(old_lines[1], HasSubstr("\"signature\":\"before\""));
  ASSERT_EQ(new_lines.size(), 1u);
  EXPECT_THAT(new_lines[0], HasSubstr("\"signature\":\"after\""));
  EXPECT_EQ(w.records_written(), 3u);
}

TEST(EveWriter, OpenFailureNamesThePathAndReason) {
  EveWriter w;
  const std::string path = TempPath("no/such/dir/eve.json");
  const absl::Status s = w.Open(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  EXPECT_THAT(std::string(s.message()), HasSubstr("No such file or directory"));
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  w.WriteAlert(f.packet, MakeRule(23, "lost"), {});
  EXPECT_EQ(w.records_written(), 0u);
  EXPECT_EQ(w.write_errors(), 1u);
}

TEST(EveWriter, ReopenBeforeOpenIsAnError) {
  EveWriter w;
  EXPECT_EQ(w.Reopen().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(EveWriter, ReopenFailureIsReportedAndLaterReopenRecovers) {
  const std::string dir = TempPath("gone");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/eve.json";
  EveWriter w;
  ASSERT_TRUE(w.Open(path).ok());
  std::filesystem::remove_all(dir);
  const absl::Status s = w.Reopen();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  std::filesystem::create_directories(dir);
  EXPECT_TRUE(w.Reopen().ok());
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  w.WriteAlert(f.packet, MakeRule(24, "back"), {});
  w.Flush();
  EXPECT_EQ(ReadLines(path).size(), 1u);
}

TEST(EveWriter, DashWritesToStdout) {
  Fixture f = MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6);
  rules::Rule rule = MakeRule(25, "stdout");
  ::testing::internal::CaptureStdout();
  {
    EveWriter w;
    ASSERT_TRUE(w.Open("-").ok());
    w.WriteAlert(f.packet, rule, {});
    EXPECT_TRUE(w.Reopen().ok());  // no-op for stdout
    w.WriteAlert(f.packet, rule, {});
    w.Flush();
  }
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out, Format(f, rule) + "\n" + Format(f, rule) + "\n");
}

// ---- schema ------------------------------------------------------------------

TEST(EveSchema, EveryRecordShapeValidatesAgainstSuricatasSchema) {
  const std::string root = KAGAMI_SOURCE_DIR;
  const std::string schema = root + "/../shared/eve/schema.json";
  const std::string script = root + "/tests/support/validate_eve.py";
  if (!std::filesystem::exists(schema)) GTEST_SKIP() << "no schema at " << schema;
  if (std::system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 cannot import jsonschema";
  }
  const std::string path = TempPath("schema.json");
  std::filesystem::remove(path);
  {
    EveWriter w;
    ASSERT_TRUE(w.Open(path).ok());
    EveContext pcap;
    pcap.flow_id = 987654321;
    pcap.pcap_cnt = 7;
    pcap.pcap_filename = "input.pcap";

    rules::Rule plain = MakeRule(1, "plain");
    rules::Rule rich = MakeRule(2, std::string("rich \xff\0\n", 8));
    rich.metadata = {{"policy", "a"}, {"policy", "b"}, {"affected_product", "Windows"},
                     {"kagami_campaign", "tick"}};
    rich.target = "dest_ip";
    rules::Rule src_target = MakeRule(3, "src target");
    src_target.target = "src_ip";
    src_target.action = rules::Action::kReject;

    Fixture tcp = MakePacket("10.0.0.1", 1234, "10.0.0.2", 80, 6);
    Fixture udp = MakePacket("10.0.0.1", 5353, "224.0.0.251", 5353, 17);
    Fixture icmp = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 1);
    icmp.packet.icmp_type = 3;
    icmp.packet.icmp_code = 1;
    Fixture icmp6 = MakePacket("fe80::1", 0, "ff02::1", 0, 58);
    icmp6.packet.icmp_type = 128;
    Fixture tcp6 = MakePacket("2001:db8::1", 443, "2001:db8::2", 50000, 6);
    tcp6.packet.vlan_count = 1;
    tcp6.packet.vlan_id = {42, 0};
    Fixture gre = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 47);
    gre.packet.l4 = nullptr;
    Fixture nonip;  // no IP layer: no addresses, ports or proto
    Fixture frag = MakePacket("10.0.0.1", 0, "10.0.0.2", 0, 17);  // no community_id
    frag.packet.l4 = nullptr;
    frag.packet.is_fragment = true;
    VxlanFixture vxlan;  // tunnel object with ports
    Fixture gre6 = MakePacket("2001:db8::1", 0, "2001:db8::2", 0, 47);
    gre6.packet.l4 = nullptr;
    Fixture in_gre = MakePacket("10.9.0.1", 0, "10.9.0.2", 0, 1);  // ICMP in IPv6 GRE
    in_gre.packet.icmp_type = 8;
    in_gre.packet.tunnel_depth = 1;
    in_gre.packet.tunnel_type = decode::TunnelType::kGre;
    in_gre.packet.outer = &gre6.packet;

    for (const Fixture* f : {&tcp, &udp, &icmp, &icmp6, &tcp6, &gre, &nonip, &frag, &vxlan.inner,
                             &in_gre}) {
      for (const rules::Rule* r : {&plain, &rich, &src_target}) {
        w.WriteAlert(f->packet, *r, {});
        w.WriteAlert(f->packet, *r, pcap);
      }
    }
    EveContext stream = pcap;
    stream.pkt_src = EvePacketSource::kStreamFlowTimeout;
    stream.community_id = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";
    w.WriteAlert(tcp.packet, plain, stream);
    EXPECT_EQ(w.records_written(), 61u);
  }
  const std::string cmd = "/usr/bin/python3 " + script + " " + schema + " " + path;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;

  // And the validator does reject what the schema forbids.
  const std::string bad = TempPath("bad.json");
  {
    std::string record = Format(MakePacket("10.0.0.1", 1, "10.0.0.2", 2, 6), MakeRule(1, "x"));
    record.insert(1, "\"not_in_schema\":1,");
    std::ofstream(bad) << record << "\n";
  }
  const std::string bad_cmd =
      "/usr/bin/python3 " + script + " " + schema + " " + bad + " 2>/dev/null";
  EXPECT_NE(std::system(bad_cmd.c_str()), 0);
}

}  // namespace
}  // namespace kagami::output
