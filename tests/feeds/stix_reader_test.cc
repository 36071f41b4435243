// STIX 2.1 bundle reader: indicator properties, attribution through
// relationships in either order, validity and revocation, skipped indicators
// next to good ones, malformed JSON with line:column (inside objects too),
// objects split across read blocks or larger than one, large inputs handled
// on a second thread exactly as small ones inline, JSON the fast path
// leaves to RapidJSON (escapes, numbers, deep nesting), and RFC 3339
// timestamps.

#include "rules/feeds/stix_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
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

// A sink that also records every attribution as "id kind name", in order.
class RecordingSink : public CollectingSink {
 public:
  std::vector<std::string> attributions;
  void AttributePlaced(const PlacedAttribution& a, const std::function<std::string(uint32_t)>& id_of) override {
    static constexpr const char* kKinds[] = {"campaign", "intrusion-set", "malware"};
    for (size_t p = 0; p < a.set_of.size(); ++p) {
      if (a.set_of[p] == PlacedAttribution::kNoSet) continue;
      for (const PlacedAttribution::Name& n : a.sets[a.set_of[p]]) {
        attributions.push_back(id_of(static_cast<uint32_t>(p)) + " " + kKinds[static_cast<int>(n.kind)] + " " + n.name);
      }
    }
    CollectingSink::AttributePlaced(a, id_of);
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

// Attribution names each indicator by its place among the Adds, in the order
// they were delivered (whatever order the ids sort in), and reaches every
// delivered version of an id.
class DeliveryCheckingSink : public CollectingSink {
 public:
  std::vector<std::string> calls;  // "place id name"
  size_t sets = 0;
  void AttributePlaced(const PlacedAttribution& a, const std::function<std::string(uint32_t)>& id_of) override {
    EXPECT_EQ(a.set_of.size(), indicators.size());
    sets = a.sets.size();
    for (size_t p = 0; p < a.set_of.size(); ++p) {
      if (a.set_of[p] == PlacedAttribution::kNoSet) continue;
      EXPECT_EQ(indicators[p].id, id_of(static_cast<uint32_t>(p)));  // the place is the id's own
      for (const PlacedAttribution::Name& n : a.sets[a.set_of[p]]) {
        calls.push_back(std::to_string(p) + " " + id_of(static_cast<uint32_t>(p)) + " " + n.name);
      }
    }
    CollectingSink::AttributePlaced(a, id_of);
  }
};

TEST(StixReader, AttributionByPlaceInDeliveryOrder) {
  const std::string dom = "[domain-name:value = 'a.example']";
  const std::string url = "[url:value = 'http://a.example/v2']";
  DeliveryCheckingSink sink;
  FeedReport report;
  FeedOptions options;
  options.now_unix = kNow;
  // kInd3 sorts last and comes first; kInd2 is skipped (bad pattern), so
  // places count delivered indicators only; kInd1 comes twice (two versions).
  ASSERT_TRUE(ReadStixString(
      Bundle({Relationship(kInd1, "indicates", kMalware), Sdo("malware", kMalware, "Evil RAT"),
              IndicatorJson(kInd3, dom), IndicatorJson(kInd2, "[nonsense"), IndicatorJson(kInd1, dom),
              Sdo("intrusion-set", kSet, "APT Example"), Relationship(kInd3, "indicates", kSet),
              IndicatorJson(kInd1, url)}),
      "feed.json", options, &sink, &report));
  ASSERT_EQ(sink.indicators.size(), 3u);
  EXPECT_EQ(sink.calls, (std::vector<std::string>{std::string("0 ") + kInd3 + " APT Example",
                                                  std::string("1 ") + kInd1 + " Evil RAT",
                                                  std::string("2 ") + kInd1 + " Evil RAT"}));
  EXPECT_EQ(sink.sets, 2u);  // kInd1's set is shared by its two places
  EXPECT_EQ(sink.indicators[1].malware, (std::vector<std::string>{"Evil RAT"}));
  EXPECT_EQ(sink.indicators[2].malware, (std::vector<std::string>{"Evil RAT"}));
  EXPECT_EQ(sink.indicators[0].intrusion_sets, (std::vector<std::string>{"APT Example"}));
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

// Text that is no STIX pattern is called invalid, not unsupported.
TEST(StixReader, InvalidPatternIsNotCalledUnsupported) {
  const std::string json = Bundle({
      IndicatorJson(kInd1, "[domain-name:value = 'a.example'"),
      IndicatorJson(kInd2, "[domain-name:value = 'b.example']"),
  });
  Result r = Read(json);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.report.skipped, 1u);
  EXPECT_EQ(r.Messages(Severity::kWarning),
            (std::vector<std::string>{"5:5: indicator " + std::string(kInd1) +
                                      ": invalid pattern: expected AND, OR or ']', found end of pattern at pattern "
                                      "offset 32"}));
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
  // ~1,000 indicators of ~400 bytes, lines counted across them.
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

// A bundle mixing everything whose handling depends on order: identities
// named before their indicators, skipped and expired indicators between good
// ones (warnings in file order), relationships and SDOs on both sides of
// what they name. Each kind recurs every few objects, over 2,000 objects.
std::vector<std::string> MixedObjects() {
  std::vector<std::string> objects;
  for (int i = 0; i < 2000; ++i) {
    char id[64], who[64];
    std::snprintf(id, sizeof id, "indicator--%08x-0000-4000-8000-000000000000", i);
    std::snprintf(who, sizeof who, "identity--%08x-0000-4000-8000-000000000000", i / 10);
    switch (i % 10) {
      case 0: objects.push_back(Sdo("identity", who, "Team " + std::to_string(i / 10))); break;
      case 3: objects.push_back(IndicatorJson(id, "[mutex:name = 'm" + std::to_string(i) + "']")); break;
      case 5: objects.push_back(IndicatorJson(id, "[domain-name:value = 'x.example']", R"("revoked": true)")); break;
      case 7: objects.push_back(Relationship(id, "indicates", kMalware)); break;
      default: break;
    }
    objects.push_back(IndicatorJson(id, "[domain-name:value = 'd" + std::to_string(i) + ".example']",
                                    R"("created_by_ref": ")" + std::string(who) + R"(", "valid_until": ")" +
                                        (i % 10 == 8 ? "yesterday" : "2030-01-01T00:00:00Z") + "\""));
    if (i == 1000) objects.push_back(Sdo("malware", kMalware, "Evil RAT"));
  }
  return objects;
}

std::string Describe(const Result& r) {
  std::string out = r.ok ? "ok\n" : "failed\n";
  for (const Indicator& i : r.sink.indicators) {
    out += i.id + " " + i.source + " " + std::to_string(i.where.line) + ":" + std::to_string(i.where.column);
    for (const std::string& m : i.malware) out += " " + m;
    out += "\n";
  }
  for (const rules::Diagnostic& d : r.report.diagnostics) out += d.ToString() + "\n";
  out += std::to_string(r.report.skipped) + " skipped " + std::to_string(r.report.expired) + " expired\n";
  return out;
}

TEST(StixReader, LargeInputHandledOnASecondThreadGivesTheSameResult) {
  // Under 1 MiB the objects are handled as they are read; the same bundle
  // after a 1 MiB blank first line is handled on a second thread. Everything
  // but the positions on line 1 must come out the same, complete and in
  // order, also when the JSON breaks off (the error comes after every
  // warning of the objects before it).
  const std::string small = Bundle(MixedObjects());
  ASSERT_LT(small.size(), size_t{1} << 20);
  const std::string pad = std::string(size_t{1} << 20, ' ') + "\n";
  const std::string cut = small.substr(0, small.rfind("indicator--000007cf"));  // in the last object
  for (const bool whole : {true, false}) {
    SCOPED_TRACE(whole);
    const std::string& json = whole ? small : cut;
    const Result inline_read = Read(json);
    Result threaded = Read(pad + json);
    for (Indicator& i : threaded.sink.indicators) --i.where.line;
    for (rules::Diagnostic& d : threaded.report.diagnostics) d.location.line -= d.location.line > 0 ? 1 : 0;
    EXPECT_EQ(Describe(threaded), Describe(inline_read));
    EXPECT_EQ(inline_read.ok, whole);
    // 2,000 numbered indicators less 200 with a malformed valid_until; the
    // unsupported and the revoked ones come on top (the last good one is cut
    // off).
    EXPECT_EQ(inline_read.sink.indicators.size(), whole ? 1800u : 1799u);
    EXPECT_EQ(inline_read.report.expired, 200u);
    EXPECT_EQ(inline_read.Messages(Severity::kWarning).size(), 400u);
    EXPECT_EQ(inline_read.Messages(Severity::kError).size(), whole ? 0u : 1u);
  }
}

// A sink that fails on its nth indicator.
class FailingSink : public CollectingSink {
 public:
  explicit FailingSink(size_t n) : n_(n) {}
  void Add(const Indicator& i) override {
    if (indicators.size() + 1 == n_) throw std::runtime_error("sink is full");
    CollectingSink::Add(i);
  }

 private:
  size_t n_;
};

TEST(StixReader, WhatTheSinkThrowsReachesTheCaller) {
  const std::string small = Bundle(MixedObjects());
  for (const std::string& json : {small, std::string(size_t{1} << 20, ' ') + small}) {
    FailingSink sink(700);
    FeedReport report;
    FeedOptions options;
    options.now_unix = kNow;
    EXPECT_THROW(ReadStixString(json, "feed.json", options, &sink, &report), std::runtime_error);
    EXPECT_EQ(sink.indicators.size(), 699u);
  }
}

// Escapes in the form JSON writes them and as read.
struct Escaped {
  const char* json;
  const char* text;
};
constexpr Escaped kDescriptions[] = {
    {"plain text", "plain text"},
    {R"(brackets ]} [{ and \"quotes\" in a string)", R"(brackets ]} [{ and "quotes" in a string)"},
    {R"(back\\slash\\ a \/ and\nnew\tline)", "back\\slash\\ a / and\nnew\tline"},
    {R"(caf\u00e9 \ud83d\ude00)", "caf\xc3\xa9 \xf0\x9f\x98\x80"},  // a surrogate pair
    {R"(ends in a backslash \\)", "ends in a backslash \\"},
};

struct Placed {
  int line = 0, column = 0;
  std::string description;
};

// A pretty-printed bundle of `count` indicators over several lines each (some
// ending in CRLF) with the descriptions above, then an "indicates"
// relationship for the last one. `placed` gets where each indicator starts
// and its description as read.
std::string MultiLineBundle(int count, std::vector<Placed>* placed) {
  std::string s;
  int line = 1;
  auto add = [&](const std::string& text) {
    s += text;
    line += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  };
  add("{\n  \"type\": \"bundle\",\n  \"id\": \"bundle--1\",\n  \"objects\": [\n");
  add("    " + Sdo("malware", kMalware, "Evil RAT") + ",\n");
  for (int i = 0; i < count; ++i) {
    const Escaped& d = kDescriptions[i % std::size(kDescriptions)];
    add("    ");
    placed->push_back({line, static_cast<int>(s.size() - s.rfind('\n')), d.text});
    char id[64];
    std::snprintf(id, sizeof id, "indicator--%08x-0000-4000-8000-000000000000", i);
    add("{\n      \"type\": \"indicator\",\n      \"id\": \"" + std::string(id) + "\",\r\n      \"pattern\": " +
        "\"[domain-name:value = 'd" + std::to_string(i) + ".example']\",\n" +
        "      \"valid_from\": \"2023-01-01T00:00:00Z\",\r\n      \"description\": \"" + d.json + "\",\n" +
        "      \"confidence\": " + std::to_string(i % 101) + ",\n      \"revoked\": false, \"x_note\": null\n    },\n");
  }
  char last[64];
  std::snprintf(last, sizeof last, "indicator--%08x-0000-4000-8000-000000000000", count - 1);
  return s + "    " + Relationship(last, "indicates", kMalware) + "\n  ]\n}\n";
}

void ExpectPlaced(const std::vector<Indicator>& got, const std::vector<Placed>& placed) {
  ASSERT_EQ(got.size(), placed.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(got[i].where.line, placed[i].line);
    ASSERT_EQ(got[i].where.column, placed[i].column);
    ASSERT_EQ(got[i].description, placed[i].description);
    ASSERT_EQ(got[i].confidence, static_cast<int>(i % 101));
    ASSERT_EQ(got[i].clauses.at(0).terms.at(0).value, "d" + std::to_string(i) + ".example");
  }
  EXPECT_EQ(got.back().malware, (std::vector<std::string>{"Evil RAT"}));
}

TEST(StixReader, ObjectsSplitAcrossReadBlocks) {
  // Just over one 1 MiB read block; leading blanks move the block boundary
  // through an object in 17-byte steps, so it falls inside keys, strings,
  // escapes, numbers and literals, and between CR and LF.
  std::vector<Placed> placed;
  const std::string bundle = MultiLineBundle(3400, &placed);
  ASSERT_GT(bundle.size(), size_t{1} << 20);
  ASSERT_LT(bundle.size(), (size_t{1} << 20) + 100'000);
  for (int step = 0; step < 20; ++step) {
    SCOPED_TRACE(step);
    Result r = Read(std::string(17 * step, ' ') + bundle);
    ASSERT_TRUE(r.ok);
    EXPECT_TRUE(r.report.diagnostics.empty());
    ExpectPlaced(r.sink.indicators, placed);
  }
  const std::string path = TempPath("split.json");
  {
    std::ofstream out(path, std::ios::binary);
    out << bundle;
  }
  CollectingSink sink;
  FeedReport report;
  FeedOptions options;
  options.now_unix = kNow;
  EXPECT_TRUE(ReadStixFile(path, options, &sink, &report));
  ExpectPlaced(sink.indicators, placed);
  std::remove(path.c_str());
}

TEST(StixReader, ObjectLargerThanTheReadBuffer) {
  // 1.5 MiB descriptions, one plain, one with escapes: both objects are read
  // by RapidJSON from the file as it comes; positions after them still hold.
  const std::string big(1536 * 1024, 'x');
  const std::string escaped = std::string(1024 * 1024, 'y') + R"(\"\n\u0041)" + std::string(512 * 1024, 'z');
  const std::string json = Bundle({
      IndicatorJson(kInd1, "[domain-name:value = 'a.example']", R"("description": ")" + big + "\""),
      IndicatorJson(kInd2, "[domain-name:value = 'b.example']", R"("description": ")" + escaped + "\""),
      IndicatorJson(kInd3, "[domain-name:value = 'c.example']", R"("name": "after"   )"),
  });
  const std::string path = TempPath("large_object.json");
  {
    std::ofstream out(path, std::ios::binary);
    out << json;
  }
  CollectingSink sink;
  FeedReport report;
  FeedOptions options;
  options.now_unix = kNow;
  ASSERT_TRUE(ReadStixFile(path, options, &sink, &report));
  ASSERT_EQ(sink.indicators.size(), 3u);
  EXPECT_EQ(sink.indicators[0].description, big);
  EXPECT_EQ(sink.indicators[1].description,
            std::string(1024 * 1024, 'y') + "\"\nA" + std::string(512 * 1024, 'z'));
  EXPECT_EQ(sink.indicators[2].name, "after");
  EXPECT_EQ(sink.indicators[2].where.line, 7);
  EXPECT_EQ(sink.indicators[2].where.column, 5);
  std::remove(path.c_str());
}

TEST(StixReader, UnbalancedObjectEarlyInALargeFile) {
  // The bracket mismatch makes the rest of the file look like one object, far
  // larger than a read block; the error is still where RapidJSON finds it.
  std::vector<std::string> objects = {IndicatorJson(kInd1, "[domain-name:value = 'a.example']"),
                                      IndicatorJson(kInd2, "[domain-name:value = 'b.example']", R"("labels": ["x"})"),
                                      IndicatorJson(kInd3, "[domain-name:value = 'c.example']")};
  for (int i = 0; i < 10000; ++i) objects.push_back(Sdo("malware", kMalware, "Evil RAT " + std::to_string(i)));
  const std::string json = Bundle(objects);
  ASSERT_GT(json.size(), size_t{1} << 20);
  Result r = Read(json);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  const size_t at = json.find(R"(["x"})") + 4;  // the '}'
  const auto line = std::count(json.begin(), json.begin() + static_cast<ptrdiff_t>(at), '\n') + 1;
  const size_t column = at - json.rfind('\n', at);
  EXPECT_EQ(line, 6);
  EXPECT_EQ(r.Messages(Severity::kError),
            (std::vector<std::string>{std::to_string(line) + ":" + std::to_string(column) +
                                      ": malformed JSON: Missing a comma or ']' after an array element."}));
}

TEST(StixReader, EscapesNumbersAndNestingAsRapidJsonReadsThem) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += i % 2 ? "[" : R"({"n": )";
  deep += "1";
  for (int i = 99; i >= 0; --i) deep += i % 2 ? "]" : "}";
  const std::string json = Bundle({
      IndicatorJson(kInd1, "[domain-name:value = 'a.example']",
                    R"("name": "Evil \"RAT\" \\ \/ \u00e9 \ud83d\ude00\n", "labels": ["tab\there", "caf\u00e9"],)"
                    R"( "x_numbers": [-1, 0, -0, 1.5e3, 12345678901234567890, 4294967296, true, false, null],)"
                    R"( "x_deep": )" + deep + R"(, "confidence": 1e1)"),
      "{\t\"type\":\"indicator\",\"id\":\"" + std::string(kInd2) +
          "\",\r\n\"pattern\" :\t\"[url:value = 'http://b.example/']\" ,\"confidence\": 7,\"labels\":[ ]}",
      IndicatorJson(kInd3, "[domain-name:value = 'c.example']",
                    R"("x_score": -0.25, "x_big": 123456789012345.5, "confidence": 85.0, "name": "\u00C9\uDC00")"),
  });
  Result r = Read(json);
  ASSERT_TRUE(r.ok) << r.report.diagnostics.at(0).ToString();
  ASSERT_EQ(r.sink.indicators.size(), 3u);
  const Indicator& a = r.sink.indicators[0];
  EXPECT_EQ(a.name, "Evil \"RAT\" \\ / \xc3\xa9 \xf0\x9f\x98\x80\n");
  EXPECT_EQ(a.labels, (std::vector<std::string>{"tab\there", "caf\xc3\xa9"}));
  EXPECT_EQ(a.confidence, 10);  // 1e1 is a double RapidJSON reads as 10.0
  const Indicator& b = r.sink.indicators[1];
  EXPECT_EQ(b.confidence, 7);
  EXPECT_TRUE(b.labels.empty());
  EXPECT_EQ(b.where.line, 6);
  EXPECT_EQ(b.where.column, 5);
  const Indicator& c = r.sink.indicators[2];
  EXPECT_EQ(c.confidence, 85);
  EXPECT_EQ(c.name, "\xc3\x89\xed\xb0\x80");  // a lone low surrogate is kept, encoded as it is
}

