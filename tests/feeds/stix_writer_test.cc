// STIX 2.1 bundle writer: what it writes reads back through ReadStixString
// as the same indicators (every type, CIDRs, ports, AND and OR clauses,
// escaped User-Agents, attribution); byte-identical output for the same input;
// name-based ids; indicators STIX cannot express skipped with a diagnostic;
// attribution relationships that do not spread to other indicators.

#include "rules/feeds/stix_writer.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "gtest/gtest.h"
#include "rules/feeds/collecting_sink.h"
#include "rules/feeds/csv_reader.h"
#include "rules/feeds/stix_reader.h"

namespace kagami::feeds {
namespace {

using Severity = rules::Diagnostic::Severity;

Term Ip(const char* lo, const char* hi, Side side = Side::kEither) {
  Term t;
  t.type = IndicatorType::kIp;
  t.side = side;
  t.range = {*IpAddress::Parse(lo), *IpAddress::Parse(hi)};
  return t;
}

Term Port(uint16_t lo, uint16_t hi, Side side = Side::kDestination) {
  Term t;
  t.type = IndicatorType::kPort;
  t.side = side;
  t.port_lo = lo;
  t.port_hi = hi;
  return t;
}

Term Value(IndicatorType type, std::string value) {
  Term t;
  t.type = type;
  t.value = std::move(value);
  return t;
}

Indicator Make(std::string name, std::vector<std::vector<Term>> clauses) {
  Indicator ind;
  ind.name = std::move(name);
  for (auto& terms : clauses) ind.clauses.push_back(Clause{std::move(terms)});
  return ind;
}

// Indicators covering every exportable type and shape.
std::vector<Indicator> Sample() {
  std::vector<Indicator> v;
  v.push_back(Make("v4 host", {{Ip("198.51.100.7", "198.51.100.7")}}));
  v.push_back(Make("v4 net", {{Ip("10.0.0.0", "10.255.255.255")}}));
  v.push_back(Make("v6 host", {{Ip("2001:db8::1", "2001:db8::1")}}));
  v.push_back(Make("v6 net", {{Ip("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")}}));
  v.push_back(Make("c2 on 443", {{Ip("192.0.2.1", "192.0.2.1", Side::kDestination), Port(443, 443)}}));
  v.push_back(Make("src range", {{Ip("192.0.2.0", "192.0.2.255", Side::kSource), Port(1024, 2047, Side::kSource),
                                  Port(0, 99)},
                                 {Value(IndicatorType::kDomain, "high.example"), Port(60000, 65535)}}));
  v.push_back(Make("domain", {{Value(IndicatorType::kDomain, "gokickes-example.com")}}));
  v.push_back(Make("url", {{Value(IndicatorType::kUrl, "blog.softfix-example.kr/news/index.php?id=7")}}));
  v.push_back(Make("url on 80 kept", {{Value(IndicatorType::kUrl, "a.example:80/x")}}));
  v.push_back(Make("url on 443", {{Value(IndicatorType::kUrl, "a.example:443/x")}}));
  v.push_back(Make("ua", {{Value(IndicatorType::kUserAgent, "Mozilla/4.0 (it's \"odd\" \\ C:\\tmp\\x)")}}));
  v.push_back(Make("cert", {{Value(IndicatorType::kCertSha1, std::string(40, 'a'))},
                            {Value(IndicatorType::kCertSha256, std::string(64, 'b'))}}));
  v.push_back(Make("files", {{Value(IndicatorType::kFileMd5, std::string(32, 'c'))},
                             {Value(IndicatorType::kFileSha1, std::string(40, 'd'))},
                             {Value(IndicatorType::kFileSha256, std::string(64, 'e'))}}));
  v.push_back(Make("or of ands", {{Value(IndicatorType::kDomain, "x.example"), Port(8080, 8080)},
                                  {Ip("203.0.113.0", "203.0.113.127", Side::kDestination), Port(22, 22)}}));
  // Properties and attribution.
  Indicator& a = v[6];
  a.description = "Daserf C2\nsecond line, \"quoted\"";
  a.source = "JPCERT/CC";
  a.reference = "https://example.org/report";
  a.confidence = 85;
  a.labels = {"apt", "tick"};
  a.malware = {"Daserf", "Daserf"};
  a.intrusion_sets = {"Tick"};
  a.campaigns = {"July 2017"};
  Indicator& b = v[7];
  b.source = "Example Feed";
  b.reference = "Tick report 2017, section 3";
  b.confidence = 0;
  b.malware = {"Daserf"};
  b.intrusion_sets = {"Tick"};
  Indicator& c = v[10];
  c.source = "JPCERT/CC";
  c.malware = {"Datper"};
  c.campaigns = {"2019"};
  return v;
}

// Port terms of one side next to each other are one range (the intersection):
// how a bounded range reads back.
std::vector<Clause> MergedPorts(const std::vector<Clause>& clauses) {
  std::vector<Clause> out;
  for (const Clause& c : clauses) {
    Clause& m = out.emplace_back();
    for (const Term& t : c.terms) {
      if (t.type == IndicatorType::kPort && !m.terms.empty() && m.terms.back().type == IndicatorType::kPort &&
          m.terms.back().side == t.side) {
        m.terms.back().port_lo = std::max(m.terms.back().port_lo, t.port_lo);
        m.terms.back().port_hi = std::min(m.terms.back().port_hi, t.port_hi);
      } else {
        m.terms.push_back(t);
      }
    }
  }
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

struct Written {
  bool ok = false;
  std::string json, error;
  StixWriteReport report;
};

Written Write(const std::vector<Indicator>& in, const StixWriterOptions& options = {}) {
  Written w;
  w.ok = WriteStixBundle(in, options, &w.json, &w.report, &w.error);
  return w;
}

struct ReadBack {
  bool ok = false;
  CollectingSink sink;
  FeedReport report;
};

ReadBack Read(const std::string& json) {
  ReadBack r;
  r.ok = ReadStixString(json, "out.json", FeedOptions(), &r.sink, &r.report);
  return r;
}

void ExpectSameIndicator(const Indicator& want, const Indicator& got, const std::string& default_source) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(MergedPorts(got.clauses), want.clauses);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.description, want.description);
  EXPECT_EQ(got.confidence, want.confidence);
  EXPECT_EQ(got.source, want.source.empty() ? default_source : want.source);
  EXPECT_EQ(got.reference, want.reference);
  std::vector<std::string> labels = {"malicious-activity"};
  labels.insert(labels.end(), want.labels.begin(), want.labels.end());
  EXPECT_EQ(got.labels, labels);
  EXPECT_EQ(Sorted(got.malware), Sorted(want.malware));
  EXPECT_EQ(Sorted(got.intrusion_sets), Sorted(want.intrusion_sets));
  EXPECT_EQ(Sorted(got.campaigns), Sorted(want.campaigns));
}

TEST(StixWriterTest, VariedSampleReadsBackTheSame) {
  const std::vector<Indicator> in = Sample();
  Written w = Write(in);
  ASSERT_TRUE(w.ok) << w.error;
  EXPECT_EQ(w.report.written, in.size());
  EXPECT_EQ(w.report.skipped_fingerprints + w.report.skipped_other, 0u);
  EXPECT_TRUE(w.report.diagnostics.empty());
  ReadBack r = Read(w.json);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.report.diagnostics.empty()) << r.report.diagnostics[0].ToString();
  EXPECT_EQ(r.report.skipped, 0u);
  ASSERT_EQ(r.sink.indicators.size(), in.size()) << w.json;
  for (size_t i = 0; i < in.size(); ++i) ExpectSameIndicator(in[i], r.sink.indicators[i], "Kagami");
}

