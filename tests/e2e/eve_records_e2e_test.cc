// End-to-end: the EVE records as Suricata writes them. Transaction records
// face the flow (the client is src_ip whichever packet completed them);
// alerts carry tx_id, direction, the flow object and the sensor's name;
// flow records at each flow's end; anomaly records for malformed packets.
// Every record validates against Suricata's schema, field by field checks
// follow its documented format.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/pipeline/app_test_util.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pcap_writer.h"
#define KAGAMI_TRAFFIC_BUILDERS_ONLY
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using pipeline::traffic::Field;
using pipeline::traffic::TcpSession;
using namespace kagami::apptest;  // NOLINT: builders only

constexpr char kClient[] = "10.1.0.1";
constexpr char kServer[] = "10.2.0.2";

// One rule per direction of the HTTP transaction, and one on DNS.
constexpr char kRules[] =
    "alert http any any -> any any (msg:\"request\"; flow:to_server; http.uri; content:\"/gate.php\"; sid:1;)\n"
    "alert http any any -> any any (msg:\"response body\"; flow:to_client; file_data; content:\"BODYMARK\"; "
    "sid:2;)\n";

std::vector<Bytes>& operator+=(std::vector<Bytes>& a, const std::vector<Bytes>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// An HTTP exchange (the response completes the transaction), a DNS query
// and answer (the answer completes it), a TLS handshake, and one IPv4
// packet whose total length is shorter than its header.
std::vector<Bytes> Traffic() {
  std::vector<Bytes> f;
  TcpSession http(kClient, 40000, kServer, 8081);
  f += http.Handshake();
  // A header line without a colon: an HTTP parser anomaly.
  f += http.Send(true, HttpGet("/gate.php?id=42", "c2.example.com:8081", "NoColonHere\r\n"));
  f += http.Send(false, HttpOk("0123456789BODYMARK", "200 OK", "Content-Type: text/plain\r\n"));
  f.push_back(http.Fin(true));
  f.push_back(http.Fin(false));
  f.push_back(http.Ack(true));
  f.push_back(EthUdp(kClient, 53000, kServer, 53, DnsQuery(0x1234, "cdn.example")));
  f.push_back(EthUdp(kServer, 53, kClient, 53000, DnsResponseA(0x1234, "cdn.example")));
  HelloSpec hello;
  hello.sni = "c2.example";
  TcpSession tls(kClient, 40002, kServer, 443);
  f += tls.Handshake();
  f += tls.Send(true, ClientHelloRecord(hello));
  f += tls.Send(false, ServerHelloRecord());
  f += tls.Send(true, ChangeCipherSpecRecord() + AppDataRecord("encrypted finished"));
  f += tls.Send(false, ChangeCipherSpecRecord() + AppDataRecord("encrypted finished"));
  Bytes broken = EthUdp("10.9.9.9", 1000, "10.9.9.8", 2000, "payload");
  broken[14 + 2] = 0;  // IPv4 total length 10: shorter than the 20-byte header
  broken[14 + 3] = 10;
  f.push_back(broken);
  // A bad checksum is counted, never an anomaly record (as in Suricata).
  L4Options bad;
  bad.bad_checksum = true;
  f.push_back(EthUdp("10.9.9.9", 1001, "10.9.9.8", 2001, "x", bad));
  return f;
}

class EveRecordsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-eve-records-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rules_ = Write("eve.rules", kRules);
    std::vector<TestPacket> packets;
    int64_t ts = int64_t{1'700'000'000} * 1'000'000'000;
    for (const Bytes& f : Traffic()) {
      packets.push_back({.ts_ns = ts, .bytes = f});
      ts += 1'000'000;
    }
    pcap_ = Write("traffic.pcap", MakePcap(packets));
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  // Scans with every record type; returns the EVE lines (and checks them
  // against the schema).
  std::vector<std::string> Scan(const std::string& workers, std::string* text = nullptr) {
    const std::string eve = dir_ + "/eve-" + workers + ".json";
    ProcessResult r = RunKagami({"scan", "-q", "--workers", workers, "--rules", rules_, "--sensor-name", "sensor-7",
                                 "--eve-types", "alert,http,dns,tls,flow,anomaly,fileinfo", "--eve", eve, pcap_},
                                dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(ValidateEve(eve), 0);
    const std::string all = ReadFile(eve);
    if (text) *text = all;
    return Lines(all);
  }

  std::string dir_, rules_, pcap_;
};

std::vector<std::string> OfType(const std::vector<std::string>& lines, std::string_view type) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    if (Field(l, "event_type") == type) out.push_back(l);
  }
  return out;
}

