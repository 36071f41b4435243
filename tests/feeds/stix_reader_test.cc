// STIX 2.1 bundle reader: indicator properties, attribution through
// relationships in either order, validity and revocation, skipped indicators
// next to good ones, malformed JSON with line:column, files larger than one
// read chunk, and RFC 3339 timestamps.

#include "rules/feeds/stix_reader.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "gtest/gtest.h"
#include "rules/feeds/collecting_sink.h"

namespace kagami::feeds {
namespace {

using Severity = rules::Diagnostic::Severity;

constexpr int64_t kNow = 1704067200;  // 2024-01-01T00:00:00Z

constexpr const char* kInd1 = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
constexpr const char* kInd2 = "indicator--1d1a2b3c-0000-4abc-8def-0123456789ab";
constexpr const char* kInd3 = "indicator--ffffffff-ffff-4fff-bfff-ffffffffffff";
constexpr const char* kMalware = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b";
constexpr const char* kSet = "intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29";
constexpr const char* kCampaign = "campaign--83422c77-904c-4dc1-aff5-5c38f3a2c55c";
constexpr const char* kIdentity = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff";

// A sink that also records every Attribute call, in order.
class RecordingSink : public CollectingSink {
 public:
  std::vector<std::string> attributions;
  void Attribute(std::string_view id, AttributionKind kind, std::string_view name) override {
    static constexpr const char* kKinds[] = {"campaign", "intrusion-set", "malware"};
    attributions.push_back(std::string(id) + " " + kKinds[static_cast<int>(kind)] + " " + std::string(name));
    CollectingSink::Attribute(id, kind, name);
  }
};

struct Result {
  bool ok = false;
  RecordingSink sink;
  FeedReport report;

  const Indicator* Find(std::string_view id) const {
    for (const Indicator& i : sink.indicators) {
      if (i.id == id) return &i;
    }
    return nullptr;
  }
  std::vector<std::string> Messages(Severity s) const {
    std::vector<std::string> out;
    for (const rules::Diagnostic& d : report.diagnostics) {
      if (d.severity == s) out.push_back(std::to_string(d.location.line) + ":" + std::to_string(d.location.column) + ": " + d.message);
    }
    return out;
  }
};

Result Read(std::string_view json, int64_t now = kNow) {
  Result r;
  FeedOptions options;
  options.now_unix = now;
  r.ok = ReadStixString(json, "feed.json", options, &r.sink, &r.report);
  EXPECT_EQ(r.report.indicators, r.sink.indicators.size());
  return r;
}

// One indicator object on one line.
std::string IndicatorJson(const std::string& id, const std::string& pattern, const std::string& extra = "") {
  return R"({"type": "indicator", "spec_version": "2.1", "id": ")" + id +
         R"(", "created": "2023-01-01T00:00:00.000Z", "modified": "2023-01-01T00:00:00.000Z", "pattern": ")" +
         pattern + R"(", "pattern_type": "stix", "valid_from": "2023-01-01T00:00:00Z")" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

std::string Relationship(const std::string& source, const std::string& type, const std::string& target) {
  return R"({"type": "relationship", "id": "relationship--)" + std::to_string(source.size() + target.size()) +
         R"(", "relationship_type": ")" + type + R"(", "source_ref": ")" + source + R"(", "target_ref": ")" + target +
         R"("})";
}

std::string Sdo(const std::string& type, const std::string& id, const std::string& name) {
  return R"({"type": ")" + type + R"(", "id": ")" + id + R"(", "name": ")" + name + R"(", "is_family": true})";
}

std::string Bundle(const std::vector<std::string>& objects) {
  std::string s = "{\n  \"type\": \"bundle\",\n  \"id\": \"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\n  \"objects\": [\n";
  for (size_t i = 0; i < objects.size(); ++i) s += "    " + objects[i] + (i + 1 < objects.size() ? ",\n" : "\n");
  return s + "  ]\n}\n";
}