TEST(StixReader, PositionsAfterMultiLineObjects) {
  // Objects ending on the line the next one starts on, after newlines of
  // their own; then an error on such a line.
  const std::string json = std::string("[{\"type\": \"indicator\",\n \"id\": \"") + kInd1 +
                           "\", \"pattern\": \"[domain-name:value = 'a.example']\"\n  }, " +
                           "{\"type\": \"indicator\", \"id\": \"" + kInd2 +
                           "\",\r\n\"pattern\": \"[domain-name:value = 'b.example']\"}, {\"x\": 1 \"y\"}]";
  Result r = Read(json);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 2u);
  EXPECT_EQ(r.sink.indicators[0].where.line, 1);
  EXPECT_EQ(r.sink.indicators[0].where.column, 2);
  EXPECT_EQ(r.sink.indicators[1].where.line, 3);
  EXPECT_EQ(r.sink.indicators[1].where.column, 6);
  const size_t at = json.find(R"("y")");
  EXPECT_EQ(r.Messages(Severity::kError),
            (std::vector<std::string>{"4:" + std::to_string(at - json.rfind('\n', at)) +
                                      ": malformed JSON: Missing a comma or '}' after an object member."}));
}

TEST(StixReader, MalformedInsideAnObject) {
  // The same codes and offsets as RapidJSON reading the whole text.
  const struct {
    std::string json;
    std::string error;
  } cases[] = {
      {R"([{"type": "indicator", "id": "x" "pattern": "y"}])",
       "1:34: malformed JSON: Missing a comma or '}' after an object member."},
      {"[{\"a\": \"tab\there\"}]", "1:12: malformed JSON: Invalid escape character in string."},
      {R"([{"a": "\q"}])", "1:9: malformed JSON: Invalid escape character in string."},
      {R"([{"a": "\u12g4"}])", "1:9: malformed JSON: Incorrect hex digit after \\u escape in string."},
      {R"([{"a": "\ud800x"}])", "1:9: malformed JSON: The surrogate pair in string is invalid."},
      {R"([{"a": 01}])", "1:9: malformed JSON: Missing a comma or '}' after an object member."},
      {R"([{"a": -}])", "1:9: malformed JSON: Invalid value."},
      {R"([{"a": 1e400}])", "1:8: malformed JSON: Number too big to be stored in double."},
      {R"([{"a": tru}])", "1:11: malformed JSON: Invalid value."},
      {R"([{"a": [1, 2}])", "1:13: malformed JSON: Missing a comma or ']' after an array element."},
      {R"([{"a": 1,}])", "1:10: malformed JSON: Missing a name for object member."},
      {R"([{"a" 1}])", "1:7: malformed JSON: Missing a colon after a name of object member."},
      {R"([{"a": 1}, ])", "1:12: malformed JSON: Invalid value."},
      {R"([{"a": 1} {"b": 2}])", "1:11: malformed JSON: Missing a comma or ']' after an array element."},
      {std::string(R"([{"a": 1}, )") + '\0' + "{}]", "1:12: malformed JSON: Invalid value."},
      {std::string(R"([{"a": "x)") + '\0' + R"("}])",
       "1:10: malformed JSON: Missing a closing quotation mark in string."},
      {R"({"objects": [], "objects" [])", "1:27: malformed JSON: Missing a colon after a name of object member."},
      {R"({"objects": [] "x": 1})", "1:16: malformed JSON: Missing a comma or '}' after an object member."},
  };
  for (const auto& c : cases) {
    Result r = Read(c.json);
    EXPECT_FALSE(r.ok) << c.json;
    EXPECT_EQ(r.Messages(Severity::kError), (std::vector<std::string>{c.error})) << c.json;
  }
  // A '\0' after the document ends it, as RapidJSON reads it.
  Result nul = Read(Bundle({IndicatorJson(kInd1, "[domain-name:value = 'a.example']")}) + '\0' + "garbage");
  EXPECT_TRUE(nul.ok);
  EXPECT_EQ(nul.sink.indicators.size(), 1u);
}

TEST(StixReader, DirectoryIsAReadError) {
  CollectingSink sink;
  FeedReport report;
  const char* dir = std::getenv("TEST_TMPDIR");
  EXPECT_FALSE(ReadStixFile(dir ? dir : "/tmp", FeedOptions{}, &sink, &report));
  ASSERT_EQ(report.diagnostics.size(), 1u);
  EXPECT_EQ(report.diagnostics[0].location.line, 1);
  EXPECT_EQ(report.diagnostics[0].location.column, 1);
  EXPECT_EQ(report.diagnostics[0].message, "read error: Is a directory");
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