TEST_F(EveRecordsE2eTest, TransactionRecordsFaceTheFlow) {
  const std::vector<std::string> lines = Scan("1");
  for (std::string_view type : {"http", "dns", "tls"}) {
    SCOPED_TRACE(std::string(type));
    const std::vector<std::string> records = OfType(lines, type);
    // DNS: the query and the answer, each its own record (dns v3).
    ASSERT_EQ(records.size(), type == "dns" ? 2u : 1u);
    for (const std::string& r : records) {
      // Completed by a packet from the server, logged from the client.
      EXPECT_EQ(Field(r, "src_ip"), kClient);
      EXPECT_EQ(Field(r, "dest_ip"), kServer);
      EXPECT_THAT(r, HasSubstr("\"direction\":\"to_server\""));
      EXPECT_THAT(r, HasSubstr("\"host\":\"sensor-7\""));
      // A DNS message is no numbered transaction of its flow.
      if (type == "dns") EXPECT_THAT(r, Not(HasSubstr("\"tx_id\"")));
      else EXPECT_THAT(r, HasSubstr("\"tx_id\":0"));
    }
  }
  EXPECT_THAT(OfType(lines, "dns")[1], HasSubstr("\"type\":\"response\""));
  EXPECT_EQ(Field(OfType(lines, "http")[0], "src_port"), "40000");
  EXPECT_EQ(Field(OfType(lines, "dns")[0], "dest_port"), "53");
}

TEST_F(EveRecordsE2eTest, AlertsCarryTxIdDirectionFlowAndHost) {
  const std::vector<std::string> alerts = OfType(Scan("1"), "alert");
  ASSERT_EQ(alerts.size(), 2u);
  std::map<std::string, std::string> by_sid;
  for (const std::string& a : alerts) by_sid[Field(a, "signature_id")] = a;
  // Alerts keep the packet's addresses (as Suricata's), and say its way.
  const std::string& request = by_sid["1"];
  EXPECT_EQ(Field(request, "src_ip"), kClient);
  EXPECT_THAT(request, HasSubstr("\"direction\":\"to_server\""));
  const std::string& response = by_sid["2"];
  EXPECT_EQ(Field(response, "src_ip"), kServer);
  EXPECT_THAT(response, HasSubstr("\"direction\":\"to_client\""));
  for (const std::string& a : alerts) {
    EXPECT_THAT(a, HasSubstr("\"tx_id\":0"));
    EXPECT_THAT(a, HasSubstr("\"host\":\"sensor-7\""));
    // The flow object: counts so far, start, the flow's own direction.
    EXPECT_THAT(a, ::testing::ContainsRegex("\"flow\":\\{\"pkts_toserver\":[1-9][0-9]*,\"pkts_toclient\":[0-9]+,"
                                            "\"bytes_toserver\":[1-9][0-9]*,\"bytes_toclient\":[0-9]+,"
                                            "\"start\":\"2023-11-14T22:13:20\\.000000\\+0000\","
                                            "\"src_ip\":\"10\\.1\\.0\\.1\",\"src_port\":40000,"
                                            "\"dest_ip\":\"10\\.2\\.0\\.2\",\"dest_port\":8081\\}"));
  }
}

