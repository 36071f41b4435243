// IntelStoreBuilder: STIX attribution (after and before the indicator),
// duplicate merging, sid stability, signatures, alert views, dropped input
// and memory accounting.

#include "engine/intel/intel_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine/intel/indicator_sid.h"

namespace kagami::intel {
namespace {

using feeds::AttributionKind;
using feeds::IndicatorType;
using feeds::Side;

feeds::Indicator Value(IndicatorType type, std::string_view value) {
  feeds::Indicator ind;
  feeds::Term t;
  t.type = type;
  t.value = std::string(value);
  ind.clauses.push_back(feeds::Clause{{t}});
  return ind;
}

feeds::Indicator Domain(std::string_view name) { return Value(IndicatorType::kDomain, name); }

feeds::Indicator Address(std::string_view text) {
  feeds::Indicator ind;
  feeds::Term t;
  t.type = IndicatorType::kIp;
  t.range.lo = t.range.hi = *IpAddress::Parse(text);
  ind.clauses.push_back(feeds::Clause{{t}});
  return ind;
}

feeds::Indicator Stix(std::string_view id, std::string_view domain) {
  feeds::Indicator ind = Domain(domain);
  ind.id = std::string(id);
  return ind;
}

std::vector<std::string> Strings(std::span<const std::string> s) {
  return std::vector<std::string>(s.begin(), s.end());
}

TEST(IntelStoreBuilder, StixAttributionArrivesAfterTheIndicator) {
  IntelStoreBuilder b;
  b.BeginFeed("bundle.json", feeds::FeedOptions{});
  feeds::Indicator ind = Stix("indicator--1", "c2.example");
  ind.labels = {"malicious-activity"};
  b.Add(ind);
  b.Add(Stix("indicator--2", "other.example"));
  b.Attribute("indicator--1", AttributionKind::kMalware, "PlugX");
  b.Attribute("indicator--1", AttributionKind::kIntrusionSet, "APT99");
  b.Attribute("indicator--1", AttributionKind::kCampaign, "Operation Zero");
  b.Attribute("indicator--1", AttributionKind::kIntrusionSet, "APT99");  // repeated relationship
  b.Attribute("indicator--2", AttributionKind::kMalware, "PlugX");
  b.Attribute("indicator--404", AttributionKind::kMalware, "Nobody");  // unknown: ignored
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 2u);
  const IntelStore::View v = store->view(0);
  EXPECT_EQ(v.stix_id, "indicator--1");
  EXPECT_EQ(Strings(v.intrusion_sets), (std::vector<std::string>{"APT99"}));
  EXPECT_EQ(Strings(v.campaigns), (std::vector<std::string>{"Operation Zero"}));
  EXPECT_EQ(Strings(v.malware), (std::vector<std::string>{"PlugX"}));
  EXPECT_EQ(Strings(v.labels), (std::vector<std::string>{"malicious-activity"}));
  EXPECT_EQ(store->Signature(0), "KAGAMI INTEL domain c2.example (APT99 / PlugX)");
  EXPECT_EQ(Strings(store->view(1).malware), (std::vector<std::string>{"PlugX"}));
  EXPECT_TRUE(store->view(1).intrusion_sets.empty());
}

// AttributePlaced finds each record by its place among the feed's Adds (a
// dropped Add keeps its place; places restart with each feed). A place past
// the Adds is found by id instead.
TEST(IntelStoreBuilder, AttributionByPlaceAmongTheAdds) {
  using Placed = feeds::PlacedAttribution;
  IntelStoreBuilder b;
  b.BeginFeed("bundle.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--1", "one.example"));  // place 0
  b.Add(Stix("indicator--2", ""));              // place 1: an empty value, not stored
  b.Add(Stix("indicator--3", "three.example"));  // place 2
  b.Add(Stix("indicator--4", "four.example"));   // place 3
  Placed a;
  a.sets = {{{AttributionKind::kMalware, "Three"}, {AttributionKind::kIntrusionSet, "Group"}},
            {{AttributionKind::kCampaign, "Found by id"}},
            {{AttributionKind::kMalware, "Nobody"}}};
  a.set_of = {Placed::kNoSet, 2, 0, 1, 1};
  // Place 4 is past the Adds: found by id.
  const std::vector<std::string> ids = {"indicator--1", "indicator--2", "indicator--3", "indicator--4",
                                        "indicator--1"};
  b.AttributePlaced(a, [&](uint32_t p) { return ids[p]; });
  b.BeginFeed("other.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--9", "nine.example"));  // place 0 of this feed
  Placed other;
  other.sets = {{{AttributionKind::kMalware, "Nine"}}};
  other.set_of = {0};
  b.AttributePlaced(other, [](uint32_t) { return std::string("indicator--9"); });
  EXPECT_EQ(b.dropped(), 1u);
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 4u);
  EXPECT_EQ(Strings(store->view(0).campaigns), (std::vector<std::string>{"Found by id"}));
  EXPECT_TRUE(store->view(0).malware.empty());
  EXPECT_EQ(Strings(store->view(1).malware), (std::vector<std::string>{"Three"}));
  EXPECT_EQ(Strings(store->view(1).intrusion_sets), (std::vector<std::string>{"Group"}));
  EXPECT_EQ(Strings(store->view(2).campaigns), (std::vector<std::string>{"Found by id"}));
  EXPECT_EQ(Strings(store->view(3).malware), (std::vector<std::string>{"Nine"}));
  EXPECT_EQ(store->view(3).feed, "other.json");
}

