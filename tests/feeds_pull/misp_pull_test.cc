// MISP pulls against FakeMisp: the REST attribute search (key, body, paging,
// incremental timestamps, deletions) and the static feed format (manifest,
// events, objects' attributes, changed and vanished events), written as a
// STIX bundle that reads back with its attribution.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "rapidjson/document.h"
#include "rules/feeds/pull/pull.h"
#include "tests/feeds_pull/fake_misp.h"
#include "tests/feeds_pull/pull_test_util.h"

namespace kagami::feeds::pull {
namespace {

using ::kagami::testing::FakeMisp;
using ::kagami::testing::FakeMispAttribute;
using ::kagami::testing::HttpTestRequest;
using ::kagami::testing::HttpTestResponse;
using ::kagami::testing::HttpTestServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr int64_t kNow = 1717200000;  // 2024-06-01T00:00:00Z
constexpr char kKey[] = "Zx8tHn3Vq0SgJ4bR7cWm2LpKa9DeFy6UoTi1NhXs";

std::string AttrUuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "5f1c0c3a-0000-4000-a000-%012d", n);
  return buf;
}

FakeMispAttribute Attr(int n, std::string type, std::string value, int64_t timestamp = 1710000000) {
  FakeMispAttribute a;
  a.uuid = AttrUuid(n);
  a.type = std::move(type);
  a.value = std::move(value);
  a.timestamp = timestamp;
  a.tags_json =
      "[{\"id\":\"11\",\"name\":\"tlp:amber\",\"colour\":\"#FFC000\",\"exportable\":true,\"inherited\":1},"
      "{\"id\":\"12\",\"name\":\"misp-galaxy:threat-actor=\\\"Tick\\\"\",\"colour\":\"#0088cc\",\"inherited\":1},"
      "{\"id\":\"13\",\"name\":\"misp-galaxy:malpedia=\\\"ShadowPy\\\"\",\"colour\":\"#0088cc\",\"inherited\":1}]";
  return a;
}

class MispPullTest : public ::testing::Test {
 protected:
  void Start() {
    std::string error;
    ASSERT_TRUE(server_.Start(&error)) << error;
  }
  void TearDown() override { server_.Stop(); }
  PullOptions RestOptions() {
    PullOptions o;
    o.kind = SourceKind::kMispRest;
    o.url = misp_.url();
    o.misp_key = kKey;
    o.output = dir_.File("misp.json");
    o.now_unix = kNow;
    o.fetch.retries = 0;
    return o;
  }

  ScratchDir dir_;
  HttpTestServer server_;
  FakeMisp misp_{&server_, kKey};
};