const std::string kFullIndicator = IndicatorJson(
    kInd1, "[domain-name:value = 'c2.Evil.example'] OR [ipv4-addr:value = '198.51.100.0/24']",
    R"("name": "Evil RAT C2", "description": "Command and control of Evil RAT", "created_by_ref": ")" +
        std::string(kIdentity) +
        R"(", "indicator_types": ["malicious-activity", "attribution"], "labels": ["c2", "attribution"],
    "confidence": 85, "kill_chain_phases": [{"kill_chain_name": "lockheed", "phase_name": "c2"}],
    "external_references": [{"source_name": "Example CERT", "external_id": "EC-1"},
                            {"source_name": "blog", "url": "https://blog.example/evil-rat", "description": "x"}],
    "extensions": {"x-ext": {"pattern": "[url:value = 'nope']", "name": "nested"}})");

TEST(StixReader, RealisticBundle) {
  const std::string json = Bundle({
      Sdo("identity", kIdentity, "Example CERT Team"),
      kFullIndicator,
      Sdo("malware", kMalware, "Evil RAT"),
      Sdo("intrusion-set", kSet, "APT Example"),
      Relationship(kInd1, "indicates", kMalware),
      Relationship(kSet, "uses", kMalware),
  });
  Result r = Read(json);
  ASSERT_TRUE(r.ok) << r.report.diagnostics.at(0).ToString();
  EXPECT_TRUE(r.report.diagnostics.empty());
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  const Indicator& i = r.sink.indicators[0];
  EXPECT_EQ(i.id, kInd1);
  EXPECT_EQ(i.name, "Evil RAT C2");
  EXPECT_EQ(i.description, "Command and control of Evil RAT");
  EXPECT_EQ(i.labels, (std::vector<std::string>{"malicious-activity", "attribution", "c2"}));
  EXPECT_EQ(i.confidence, 85);
  EXPECT_EQ(i.source, "Example CERT Team");
  EXPECT_EQ(i.reference, "https://blog.example/evil-rat");
  EXPECT_EQ(i.where.file, "feed.json");
  EXPECT_EQ(i.where.line, 6);
  EXPECT_EQ(i.where.column, 5);
  ASSERT_EQ(i.clauses.size(), 2u);
  EXPECT_EQ(i.clauses[0].terms.at(0).type, IndicatorType::kDomain);
  EXPECT_EQ(i.clauses[0].terms.at(0).value, "c2.evil.example");
  EXPECT_EQ(i.clauses[1].terms.at(0).type, IndicatorType::kIp);
  EXPECT_EQ(i.malware, (std::vector<std::string>{"Evil RAT"}));
  EXPECT_EQ(i.intrusion_sets, (std::vector<std::string>{"APT Example"}));
  EXPECT_TRUE(i.campaigns.empty());
  EXPECT_EQ(r.report.path, "feed.json");
  EXPECT_EQ(r.report.format, "stix");
  EXPECT_EQ(r.report.indicators, 1u);
  EXPECT_EQ(r.report.counts[static_cast<int>(IndicatorType::kDomain)], 1u);
  EXPECT_EQ(r.report.counts[static_cast<int>(IndicatorType::kIp)], 1u);
  EXPECT_EQ(r.report.skipped, 0u);
  EXPECT_EQ(r.report.expired, 0u);
}

TEST(StixReader, RelationshipsBeforeTheIndicator) {
  // Everything the indicator refers to comes first, except its creator, so
  // the source falls back to the first external reference.
  const std::string json = Bundle({
      Relationship(kSet, "uses", kMalware),
      Relationship(kInd1, "indicates", kMalware),
      Relationship(kMalware, "attributed-to", kSet),
      Sdo("intrusion-set", kSet, "APT Example"),
      Sdo("malware", kMalware, "Evil RAT"),
      kFullIndicator,
      Sdo("identity", kIdentity, "Example CERT Team"),
  });
  Result r = Read(json);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  const Indicator& i = r.sink.indicators[0];
  EXPECT_EQ(i.source, "Example CERT");
  EXPECT_EQ(i.malware, (std::vector<std::string>{"Evil RAT"}));
  // Reached twice (uses and attributed-to) but attributed once.
  EXPECT_EQ(i.intrusion_sets, (std::vector<std::string>{"APT Example"}));
  EXPECT_EQ(r.sink.attributions, (std::vector<std::string>{std::string(kInd1) + " intrusion-set APT Example",
                                                           std::string(kInd1) + " malware Evil RAT"}));
}