TEST(IntelStoreBuilder, AttributionBeforeTheIndicatorIsAppliedAtBuild) {
  IntelStoreBuilder b;
  b.BeginFeed("bundle.json", feeds::FeedOptions{});
  b.Attribute("indicator--1", AttributionKind::kCampaign, "Early Bird");
  b.Add(Stix("indicator--1", "c2.example"));
  const auto store = b.Build();
  EXPECT_EQ(Strings(store->view(0).campaigns), (std::vector<std::string>{"Early Bird"}));
}

TEST(IntelStoreBuilder, AttributionStaysWithinItsFeed) {
  IntelStoreBuilder b;
  b.BeginFeed("a.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--1", "c2.example"));
  b.BeginFeed("b.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--1", "c2.example"));
  b.Attribute("indicator--1", AttributionKind::kMalware, "OnlyInB");
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 2u);
  EXPECT_EQ(store->view(0).feed, "a.json");
  EXPECT_TRUE(store->view(0).malware.empty());
  EXPECT_EQ(Strings(store->view(1).malware), (std::vector<std::string>{"OnlyInB"}));
}

TEST(IntelStoreBuilder, DuplicatesInOneFeedMerge) {
  IntelStoreBuilder b;
  b.BeginFeed("feed.csv", feeds::FeedOptions{});
  feeds::Indicator first = Domain("evil.example");
  first.malware = {"Emotet"};
  first.confidence = 40;
  first.source = "abuse.ch";
  b.Add(first);
  feeds::Indicator second = Domain("EVIL.example");  // same value once normalised
  second.malware = {"TrickBot", "Emotet"};
  second.confidence = 90;
  second.description = "seen in spam";
  second.source = "other";
  b.Add(second);
  b.Add(Domain("fine.example"));
  EXPECT_EQ(b.size(), 3u);  // merged by Build
  b.BeginFeed("other.csv", feeds::FeedOptions{});
  b.Add(Domain("evil.example"));  // another feed: its own indicator
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 3u);
  const IntelStore::View v = store->view(0);
  EXPECT_EQ(Strings(v.malware), (std::vector<std::string>{"Emotet", "TrickBot"}));
  EXPECT_EQ(v.confidence, 90);
  EXPECT_EQ(v.description, "seen in spam");
  EXPECT_EQ(v.source, "abuse.ch");  // the first source stays
  EXPECT_EQ(store->view(2).feed, "other.csv");
  EXPECT_EQ(store->view(2).sid, v.sid);  // the sid names the observable
  EXPECT_EQ(store->count(IndicatorType::kDomain), 3u);
  std::vector<Hit> hits;
  store->MatchValue(Where::kDnsQuery, "evil.example", Facts(), &hits);
  EXPECT_EQ(hits, (std::vector<Hit>{{0, Where::kDnsQuery}, {2, Where::kDnsQuery}}));
}