TEST_F(MispPullTest, RestSearchPagesWithTheKeyAndWritesAttributedIndicators) {
  misp_.Add(Attr(1, "ip-dst", "198.51.100.7"));
  misp_.Add(Attr(2, "domain", "travelasist.example"));
  misp_.Add(Attr(3, "ip-dst|port", "203.0.113.9|8443"));
  misp_.Add(Attr(4, "sha256", std::string(64, 'a')));
  misp_.Add(Attr(5, "url", "http://update.softfix.example/news/index.php"));
  Start();
  PullOptions o = RestOptions();
  o.limit = 2;
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.added, 5u);
  EXPECT_EQ(r->indicators, 5u);
  EXPECT_EQ(r->cursor, "1710000000");

  const std::vector<HttpTestRequest> requests = server_.RequestsTo("/attributes/restSearch");
  ASSERT_EQ(requests.size(), 3u);  // 2 + 2 + 1
  for (size_t i = 0; i < requests.size(); ++i) {
    const HttpTestRequest& req = requests[i];
    EXPECT_EQ(req.method, "POST");
    ASSERT_NE(req.Header("authorization"), nullptr);
    EXPECT_EQ(*req.Header("authorization"), kKey);
    EXPECT_EQ(*req.Header("accept"), "application/json");
    EXPECT_EQ(*req.Header("content-type"), "application/json");
    rapidjson::Document body;
    body.Parse(req.body.c_str());
    ASSERT_TRUE(body.IsObject()) << req.body;
    EXPECT_STREQ(body["returnFormat"].GetString(), "json");
    EXPECT_TRUE(body["to_ids"].GetBool());
    EXPECT_TRUE(body["includeEventTags"].GetBool());
    EXPECT_EQ(body["timestamp"].GetInt64(), 0);
    EXPECT_EQ(body["page"].GetInt(), static_cast<int>(i + 1));
    EXPECT_EQ(body["limit"].GetInt(), 2);
  }

  const CollectingSink back = ReadBack(o.output, kNow);
  ASSERT_EQ(back.indicators.size(), 5u);
  for (const Indicator& i : back.indicators) {
    EXPECT_THAT(i.intrusion_sets, ElementsAre("Tick")) << i.id;
    EXPECT_THAT(i.malware, ElementsAre("ShadowPy")) << i.id;
    EXPECT_THAT(i.labels, ::testing::Contains("tlp:amber")) << i.id;
    EXPECT_EQ(i.description, "Tick campaign infrastructure");
    EXPECT_EQ(i.reference, misp_.url() + "/events/view/1");
  }
  // The attribute's uuid is the indicator's id.
  EXPECT_EQ(back.indicators[0].id.substr(0, 11), "indicator--");
  bool port_clause = false;
  for (const Indicator& i : back.indicators) {
    if (i.id == "indicator--" + AttrUuid(3)) {
      ASSERT_EQ(i.clauses.size(), 1u);
      ASSERT_EQ(i.clauses[0].terms.size(), 2u);
      port_clause = true;
    }
  }
  EXPECT_TRUE(port_clause);
}

TEST_F(MispPullTest, SecondPullSendsTheTimestampAndDropsDeletedAndNonIdsAttributes) {
  misp_.Add(Attr(1, "ip-dst", "198.51.100.7", 1710000000));
  misp_.Add(Attr(2, "domain", "travelasist.example", 1710000100));
  misp_.Add(Attr(3, "hostname", "mail.sa-guard.example", 1710000200));
  Start();
  ASSERT_TRUE(RunPull(RestOptions()).ok());
  server_.ClearRequests();

  FakeMispAttribute deleted = Attr(1, "ip-dst", "198.51.100.7", 1710000300);
  deleted.deleted = true;
  misp_.Add(deleted);
  misp_.Add(Attr(4, "domain", "new.example", 1710000400));
  absl::StatusOr<PullResult> r = RunPull(RestOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<HttpTestRequest> requests = server_.RequestsTo("/attributes/restSearch");
  ASSERT_EQ(requests.size(), 1u);
  rapidjson::Document body;
  body.Parse(requests[0].body.c_str());
  EXPECT_EQ(body["timestamp"].GetInt64(), 1710000200);
  EXPECT_EQ(r->counts.added, 1u);
  EXPECT_EQ(r->counts.removed, 1u);
  EXPECT_EQ(r->counts.unchanged, 1u);  // attribute 3, at the cursor itself
  EXPECT_EQ(r->indicators, 3u);
  EXPECT_EQ(r->cursor, "1710000400");
}

TEST_F(MispPullTest, UnsupportedTypesAreSkippedAndCountedPerType) {
  misp_.Add(Attr(1, "email-src", "a@example.org"));
  misp_.Add(Attr(2, "email-src", "b@example.org"));
  misp_.Add(Attr(3, "mutex", "Global\\\\Tick"));  // JSON-escaped backslash
  misp_.Add(Attr(4, "ip-dst", "not-an-address"));
  misp_.Add(Attr(5, "ja3-fingerprint-md5", "e7d705a3286e19ea42f587b344ee6865"));
  misp_.Add(Attr(6, "domain", "ok.example"));
  Start();
  absl::StatusOr<PullResult> r = RunPull(RestOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->indicators, 1u);
  const std::string summary = PullSummary(RestOptions(), *r);
  EXPECT_THAT(summary, HasSubstr("skipped: "));
  EXPECT_THAT(summary, HasSubstr("2 email-src (no SMTP parser)"));
  EXPECT_THAT(summary, HasSubstr("1 mutex (no Kagami indicator type)"));
  EXPECT_THAT(summary, HasSubstr("1 ip-dst (invalid value)"));
  EXPECT_THAT(summary, HasSubstr("1 ja3-fingerprint-md5 (no STIX pattern for TLS fingerprints)"));
  ASSERT_EQ(r->stats.warnings.size(), 1u);
  EXPECT_THAT(r->stats.warnings[0], HasSubstr(AttrUuid(4)));
}

TEST_F(MispPullTest, WrongKeyIsAClearErrorAndKeepsTheOldOutput) {
  misp_.Add(Attr(1, "domain", "travelasist.example"));
  Start();
  PullOptions o = RestOptions();
  ASSERT_TRUE(RunPull(o).ok());
  const std::string output = Slurp(o.output);
  o.misp_key = "wrong";
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("POST " + misp_.url() + "/attributes/restSearch"));
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 403"));
  EXPECT_THAT(r.status().message(), HasSubstr("--key-file"));
  EXPECT_EQ(Slurp(o.output), output);
}