TEST(StixWriterTest, CsvFeedReadsBackTheSame) {
  const std::string csv_text =
      "type,value,family,actor,campaign,source,reference,confidence,name,description\n"
      "ipv4,198.51.100.7,Daserf,Tick,July 2017,JPCERT,https://example.org/r,high,,\n"
      "ip-dst,192.0.2.0/24,Daserf,Tick,,JPCERT,https://example.org/r,medium,C2 net,\n"
      "domain,gokickes-example.com,Daserf,Tick,July 2017,,,,,\"a, b\"\n"
      "http_user_agent,Mozilla/4.0 (compatible; 'MSIE' 6.0; \\Tick),Datper,,,,,low,,\n"
      "ja3,e7d705a3286e19ea42f587b344ee6865,Datper,,,,,,,\n"
      "sha256," + std::string(64, 'f') + ",,,,,,,,\n";
  CollectingSink csv;
  FeedReport csv_report;
  ASSERT_TRUE(ReadCsvString(csv_text, "in.csv", FeedOptions(), &csv, &csv_report));
  ASSERT_EQ(csv.indicators.size(), 6u);
  StixWriterOptions options;
  options.identity_name = "Pack Builder";
  Written w = Write(csv.indicators, options);
  ASSERT_TRUE(w.ok) << w.error;
  EXPECT_EQ(w.report.written, 5u);
  EXPECT_EQ(w.report.skipped_fingerprints, 1u);
  ReadBack r = Read(w.json);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.sink.indicators.size(), 5u);
  const std::vector<std::string> derived = {"ip 198.51.100.7", "", "domain gokickes-example.com",
                                            "user_agent Mozilla/4.0 (compatible; 'MSIE' 6.0; \\Tick)",
                                            "file_sha256 " + std::string(64, 'f')};
  for (size_t i = 0, out = 0; i < csv.indicators.size(); ++i) {
    if (csv.indicators[i].clauses[0].terms[0].type == IndicatorType::kJa3) continue;
    Indicator want = csv.indicators[i];
    if (want.name.empty()) want.name = derived[out];
    ExpectSameIndicator(want, r.sink.indicators[out], "Pack Builder");
    ++out;
  }
  EXPECT_EQ(r.sink.indicators[1].name, "C2 net");
  EXPECT_EQ(r.sink.indicators[1].source, "JPCERT");
}