TEST(StixReader, AttributionHops) {
  const std::string dom = "[domain-name:value = 'a.example']";
  const std::string json = Bundle({
      IndicatorJson(kInd1, dom),
      IndicatorJson(kInd2, dom),
      IndicatorJson(kInd3, dom, R"("revoked": true)"),
      IndicatorJson("indicator--not-a-uuid", dom),
      Sdo("campaign", kCampaign, "Operation Example"),
      Sdo("malware", kMalware, "Evil RAT"),
      Sdo("intrusion-set", kSet, "APT Example"),
      // kInd1 -> campaign -> intrusion set.
      Relationship(kInd1, "indicates", kCampaign),
      Relationship(kCampaign, "attributed-to", kSet),
      // kInd2 -> malware <- campaign uses; the same relationship twice.
      Relationship(kInd2, "indicates", kMalware),
      Relationship(kInd2, "indicates", kMalware),
      Relationship(kCampaign, "uses", kMalware),
      // A revoked indicator is not attributed; an id that is not a UUID is.
      Relationship(kInd3, "indicates", kMalware),
      Relationship("indicator--not-a-uuid", "indicates", kSet),
      // Unnamed or unknown targets and other relationship kinds bring nothing.
      Relationship(kInd1, "indicates", "malware--00000000-0000-4000-8000-000000000000"),
      Relationship(kInd1, "related-to", kMalware),
      Relationship(kInd1, "indicates", "attack-pattern--00000000-0000-4000-8000-000000000000"),
      // An intrusion set only attributed to a threat actor is not a hop.
      Relationship(kSet, "attributed-to", "threat-actor--00000000-0000-4000-8000-000000000000"),
  });
  Result r = Read(json);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 3u);
  EXPECT_EQ(r.report.expired, 1u);
  const Indicator* i1 = r.Find(kInd1);
  ASSERT_NE(i1, nullptr);
  EXPECT_EQ(i1->campaigns, (std::vector<std::string>{"Operation Example"}));
  EXPECT_EQ(i1->intrusion_sets, (std::vector<std::string>{"APT Example"}));
  EXPECT_TRUE(i1->malware.empty());
  const Indicator* i2 = r.Find(kInd2);
  ASSERT_NE(i2, nullptr);
  EXPECT_EQ(i2->malware, (std::vector<std::string>{"Evil RAT"}));
  EXPECT_EQ(i2->campaigns, (std::vector<std::string>{"Operation Example"}));
  EXPECT_TRUE(i2->intrusion_sets.empty());
  const Indicator* odd = r.Find("indicator--not-a-uuid");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->intrusion_sets, (std::vector<std::string>{"APT Example"}));
  for (const std::string& a : r.sink.attributions) EXPECT_EQ(a.find(kInd3), std::string::npos) << a;
  EXPECT_EQ(r.sink.attributions.size(), 5u);
}

TEST(StixReader, UpperCaseUuidKeptVerbatim) {
  const std::string id = "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F";
  Result r = Read(Bundle({Sdo("malware", kMalware, "Evil RAT"), Relationship(id, "indicates", kMalware),
                          IndicatorJson(id, "[url:value = 'http://a.example/x']")}));
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.sink.attributions, (std::vector<std::string>{id + " malware Evil RAT"}));
}