TEST_F(MispPullTest, GarbageResponseIsAnErrorWithItsPosition) {
  misp_.OverrideSearch(HttpTestResponse{.body = "<html><body>Login</body></html>"});
  Start();
  absl::StatusOr<PullResult> r = RunPull(RestOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("invalid JSON at byte 0 (line 1, column 1)"));
  EXPECT_FALSE(std::filesystem::exists(RestOptions().output));
}

constexpr char kEventA[] = "2a4b6c8d-1111-4aaa-8bbb-000000000001";
constexpr char kEventB[] = "2a4b6c8d-2222-4aaa-8bbb-000000000002";

std::string Manifest(int64_t a_timestamp, bool with_b = true) {
  std::string m = std::string("{\"") + kEventA +
                  "\":{\"Orgc\":{\"name\":\"CIRCL\",\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\"},"
                  "\"Tag\":[{\"colour\":\"#ffffff\",\"name\":\"tlp:white\"}],\"info\":\"OSINT - Tick\","
                  "\"date\":\"2024-05-01\",\"analysis\":2,\"threat_level_id\":1,\"timestamp\":" +
                  std::to_string(a_timestamp) + "}";
  if (with_b) {
    m += std::string(",\"") + kEventB +
         "\":{\"Orgc\":{\"name\":\"CIRCL\"},\"Tag\":[],\"info\":\"Phishing\",\"threat_level_id\":3,"
         "\"timestamp\":\"1710000000\"}";
  }
  return m + "}";
}

std::string EventA(const std::string& attributes) {
  return std::string("{\"Event\":{\"uuid\":\"") + kEventA +
         "\",\"info\":\"OSINT - Tick\",\"threat_level_id\":\"1\",\"timestamp\":\"1710000000\","
         "\"Orgc\":{\"name\":\"CIRCL\",\"uuid\":\"55f6ea5e-2c60-40e5-964f-47a8950d210f\"},"
         "\"Tag\":[{\"name\":\"tlp:white\"},{\"name\":\"misp-galaxy:mitre-intrusion-set=\\\"Tick - G0060\\\"\"}],"
         "\"Attribute\":[" + attributes + "],"
         "\"Object\":[{\"name\":\"domain-ip\",\"meta-category\":\"network\",\"uuid\":"
         "\"b0e1f2a3-0000-4000-8000-000000000009\",\"Attribute\":[{\"type\":\"domain\",\"category\":\"Network "
         "activity\",\"to_ids\":true,\"uuid\":\"" + AttrUuid(20) + "\",\"timestamp\":\"1710000000\",\"value\":"
         "\"object-domain.example\",\"object_relation\":\"domain\"}]}]}}";
}

std::string FeedAttr(int n, const std::string& type, const std::string& value, bool to_ids = true) {
  return "{\"type\":\"" + type + "\",\"category\":\"Network activity\",\"to_ids\":" + (to_ids ? "true" : "false") +
         ",\"uuid\":\"" + AttrUuid(n) + "\",\"timestamp\":\"1710000000\",\"comment\":\"\",\"value\":\"" + value +
         "\",\"Tag\":[{\"name\":\"misp-galaxy:malpedia=\\\"Datper\\\"\"}]}";
}