TEST(IntelStoreBuilder, MergedStixCopiesKeepTheIdAndGainText) {
  IntelStoreBuilder b;
  b.BeginFeed("bundle.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "c2.example"));
  feeds::Indicator later = Stix("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "c2.example");
  later.name = "C2 server";
  later.reference = "https://example.org/report";
  b.Add(later);
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 1u);
  const IntelStore::View v = store->view(0);
  EXPECT_EQ(v.stix_id, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
  EXPECT_EQ(v.name, "C2 server");
  EXPECT_EQ(v.reference, "https://example.org/report");
  EXPECT_EQ(v.sid, 1493397611u);
}

TEST(IntelStoreBuilder, PrintableValueSkipsLeadingPorts) {
  IntelStoreBuilder b;
  feeds::Indicator ind;
  feeds::Term port;
  port.type = IndicatorType::kPort;
  port.side = Side::kDestination;
  port.port_lo = 8000;
  port.port_hi = 8080;
  feeds::Term address;
  address.type = IndicatorType::kIp;
  address.side = Side::kDestination;
  address.range.lo = *IpAddress::Parse("2001:db8::");
  address.range.hi = *IpAddress::Parse("2001:db8::ff");
  ind.clauses.push_back(feeds::Clause{{port, address}});
  b.Add(ind);
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 1u);
  EXPECT_EQ(store->view(0).value, "2001:db8::/120");
  EXPECT_EQ(store->view(0).type, IndicatorType::kIp);
  EXPECT_EQ(store->Signature(0), "KAGAMI INTEL ip 2001:db8::/120");
  EXPECT_FALSE(store->wants(Where::kIpSrc));  // the address is a destination
  EXPECT_TRUE(store->wants(Where::kIpDst));
}

// The id table is built at the first Attribute and kept up to date by later
// Adds; consecutive calls for one id reuse the records the first one found.
TEST(IntelStoreBuilder, AttributionInterleavedWithAddsReachesEveryCopy) {
  IntelStoreBuilder b;
  b.BeginFeed("bundle.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--1", "c2.example"));
  b.Attribute("indicator--1", AttributionKind::kMalware, "First");  // builds the id table
  b.Add(Stix("indicator--1", "other.example"));  // same id, other clause: a second record
  b.Attribute("indicator--1", AttributionKind::kMalware, "Second");  // must see both records
  b.Add(Stix("indicator--3", "late.example"));  // added after the table exists
  b.Attribute("indicator--3", AttributionKind::kCampaign, "Late");
  b.Attribute("indicator--3", AttributionKind::kIntrusionSet, "Group");  // same id again
  b.Attribute("indicator--1", AttributionKind::kCampaign, "Back");  // an earlier id again
  b.BeginFeed("other.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--3", "late.example"));
  b.Attribute("indicator--3", AttributionKind::kMalware, "OtherFeed");  // same id, other feed
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 4u);
  EXPECT_EQ(store->view(0).value, "c2.example");
  EXPECT_EQ(Strings(store->view(0).malware), (std::vector<std::string>{"First", "Second"}));
  EXPECT_EQ(Strings(store->view(0).campaigns), (std::vector<std::string>{"Back"}));
  EXPECT_EQ(store->view(1).value, "other.example");
  EXPECT_EQ(Strings(store->view(1).malware), (std::vector<std::string>{"Second"}));
  EXPECT_EQ(Strings(store->view(1).campaigns), (std::vector<std::string>{"Back"}));
  EXPECT_EQ(Strings(store->view(2).campaigns), (std::vector<std::string>{"Late"}));
  EXPECT_EQ(Strings(store->view(2).intrusion_sets), (std::vector<std::string>{"Group"}));
  EXPECT_TRUE(store->view(2).malware.empty());
  EXPECT_EQ(store->view(3).feed, "other.json");
  EXPECT_EQ(Strings(store->view(3).malware), (std::vector<std::string>{"OtherFeed"}));
  EXPECT_TRUE(store->view(3).campaigns.empty());
}