TEST(StixWriterTest, SameInputGivesTheSameBytes) {
  Written a = Write(Sample()), b = Write(Sample());
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(a.json, b.json);
  StixWriterOptions later;
  later.created = "2025-06-30T12:00:00Z";
  Written c = Write(Sample(), later);
  ASSERT_TRUE(c.ok);
  EXPECT_NE(c.json, a.json);
  EXPECT_NE(c.json.find("\"created\": \"2025-06-30T12:00:00Z\""), std::string::npos);
  EXPECT_NE(c.json.find("\"valid_from\": \"2025-06-30T12:00:00Z\""), std::string::npos);
  EXPECT_EQ(c.json.find("2024-01-01"), std::string::npos);
}

// The uuid of "<type>--<uuid>" is a version 5, RFC 4122 variant one.
void ExpectNameUuid(const std::string& id) {
  const size_t dash = id.find("--");
  ASSERT_NE(dash, std::string::npos) << id;
  const std::string uuid = id.substr(dash + 2);
  ASSERT_EQ(uuid.size(), 36u) << id;
  EXPECT_EQ(uuid[14], '5') << id;
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << id;
}

std::vector<std::string> Ids(const std::string& json) {
  std::vector<std::string> ids;
  const std::string key = "\"id\": \"";
  for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
    const size_t start = at + key.size();
    ids.push_back(json.substr(start, json.find('"', start) - start));
  }
  return ids;
}