std::string EventB() {
  return std::string("{\"Event\":{\"uuid\":\"") + kEventB +
         "\",\"info\":\"Phishing\",\"threat_level_id\":\"3\",\"Orgc\":{\"name\":\"CIRCL\"},\"Attribute\":[" +
         FeedAttr(30, "email-src", "x@example.org") + "," + FeedAttr(31, "url", "http://phish.example/login") +
         "]}}";
}

TEST_F(MispPullTest, StaticFeedReadsChangedEventsAndDropsVanishedOnes) {
  misp_.SetFeedFile("manifest.json", Manifest(1710000000));
  misp_.SetFeedFile(std::string(kEventA) + ".json",
                    EventA(FeedAttr(1, "ip-dst", "198.51.100.7") + "," + FeedAttr(2, "domain", "c2.example") + "," +
                           FeedAttr(3, "sha1", std::string(40, 'b'), /*to_ids=*/false)));
  misp_.SetFeedFile(std::string(kEventB) + ".json", EventB());
  Start();
  PullOptions o;
  o.kind = SourceKind::kMispFeed;
  o.url = misp_.feed_url() + "manifest.json";
  o.output = dir_.File("feed.json");
  o.now_unix = kNow;
  o.fetch.retries = 0;
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->indicators, 4u);  // 2 + the object's domain + the phishing URL
  EXPECT_EQ(r->stats.skipped.at("email-src (no SMTP parser)"), 1u);
  CollectingSink back = ReadBack(o.output, kNow);
  ASSERT_EQ(back.indicators.size(), 4u);
  for (const Indicator& i : back.indicators) {
    EXPECT_EQ(i.source, "CIRCL") << i.id;
    if (i.id == "indicator--" + AttrUuid(1)) {
      EXPECT_THAT(i.intrusion_sets, ElementsAre("Tick"));
      EXPECT_THAT(i.malware, ElementsAre("Datper"));
      EXPECT_THAT(i.labels, ::testing::IsSupersetOf({"tlp:white", "misp-threat-level:high"}));
      EXPECT_EQ(i.description, "OSINT - Tick");
    }
  }

  // Event A changes (attribute 2 gone, 4 new); event B is unchanged and
  // not fetched again.
  server_.ClearRequests();
  misp_.SetFeedFile("manifest.json", Manifest(1710000500));
  misp_.SetFeedFile(std::string(kEventA) + ".json",
                    EventA(FeedAttr(1, "ip-dst", "198.51.100.7") + "," + FeedAttr(4, "hostname", "new.example")));
  r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(server_.RequestsTo(std::string("/feed/") + kEventA + ".json").size(), 1u);
  EXPECT_TRUE(server_.RequestsTo(std::string("/feed/") + kEventB + ".json").empty());
  EXPECT_EQ(r->counts.added, 1u);
  EXPECT_EQ(r->counts.removed, 1u);
  EXPECT_EQ(r->indicators, 4u);

  // Event B leaves the manifest: its URL goes.
  misp_.SetFeedFile("manifest.json", Manifest(1710000500, /*with_b=*/false));
  r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.removed, 1u);
  EXPECT_EQ(r->indicators, 3u);
}

TEST_F(MispPullTest, MaxAgeDropsOldAttributes) {
  misp_.Add(Attr(1, "domain", "old.example", kNow - 90 * 86400));
  misp_.Add(Attr(2, "domain", "fresh.example", kNow - 2 * 86400));
  Start();
  PullOptions o = RestOptions();
  o.max_age_days = 30;
  absl::StatusOr<PullResult> r = RunPull(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.expired, 1u);
  EXPECT_EQ(r->indicators, 1u);
  const CollectingSink back = ReadBack(o.output, kNow);
  ASSERT_EQ(back.indicators.size(), 1u);
  EXPECT_EQ(back.indicators[0].clauses[0].terms[0].value, "fresh.example");
}

}  // namespace
}  // namespace kagami::feeds::pull