// An id attributed before it is added is pending; once added, a repeated
// call for it must find it (not reuse the earlier "not found").
TEST(IntelStoreBuilder, AttributionForAnIdAddedBetweenTwoCalls) {
  IntelStoreBuilder b;
  b.BeginFeed("bundle.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--0", "zero.example"));
  b.Attribute("indicator--1", AttributionKind::kMalware, "Pending");
  b.Add(Stix("indicator--1", "c2.example"));
  b.Attribute("indicator--1", AttributionKind::kCampaign, "Direct");
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 2u);
  EXPECT_EQ(Strings(store->view(1).malware), (std::vector<std::string>{"Pending"}));
  EXPECT_EQ(Strings(store->view(1).campaigns), (std::vector<std::string>{"Direct"}));
  EXPECT_TRUE(store->view(0).malware.empty());
}

// Many ids: the table built at the first Attribute holds all of them (and
// grows for later ones).
TEST(IntelStoreBuilder, AttributionOverManyIds) {
  IntelStoreBuilder b;
  b.BeginFeed("bundle.json", feeds::FeedOptions{});
  constexpr int kCount = 5000;
  for (int i = 0; i < kCount; ++i) {
    b.Add(Stix("indicator--" + std::to_string(i), "d" + std::to_string(i) + ".example"));
  }
  for (int i = kCount - 1; i >= 0; i -= 2) {
    b.Attribute("indicator--" + std::to_string(i), AttributionKind::kMalware, "Odd");
  }
  for (int i = kCount; i < 2 * kCount; ++i) {
    b.Add(Stix("indicator--" + std::to_string(i), "d" + std::to_string(i) + ".example"));
    b.Attribute("indicator--" + std::to_string(i), AttributionKind::kMalware, "Late");
  }
  const auto store = b.Build();
  ASSERT_EQ(store->size(), static_cast<size_t>(2 * kCount));
  for (int i = 0; i < 2 * kCount; ++i) {
    const auto v = store->view(static_cast<uint32_t>(i));
    ASSERT_EQ(v.stix_id, "indicator--" + std::to_string(i));
    const std::vector<std::string> want =
        i >= kCount ? std::vector<std::string>{"Late"}
                    : (i % 2 == 1 ? std::vector<std::string>{"Odd"} : std::vector<std::string>{});
    EXPECT_EQ(Strings(v.malware), want) << i;
  }
}

TEST(IntelStoreBuilder, SameStixIdTwiceMergesDifferentIdsDoNot) {
  IntelStoreBuilder b;
  b.BeginFeed("bundle.json", feeds::FeedOptions{});
  b.Add(Stix("indicator--1", "c2.example"));
  b.Add(Stix("indicator--1", "c2.example"));
  b.Add(Stix("indicator--2", "c2.example"));
  b.Attribute("indicator--1", AttributionKind::kMalware, "X");
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 2u);
  EXPECT_EQ(Strings(store->view(0).malware), (std::vector<std::string>{"X"}));
  EXPECT_TRUE(store->view(1).malware.empty());
  EXPECT_NE(store->view(0).sid, store->view(1).sid);
}