TEST(StixWriterTest, IdsAreNameBasedUniqueAndKeptFromStix) {
  std::vector<Indicator> in = Sample();
  in.push_back(in[6]);  // the same domain again
  in.back().malware.clear();
  in.back().intrusion_sets.clear();
  in.back().campaigns.clear();
  in[1].id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  Written w = Write(in);
  ASSERT_TRUE(w.ok) << w.error;
  std::vector<std::string> ids = Ids(w.json);
  ASSERT_FALSE(ids.empty());
  EXPECT_TRUE(ids[0].starts_with("bundle--"));
  for (const std::string& id : ids) {
    if (id != in[1].id) ExpectNameUuid(id);
  }
  std::vector<std::string> unique = Sorted(ids);
  EXPECT_EQ(unique.size(), ids.size()) << "ids repeat";
  ReadBack r = Read(w.json);
  ASSERT_EQ(r.sink.indicators.size(), in.size());
  EXPECT_EQ(r.sink.indicators[1].id, in[1].id);
  EXPECT_NE(r.sink.indicators[6].id, r.sink.indicators.back().id);
  EXPECT_TRUE(r.sink.indicators.back().malware.empty());
  // A re-export of what was read keeps every id.
  Written again = Write(r.sink.indicators);
  ASSERT_TRUE(again.ok);
  ReadBack r2 = Read(again.json);
  ASSERT_EQ(r2.sink.indicators.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(r2.sink.indicators[i].id, r.sink.indicators[i].id);
}

TEST(StixWriterTest, PatternsAreSpelledAsSpecified) {
  auto pattern = [](std::vector<std::vector<Term>> clauses) {
    std::string p, error;
    EXPECT_TRUE(StixPatternFor(Make("", std::move(clauses)).clauses, &p, &error)) << error;
    return p;
  };
  EXPECT_EQ(pattern({{Ip("192.0.2.1", "192.0.2.1")}}), "[ipv4-addr:value = '192.0.2.1']");
  EXPECT_EQ(pattern({{Ip("0.0.0.0", "255.255.255.255")}}), "[ipv4-addr:value = '0.0.0.0/0']");
  EXPECT_EQ(pattern({{Ip("2001:db8::", "2001:db8::ff")}}), "[ipv6-addr:value = '2001:db8::/120']");
  EXPECT_EQ(pattern({{Ip("::1", "::1", Side::kSource)}}), "[network-traffic:src_ref.value = '::1']");
  EXPECT_EQ(pattern({{Ip("192.0.2.0", "192.0.2.3", Side::kDestination), Port(1000, 2000)}}),
            "[network-traffic:dst_ref.value = '192.0.2.0/30' AND "
            "(network-traffic:dst_port >= 1000 AND network-traffic:dst_port <= 2000)]");
  EXPECT_EQ(pattern({{Value(IndicatorType::kDomain, "a.example"), Port(0, 1023, Side::kSource)}}),
            "[domain-name:value = 'a.example' AND network-traffic:src_port <= 1023]");
  EXPECT_EQ(pattern({{Value(IndicatorType::kDomain, "a.example")}, {Value(IndicatorType::kDomain, "b.example")}}),
            "[domain-name:value = 'a.example'] OR [domain-name:value = 'b.example']");
  EXPECT_EQ(pattern({{Value(IndicatorType::kUserAgent, "it's a \\ b")}}),
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'it\\'s a \\\\ b']");
  EXPECT_EQ(pattern({{Value(IndicatorType::kUrl, "h.example/p")}}), "[url:value = 'http://h.example/p']");
  EXPECT_EQ(pattern({{Value(IndicatorType::kUrl, "h.example:80/p")}}), "[url:value = 'https://h.example:80/p']");
  EXPECT_EQ(pattern({{Value(IndicatorType::kFileMd5, std::string(32, '0'))}}),
            "[file:hashes.MD5 = '" + std::string(32, '0') + "']");
  EXPECT_EQ(pattern({{Value(IndicatorType::kCertSha256, std::string(64, '0'))}}),
            "[x509-certificate:hashes.'SHA-256' = '" + std::string(64, '0') + "']");
  // Escaped for STIX, then for JSON.
  std::vector<Indicator> in = {Make("q", {{Value(IndicatorType::kUserAgent, "a'b\\c\"d")}})};
  Written w = Write(in);
  ASSERT_TRUE(w.ok);
  EXPECT_NE(w.json.find(R"("pattern": "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'a\\'b\\\\c\"d']")"),
            std::string::npos)
      << w.json;
}

TEST(StixWriterTest, WhatStixCannotExpressIsSkippedWithADiagnostic) {
  std::vector<Indicator> in;
  in.push_back(Make("ja3", {{Value(IndicatorType::kJa3, std::string(32, 'a'))}}));
  in.push_back(Make("ok", {{Value(IndicatorType::kDomain, "ok.example")}}));
  in.push_back(Make("ja3s", {{Value(IndicatorType::kJa3s, std::string(32, 'b'))}}));
  in.push_back(Make("ja4 or domain", {{Value(IndicatorType::kDomain, "x.example")},
                                      {Value(IndicatorType::kJa4, "t13d1516h2_8daaf6152771_b186095e22b6")}}));
  in.push_back(Make("odd range", {{Ip("192.0.2.1", "192.0.2.2")}}));
  in.push_back(Make("port no side", {{Value(IndicatorType::kDomain, "y.example"), Port(1, 1, Side::kEither)}}));
  in.push_back(Make("bad utf8", {{Value(IndicatorType::kUserAgent, "Mozilla\xff")}}));
  in.push_back(Make("not normalised", {{Value(IndicatorType::kDomain, "UPPER.example")}}));
  in.push_back(Make("no clause", {}));
  in[0].where = {"in.csv", 2, 1};
  in[4].where = {"in.csv", 6, 1};
  Written w = Write(in);
  ASSERT_TRUE(w.ok) << w.error;
  EXPECT_EQ(w.report.written, 1u);
  EXPECT_EQ(w.report.skipped_fingerprints, 3u);
  EXPECT_EQ(w.report.skipped_other, 5u);
  ASSERT_EQ(w.report.diagnostics.size(), 8u);
  EXPECT_EQ(w.report.diagnostics[0].ToString(),
            "in.csv:2:1: note: not exported: STIX 2.1 has no object for ja3 fingerprints");
  EXPECT_EQ(w.report.diagnostics[3].severity, Severity::kWarning);
  EXPECT_EQ(w.report.diagnostics[3].location.line, 6);
  EXPECT_NE(w.report.diagnostics[3].message.find("not one CIDR prefix"), std::string::npos);
  EXPECT_NE(w.report.diagnostics[4].message.find("no side"), std::string::npos);
  EXPECT_NE(w.report.diagnostics[5].message.find("UTF-8"), std::string::npos);
  EXPECT_NE(w.report.diagnostics[6].message.find("normalised"), std::string::npos);
  EXPECT_NE(w.report.diagnostics[7].message.find("no clause"), std::string::npos);
  ReadBack r = Read(w.json);
  ASSERT_EQ(r.sink.indicators.size(), 1u);
  EXPECT_EQ(r.sink.indicators[0].name, "ok");
}

TEST(StixWriterTest, AttributionRelationshipsDoNotSpreadToOtherIndicators) {
  std::vector<Indicator> in;
  in.push_back(Make("a", {{Value(IndicatorType::kDomain, "a.example")}}));
  in.back().malware = {"Daserf"};
  in.back().intrusion_sets = {"Tick"};
  in.back().campaigns = {"C1"};
  in.push_back(Make("b", {{Value(IndicatorType::kDomain, "b.example")}}));
  in.back().malware = {"Daserf"};  // without Tick: no "Tick uses Daserf"
  in.push_back(Make("c", {{Value(IndicatorType::kDomain, "c.example")}}));
  in.back().malware = {"Datper"};
  in.back().intrusion_sets = {"Tick", "Other"};
  in.back().campaigns = {"C1"};
  in.push_back(Make("d", {{Value(IndicatorType::kDomain, "d.example")}}));
  in.back().malware = {"Datper"};
  in.back().intrusion_sets = {"Tick"};
  Written w = Write(in);
  ASSERT_TRUE(w.ok);
  auto count = [&w](const std::string& needle) {
    size_t n = 0;
    for (size_t at = w.json.find(needle); at != std::string::npos; at = w.json.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\"relationship_type\": \"uses\""), 1u);           // Tick uses Datper
  EXPECT_EQ(count("\"relationship_type\": \"attributed-to\""), 1u);  // C1 attributed-to Tick
  EXPECT_EQ(count("\"relationship_type\": \"indicates\""), 10u);
  EXPECT_EQ(count("\"type\": \"malware\""), 2u);
  EXPECT_EQ(count("\"type\": \"intrusion-set\""), 2u);
  EXPECT_EQ(count("\"type\": \"campaign\""), 1u);
  EXPECT_EQ(count("\"is_family\": true"), 2u);
  ReadBack r = Read(w.json);
  ASSERT_EQ(r.sink.indicators.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ExpectSameIndicator(in[i], r.sink.indicators[i], "Kagami");
}

TEST(StixWriterTest, UnusableOptionsAreRefused) {
  StixWriterOptions options;
  options.created = "yesterday";
  Written w = Write(Sample(), options);
  EXPECT_FALSE(w.ok);
  EXPECT_NE(w.error.find("RFC 3339"), std::string::npos);
  options.created = "2024-01-01T09:00:00+09:00";  // STIX timestamps are UTC
  EXPECT_FALSE(Write(Sample(), options).ok);
  options = StixWriterOptions();
  options.identity_name = "";
  EXPECT_FALSE(Write(Sample(), options).ok);
}

TEST(StixWriterTest, NoIndicatorsIsStillABundle) {
  Written w = Write({});
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.report.written, 0u);
  ReadBack r = Read(w.json);
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.sink.indicators.empty());
  EXPECT_TRUE(r.report.diagnostics.empty());
}

}  // namespace
}  // namespace kagami::feeds
