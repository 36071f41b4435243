// TAXII 2.1 pulls against FakeTaxii on a real HTTP(S) server: discovery,
// collections, paging, incremental pulls, revocation, expiry, auth,
// failures that must leave the previous output alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "rules/feeds/pull/pull.h"
#include "tests/feeds_pull/fake_taxii.h"
#include "tests/feeds_pull/pull_test_util.h"
#include "tests/support/test_ca.h"

namespace kagami::feeds::pull {
namespace {

using ::kagami::testing::FakeTaxii;
using ::kagami::testing::HttpTestRequest;
using ::kagami::testing::HttpTestResponse;
using ::kagami::testing::HttpTestServer;
using ::kagami::testing::QueryParam;
using ::kagami::testing::StixIndicator;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr int64_t kNow = 1717200000;  // 2024-06-01T00:00:00Z

std::string Uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
  return buf;
}

std::string Added(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "2024-05-01T00:00:%02d.000Z", n);
  return buf;
}

std::string DomainIndicator(int n, const std::string& modified = "2024-04-01T00:00:00.000Z",
                            const std::string& extra = "") {
  return StixIndicator(Uuid(n), "[domain-name:value = 'c2-" + std::to_string(n) + ".example']", modified, extra);
}

std::vector<std::string> Domains(const CollectingSink& sink) {
  std::vector<std::string> out;
  for (const Indicator& i : sink.indicators) {
    for (const Clause& c : i.clauses) {
      for (const Term& t : c.terms) {
        if (t.type == IndicatorType::kDomain) out.push_back(t.value);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class TaxiiPullTest : public ::testing::Test {
 protected:
  // Stopped before taxii_ goes: its handlers must not outlive it.
  void TearDown() override { server_.Stop(); }
  void Start() {
    std::string error;
    ASSERT_TRUE(server_.Start(&error)) << error;
  }
  PullOptions Options() {
    PullOptions o;
    o.kind = SourceKind::kTaxii;
    o.url = taxii_.discovery_url();
    o.collection = kagami::testing::kTaxiiCollection;
    o.output = dir_.File("taxii.json");
    o.now_unix = kNow;
    o.fetch.retries = 0;
    o.fetch.timeout = std::chrono::milliseconds(10'000);
    return o;
  }
  std::vector<HttpTestRequest> ObjectRequests() { return server_.RequestsTo(taxii_.objects_path()); }

  ScratchDir dir_;
  HttpTestServer server_;
  FakeTaxii taxii_{&server_};
};

TEST_F(TaxiiPullTest, DiscoveryCollectionsAndThreePages) {
  for (int n = 1; n <= 7; ++n) taxii_.Add(DomainIndicator(n), Added(n));
  Start();
  PullOptions o = Options();
  o.limit = 3;
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.added, 7u);
  EXPECT_EQ(r->indicators, 7u);
  EXPECT_EQ(r->cursor, Added(7));

  const std::vector<HttpTestRequest> pages = ObjectRequests();
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(QueryParam(pages[0].query, "added_after"), "");
  EXPECT_EQ(QueryParam(pages[0].query, "limit"), "3");
  EXPECT_EQ(QueryParam(pages[1].query, "next"), "3");
  EXPECT_EQ(QueryParam(pages[2].query, "next"), "6");
  for (const HttpTestRequest& req : server_.requests()) {
    ASSERT_NE(req.Header("accept"), nullptr);
    EXPECT_EQ(*req.Header("accept"), "application/taxii+json;version=2.1");
  }
  EXPECT_EQ(server_.RequestsTo("/taxii2/").size(), 1u);
  EXPECT_EQ(server_.RequestsTo("/api1/collections/").size(), 1u);

  const CollectingSink back = ReadBack(o.output, kNow);
  EXPECT_EQ(back.indicators.size(), 7u);
  EXPECT_EQ(Domains(back).front(), "c2-1.example");
  EXPECT_THAT(PullSummary(o, *r), HasSubstr("7 added, 0 updated, 0 revoked, 0 expired"));
  EXPECT_THAT(PullSummary(o, *r), HasSubstr("7 indicators"));
}

TEST_F(TaxiiPullTest, SecondPullAsksOnlyForWhatWasAddedSince) {
  taxii_.Add(DomainIndicator(1), Added(1));
  taxii_.Add(DomainIndicator(2), Added(2));
  Start();
  ASSERT_TRUE(RunPull(Options()).ok());
  taxii_.Add(DomainIndicator(3), Added(3));
  server_.ClearRequests();

  absl::StatusOr<PullResult> r = RunPull(Options());
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<HttpTestRequest> pages = ObjectRequests();
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(QueryParam(pages[0].query, "added_after"), Added(2));
  EXPECT_EQ(r->stats.received, 1u);
  EXPECT_EQ(r->counts.added, 1u);
  EXPECT_EQ(r->indicators, 3u);
  EXPECT_THAT(Domains(ReadBack(Options().output, kNow)),
              UnorderedElementsAre("c2-1.example", "c2-2.example", "c2-3.example"));
}

TEST_F(TaxiiPullTest, PagesByDateAddedWhenTheServerSendsNoNext) {
  for (int n = 1; n <= 5; ++n) taxii_.Add(DomainIndicator(n), Added(n));
  taxii_.SendNext(false);
  Start();
  PullOptions o = Options();
  o.limit = 2;
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->indicators, 5u);
  const std::vector<HttpTestRequest> pages = ObjectRequests();
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(QueryParam(pages[1].query, "added_after"), Added(2));
  EXPECT_EQ(QueryParam(pages[2].query, "added_after"), Added(4));
}

TEST_F(TaxiiPullTest, NewerVersionReplacesAndRevocationRemoves) {
  taxii_.Add(DomainIndicator(1), Added(1));
  taxii_.Add(DomainIndicator(2), Added(2));
  Start();
  ASSERT_TRUE(RunPull(Options()).ok());
  // Version 2 of indicator 1 names another domain; indicator 2 is revoked.
  taxii_.Add(StixIndicator(Uuid(1), "[domain-name:value = 'moved.example']", "2024-05-02T00:00:00.000Z"), Added(3));
  taxii_.Add(DomainIndicator(2, "2024-05-02T00:00:00.000Z", ",\"revoked\":true"), Added(4));
  // An older version arriving late changes nothing.
  taxii_.Add(DomainIndicator(1, "2024-03-01T00:00:00.000Z"), Added(5));

  absl::StatusOr<PullResult> r = RunPull(Options());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.updated, 1u);
  EXPECT_EQ(r->counts.removed, 1u);
  EXPECT_EQ(r->counts.unchanged, 1u);
  EXPECT_EQ(r->indicators, 1u);
  EXPECT_THAT(Domains(ReadBack(Options().output, kNow)), UnorderedElementsAre("moved.example"));
  EXPECT_THAT(PullSummary(Options(), *r), HasSubstr("1 revoked"));
}

TEST_F(TaxiiPullTest, ValidUntilAndMaxAgeExpireAtWriteTime) {
  taxii_.Add(DomainIndicator(1, "2024-05-20T00:00:00.000Z"), Added(1));
  taxii_.Add(DomainIndicator(2, "2024-05-20T00:00:00.000Z", ",\"valid_until\":\"2024-05-31T00:00:00Z\""), Added(2));
  taxii_.Add(DomainIndicator(3, "2024-01-01T00:00:00.000Z"), Added(3));  // 152 days before kNow
  // Attribution objects are not aged.
  taxii_.Add("{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--" + Uuid(50) +
                 "\",\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\","
                 "\"name\":\"ShadowPy\",\"is_family\":true}",
             Added(4));
  taxii_.Add("{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"relationship--" + Uuid(51) +
                 "\",\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\","
                 "\"relationship_type\":\"indicates\",\"source_ref\":\"indicator--" + Uuid(1) +
                 "\",\"target_ref\":\"malware--" + Uuid(50) + "\"}",
             Added(5));
  Start();
  PullOptions o = Options();
  o.max_age_days = 30;
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.expired, 2u);
  EXPECT_EQ(r->indicators, 1u);
  const CollectingSink back = ReadBack(o.output, kNow);
  ASSERT_EQ(back.indicators.size(), 1u);
  EXPECT_EQ(back.indicators[0].id, "indicator--" + Uuid(1));
  EXPECT_THAT(back.indicators[0].malware, UnorderedElementsAre("ShadowPy"));
  EXPECT_THAT(PullSummary(o, *r), HasSubstr("2 expired"));
}

TEST_F(TaxiiPullTest, ApiRootUrlWorksWithoutDiscovery) {
  taxii_.Add(DomainIndicator(1), Added(1));
  Start();
  PullOptions o = Options();
  o.url = taxii_.api_root_url();
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->indicators, 1u);
  EXPECT_TRUE(server_.RequestsTo("/taxii2/").empty());
}