TEST(StixReader, RevokedAndValidity) {
  const std::string dom = "[domain-name:value = 'a.example']";
  Result r = Read(Bundle({
      IndicatorJson(kInd1, dom, R"("revoked": true)"),
      IndicatorJson(kInd2, dom, R"("valid_until": "2023-12-31T23:59:59.999Z")"),
      IndicatorJson(kInd3, dom, R"("valid_from": "2024-01-01T00:00:01Z")"),  // replaces the earlier valid_from
      IndicatorJson("indicator--00000000-0000-4000-8000-000000000001", dom,
                R"("revoked": false, "valid_until": "2024-01-01T01:00:00+00:30")"),
      IndicatorJson("indicator--00000000-0000-4000-8000-000000000002", dom,
                R"("valid_until": "2024-01-01T00:30:00+01:00")"),  // 2023-12-31T23:30Z
  }));
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.report.diagnostics.empty());
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.sink.indicators[0].id, "indicator--00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(r.report.expired, 4u);
  EXPECT_EQ(r.report.skipped, 0u);
  // The same feed read earlier: only the revoked one and the one not yet valid drop out.
  Result earlier = Read(Bundle({
                            IndicatorJson(kInd1, dom, R"("revoked": true)"),
                            IndicatorJson(kInd2, dom, R"("valid_until": "2023-12-31T23:59:59.999Z")"),
                            IndicatorJson(kInd3, dom, R"("valid_from": "2024-01-01T00:00:01Z")"),
                        }),
                        kNow - 86400);
  EXPECT_EQ(earlier.sink.indicators.size(), 1u);
  EXPECT_EQ(earlier.report.expired, 2u);
}

TEST(StixReader, BadTimestampSkipsWithWarning) {
  Result r = Read(Bundle({IndicatorJson(kInd1, "[domain-name:value = 'a.example']", R"("valid_until": "2024-13-01T00:00:00Z")"),
                          IndicatorJson(kInd2, "[domain-name:value = 'b.example']")}));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.report.skipped, 1u);
  EXPECT_EQ(r.Messages(Severity::kWarning),
            (std::vector<std::string>{"5:5: indicator " + std::string(kInd1) +
                                      ": invalid valid_until timestamp '2024-13-01T00:00:00Z'"}));
}

TEST(StixReader, UnsupportedPatternSkippedBetweenGoodOnes) {
  const std::string json = Bundle({
      IndicatorJson(kInd1, "[domain-name:value = 'a.example']"),
      IndicatorJson(kInd2, "[email-addr:value = 'x@a.example']"),
      IndicatorJson(kInd3, "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'a.example']"),
      IndicatorJson("indicator--00000000-0000-4000-8000-000000000001", "[url:value = 'http://b.example/']"),
  });
  Result r = Read(json);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 2u);
  EXPECT_EQ(r.sink.indicators[0].id, kInd1);
  EXPECT_EQ(r.sink.indicators[1].id, "indicator--00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(r.report.skipped, 2u);
  EXPECT_EQ(r.Messages(Severity::kWarning),
            (std::vector<std::string>{
                "6:5: indicator " + std::string(kInd2) +
                    ": unsupported pattern: object path 'email-addr:value' is unsupported at pattern offset 1",
                "7:5: indicator " + std::string(kInd3) +
                    ": unsupported pattern: FOLLOWEDBY is unsupported (it needs state across flows) at pattern offset 32",
            }));
  for (const rules::Diagnostic& d : r.report.diagnostics) EXPECT_EQ(d.location.file, "feed.json");
}

TEST(StixReader, OtherPatternTypesAndMissingFields) {
  const std::string json = Bundle({
      R"({"type": "indicator", "id": ")" + std::string(kInd1) +
          R"j(", "pattern": "alert tcp any any -> any any (sid:1;)", "pattern_type": "snort", "valid_from": "2023-01-01T00:00:00Z"})j",
      R"({"type": "indicator", "id": ")" + std::string(kInd2) + R"(", "pattern_type": "stix", "valid_from": "2023-01-01T00:00:00Z"})",
      R"({"type": "indicator", "pattern": "[domain-name:value = 'a.example']", "pattern_type": "stix"})",
      // STIX 2.0: no pattern_type, no spec_version; still a STIX pattern.
      R"({"type": "indicator", "id": ")" + std::string(kInd3) +
          R"(", "labels": ["malicious-activity"], "pattern": "[domain-name:value = 'b.example']", "valid_from": "2016-01-01T00:00:00Z"})",
  });
  Result r = Read(json);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.sink.indicators[0].id, kInd3);
  EXPECT_EQ(r.sink.indicators[0].labels, (std::vector<std::string>{"malicious-activity"}));
  EXPECT_EQ(r.report.skipped, 3u);
  EXPECT_EQ(r.Messages(Severity::kWarning),
            (std::vector<std::string>{
                "5:5: indicator " + std::string(kInd1) + ": pattern_type 'snort' is not supported",
                "6:5: indicator " + std::string(kInd2) + ": no pattern",
                "7:5: indicator without an id skipped",
            }));
}