TEST(IntelStoreBuilder, SidsArePinnedAndInRange) {
  EXPECT_EQ(IndicatorSid("", IndicatorType::kDomain, "example.com"), 1938086674u);
  EXPECT_EQ(IndicatorSid("", IndicatorType::kIp, "10.0.0.0/8"), 1573976644u);
  EXPECT_EQ(IndicatorSid("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", IndicatorType::kDomain,
                         "ignored.example"),
            1493397611u);
  for (int i = 0; i < 1000; ++i) {
    const uint32_t sid = IndicatorSid("", IndicatorType::kUrl, "h/" + std::to_string(i));
    EXPECT_GE(sid, kIntelSidFirst);
    EXPECT_LE(sid, kIntelSidLast);
  }

  IntelStoreBuilder b;
  b.Add(Domain("example.com"));
  feeds::Indicator stix = Domain("x.example");
  stix.id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  b.Add(stix);
  const auto store = b.Build();
  EXPECT_EQ(store->view(0).sid, 1938086674u);
  EXPECT_EQ(store->view(1).sid, 1493397611u);
  EXPECT_EQ(store->view(0).rev, 1u);
}

TEST(IntelStoreBuilder, SidsDoNotDependOnOrder) {
  std::vector<feeds::Indicator> input = {Domain("a.example"), Address("192.0.2.1"),
                                         Value(IndicatorType::kJa3, "0123456789abcdef0123456789abcdef"),
                                         Stix("indicator--7", "b.example"),
                                         Value(IndicatorType::kUrl, "c.example/x?y")};
  auto sids = [](const std::vector<feeds::Indicator>& in) {
    IntelStoreBuilder b;
    b.BeginFeed("f", feeds::FeedOptions{});
    for (const auto& ind : in) b.Add(ind);
    const auto store = b.Build();
    std::map<std::string, uint32_t> out;
    for (uint32_t i = 0; i < store->size(); ++i) {
      out[std::string(store->view(i).value)] = store->view(i).sid;
    }
    return out;
  };
  const auto forward = sids(input);
  std::reverse(input.begin(), input.end());
  EXPECT_EQ(sids(input), forward);
  EXPECT_EQ(forward.size(), 5u);
  EXPECT_EQ(forward.at("192.0.2.1"), IndicatorSid("", IndicatorType::kIp, "192.0.2.1"));
}

TEST(IntelStoreBuilder, SignatureText) {
  IntelStoreBuilder b;
  b.Add(Address("10.0.0.0"));
  feeds::Indicator campaign = Domain("c.example");
  campaign.campaigns = {"Op B", "Op A"};
  campaign.malware = {"M"};
  b.Add(campaign);
  feeds::Indicator malware = Value(IndicatorType::kFileSha256, std::string(64, 'f'));
  malware.malware = {"Ryuk"};
  b.Add(malware);
  feeds::Indicator named = Stix("indicator--9", "n.example");
  named.name = "Cobalt Strike team server";
  named.intrusion_sets = {"APT1"};
  b.Add(named);
  const auto store = b.Build();
  EXPECT_EQ(store->Signature(0), "KAGAMI INTEL ip 10.0.0.0");
  EXPECT_EQ(store->Signature(1), "KAGAMI INTEL domain c.example (Op A / M)");
  EXPECT_EQ(store->Signature(2), "KAGAMI INTEL file_sha256 " + std::string(64, 'f') + " (Ryuk)");
  EXPECT_EQ(store->Signature(3), "KAGAMI INTEL Cobalt Strike team server (APT1)");
  // A name that already says who it is about is not repeated.
  intel::IntelStoreBuilder again;
  again.BeginFeed("f", feeds::FeedOptions());
  feeds::Indicator says = Stix("indicator--10", "s.example");
  says.name = "APT1 staging server";
  says.intrusion_sets = {"APT1"};
  again.Add(says);
  EXPECT_EQ(again.Build()->Signature(0), "KAGAMI INTEL APT1 staging server");
}