TEST_F(TaxiiPullTest, UnknownOrUnreadableCollectionIsRefusedWithTheReadableOnes) {
  Start();
  PullOptions o = Options();
  o.collection = "no-such-collection";
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no collection no-such-collection"));
  EXPECT_THAT(r.status().message(), HasSubstr(kagami::testing::kTaxiiCollection));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr(kagami::testing::kTaxiiClosedCollection)));

  o.collection = kagami::testing::kTaxiiClosedCollection;
  r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not readable"));
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

TEST_F(TaxiiPullTest, BasicAuthAndRefusedCredentialsKeepTheOldOutput) {
  taxii_.RequireBasic("analyst", "s3cret");
  taxii_.Add(DomainIndicator(1), Added(1));
  Start();
  PullOptions o = Options();
  o.user = "analyst";
  o.password = "s3cret";
  ASSERT_TRUE(RunPull(o).ok());
  const std::string output = Slurp(o.output);
  const std::string state = Slurp(DefaultStatePath(o.output));

  taxii_.Add(DomainIndicator(2), Added(2));
  o.password = "wrong";
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(r.status().message(), HasSubstr("GET " + taxii_.discovery_url()));
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 401"));
  EXPECT_THAT(r.status().message(), HasSubstr("refused the credentials"));
  EXPECT_EQ(Slurp(o.output), output);
  EXPECT_EQ(Slurp(DefaultStatePath(o.output)), state);

  o.user.clear();
  o.password.clear();
  r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("--token-file"));
}

