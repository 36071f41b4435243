// End-to-end: `kagami intel pull` from a TAXII 2.1 server (FakeTaxii on a
// real loopback server) into a bundle that `kagami scan --intel` loads: a
// DNS query for the served indicator's domain alerts, with the malware the
// collection relates it to; after the server revokes the indicator and a
// second pull runs, the same capture no longer alerts. Also the command's
// failures: bad options, refused credentials and a hanging server leave the
// previous output in place and exit 2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/kagami_process.h"
#include "tests/feeds_pull/fake_taxii.h"
#include "tests/pipeline/app_test_util.h"
#include "tests/support/http_test_server.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pcap_writer.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIndicatorUuid[] = "6f1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";
constexpr char kMalwareUuid[] = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";

class IntelPullE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-pull-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rules_ = Write("empty.rules", "# no signatures: indicators only\n");
    // One DNS query for the indicator's domain, one for a name that is not.
    std::vector<TestPacket> packets;
    packets.push_back({.bytes = EthUdp("10.1.0.1", 53001, "192.0.2.53", 53,
                                       apptest::DnsQuery(1, "www.travelasist-c2.example"))});
    packets.push_back({.ts_ns = packets[0].ts_ns + 1'000'000,
                       .bytes = EthUdp("10.1.0.1", 53002, "192.0.2.53", 53, apptest::DnsQuery(2, "benign.example"))});
    pcap_ = Write("dns.pcap", MakePcap(packets));

    taxii_.Add(std::string("{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--") +
                   "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\",\"created\":\"2024-01-01T00:00:00.000Z\","
                   "\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"Test CERT\",\"identity_class\":\"organization\"}",
               "2024-05-01T00:00:01.000Z");
    taxii_.Add(StixIndicator(kIndicatorUuid, "[domain-name:value = 'travelasist-c2.example']",
                             "2024-05-01T00:00:00.000Z",
                             ",\"name\":\"Tick C2 travelasist-c2.example\",\"created_by_ref\":\"identity--"
                             "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\""),
               "2024-05-01T00:00:02.000Z");
    taxii_.Add(std::string("{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--") + kMalwareUuid +
                   "\",\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
                   "\"name\":\"ShadowPy\",\"is_family\":true}",
               "2024-05-01T00:00:03.000Z");
    taxii_.Add(std::string("{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"relationship--") +
                   "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e\",\"created\":\"2024-01-01T00:00:00.000Z\","
                   "\"modified\":\"2024-01-01T00:00:00.000Z\",\"relationship_type\":\"indicates\","
                   "\"source_ref\":\"indicator--" + kIndicatorUuid + "\",\"target_ref\":\"malware--" + kMalwareUuid +
                   "\"}",
               "2024-05-01T00:00:04.000Z");
    taxii_.RequireBasic("analyst", "s3cret");
    password_ = Write("password", "s3cret\n");
    std::string error;
    ASSERT_TRUE(server_.Start(&error)) << error;
  }
  void TearDown() override {
    server_.Stop();
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  ProcessResult Pull(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"intel",  "pull",          "--taxii", taxii_.discovery_url(), "--collection",
                                     kTaxiiCollection, "--user", "analyst", "--password-file", password_,
                                     "-o",     output(),        "--limit", "2", "--retries", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunKagami(args, dir_);
  }

  // The alert lines of a scan of the capture with the pulled bundle (each
  // scan its own EVE file: an existing one is appended to).
  std::vector<std::string> Alerts() {
    const std::string eve = dir_ + "/eve" + std::to_string(++scans_) + ".json";
    ProcessResult r = RunKagami({"scan", "--rules", rules_, "--intel", output(), "--eve", eve, pcap_}, dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> alerts;
    for (const std::string& line : Lines(ReadFile(eve))) {
      if (line.find("\"event_type\":\"alert\"") != std::string::npos) alerts.push_back(line);
    }
    return alerts;
  }

  std::string output() const { return dir_ + "/tick.stix.json"; }

  std::string dir_, rules_, pcap_, password_;
  int scans_ = 0;
  HttpTestServer server_;
  FakeTaxii taxii_{&server_};
};

TEST_F(IntelPullE2eTest, PulledIndicatorAlertsUntilTheServerRevokesIt) {
  ProcessResult first = Pull();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("4 added, 0 updated, 0 revoked, 0 expired"));
  EXPECT_THAT(first.err, HasSubstr("1 indicator"));
  EXPECT_EQ(server_.RequestsTo(taxii_.objects_path()).size(), 2u);  // 4 objects, 2 per page

  const std::vector<std::string> alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(alerts[0], HasSubstr("travelasist-c2.example"));
  EXPECT_THAT(alerts[0], HasSubstr("ShadowPy"));
  EXPECT_THAT(alerts[0], HasSubstr("Test CERT"));

  // The server revokes the indicator; the next pull asks only for what came
  // after the first, and the bundle loses it.
  taxii_.Add(StixIndicator(kIndicatorUuid, "[domain-name:value = 'travelasist-c2.example']",
                           "2024-05-10T00:00:00.000Z", ",\"revoked\":true"),
             "2024-05-10T00:00:00.000Z");
  server_.ClearRequests();
  ProcessResult second = Pull();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("0 added, 0 updated, 1 revoked"));
  EXPECT_THAT(second.err, HasSubstr("0 indicators"));
  const std::vector<HttpTestRequest> pages = server_.RequestsTo(taxii_.objects_path());
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(QueryParam(pages[0].query, "added_after"), "2024-05-01T00:00:04.000Z");
  EXPECT_TRUE(Alerts().empty());
}

TEST_F(IntelPullE2eTest, FailuresExitTwoAndKeepThePreviousOutput) {
  ASSERT_EQ(Pull().exit_code, 0);
  const std::string before = ReadFile(output());

  const std::string wrong = Write("wrong", "nope\n");
  ProcessResult refused = RunKagami({"intel", "pull", "--taxii", taxii_.discovery_url(), "--collection",
                                     kTaxiiCollection, "--user", "analyst", "--password-file", wrong, "-o",
                                     output(), "--retries", "0"},
                                    dir_);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("HTTP 401"));
  EXPECT_THAT(refused.err, HasSubstr(taxii_.discovery_url()));
  EXPECT_THAT(refused.err, HasSubstr("nothing written"));
  EXPECT_EQ(ReadFile(output()), before);

  taxii_.OverrideObjects(HttpTestResponse{.hang = true});
  ProcessResult hung = Pull({"--timeout", "0.5"});
  EXPECT_EQ(hung.exit_code, 2);
  // The Fetcher words a timeout on a reused connection as "no connection
  // within 0.5 s" (libcurl's connect time is 0 for a reused one), else
  // "timed out after 0.5 s": only the limit and the request are checked.
  EXPECT_THAT(hung.err, HasSubstr("0.5 s"));
  EXPECT_THAT(hung.err, HasSubstr(taxii_.objects_path()));
  EXPECT_EQ(ReadFile(output()), before);

  ProcessResult both = RunKagami({"intel", "pull", "--taxii", taxii_.discovery_url(), "--misp-feed",
                                  taxii_.discovery_url(), "-o", output()},
                                 dir_);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("exactly one of --taxii, --misp, --misp-feed"));
  EXPECT_EQ(ReadFile(output()), before);
  EXPECT_THAT(both.err, Not(HasSubstr("added")));
}

}  // namespace
}  // namespace kagami::testing