TEST(StixReader, ConfidenceOnlyWhenAnIntegerInRange) {
  const std::string dom = "[domain-name:value = 'a.example']";
  Result r = Read(Bundle({
      IndicatorJson(kInd1, dom, R"("confidence": 101)"),
      IndicatorJson(kInd2, dom, R"("confidence": "high")"),
      IndicatorJson(kInd3, dom, R"("confidence": 40.0)"),
      IndicatorJson("indicator--00000000-0000-4000-8000-000000000001", dom, R"("confidence": 0)"),
      IndicatorJson("indicator--00000000-0000-4000-8000-000000000002", dom, R"("confidence": 12.5)"),
  }));
  ASSERT_EQ(r.sink.indicators.size(), 5u);
  EXPECT_EQ(r.sink.indicators[0].confidence, -1);
  EXPECT_EQ(r.sink.indicators[1].confidence, -1);
  EXPECT_EQ(r.sink.indicators[2].confidence, 40);
  EXPECT_EQ(r.sink.indicators[3].confidence, 0);
  EXPECT_EQ(r.sink.indicators[4].confidence, -1);
}

TEST(StixReader, ReferenceFallsBackToSourceAndId) {
  Result r = Read(Bundle({IndicatorJson(kInd1, "[domain-name:value = 'a.example']",
                                    R"("external_references": [{"source_name": "capec", "external_id": "CAPEC-163"}])")}));
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.sink.indicators[0].reference, "capec CAPEC-163");
  EXPECT_EQ(r.sink.indicators[0].source, "capec");
  EXPECT_EQ(r.sink.indicators[0].confidence, -1);
  EXPECT_TRUE(r.sink.indicators[0].name.empty());
}

TEST(StixReader, TopLevelArrayAndBareObject) {
  Result array = Read("[" + IndicatorJson(kInd1, "[domain-name:value = 'a.example']") + ",\n" +
                      IndicatorJson(kInd2, "[domain-name:value = 'b.example']") + "]");
  ASSERT_TRUE(array.ok);
  ASSERT_EQ(array.sink.indicators.size(), 2u);
  EXPECT_EQ(array.sink.indicators[1].where.line, 2);
  EXPECT_EQ(array.sink.indicators[1].where.column, 1);

  Result bare = Read("\xEF\xBB\xBF  " + IndicatorJson(kInd1, "[domain-name:value = 'a.example']"));
  ASSERT_TRUE(bare.ok);
  ASSERT_EQ(bare.sink.indicators.size(), 1u);
  EXPECT_EQ(bare.sink.indicators[0].where.line, 1);
  EXPECT_EQ(bare.sink.indicators[0].where.column, 3);

  // A bundle inside an array is not looked into; unknown types are ignored.
  Result nested = Read("[" + Bundle({IndicatorJson(kInd1, "[domain-name:value = 'a.example']")}) +
                       R"(, {"type": "x-custom", "objects": [{"type": "indicator"}]}, 5, "s"])");
  ASSERT_TRUE(nested.ok);
  EXPECT_TRUE(nested.sink.indicators.empty());
  EXPECT_TRUE(nested.report.diagnostics.empty());

  Result empty = Read(R"({"type": "bundle", "id": "bundle--1", "objects": []})");
  ASSERT_TRUE(empty.ok);
  EXPECT_TRUE(empty.sink.indicators.empty());
}