TEST_F(TaxiiPullTest, BearerToken) {
  taxii_.RequireToken("tok-123");
  taxii_.Add(DomainIndicator(1), Added(1));
  Start();
  PullOptions o = Options();
  o.token = "tok-123";
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->indicators, 1u);
  o.token = "tok-999";
  EXPECT_EQ(RunPull(o).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TaxiiPullTest, HangingServerTimesOutAndKeepsTheOldOutput) {
  taxii_.Add(DomainIndicator(1), Added(1));
  Start();
  PullOptions o = Options();
  ASSERT_TRUE(RunPull(o).ok());
  const std::string output = Slurp(o.output);
  taxii_.OverrideObjects(HttpTestResponse{.hang = true});
  o.fetch.timeout = std::chrono::milliseconds(300);
  o.fetch.connect_timeout = std::chrono::milliseconds(300);
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr(taxii_.objects_path()));
  EXPECT_EQ(Slurp(o.output), output);
}

TEST_F(TaxiiPullTest, GarbageJsonIsAnErrorWithItsPosition) {
  taxii_.Add(DomainIndicator(1), Added(1));
  Start();
  PullOptions o = Options();
  ASSERT_TRUE(RunPull(o).ok());
  const std::string output = Slurp(o.output);
  HttpTestResponse garbage;
  garbage.body = "{\"more\": false,\n \"objects\": [ {\"type\": \"indicator\", ]}";
  taxii_.OverrideObjects(garbage);
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("invalid JSON at byte"));
  EXPECT_THAT(r.status().message(), HasSubstr("(line 2, column"));
  EXPECT_THAT(r.status().message(), HasSubstr(taxii_.objects_path()));
  EXPECT_EQ(Slurp(o.output), output);

  garbage.body = "{\"objects\": {\"not\": \"a list\"}}";
  taxii_.OverrideObjects(garbage);
  r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("\"objects\" is not an array"));
}

TEST_F(TaxiiPullTest, ServerErrorIsReportedWithTheUrl) {
  taxii_.OverrideObjects(HttpTestResponse{.status = 500, .body = "oops"});
  Start();
  absl::StatusOr<PullResult> r = RunPull(Options());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 500"));
  EXPECT_FALSE(std::filesystem::exists(Options().output));
  EXPECT_FALSE(std::filesystem::exists(DefaultStatePath(Options().output)));
}

TEST_F(TaxiiPullTest, StateOfAnotherSourceIsRefused) {
  taxii_.Add(DomainIndicator(1), Added(1));
  Start();
  ASSERT_TRUE(RunPull(Options()).ok());
  PullOptions o = Options();
  o.url = taxii_.api_root_url();
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("belongs to a pull from taxii " + taxii_.discovery_url()));
}

TEST(TaxiiHttpsTest, VerifiesTheServerWithTheGivenCa) {
  ScratchDir dir;
  kagami::testing::TestCa ca;
  HttpTestServer server;
  server.UseTls(ca.Issue({"127.0.0.1"}));
  FakeTaxii taxii(&server);
  taxii.Add(DomainIndicator(1), Added(1));
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  ASSERT_TRUE(ca.WriteCertFile(dir.File("ca.pem")));

  PullOptions o;
  o.kind = SourceKind::kTaxii;
  o.url = taxii.discovery_url();
  ASSERT_TRUE(o.url.starts_with("https://"));
  o.collection = kagami::testing::kTaxiiCollection;
  o.output = dir.File("out.json");
  o.now_unix = kNow;
  o.fetch.retries = 0;
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_FALSE(r.ok());  // the system store does not know the test CA
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();

  o.fetch.ca_file = dir.File("ca.pem");
  r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->indicators, 1u);
}

}  // namespace
}  // namespace kagami::feeds::pull
