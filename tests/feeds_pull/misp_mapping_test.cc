// MISP attribute types and tags as Kagami indicators, and the round trip
// through the STIX bundle a pull writes: the reader must load the same
// clauses and attribution that the mapping made.
#include "rules/feeds/pull/misp_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rules/feeds/feed_reader.h"
#include "rules/feeds/pull/misp_attribute.h"
#include "rules/feeds/pull/pull_output.h"
#include "tests/feeds_pull/pull_test_util.h"

namespace kagami::feeds::pull {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

MispAttribute Attr(std::string type, std::string value) {
  MispAttribute a;
  a.uuid = "5f1c0c3a-1234-4000-a000-00000000abcd";
  a.type = std::move(type);
  a.value = std::move(value);
  a.timestamp = 1710000000;
  a.to_ids = true;
  return a;
}

Indicator Map(const MispAttribute& a) {
  Indicator i;
  std::string why;
  EXPECT_TRUE(MapMispAttribute(a, &i, &why)) << a.type << " " << a.value << ": " << why;
  return i;
}

std::string Skip(const MispAttribute& a) {
  Indicator i;
  std::string why;
  EXPECT_FALSE(MapMispAttribute(a, &i, &why)) << a.type;
  return why;
}

Term Single(const Indicator& i) {
  EXPECT_EQ(i.clauses.size(), 1u);
  EXPECT_EQ(i.clauses.at(0).terms.size(), 1u);
  return i.clauses.at(0).terms.at(0);
}

TEST(MispMappingTest, AddressesKeepTheirSide) {
  Term t = Single(Map(Attr("ip-src", "192.0.2.1")));
  EXPECT_EQ(t.type, IndicatorType::kIp);
  EXPECT_EQ(t.side, Side::kSource);
  t = Single(Map(Attr("ip-dst", "2001:db8::/32")));
  EXPECT_EQ(t.side, Side::kDestination);
  EXPECT_NE(t.range.lo, t.range.hi);

  const Indicator p = Map(Attr("ip-dst|port", "2001:db8::7|443"));
  ASSERT_EQ(p.clauses.size(), 1u);
  ASSERT_EQ(p.clauses[0].terms.size(), 2u);
  EXPECT_EQ(p.clauses[0].terms[0].side, Side::kDestination);
  EXPECT_EQ(p.clauses[0].terms[1].type, IndicatorType::kPort);
  EXPECT_EQ(p.clauses[0].terms[1].port_lo, 443);
  EXPECT_EQ(p.clauses[0].terms[1].side, Side::kDestination);
  EXPECT_EQ(Map(Attr("ip-src|port", "192.0.2.1|53")).clauses[0].terms[1].side, Side::kSource);
  EXPECT_THAT(Skip(Attr("ip-dst|port", "192.0.2.1|99999")), HasSubstr("address|port"));
}

TEST(MispMappingTest, NamesUrlsAndDigests) {
  EXPECT_EQ(Single(Map(Attr("domain", "Travelasist.Example."))).value, "travelasist.example");
  EXPECT_EQ(Single(Map(Attr("hostname", "www.x.example"))).type, IndicatorType::kDomain);
  EXPECT_EQ(Single(Map(Attr("url", "http://a.example/x.php?id=1"))).type, IndicatorType::kUrl);
  EXPECT_EQ(Single(Map(Attr("uri", "https://a.example/gate"))).type, IndicatorType::kUrl);
  EXPECT_THAT(Skip(Attr("uri", "/gate.php")), HasSubstr("without a host"));
  EXPECT_EQ(Single(Map(Attr("user-agent", "Mozilla/4.0 (compatible; MSIE 6.0; Tick)"))).type,
            IndicatorType::kUserAgent);
  EXPECT_EQ(Single(Map(Attr("md5", std::string(32, 'A')))).value, std::string(32, 'a'));
  EXPECT_EQ(Single(Map(Attr("sha1", std::string(40, 'b')))).type, IndicatorType::kFileSha1);
  EXPECT_EQ(Single(Map(Attr("sha256", std::string(64, 'c')))).type, IndicatorType::kFileSha256);
  const Term f = Single(Map(Attr("filename|sha256", "a|b.exe|" + std::string(64, 'd'))));
  EXPECT_EQ(f.type, IndicatorType::kFileSha256);
  EXPECT_EQ(f.value, std::string(64, 'd'));
  EXPECT_EQ(Single(Map(Attr("filename|md5", "x.dll|" + std::string(32, 'e')))).type, IndicatorType::kFileMd5);
  EXPECT_EQ(Single(Map(Attr("ja3-fingerprint-md5", std::string(32, 'f')))).type, IndicatorType::kJa3);
  EXPECT_EQ(Single(Map(Attr("x509-fingerprint-sha1", std::string(40, '1')))).type, IndicatorType::kCertSha1);
  EXPECT_EQ(Single(Map(Attr("x509-fingerprint-sha256", std::string(64, '2')))).type, IndicatorType::kCertSha256);
  EXPECT_THAT(Skip(Attr("sha1", "xyz")), ::testing::Not(::testing::IsEmpty()));
}

TEST(MispMappingTest, DomainIpIsEitherOne) {
  const Indicator i = Map(Attr("domain|ip", "c2.example|198.51.100.7"));
  ASSERT_EQ(i.clauses.size(), 2u);
  EXPECT_EQ(i.clauses[0].terms.at(0).type, IndicatorType::kDomain);
  EXPECT_EQ(i.clauses[1].terms.at(0).type, IndicatorType::kIp);
  EXPECT_EQ(i.clauses[1].terms.at(0).side, Side::kEither);
}

TEST(MispMappingTest, OtherTypesSayWhy) {
  EXPECT_EQ(Skip(Attr("email-src", "a@example.org")), "no SMTP parser");
  EXPECT_EQ(Skip(Attr("email-dst", "a@example.org")), "no SMTP parser");
  EXPECT_EQ(Skip(Attr("mutex", "m")), "no Kagami indicator type");
  EXPECT_EQ(MispTypeSkipReason("ip-dst"), "");
  EXPECT_EQ(MispTypeSkipReason("regkey"), "no Kagami indicator type");
}

TEST(MispMappingTest, TagsGiveAttributionAndLabels) {
  MispAttribute a = Attr("domain", "c2.example");
  a.tags = {"misp-galaxy:threat-actor=\"Tick\"",
            "misp-galaxy:mitre-intrusion-set=\"Tick - G0060\"",
            "misp-galaxy:malpedia=\"Daserf\"",
            "misp-galaxy:mitre-tool=\"Mimikatz - S0002\"",
            "misp-galaxy:sector=\"Defense\"",
            "TLP:AMBER",
            "osint:source-type=\"blog-post\""};
  a.threat_level = 2;
  a.org = "JPCERT/CC";
  a.info = "Tick targets defense";
  const Indicator i = Map(a);
  EXPECT_THAT(i.intrusion_sets, ElementsAre("Tick"));
  EXPECT_THAT(i.malware, ElementsAre("Daserf", "Mimikatz"));
  EXPECT_THAT(i.labels, ElementsAre("tlp:amber", "misp-threat-level:medium"));
  EXPECT_EQ(i.source, "JPCERT/CC");
  EXPECT_EQ(i.description, "Tick targets defense");
  EXPECT_EQ(i.id, "indicator--5f1c0c3a-1234-4000-a000-00000000abcd");

  std::string cluster, value;
  EXPECT_TRUE(ParseGalaxyTag("misp-galaxy:threat-actor=\"APT 29\"", &cluster, &value));
  EXPECT_EQ(cluster, "threat-actor");
  EXPECT_EQ(value, "APT 29");
  EXPECT_FALSE(ParseGalaxyTag("tlp:red", &cluster, &value));
  EXPECT_FALSE(ParseGalaxyTag("misp-galaxy:x=\"\"", &cluster, &value));
}

// What the pull writes reads back as what the mapping made.
TEST(MispMappingTest, BundleRoundTrip) {
  PullState state;
  std::vector<MispAttribute> attributes = {
      Attr("ip-dst|port", "203.0.113.9|8443"), Attr("domain|ip", "c2.example|198.51.100.7"),
      Attr("url", "http://update.softfix.example/news/index.php"), Attr("x509-fingerprint-sha256", std::string(64, '9')),
      Attr("user-agent", "Mozilla/4.0 (compatible; MSIE 6.0; Tick)")};
  for (size_t n = 0; n < attributes.size(); ++n) {
    MispAttribute& a = attributes[n];
    a.uuid[a.uuid.size() - 1] = static_cast<char>('0' + n);
    a.org = n % 2 ? "CIRCL" : "JPCERT/CC";
    a.info = "event " + std::to_string(n);
    a.threat_level = 1;
    a.tags = {"tlp:green", "misp-galaxy:threat-actor=\"Tick\"", "misp-galaxy:malpedia=\"ShadowPy\""};
    if (n == 2) a.tags.push_back("misp-galaxy:tool=\"Datper\"");
    a.reference = "https://misp.example/events/view/" + std::to_string(n);
    StoredObject o;
    o.key = a.uuid;
    o.version = std::to_string(a.timestamp);
    o.type = "misp-attribute";
    o.modified_unix = a.timestamp;
    o.json = MispAttributeJson(a);
    MergeCounts counts;
    state.Merge(o, &counts);
  }
  std::string bundle, error;
  PullStats stats;
  ASSERT_TRUE(MispBundle(state, 1717200000, &bundle, &stats, &error)) << error;
  EXPECT_TRUE(stats.skipped.empty());

  CollectingSink sink;
  FeedReport report;
  FeedOptions options;
  options.now_unix = 1717200000;
  ASSERT_TRUE(ReadStixString(bundle, "bundle", options, &sink, &report));
  ASSERT_EQ(sink.indicators.size(), attributes.size());
  for (const MispAttribute& a : attributes) {
    const Indicator expected = Map(a);
    const Indicator* got = nullptr;
    for (const Indicator& i : sink.indicators) {
      if (i.id == expected.id) got = &i;
    }
    ASSERT_NE(got, nullptr) << expected.id;
    EXPECT_EQ(got->clauses, expected.clauses) << a.type;
    EXPECT_EQ(got->source, expected.source);
    EXPECT_EQ(got->description, expected.description);
    EXPECT_EQ(got->reference, expected.reference);
    EXPECT_THAT(got->labels, ::testing::IsSupersetOf(expected.labels));
    std::vector<std::string> malware = expected.malware;
    std::sort(malware.begin(), malware.end());
    EXPECT_EQ(got->malware, malware) << a.type;
    EXPECT_EQ(got->intrusion_sets, expected.intrusion_sets);
  }
}

TEST(MispResponseTest, ShapesAndLooseTyping) {
  std::vector<MispAttribute> out;
  std::string error;
  size_t ignored = 0;
  ASSERT_TRUE(ParseMispRestSearch("{\"response\":[]}", &out, &error));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(ParseMispRestSearch(
      "{\"response\":{\"Attribute\":[{\"uuid\":\"u1\",\"type\":\"domain\",\"value\":\"a.example\",\"to_ids\":\"1\","
      "\"deleted\":0,\"timestamp\":\"1617875568\",\"event_id\":7,\"Event\":{\"info\":\"i\",\"uuid\":\"e\","
      "\"Orgc\":{\"name\":\"O\"},\"threat_level_id\":\"2\"},\"Tag\":[{\"name\":\"tlp:red\"}]},"
      "{\"type\":\"domain\",\"value\":\"no uuid\"}]}}",
      &out, &error, &ignored))
      << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ignored, 1u);
  EXPECT_TRUE(out[0].to_ids);
  EXPECT_FALSE(out[0].deleted);
  EXPECT_EQ(out[0].timestamp, 1617875568);
  EXPECT_EQ(out[0].event_id, "7");
  EXPECT_EQ(out[0].org, "O");
  EXPECT_EQ(out[0].threat_level, 2);
  EXPECT_THAT(out[0].tags, ElementsAre("tlp:red"));
  EXPECT_FALSE(ParseMispRestSearch("{\"Event\":[]}", &out, &error));
  EXPECT_THAT(error, HasSubstr("not a MISP restSearch response"));
  EXPECT_FALSE(ParseMispRestSearch("[1,", &out, &error));
  EXPECT_THAT(error, HasSubstr("invalid JSON at byte 3"));

  std::map<std::string, MispEventSummary> events;
  ASSERT_TRUE(ParseMispManifest("{\"../../etc/passwd\":{\"timestamp\":1},\"AAAAAAAA-1111-4aaa-8bbb-000000000001\":"
                                "{\"timestamp\":\"5\",\"info\":\"x\"}}",
                                &events, &error, &ignored));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.begin()->first, "aaaaaaaa-1111-4aaa-8bbb-000000000001");
  EXPECT_EQ(events.begin()->second.timestamp, 5);
  EXPECT_FALSE(ParseMispEvent("{\"response\":{}}", &out, &error));
}

}  // namespace
}  // namespace kagami::feeds::pull