TEST(StixReader, TruncatedJsonKeepsEarlierIndicators) {
  std::string json = Bundle({IndicatorJson(kInd1, "[domain-name:value = 'a.example']"),
                             IndicatorJson(kInd2, "[domain-name:value = 'b.example']"),
                             IndicatorJson(kInd3, "[domain-name:value = 'c.example']")});
  json.resize(json.find(kInd3) + 10);  // cut inside the third indicator's id
  Result r = Read(json);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 2u);
  const auto errors = r.Messages(Severity::kError);
  ASSERT_EQ(errors.size(), 1u);
  const int column = static_cast<int>(json.size() - json.rfind('\n'));
  EXPECT_EQ(errors[0], "7:" + std::to_string(column) + ": malformed JSON: Missing a closing quotation mark in string.");
}

TEST(StixReader, GarbageInTheMiddle) {
  std::string json = Bundle({IndicatorJson(kInd1, "[domain-name:value = 'a.example']"),
                             Sdo("malware", kMalware, "Evil RAT"),
                             Relationship(kInd1, "indicates", kMalware),
                             IndicatorJson(kInd2, "[domain-name:value = 'b.example']")});
  const size_t at = json.find(R"({"type": "relationship")");
  json.insert(at + 9, " @@@ ");
  Result r = Read(json);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.sink.indicators[0].id, kInd1);
  // The relationship was not complete, so no attribution.
  EXPECT_TRUE(r.sink.attributions.empty());
  EXPECT_EQ(r.Messages(Severity::kError),
            (std::vector<std::string>{"7:15: malformed JSON: Invalid value."}));
}

TEST(StixReader, AttributionFromWhatWasReadBeforeAnError) {
  std::string json = Bundle({IndicatorJson(kInd1, "[domain-name:value = 'a.example']"), Sdo("malware", kMalware, "Evil RAT"),
                             Relationship(kInd1, "indicates", kMalware)});
  json.resize(json.rfind(']'));  // the objects array never closes
  Result r = Read(json);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.sink.indicators[0].malware, (std::vector<std::string>{"Evil RAT"}));
}

TEST(StixReader, EmptyAndNonJsonInput) {
  Result empty = Read("");
  EXPECT_FALSE(empty.ok);
  EXPECT_EQ(empty.Messages(Severity::kError), (std::vector<std::string>{"1:1: malformed JSON: The document is empty."}));
  Result text = Read("\n\nindicator,1.2.3.4\n");
  EXPECT_FALSE(text.ok);
  EXPECT_EQ(text.Messages(Severity::kError), (std::vector<std::string>{"3:1: malformed JSON: Invalid value."}));
  Result trailing = Read(Bundle({}) + "{}");
  EXPECT_FALSE(trailing.ok);
  EXPECT_EQ(trailing.Messages(Severity::kError),
            (std::vector<std::string>{"7:1: malformed JSON: The document root must not be followed by other values."}));
}

TEST(StixReader, WarningsAreCapped) {
  std::vector<std::string> objects;
  for (size_t i = 0; i < kMaxStixWarnings + 5; ++i) {
    objects.push_back(IndicatorJson("indicator--" + std::to_string(i), "[mutex:name = 'm']"));
  }
  objects.push_back(IndicatorJson(kInd1, "[domain-name:value = 'a.example']"));
  Result r = Read(Bundle(objects));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.report.skipped, kMaxStixWarnings + 5);
  EXPECT_EQ(r.Messages(Severity::kWarning).size(), kMaxStixWarnings);
  EXPECT_EQ(r.Messages(Severity::kNote), (std::vector<std::string>{"0:0: 5 more warnings not shown"}));
}

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/kagami_stix_" + std::to_string(getpid()) + "_" + name;
}

