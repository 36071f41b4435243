// The pull state: version order, merge rules, expiry, and its file form.
#include "rules/feeds/pull/pull_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rules/feeds/pull/taxii_envelope.h"
#include "rules/feeds/pull/pull_url.h"
#include "tests/feeds_pull/pull_test_util.h"

namespace kagami::feeds::pull {
namespace {

using ::testing::HasSubstr;

StoredObject Obj(std::string key, std::string version, bool removed = false, std::string json = "{}") {
  StoredObject o;
  o.key = std::move(key);
  o.version = std::move(version);
  o.type = "indicator";
  o.removed = removed;
  o.json = std::move(json);
  return o;
}

TEST(PullStateTest, VersionsCompareByInstant) {
  EXPECT_EQ(CompareVersions("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000Z"), 0);
  EXPECT_EQ(CompareVersions("2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.123Z"), 1);
  EXPECT_EQ(CompareVersions("2024-01-01T01:00:00+02:00", "2024-01-01T00:00:00Z"), -1);
  EXPECT_EQ(CompareVersions("", "2024-01-01T00:00:00Z"), -1);
  EXPECT_EQ(CompareVersions("1710000000", "999"), 1);
  EXPECT_EQ(CompareVersions("0999", "999"), 0);
}

TEST(PullStateTest, MergeRules) {
  PullState s;
  MergeCounts c;
  s.Merge(Obj("a", "2024-01-01T00:00:00Z"), &c);
  s.Merge(Obj("b", "2024-01-01T00:00:00Z"), &c);
  s.Merge(Obj("gone", "2024-01-01T00:00:00Z", /*removed=*/true), &c);  // never held
  EXPECT_EQ(c.added, 2u);
  s.Merge(Obj("a", "2023-01-01T00:00:00Z", false, "{\"old\":1}"), &c);
  s.Merge(Obj("a", "2024-01-01T00:00:00Z"), &c);
  EXPECT_EQ(c.unchanged, 2u);
  s.Merge(Obj("a", "2024-02-01T00:00:00Z", false, "{\"v\":2}"), &c);
  EXPECT_EQ(c.updated, 1u);
  EXPECT_EQ(s.objects.at("a").json, "{\"v\":2}");
  s.Merge(Obj("b", "2023-06-01T00:00:00Z", /*removed=*/true), &c);  // an older revocation
  EXPECT_EQ(s.objects.count("b"), 1u);
  s.Merge(Obj("b", "2024-01-01T00:00:00Z", /*removed=*/true), &c);
  EXPECT_EQ(s.objects.count("b"), 0u);
  EXPECT_EQ(c.removed, 1u);
  // Same version, other contents (a MISP event's tags changed).
  s.Merge(Obj("a", "2024-02-01T00:00:00Z", false, "{\"v\":3}"), &c);
  EXPECT_EQ(c.updated, 2u);
}

TEST(PullStateTest, ExpiryAppliesToIndicatorsOnly) {
  PullState s;
  MergeCounts c;
  StoredObject old = Obj("old", "x");
  old.modified_unix = 1000;
  StoredObject until = Obj("until", "x");
  until.modified_unix = 1'000'000;
  until.valid_until_unix = 999'999;
  StoredObject malware = Obj("malware--1", "x");
  malware.type = "malware";
  malware.modified_unix = 1;
  StoredObject fresh = Obj("fresh", "x");
  fresh.modified_unix = 1'000'000;
  for (StoredObject* o : {&old, &until, &malware, &fresh}) s.Merge(*o, &c);
  s.Expire(1'000'000, /*max_age_days=*/0, &c);
  EXPECT_EQ(c.expired, 1u);  // valid_until only
  s.Expire(1'000'000, /*max_age_days=*/1, &c);
  EXPECT_EQ(c.expired, 2u);
  EXPECT_EQ(s.objects.size(), 2u);
  EXPECT_EQ(s.objects.count("malware--1"), 1u);
}

TEST(PullStateTest, FileRoundTripAndErrors) {
  PullState s;
  s.source = "taxii https://x/ collection c";
  s.cursor = "2024-05-01T00:00:00.000Z";
  s.events["e"] = 42;
  MergeCounts c;
  StoredObject o = Obj("indicator--1", "2024-01-01T00:00:00Z", false, "{\"type\":\"indicator\",\"a\":[1,2]}");
  o.valid_until_unix = 77;
  o.modified_unix = 66;
  o.group = "g";
  s.Merge(o, &c);
  const std::string text = SerializePullState(s);
  PullState back;
  std::string error;
  ASSERT_TRUE(ParsePullState(text, "state", &back, &error)) << error;
  EXPECT_EQ(back.source, s.source);
  EXPECT_EQ(back.cursor, s.cursor);
  EXPECT_EQ(back.events.at("e"), 42);
  const StoredObject& b = back.objects.at("indicator--1");
  EXPECT_EQ(b.json, o.json);
  EXPECT_EQ(b.valid_until_unix, 77);
  EXPECT_EQ(b.modified_unix, 66);
  EXPECT_EQ(b.group, "g");
  EXPECT_EQ(SerializePullState(back), text);

  EXPECT_FALSE(ParsePullState("{\"objects\":[]}", "s.json", &back, &error));
  EXPECT_THAT(error, HasSubstr("s.json: not a kagami intel pull state file"));
  EXPECT_FALSE(ParsePullState("{\"kagami_intel_pull_state\":1,", "s.json", &back, &error));
  EXPECT_THAT(error, HasSubstr("invalid JSON"));

  ScratchDir dir;
  ASSERT_TRUE(LoadPullState(dir.File("missing.json"), &back, &error));
  EXPECT_TRUE(back.objects.empty());
}

TEST(TaxiiEnvelopeTest, Shapes) {
  TaxiiEnvelope e;
  std::string error;
  ASSERT_TRUE(ParseTaxiiEnvelope("", &e, &error));
  ASSERT_TRUE(ParseTaxiiEnvelope("{}", &e, &error));
  EXPECT_FALSE(e.more);
  ASSERT_TRUE(ParseTaxiiEnvelope("{\"more\":true,\"next\":\"n1\",\"objects\":[{\"type\":\"indicator\",\"id\":"
                                 "\"indicator--1\",\"created\":\"2020-01-01T00:00:00Z\",\"revoked\":true},"
                                 "{\"no\":\"id\"},{\"type\":\"identity\",\"id\":\"identity--1\"}]}",
                                 &e, &error))
      << error;
  EXPECT_TRUE(e.more);
  EXPECT_EQ(e.next, "n1");
  ASSERT_EQ(e.objects.size(), 2u);
  EXPECT_EQ(e.ignored, 1u);
  EXPECT_TRUE(e.objects[0].removed);
  EXPECT_EQ(e.objects[0].version, "2020-01-01T00:00:00Z");
  EXPECT_EQ(e.objects[1].version, "");
  EXPECT_FALSE(ParseTaxiiEnvelope("{\"more\":\"yes\"}", &e, &error));
  EXPECT_FALSE(ParseTaxiiEnvelope("[]", &e, &error));

  TaxiiServerInfo info;
  ASSERT_TRUE(ParseTaxiiServerInfo("{\"title\":\"t\",\"api_roots\":[\"/a/\",\"/b/\"]}", &info, &error));
  EXPECT_TRUE(info.is_discovery);
  EXPECT_EQ(info.api_roots.size(), 2u);
  ASSERT_TRUE(ParseTaxiiServerInfo("{\"title\":\"root\",\"versions\":[]}", &info, &error));
  EXPECT_FALSE(info.is_discovery);
  EXPECT_FALSE(ParseTaxiiServerInfo("{\"hello\":1}", &info, &error));
}

TEST(PullUrlTest, ResolveAndEscape) {
  EXPECT_EQ(ResolveUrl("https://h:1/taxii2/", "/api1/"), "https://h:1/api1/");
  EXPECT_EQ(ResolveUrl("https://h:1/taxii2/", "api1/"), "https://h:1/taxii2/api1/");
  EXPECT_EQ(ResolveUrl("https://h:1/taxii2/", "https://o/r/"), "https://o/r/");
  EXPECT_EQ(ResolveUrl("https://h:1", "/r/"), "https://h:1/r/");
  EXPECT_EQ(QueryEscape("2024-01-01T00:00:00+02:00"), "2024-01-01T00%3A00%3A00%2B02%3A00");
  EXPECT_EQ(WithTrailingSlash("http://x/a//"), "http://x/a/");
}

}  // namespace
}  // namespace kagami::feeds::pull