TEST(IntelStoreBuilder, ViewCarriesEveryField) {
  IntelStoreBuilder b;
  b.BeginFeed("urlhaus.csv", feeds::FeedOptions{});
  feeds::Indicator ind = Value(IndicatorType::kUrl, "bad.example/x.exe");
  ind.source = "URLhaus";
  ind.reference = "https://urlhaus.abuse.ch/url/1/";
  ind.description = "payload";
  ind.confidence = 250;  // clamped
  ind.labels = {"malware_download"};
  b.Add(ind);
  const auto store = b.Build();
  const IntelStore::View v = store->view(0);
  EXPECT_EQ(v.type, IndicatorType::kUrl);
  EXPECT_EQ(v.value, "bad.example/x.exe");
  EXPECT_EQ(v.feed, "urlhaus.csv");
  EXPECT_EQ(v.source, "URLhaus");
  EXPECT_EQ(v.reference, "https://urlhaus.abuse.ch/url/1/");
  EXPECT_EQ(v.description, "payload");
  EXPECT_EQ(v.name, "");
  EXPECT_EQ(v.stix_id, "");
  EXPECT_EQ(v.confidence, 100);
  EXPECT_EQ(Strings(v.labels), (std::vector<std::string>{"malware_download"}));
}

TEST(IntelStoreBuilder, UnusableClausesAndIndicatorsAreDropped) {
  IntelStoreBuilder b;
  feeds::Indicator ports_only;
  feeds::Term port;
  port.type = IndicatorType::kPort;
  port.side = Side::kDestination;
  port.port_lo = port.port_hi = 443;
  ports_only.clauses.push_back(feeds::Clause{{port}});
  b.Add(ports_only);
  b.Add(feeds::Indicator{});  // no clauses
  b.Add(Domain(""));          // empty value
  feeds::Indicator mixed = Domain("kept.example");
  mixed.clauses.push_back(feeds::Clause{{port}});  // OR port 443: dropped clause
  b.Add(mixed);
  EXPECT_EQ(b.dropped(), 3u);
  const auto store = b.Build();
  ASSERT_EQ(store->size(), 1u);
  EXPECT_EQ(store->count(IndicatorType::kPort), 0u);
  intel::Facts f;
  f.has_ports = true;
  f.dport = 443;
  std::vector<Hit> out;
  store->MatchFlow(f, &out);
  EXPECT_TRUE(out.empty());
}

TEST(IntelStoreBuilder, BuildLeavesTheBuilderEmpty) {
  IntelStoreBuilder b;
  b.BeginFeed("one", feeds::FeedOptions{});
  b.Add(Domain("a.example"));
  const auto first = b.Build();
  EXPECT_EQ(b.size(), 0u);
  b.Add(Domain("b.example"));
  const auto second = b.Build();
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->view(0).value, "b.example");
  EXPECT_EQ(second->view(0).feed, "");  // no BeginFeed since the last Build
  EXPECT_EQ(first->size(), 1u);
  std::vector<Hit> out;
  second->MatchValue(Where::kDnsQuery, "a.example", Facts(), &out);
  EXPECT_TRUE(out.empty());
}

TEST(IntelStoreBuilder, MemoryIsCompactAndShared) {
  IntelStoreBuilder b;
  b.BeginFeed("big.csv", feeds::FeedOptions{});
  feeds::Indicator ind = Domain("");
  ind.campaigns = {"A long shared campaign name that is not in the small buffer"};
  ind.malware = {"Family"};
  ind.source = "Some Vendor";
  constexpr int kCount = 20000;
  for (int i = 0; i < kCount; ++i) {
    ind.clauses[0].terms[0].value = "host" + std::to_string(i) + ".example.org";
    b.Add(ind);
  }
  const auto store = b.Build();
  ASSERT_EQ(store->size(), static_cast<size_t>(kCount));
  // Record, clause, key, table slot and ~20 bytes of text: about 64 bytes
  // per indicator, plus the unfilled parts of the last pages (< 2 MiB);
  // shared attribution adds nothing per indicator (a copy each would add
  // well over 100 bytes).
  EXPECT_GT(store->memory_bytes(), kCount * 24u);
  EXPECT_LT(store->memory_bytes(), kCount * 64u + (2u << 20));
  EXPECT_EQ(Strings(store->view(kCount - 1).campaigns), ind.campaigns);
  EXPECT_EQ(store->view(0).campaigns.data(), store->view(kCount - 1).campaigns.data());

  const auto empty = IntelStoreBuilder().Build();
  EXPECT_LT(empty->memory_bytes(), 4096u);
}

}  // namespace
}  // namespace kagami::intel
