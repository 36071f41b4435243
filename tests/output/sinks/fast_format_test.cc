// FastLine: EVE alert records, as EveWriter formats them, to Suricata's
// fast.log lines; everything else refused without a crash. The time zone
// is set for each test (UTC unless the test is about time zones).
#include "engine/output/sinks/fast_format.h"

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "engine/output/eve_writer.h"
#include "gtest/gtest.h"

namespace kagami::output {
namespace {

const uint8_t kL4[64] = {};  // stands in for a decoded transport header

// 2024-04-21T10:11:12.123456789Z
constexpr int64_t kTs = 1713694272123456789;

class FastLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
    SetZone("UTC0");
  }
  void TearDown() override {
    if (saved_tz_) {
      setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  static void SetZone(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();  // localtime_r reads TZ only when told to
  }

  // An alert record as `kagami scan` writes it.
  std::string Alert(const char* src, uint16_t sport, const char* dst, uint16_t dport, uint8_t proto,
                    const rules::Rule& rule) {
    view_.ts_ns = kTs;
    decode::Packet p;
    p.view = &view_;
    p.src = *IpAddress::Parse(src);
    p.dst = *IpAddress::Parse(dst);
    p.ip_version = p.src.is_v4() ? 4 : 6;
    p.ip_proto = proto;
    p.l4 = kL4;
    p.l4_len = sizeof(kL4);
    p.src_port = sport;
    p.dst_port = dport;
    p.icmp_type = 8;
    p.icmp_code = 3;
    std::string out;
    EveWriter::FormatAlert(p, rule, EveContext{}, out);
    return out + "\n";
  }

  static rules::Rule Rule(std::string msg) {
    rules::Rule r;
    r.sid = 4200001;
    r.rev = 2;
    r.msg = std::move(msg);
    r.category = "A Network Trojan was detected";
    r.priority = 1;
    return r;
  }

  static std::string Line(std::string_view record) {
    std::string out;
    EXPECT_TRUE(FastLine(record, out)) << record;
    return out;
  }

  capture::PacketView view_;
  std::optional<std::string> saved_tz_;
};

TEST_F(FastLineTest, TcpOverIpv4) {
  EXPECT_EQ(Line(Alert("10.1.55.31", 50513, "82.215.142.186", 80, 6, Rule("KAGAMI TICK Datper check-in"))),
            "04/21/2024-10:11:12.123456  [**] [1:4200001:2] KAGAMI TICK Datper check-in [**] "
            "[Classification: A Network Trojan was detected] [Priority: 1] {TCP} 10.1.55.31:50513 -> "
            "82.215.142.186:80\n");
}

TEST_F(FastLineTest, UdpOverIpv4) {
  EXPECT_EQ(Line(Alert("10.3.46.67", 56642, "10.0.0.53", 53, 17, Rule("dns"))),
            "04/21/2024-10:11:12.123456  [**] [1:4200001:2] dns [**] [Classification: A Network Trojan was "
            "detected] [Priority: 1] {UDP} 10.3.46.67:56642 -> 10.0.0.53:53\n");
}

// Suricata prints IPv6 addresses with every group and its zeros, the port
// after one more ':'.
TEST_F(FastLineTest, Ipv6AddressesInFull) {
  const std::string line = Line(Alert("2001:db8::1", 443, "fe80::2", 51000, 6, Rule("v6")));
  EXPECT_NE(line.find("{TCP} 2001:0db8:0000:0000:0000:0000:0000:0001:443 -> "
                      "fe80:0000:0000:0000:0000:0000:0000:0002:51000\n"),
            std::string::npos)
      << line;
}

// Where the ports go, Suricata writes an ICMP message's type and code.
TEST_F(FastLineTest, IcmpHasTypeAndCodeForPorts) {
  EXPECT_NE(Line(Alert("10.0.0.1", 0, "10.0.0.2", 0, 1, Rule("ping"))).find("{ICMP} 10.0.0.1:8 -> 10.0.0.2:3\n"),
            std::string::npos);
  EXPECT_NE(Line(Alert("2001:db8::1", 0, "2001:db8::2", 0, 58, Rule("ping6")))
                .find("{IPv6-ICMP} 2001:0db8:0000:0000:0000:0000:0000:0001:8 -> "
                      "2001:0db8:0000:0000:0000:0000:0000:0002:3\n"),
            std::string::npos);
}

// A protocol without ports has 0 for them; one EVE names by number is
// PROTO:NNN.
TEST_F(FastLineTest, ProtocolsWithoutPorts) {
  EXPECT_NE(Line(Alert("10.0.0.1", 0, "10.0.0.2", 0, 47, Rule("gre"))).find("{GRE} 10.0.0.1:0 -> 10.0.0.2:0\n"),
            std::string::npos);
  EXPECT_NE(Line(Alert("10.0.0.1", 0, "10.0.0.2", 0, 7, Rule("cbt"))).find("{PROTO:007} 10.0.0.1:0 -> 10.0.0.2:0\n"),
            std::string::npos);
  EXPECT_NE(Line(Alert("10.0.0.1", 0, "10.0.0.2", 0, 253, Rule("x"))).find("{PROTO:253} "), std::string::npos);
}

TEST_F(FastLineTest, SignatureComesBackAsWritten) {
  // Through EveWriter: quotes, backslashes, UTF-8 and a byte that is not
  // UTF-8 (written as \u00ff) come back byte for byte.
  const std::string msg = "KAGAMI \"quoted\" C:\\temp caf\xC3\xA9 \xFF end";
  const std::string line = Line(Alert("10.0.0.1", 1, "10.0.0.2", 2, 6, Rule(msg)));
  EXPECT_NE(line.find("] " + msg + " [**]"), std::string::npos) << line;
}

std::string Record(std::string_view signature_json, std::string_view category_json = "\"Misc activity\"") {
  return std::string("{\"timestamp\":\"2024-04-21T10:11:12.123456+0000\",\"event_type\":\"alert\",") +
         "\"src_ip\":\"1.2.3.4\",\"src_port\":1,\"dest_ip\":\"5.6.7.8\",\"dest_port\":2,\"proto\":\"TCP\","
         "\"alert\":{\"action\":\"allowed\","
         "\"gid\":1,\"signature_id\":7,\"rev\":3,\"signature\":" +
         std::string(signature_json) + (category_json.empty() ? "" : ",\"category\":") + std::string(category_json) +
         ",\"severity\":2}}\n";
}

std::string Msg(std::string_view signature_json) {
  std::string out;
  if (!FastLine(Record(signature_json), out)) return "(refused)";
  const size_t start = out.find("[1:7:3] ") + 8;
  return out.substr(start, out.find(" [**] [Classification") - start);
}

TEST_F(FastLineTest, JsonEscapesAreDecoded) {
  EXPECT_EQ(Msg(R"("a \"b\" c\\d e\/f")"), "a \"b\" c\\d e/f");
  EXPECT_EQ(Msg(R"("\u0041\u20ac \ud83d\ude00")"), "A\xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(Msg(R"("caf\u00e9")"), "caf\xE9") << "a byte EveWriter found not to be UTF-8";
  EXPECT_EQ(Msg(R"("half \ud83d pair \ude00")"), "half \xEF\xBF\xBD pair \xEF\xBF\xBD");
  // Controls would break the line: written as \xNN.
  EXPECT_EQ(Msg(R"("a\nb\tc\u0001d\u007f\r\b\f")"), "a\\x0ab\\x09c\\x01d\\x7f\\x0d\\x08\\x0c");
  EXPECT_EQ(Msg("\"\x7f\""), "\\x7f");
}

TEST_F(FastLineTest, RejectRulesAreMarkedWouldDrop) {
  rules::Rule r = Rule("rejected");
  r.action = rules::Action::kReject;  // EVE action "blocked"
  EXPECT_NE(Line(Alert("10.0.0.1", 1, "10.0.0.2", 2, 6, r)).find(".123456  [wDrop] [**] [1:4200001:2] rejected [**]"),
            std::string::npos);
  r.action = rules::Action::kDrop;  // "allowed": Kagami does not drop
  EXPECT_NE(Line(Alert("10.0.0.1", 1, "10.0.0.2", 2, 6, r)).find(".123456  [**] [1:4200001:2]"), std::string::npos);
}

// A rule without classtype: Suricata prints its NULL class with "(null)".
TEST_F(FastLineTest, MissingCategory) {
  rules::Rule r = Rule("no class");
  r.category.clear();
  r.priority = 3;
  EXPECT_NE(Line(Alert("10.0.0.1", 1, "10.0.0.2", 2, 6, r)).find(" [**] [Classification: (null)] [Priority: 3] {TCP}"),
            std::string::npos);
  std::string out;
  ASSERT_TRUE(FastLine(Record("\"m\"", ""), out));
  EXPECT_NE(out.find("[Classification: (null)]"), std::string::npos) << out;
}

// An intel alert as eve_intel.cc writes it: gid 9000, its own category,
// and a context object whose keys ("source", "type") must not be taken for
// the record's.
TEST_F(FastLineTest, IntelAlert) {
  const std::string record =
      "{\"timestamp\":\"2023-11-14T22:13:20.002116+0000\",\"flow_id\":12,\"pcap_cnt\":3,\"event_type\":\"alert\","
      "\"src_ip\":\"10.3.46.67\",\"src_port\":56642,\"dest_ip\":\"10.0.0.53\",\"dest_port\":53,\"proto\":\"UDP\","
      "\"pkt_src\":\"wire/pcap\",\"alert\":{\"action\":\"allowed\",\"gid\":9000,\"signature_id\":1537856680,"
      "\"rev\":1,\"signature\":\"KAGAMI INTEL domain travelasist.com (Tick / ShadowPy)\",\"category\":\"Threat "
      "intelligence indicator\",\"severity\":1,\"metadata\":{\"malware_family\":[\"ShadowPy\"]},\"context\":"
      "{\"intel\":{\"indicator\":\"travelasist.com\",\"type\":\"domain\",\"seen_in\":\"dns.query\",\"source\":"
      "\"feed\",\"confidence\":80,\"labels\":[\"apt\",\"tick\"]}}},\"app_proto\":\"dns\",\"dns\":{\"query\":[{"
      "\"rrname\":\"travelasist.com\",\"rrtype\":\"A\"}]}}\n";
  EXPECT_EQ(Line(record),
            "11/14/2023-22:13:20.002116  [**] [9000:1537856680:1] KAGAMI INTEL domain travelasist.com (Tick / "
            "ShadowPy) [**] [Classification: Threat intelligence indicator] [Priority: 1] {UDP} "
            "10.3.46.67:56642 -> 10.0.0.53:53\n");
}

TEST_F(FastLineTest, LocalTimeAsSuricata) {
  SetZone("JST-9");  // a POSIX zone: no tzdata needed
  EXPECT_EQ(Line(Alert("10.0.0.1", 1, "10.0.0.2", 2, 6, Rule("m"))).substr(0, 28), "04/21/2024-19:11:12.123456  ");
  std::string record = Record("\"m\"");
  record.replace(record.find("2024-04-21T10:11:12.123456+0000"), 31, "2023-12-31T20:00:00.000001+0000");
  EXPECT_EQ(Line(record).substr(0, 28), "01/01/2024-05:00:00.000001  ");
  SetZone("UTC0");
  record.replace(record.find("2023-12-31T20:00:00.000001+0000"), 31, "2024-01-01T05:30:00.5+05:30");
  EXPECT_EQ(Line(record).substr(0, 28), "01/01/2024-00:00:00.500000  ") << "an offset in the record is honoured";
}

TEST_F(FastLineTest, OtherRecordsAreRefused) {
  std::string out = "kept\n";
  EXPECT_FALSE(FastLine("{\"timestamp\":\"2024-04-21T10:11:12.123456+0000\",\"event_type\":\"dns\",\"src_ip\":"
                        "\"1.2.3.4\",\"dest_ip\":\"5.6.7.8\",\"proto\":\"UDP\",\"dns\":{}}\n",
                        out));
  EXPECT_FALSE(FastLine("{\"timestamp\":\"2024-04-21T10:11:12.123456+0000\",\"event_type\":\"stats\",\"stats\":"
                        "{\"uptime\":1}}\n",
                        out));
  // An alert on a packet without IP: Suricata's line for it needs the
  // packet's bytes, which EVE does not have.
  std::string no_ip = Record("\"m\"");
  no_ip.replace(no_ip.find("\"src_ip\":\"1.2.3.4\","), 19, "");
  EXPECT_FALSE(FastLine(no_ip, out));
  EXPECT_EQ(out, "kept\n");
}

TEST_F(FastLineTest, AppendsToWhatIsThere) {
  std::string out = "first\n";
  ASSERT_TRUE(FastLine(Record("\"m\""), out));
  EXPECT_EQ(out.substr(0, 6), "first\n");
  EXPECT_EQ(out.back(), '\n');
  EXPECT_TRUE(FastLine(Record("\"m\"").substr(0, Record("\"m\"").size() - 1), out)) << "without its newline";
}

// Every cut of a record short of its closing brace, and fields of the wrong
// type, are refused (and ASan/UBSan builds see no bad access doing it).
TEST_F(FastLineTest, BrokenRecordsAreRefused) {
  const std::string good = Alert("2001:db8::1", 1, "2001:db8::2", 2, 6, Rule("a \"b\" \\ c"));
  const size_t close = good.rfind('}');
  std::string out;
  for (size_t n = 0; n < close; ++n) {
    EXPECT_FALSE(FastLine(std::string_view(good).substr(0, n), out)) << n;
  }
  EXPECT_TRUE(out.empty());
  auto with = [](std::string from, std::string to) {
    std::string r = Record("\"m\"");
    const size_t at = r.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return r.replace(at, from.size(), to);
  };
  const char* kBad[][2] = {
      {"\"gid\":1", "\"gid\":\"1\""},
      {"\"gid\":1", "\"gid\":-1"},
      {"\"gid\":1", "\"gid\":1.5"},
      {"\"gid\":1", "\"gid\":01"},
      {"\"gid\":1", "\"gid\":99999999999999999999999"},
      {"\"src_port\":1", "\"src_port\":\"1\""},
      {"\"src_port\":1", "\"src_port\":70000"},
      {"\"signature\":\"m\"", "\"signature\":5"},
      {"\"signature\":\"m\"", "\"signature\":\"bad \\q escape\""},
      {"\"signature\":\"m\"", "\"signature\":\"short \\u12\""},
      {"\"signature\":\"m\"", "\"signature\":\"raw \n newline\""},
      {"\"severity\":2", "\"severity\":null"},
      {"\"alert\":{", "\"alert\":[{"},
      {"2024-04-21T10:11:12", "2024-13-21T10:11:12"},
      {"2024-04-21T10:11:12.123456+0000", "yesterday"},
      {"2024-04-21T10:11:12.123456+0000", "2024-04-21T10:11:12.+0000"},
      {"2024-04-21T10:11:12.123456+0000", "2024-04-21T10:11:12.123456+00"},
      {"\"event_type\":\"alert\"", "\"event_type\":\"Alert\""},
      {",\"dest_ip\"", ",,\"dest_ip\""},
      {"\"proto\":\"TCP\"", "\"proto\":\"TCP\" \"x\":1"},
  };
  for (const auto& [from, to] : kBad) EXPECT_FALSE(FastLine(with(from, to), out)) << to;
  EXPECT_FALSE(FastLine(Record("\"m\"") + "{}", out)) << "something after the record";
  EXPECT_FALSE(FastLine("", out));
  EXPECT_FALSE(FastLine("[]", out));
  // Nesting deeper than any record is refused, not recursed into.
  EXPECT_FALSE(FastLine(with("\"dest_port\":2", "\"x\":" + std::string(100000, '[') + std::string(100000, ']') +
                                                    ",\"dest_port\":2"),
                        out));
  EXPECT_TRUE(FastLine(with("\"dest_port\":2", "\"x\":[[{\"a\":[1,-2.5e3,true,false,null,\"s\"]}]],\"dest_port\":2"),
                       out))
      << "values of any kind elsewhere are skipped";
}

}  // namespace
}  // namespace kagami::output