TEST(StixReader, FileLargerThanOneChunk) {
  // ~1,000 indicators of ~400 bytes: several 64 KiB reads, lines counted
  // across them.
  std::vector<std::string> objects;
  for (int i = 0; i < 1000; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "indicator--%08x-0000-4000-8000-000000000000", i);
    objects.push_back(IndicatorJson(id, "[domain-name:value = 'd" + std::to_string(i) + ".example']"));
  }
  objects.push_back(Sdo("malware", kMalware, "Evil RAT"));
  objects.push_back(Relationship("indicator--000003e7-0000-4000-8000-000000000000", "indicates", kMalware));
  const std::string path = TempPath("big.json");
  {
    std::ofstream out(path, std::ios::binary);
    out << Bundle(objects);
  }
  CollectingSink sink;
  FeedReport report;
  FeedOptions options;
  options.now_unix = kNow;
  ASSERT_TRUE(ReadStixFile(path, options, &sink, &report));
  ASSERT_EQ(sink.indicators.size(), 1000u);
  EXPECT_EQ(report.path, path);
  EXPECT_EQ(sink.indicators[999].where.file, path);
  EXPECT_EQ(sink.indicators[999].where.line, 1004);
  EXPECT_EQ(sink.indicators[999].where.column, 5);
  EXPECT_EQ(sink.indicators[999].clauses.at(0).terms.at(0).value, "d999.example");
  EXPECT_EQ(sink.indicators[999].malware, (std::vector<std::string>{"Evil RAT"}));
  EXPECT_TRUE(sink.indicators[998].malware.empty());

  // The same file with its last line cut: the error is on the right line.
  std::string text = Bundle(objects);
  text.resize(text.size() - 4);  // "  ]\n}\n" -> "  "
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  CollectingSink sink2;
  FeedReport report2;
  EXPECT_FALSE(ReadStixFile(path, options, &sink2, &report2));
  EXPECT_EQ(sink2.indicators.size(), 1000u);
  ASSERT_EQ(report2.diagnostics.size(), 1u);
  EXPECT_EQ(report2.diagnostics[0].location.line, 1007);
  EXPECT_EQ(report2.diagnostics[0].location.column, 3);
  std::remove(path.c_str());
}

TEST(StixReader, MissingFile) {
  CollectingSink sink;
  FeedReport report;
  EXPECT_FALSE(ReadStixFile(TempPath("does_not_exist.json"), FeedOptions{}, &sink, &report));
  ASSERT_EQ(report.diagnostics.size(), 1u);
  EXPECT_EQ(report.diagnostics[0].severity, Severity::kError);
  EXPECT_EQ(report.diagnostics[0].message, "cannot open STIX file: No such file or directory");
}

TEST(StixReader, NowDefaultsToTheClock) {
  // valid_until far in the future and valid_from in the past: loaded with
  // now_unix = 0; one that expired in 2001 is not.
  Result r = Read(Bundle({IndicatorJson(kInd1, "[domain-name:value = 'a.example']", R"("valid_until": "9999-12-31T23:59:59Z")"),
                          IndicatorJson(kInd2, "[domain-name:value = 'b.example']", R"("valid_until": "2001-01-01T00:00:00Z")")}),
                  0);
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.sink.indicators[0].id, kInd1);
}

TEST(Rfc3339, Parses) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2017-07-01T00:00:00Z"), 1498867200);
  EXPECT_EQ(ParseRfc3339("2024-01-01T00:00:00.123456Z"), kNow);
  EXPECT_EQ(ParseRfc3339("2024-02-29T12:00:00z"), 1709208000);
  EXPECT_EQ(ParseRfc3339("2000-03-01t00:00:00Z"), 951868800);
  EXPECT_EQ(ParseRfc3339("2024-01-01T02:00:00+02:00"), kNow);
  EXPECT_EQ(ParseRfc3339("2023-12-31T19:30:00-04:30"), kNow);
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59Z"), -1);
  EXPECT_EQ(ParseRfc3339("2016-12-31T23:59:60Z"), 1483228800);  // leap second
  for (const char* bad : {"", "2017-07-01", "2017-07-01T00:00:00", "2017-07-01T00:00:00.Z", "2017-13-01T00:00:00Z",
                          "2017-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2017-04-31T00:00:00Z",
                          "2017-07-01T24:00:00Z", "2017-07-01T00:60:00Z", "2017-07-01T00:00:00+0200",
                          "2017-07-01T00:00:00Zjunk", "2017-07-01X00:00:00Z", "2017-7-01T00:00:00Z",
                          "2017-07-00T00:00:00Z", "2017-07-01T00:00:00+24:00"}) {
    EXPECT_EQ(ParseRfc3339(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace kagami::feeds