TEST_F(EveRecordsE2eTest, OneFlowRecordPerFlowAtItsEnd) {
  const std::vector<std::string> lines = Scan("1");
  const std::vector<std::string> flows = OfType(lines, "flow");
  // HTTP, DNS, TLS, and the UDP packet with a bad checksum; the broken
  // packet never reached a flow.
  ASSERT_EQ(flows.size(), 4u);
  std::set<std::string> ids;
  for (const std::string& f : flows) {
    ids.insert(Field(f, "flow_id"));
    EXPECT_THAT(f, HasSubstr("\"host\":\"sensor-7\""));
    EXPECT_THAT(f, Not(HasSubstr("\"pkt_src\"")));
    EXPECT_THAT(f, ::testing::ContainsRegex("\"end\":\"[^\"]+\",\"age\":[0-9]+,\"state\":\"(new|established|closed)\","
                                            "\"reason\":\"(timeout|shutdown)\",\"alerted\":(true|false)\\}"));
  }
  EXPECT_EQ(ids.size(), 4u);
  // Each record is the flow's own: its id is that of the flow's other
  // records, and only the flow that alerted says so.
  const std::string http_flow = Field(OfType(lines, "http")[0], "flow_id");
  for (const std::string& f : flows) {
    if (Field(f, "flow_id") == http_flow) {
      EXPECT_EQ(Field(f, "src_ip"), kClient);
      EXPECT_EQ(Field(f, "src_port"), "40000");
      EXPECT_EQ(Field(f, "app_proto"), "http");
      EXPECT_THAT(f, HasSubstr("\"state\":\"closed\""));
      EXPECT_THAT(f, HasSubstr("\"alerted\":true"));
    } else {
      EXPECT_THAT(f, HasSubstr("\"alerted\":false"));
    }
  }
}

TEST_F(EveRecordsE2eTest, AnomalyRecordsForMalformedPacketsAndParsers) {
  const std::vector<std::string> anomalies = OfType(Scan("1"), "anomaly");
  ASSERT_EQ(anomalies.size(), 2u);
  // The parser's, when its transaction completed (before the broken packet).
  EXPECT_THAT(anomalies[0], ::testing::ContainsRegex("\"anomaly\":\\{\"app_proto\":\"http\",\"type\":\"applayer\","
                                                     "\"event\":\"[a-z_.]+\"\\}"));
  EXPECT_EQ(Field(anomalies[0], "app_proto"), "http");
  EXPECT_THAT(anomalies[1], HasSubstr("\"anomaly\":{\"type\":\"decode\",\"event\":\"ipv4.bad_total_length\"}"));
  EXPECT_THAT(anomalies[1], HasSubstr("\"pcap_cnt\":"));
}

// A body is a file: the response's faces the client (the server first),
// named after the URI, with its size and state.
TEST_F(EveRecordsE2eTest, FileinfoForEachHttpBody) {
  const std::vector<std::string> files = OfType(Scan("1"), "fileinfo");
  ASSERT_EQ(files.size(), 1u);
  const std::string& f = files[0];
  EXPECT_EQ(Field(f, "src_ip"), kServer);
  EXPECT_EQ(Field(f, "dest_port"), "40000");
  EXPECT_THAT(f, HasSubstr("\"direction\":\"to_client\""));
  EXPECT_THAT(f, HasSubstr("\"app_proto\":\"http\",\"http\":{"));
  // libmagic's description of the body, as Suricata's "magic".
  EXPECT_THAT(f, HasSubstr("\"fileinfo\":{\"filename\":\"/gate.php\",\"magic\":\"ASCII text, with no line "
                           "terminators\",\"gaps\":false,\"state\":\"CLOSED\",\"stored\":false,\"size\":18,"
                           "\"tx_id\":0}"));
}

TEST_F(EveRecordsE2eTest, SameRecordsForAnyWorkerCount) {
  std::string one, two;
  Scan("1", &one);
  Scan("2", &two);
  EXPECT_EQ(one, two);
}

TEST_F(EveRecordsE2eTest, EveTypesAcceptEveryTypeWritten) {
  const std::string eve = dir_ + "/types.json";
  ProcessResult r = RunKagami({"scan", "-q", "--rules", rules_, "--eve-types", "flow", "--eve", eve, pcap_}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(ReadFile(eve));
  ASSERT_FALSE(lines.empty());
  for (const std::string& l : lines) EXPECT_EQ(Field(l, "event_type"), "flow");
  ProcessResult bad = RunKagami({"scan", "-q", "--eve-types", "flows", pcap_}, dir_);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("expected alert, http, dns, tls, stats, flow, anomaly, fileinfo"));
}

}  // namespace
}  // namespace kagami::testing
