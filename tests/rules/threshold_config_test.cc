// threshold.config: parsing every entry kind, gen_id/sig_id 0, addresses
// (variables, lists, negation, IPv6), malformed lines with line:col, and
// attaching entries to a RuleSet.

#include "rules/threshold_config.h"

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"
#include "rules/rule_loader.h"
#include "tests/rules/rule_test_util.h"

namespace kagami::rules::testing {
namespace {

using Kind = ThresholdEntry::Kind;
using Type = ThresholdOption::Type;
using Track = ThresholdOption::Track;
using STrack = Suppression::Track;

ThresholdConfig Config(std::string_view text, const std::map<std::string, std::string>& vars = {}) {
  return ParseThresholdConfig(text, "threshold.config", vars);
}

// Parses text that must load cleanly.
std::vector<ThresholdEntry> Entries(std::string_view text, const std::map<std::string, std::string>& vars = {}) {
  ThresholdConfig c = Config(text, vars);
  for (const Diagnostic& d : c.diagnostics) ADD_FAILURE() << d.ToString() << "\n  in: " << text;
  return c.entries;
}

// The one error a line produces, as "line:col: message".
std::string ConfigError(std::string_view text, const std::map<std::string, std::string>& vars = {}) {
  ThresholdConfig c = Config(text, vars);
  if (c.diagnostics.size() != 1) {
    ADD_FAILURE() << "expected one diagnostic, got " << c.diagnostics.size() << " for: " << text;
    for (const Diagnostic& d : c.diagnostics) ADD_FAILURE() << d.ToString();
    return "";
  }
  const Diagnostic& d = c.diagnostics[0];
  EXPECT_EQ(d.severity, Diagnostic::Severity::kError);
  EXPECT_EQ(d.location.file, "threshold.config");
  EXPECT_TRUE(c.entries.empty());
  return std::to_string(d.location.line) + ":" + std::to_string(d.location.column) + ": " + d.message;
}

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

TEST(ThresholdConfigParse, ThresholdAndEventFilter) {
  auto e = Entries(
      "threshold gen_id 1, sig_id 2002087, type both, track by_src, count 3, seconds 5\n"
      "event_filter gen_id 1, sig_id 10, type limit, track by_dst, count 1, seconds 60\n"
      "threshold gen_id 3, sig_id 7, type threshold, track by_rule, count 10, seconds 0\n"
      "event_filter gen_id 1, sig_id 8, type limit, track by_both, count 2, seconds 9\n"
      "threshold gen_id 1, sig_id 9, type limit, track by_flow, count 2, seconds 9\n");
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].kind, Kind::kThreshold);
  EXPECT_EQ(e[0].gid, 1u);
  EXPECT_EQ(e[0].sid, 2002087u);
  EXPECT_EQ(e[0].threshold.type, Type::kBoth);
  EXPECT_EQ(e[0].threshold.track, Track::kBySrc);
  EXPECT_EQ(e[0].threshold.count, 3u);
  EXPECT_EQ(e[0].threshold.seconds, 5u);
  EXPECT_EQ(e[0].location.line, 1);
  EXPECT_EQ(e[0].location.column, 1);
  EXPECT_EQ(e[1].kind, Kind::kEventFilter);
  EXPECT_EQ(e[1].threshold.type, Type::kLimit);
  EXPECT_EQ(e[1].threshold.track, Track::kByDst);
  EXPECT_EQ(e[1].location.line, 2);
  EXPECT_EQ(e[2].gid, 3u);
  EXPECT_EQ(e[2].threshold.type, Type::kThreshold);
  EXPECT_EQ(e[2].threshold.track, Track::kByRule);
  EXPECT_EQ(e[2].threshold.seconds, 0u);
  EXPECT_EQ(e[3].threshold.track, Track::kByBoth);
  EXPECT_EQ(e[4].threshold.track, Track::kByFlow);
}

TEST(ThresholdConfigParse, SettingsInAnyOrderAndCase) {
  auto e = Entries("THRESHOLD gen_id 1, sig_id 5, count 4, seconds 30, TRACK BY_DST, type Limit\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].threshold.type, Type::kLimit);
  EXPECT_EQ(e[0].threshold.track, Track::kByDst);
  EXPECT_EQ(e[0].threshold.count, 4u);
}

TEST(ThresholdConfigParse, SuppressWholeRule) {
  auto e = Entries("suppress gen_id 1, sig_id 2002087\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].kind, Kind::kSuppress);
  EXPECT_EQ(e[0].suppression.track, STrack::kAll);
  EXPECT_EQ(e[0].suppression.location.line, 1);
}

TEST(ThresholdConfigParse, SuppressByAddress) {
  auto e = Entries(
      "suppress gen_id 1, sig_id 2002087, track by_src, ip 209.132.180.67\n"
      "suppress gen_id 1, sig_id 2003614, track by_dst, ip 217.110.97.128/25\n"
      "suppress gen_id 1, sig_id 2003614, track by_either, ip [192.168.0.0/16, 10.0.0.0/8,172.16.0.0/12]\n"
      "suppress gen_id 1, sig_id 2000328, track by_src, ip fe80::/10\n"
      "suppress gen_id 1, sig_id 5, track by_src, ip [10.0.0.0/8,!10.1.0.0/16]\n"
      "suppress gen_id 1, sig_id 6, track by_src, ip !10.0.0.0/8\n");
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0].suppression.track, STrack::kBySrc);
  EXPECT_TRUE(e[0].suppression.addresses.Contains(Ip("209.132.180.67")));
  EXPECT_FALSE(e[0].suppression.addresses.Contains(Ip("209.132.180.68")));
  EXPECT_EQ(e[1].suppression.track, STrack::kByDst);
  EXPECT_TRUE(e[1].suppression.addresses.Contains(Ip("217.110.97.200")));
  EXPECT_FALSE(e[1].suppression.addresses.Contains(Ip("217.110.97.127")));
  EXPECT_EQ(e[2].suppression.track, STrack::kByEither);
  EXPECT_TRUE(e[2].suppression.addresses.Contains(Ip("172.20.1.1")));
  EXPECT_TRUE(e[2].suppression.addresses.Contains(Ip("10.9.9.9")));
  EXPECT_FALSE(e[2].suppression.addresses.Contains(Ip("8.8.8.8")));
  EXPECT_TRUE(e[3].suppression.addresses.Contains(Ip("fe80::1")));
  EXPECT_FALSE(e[3].suppression.addresses.Contains(Ip("2001:db8::1")));
  EXPECT_TRUE(e[4].suppression.addresses.Contains(Ip("10.2.0.1")));
  EXPECT_FALSE(e[4].suppression.addresses.Contains(Ip("10.1.0.1")));
  EXPECT_FALSE(e[5].suppression.addresses.Contains(Ip("10.1.0.1")));
  EXPECT_TRUE(e[5].suppression.addresses.Contains(Ip("11.0.0.1")));
  EXPECT_TRUE(e[5].suppression.addresses.Contains(Ip("2001:db8::1")));
}

TEST(ThresholdConfigParse, AddressVariables) {
  // Suricata's defaults: $HOME_NET is the RFC 1918 networks.
  auto e = Entries("suppress gen_id 1, sig_id 1, track by_src, ip $HOME_NET\n"
                   "suppress gen_id 1, sig_id 2, track by_dst, ip [$EXTERNAL_NET,!8.8.8.8]\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_TRUE(e[0].suppression.addresses.Contains(Ip("192.168.3.4")));
  EXPECT_FALSE(e[0].suppression.addresses.Contains(Ip("8.8.8.8")));
  EXPECT_TRUE(e[1].suppression.addresses.Contains(Ip("8.8.4.4")));
  EXPECT_FALSE(e[1].suppression.addresses.Contains(Ip("8.8.8.8")));
  EXPECT_FALSE(e[1].suppression.addresses.Contains(Ip("10.0.0.1")));
  // Given variables override the defaults; '$' in the name is accepted.
  auto o = Entries("suppress gen_id 1, sig_id 1, track by_either, ip $HOME_NET\n"
                   "suppress gen_id 1, sig_id 2, track by_src, ip $SCANNERS\n",
                   {{"HOME_NET", "[203.0.113.0/24]"}, {"$SCANNERS", "[198.51.100.7,2001:db8::/32]"}});
  ASSERT_EQ(o.size(), 2u);
  EXPECT_TRUE(o[0].suppression.addresses.Contains(Ip("203.0.113.9")));
  EXPECT_FALSE(o[0].suppression.addresses.Contains(Ip("10.0.0.1")));
  EXPECT_TRUE(o[1].suppression.addresses.Contains(Ip("2001:db8:1::5")));
  EXPECT_TRUE(o[1].suppression.addresses.Contains(Ip("198.51.100.7")));
}

TEST(ThresholdConfigParse, GenIdAndSigIdZero) {
  auto e = Entries("suppress gen_id 0, sig_id 0, track by_src, ip 10.0.0.1\n"
                   "threshold gen_id 0, sig_id 0, type limit, track by_src, count 1, seconds 60\n"
                   "event_filter gen_id 3, sig_id 0, type limit, track by_src, count 1, seconds 60\n");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].gid, 0u);
  EXPECT_EQ(e[0].sid, 0u);
  EXPECT_EQ(e[2].gid, 3u);
  EXPECT_EQ(e[2].sid, 0u);
  EXPECT_EQ(ConfigError("suppress gen_id 0, sig_id 5\n"),
            "1:17: gen_id 0 only goes with sig_id 0 (every rule); rules without a gid keyword have gen_id 1");
}

TEST(ThresholdConfigParse, RateFilter) {
  auto e = Entries("rate_filter gen_id 1, sig_id 888, track by_src, count 10, seconds 60, \\\n"
                   "    new_action drop, timeout 300\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].kind, Kind::kRateFilter);
  EXPECT_EQ(e[0].threshold.track, Track::kBySrc);
  EXPECT_EQ(e[0].threshold.count, 10u);
  EXPECT_EQ(e[0].threshold.seconds, 60u);
  EXPECT_EQ(e[0].new_action, "drop");
  EXPECT_EQ(e[0].timeout, 300u);
  EXPECT_EQ(ConfigError("rate_filter gen_id 1, sig_id 1, track by_rule, count 1, seconds 1, new_action explode, "
                        "timeout 3"),
            "1:79: unknown new_action 'explode' (expected alert, drop, pass, log, sdrop or reject)");
}

TEST(ThresholdConfigParse, CommentsBlankLinesAndContinuations) {
  auto e = Entries(
      "# Thresholding\n"
      "\n"
      "   # indented comment\n"
      "\t\n"
      "suppress gen_id 1, sig_id 1   # trailing comment\r\n"
      "threshold gen_id 1, \\\n"
      "  sig_id 2, type limit, \\\n"
      "  track by_src, count 1, seconds 15\n"
      "  suppress gen_id 1, sig_id 3\n");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].location.line, 5);
  EXPECT_EQ(e[1].location.line, 6);
  EXPECT_EQ(e[1].sid, 2u);
  EXPECT_EQ(e[2].location.line, 9);
  EXPECT_EQ(e[2].location.column, 3);
  EXPECT_TRUE(Config("").entries.empty());
  EXPECT_TRUE(Config("").diagnostics.empty());
}

TEST(ThresholdConfigParse, ErrorsPointAtTheProblem) {
  EXPECT_EQ(ConfigError("supress gen_id 1, sig_id 2"),
            "1:1: unknown entry 'supress' (expected threshold, event_filter, suppress or rate_filter)");
  EXPECT_EQ(ConfigError("suppress"), "1:9: expected 'gen_id N, sig_id N' after 'suppress'");
  EXPECT_EQ(ConfigError("suppress sig_id 2, gen_id 1"), "1:10: expected 'gen_id N' after 'suppress', found 'sig_id'");
  EXPECT_EQ(ConfigError("suppress gen_id 1"), "1:18: expected ', sig_id N' after the gen_id");
  EXPECT_EQ(ConfigError("suppress gen_id 1 sig_id 2"), "1:19: unexpected 'sig_id 2' after the gen_id value (missing ','?)");
  EXPECT_EQ(ConfigError("suppress gen_id x, sig_id 2"),
            "1:17: invalid gen_id 'x' (expected a number from 0 to 4294967295)");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 99999999999"),
            "1:27: invalid sig_id '99999999999' (expected a number from 0 to 4294967295)");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id -2"),
            "1:27: invalid sig_id '-2' (expected a number from 0 to 4294967295)");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2,"), "1:29: empty setting (stray ',')");
  EXPECT_EQ(ConfigError("suppress gen_id 1,, sig_id 2"), "1:19: empty setting (stray ',')");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src"),
            "1:42: suppress: 'track' needs ', ip ADDRESS' after it");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, ip 1.2.3.4"),
            "1:30: suppress: 'ip' needs 'track by_src|by_dst|by_either' before it");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_rule, ip 1.2.3.4"),
            "1:36: unknown suppress track 'by_rule' (expected by_src, by_dst or by_either)");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip"), "1:44: 'ip' needs a value");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, type limit"),
            "1:44: unknown setting 'type' for suppress (expected nothing, or track and ip)");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, track by_dst, ip 1.2.3.4"),
            "1:44: duplicate 'track'");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, sig_id 3"), "1:30: duplicate 'sig_id'");
  EXPECT_EQ(ConfigError("suppress gen_id, sig_id 2"), "1:10: 'gen_id' needs a value");
  EXPECT_EQ(ConfigError("threshold gen_id 1, sig_id 2, type limit, track by_src, count 1"),
            "1:64: threshold needs type, track, count, seconds; missing: seconds");
  EXPECT_EQ(ConfigError("event_filter gen_id 1, sig_id 2, type sometimes, track by_src, count 1, seconds 1"),
            "1:39: unknown type 'sometimes' (expected limit, threshold or both)");
  EXPECT_EQ(ConfigError("threshold gen_id 1, sig_id 2, type limit, track by_either, count 1, seconds 1"),
            "1:49: unknown track 'by_either' (expected by_src, by_dst, by_rule, by_both or by_flow)");
  EXPECT_EQ(ConfigError("threshold gen_id 1, sig_id 2, type limit, track by_src, count 0, seconds 1"),
            "1:63: count must be at least 1");
  EXPECT_EQ(ConfigError("threshold gen_id 1, sig_id 2, type limit, track by_src, count 1, seconds 1, new_action drop"),
            "1:77: unknown setting 'new_action' for threshold (expected type, track, count, seconds)");
}

TEST(ThresholdConfigParse, AddressErrors) {
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.300"),
            "1:47: invalid address '10.0.0.300'");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip [10.0.0.1,1.2.3.4/33]"),
            "1:57: invalid prefix length '/33' for '1.2.3.4'");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip $NOPE"), "1:47: unknown variable '$NOPE'");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip !any"),
            "1:47: '!any' is not a valid address (it matches nothing)");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip [10.0.0.1"),
            "1:47: unterminated '[' in ip address");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.1]"),
            "1:55: unbalanced ']' in ip address");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.1 10.0.0.2"),
            "1:55: unexpected space in ip address: write several addresses as a list, e.g. [10.0.0.1,10.0.0.2]");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.1, 10.0.0.2"),
            "1:57: unexpected ',' after the ip value: write several addresses as a list, e.g. ip "
            "[10.0.0.1,10.0.0.2]");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip (10.0.0.1)"),
            "1:47: unexpected character '(' in ip address");
  EXPECT_EQ(ConfigError("suppress gen_id 1, sig_id 2, track by_src, ip $BAD", {{"BAD", "[1.2.3.4,nope]"}}),
            "1:47: invalid address 'nope' (in the value of $BAD)");
}

TEST(ThresholdConfigParse, ErrorsInsideContinuationLines) {
  EXPECT_EQ(ConfigError("threshold gen_id 1, sig_id 2, \\\n"
                        "   type limit, track by_src, \\\n"
                        "   count many, seconds 1\n"),
            "3:10: invalid count 'many' (expected a number from 0 to 4294967295)");
}

TEST(ThresholdConfigParse, BadLinesAreDroppedGoodOnesKept) {
  ThresholdConfig c = Config(
      "suppress gen_id 1, sig_id 1\n"
      "suppress gen_id 1, sig_id oops\n"
      "threshold gen_id 1, sig_id 2, type limit, track by_src, count 1, seconds 1\n"
      "bogus line here\n"
      "suppress gen_id 1, sig_id 3, track by_dst, ip 10.0.0.0/8\n");
  ASSERT_EQ(c.entries.size(), 3u);
  EXPECT_EQ(c.entries[0].sid, 1u);
  EXPECT_EQ(c.entries[1].sid, 2u);
  EXPECT_EQ(c.entries[2].sid, 3u);
  ASSERT_EQ(c.diagnostics.size(), 2u);
  EXPECT_EQ(c.error_count(), 2u);
  EXPECT_EQ(c.diagnostics[0].location.line, 2);
  EXPECT_EQ(c.diagnostics[0].location.column, 27);
  EXPECT_EQ(c.diagnostics[1].location.line, 4);
  EXPECT_EQ(c.diagnostics[1].ToString(),
            "threshold.config:4:1: error: unknown entry 'bogus' (expected threshold, event_filter, suppress or "
            "rate_filter)");
}

TEST(ThresholdConfigLoad, ReadsFileAndReportsUnreadable) {
  std::string path = ::testing::TempDir() + "kagami-threshold-test.config";
  std::ofstream(path) << "suppress gen_id 1, sig_id 1\nsuppress gen_id 1, sig_id\n";
  ThresholdConfig c = LoadThresholdConfig(path);
  std::remove(path.c_str());
  ASSERT_EQ(c.entries.size(), 1u);
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.diagnostics[0].location.file, path);
  EXPECT_EQ(c.diagnostics[0].location.line, 2);

  ThresholdConfig missing = LoadThresholdConfig("/nonexistent/threshold.config");
  ASSERT_EQ(missing.diagnostics.size(), 1u);
  EXPECT_EQ(missing.error_count(), 1u);
  EXPECT_NE(missing.diagnostics[0].message.find("cannot read threshold file"), std::string::npos);
}

TEST(ThresholdConfigLoad, FuzzSeedCorpus) {
  const std::string dir = std::string(KAGAMI_SOURCE_DIR) + "/tests/fuzz/corpus/threshold_config/";
  for (const char* name : {"01_suppress.config", "02_threshold.config", "03_continuation.config"}) {
    ThresholdConfig c = LoadThresholdConfig(dir + name, {{"SCANNERS", "192.0.2.0/24"}});
    EXPECT_EQ(c.diagnostics.size(), 0u) << name << ": " << (c.diagnostics.empty() ? "" : c.diagnostics[0].ToString());
    EXPECT_FALSE(c.entries.empty()) << name;
  }
  ThresholdConfig bad = LoadThresholdConfig(dir + "04_errors.config");
  EXPECT_TRUE(bad.entries.empty());
  EXPECT_EQ(bad.error_count(), 5u);
}

// --- ApplyThresholdConfig ---

constexpr char kRules[] =
    "alert tcp any any -> any any (msg:\"plain\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"own threshold\"; threshold:type limit, track by_dst, count 9, seconds 9; "
    "sid:2;)\n"
    "alert tcp any any -> any any (msg:\"own df\"; detection_filter:track by_src, count 5, seconds 5; sid:3;)\n"
    "alert tcp any any -> any any (msg:\"gid 7\"; gid:7; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"both\"; threshold:type both, track by_src, count 2, seconds 2; "
    "detection_filter:track by_src, count 5, seconds 5; sid:4;)\n";

struct Applied {
  RuleSet set;
  std::vector<Diagnostic> diags;
  const Rule& rule(uint32_t gid, uint32_t sid) const {
    for (const Rule& r : set.rules) {
      if (r.gid == gid && r.sid == sid) return r;
    }
    static Rule none;
    ADD_FAILURE() << "no rule " << gid << ":" << sid;
    return none;
  }
  size_t count(Diagnostic::Severity s) const {
    return static_cast<size_t>(
        std::count_if(diags.begin(), diags.end(), [s](const Diagnostic& d) { return d.severity == s; }));
  }
};

Applied Apply(std::string_view config) {
  Applied a;
  a.set = Parse(kRules);
  EXPECT_EQ(a.set.diagnostics.size(), 0u);
  ThresholdConfig c = Config(config);
  for (const Diagnostic& d : c.diagnostics) ADD_FAILURE() << d.ToString();
  ApplyThresholdConfig(a.set, c, &a.diags);
  return a;
}

TEST(ThresholdConfigApply, SuppressAttachesToTheNamedRule) {
  Applied a = Apply("suppress gen_id 1, sig_id 1\n"
                    "suppress gen_id 1, sig_id 1, track by_src, ip 10.0.0.0/8\n"
                    "suppress gen_id 7, sig_id 1, track by_either, ip 10.0.0.1\n");
  EXPECT_TRUE(a.diags.empty());
  ASSERT_EQ(a.rule(1, 1).suppressions.size(), 2u);
  EXPECT_EQ(a.rule(1, 1).suppressions[0].track, STrack::kAll);
  EXPECT_EQ(a.rule(1, 1).suppressions[1].track, STrack::kBySrc);
  EXPECT_EQ(a.rule(1, 1).suppressions[1].location.line, 2);
  ASSERT_EQ(a.rule(7, 1).suppressions.size(), 1u);
  EXPECT_EQ(a.rule(7, 1).suppressions[0].track, STrack::kByEither);
  EXPECT_TRUE(a.rule(1, 2).suppressions.empty());
}

TEST(ThresholdConfigApply, SuppressWithSidZero) {
  Applied all = Apply("suppress gen_id 0, sig_id 0, track by_src, ip 10.0.0.1\n");
  for (const Rule& r : all.set.rules) EXPECT_EQ(r.suppressions.size(), 1u) << r.sid;
  EXPECT_TRUE(all.diags.empty());
  Applied gid7 = Apply("suppress gen_id 7, sig_id 0\n");
  EXPECT_EQ(gid7.rule(7, 1).suppressions.size(), 1u);
  EXPECT_TRUE(gid7.rule(1, 1).suppressions.empty());
  // Suppressing whole rules by gid says how many.
  ASSERT_EQ(gid7.diags.size(), 1u);
  EXPECT_EQ(gid7.diags[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(gid7.diags[0].message, "suppress gen_id 7 (sig_id 0) without track/ip: 1 rule will never alert");
}

TEST(ThresholdConfigApply, UnknownSidWarns) {
  Applied a = Apply("suppress gen_id 1, sig_id 424242\n"
                    "threshold gen_id 2, sig_id 1, type limit, track by_src, count 1, seconds 1\n"
                    "event_filter gen_id 9, sig_id 0, type limit, track by_src, count 1, seconds 1\n");
  ASSERT_EQ(a.diags.size(), 3u);
  EXPECT_EQ(a.diags[0].ToString(),
            "threshold.config:1:1: warning: suppress: no loaded rule has gen_id 1, sig_id 424242; entry ignored");
  EXPECT_EQ(a.diags[1].message, "threshold: no loaded rule has gen_id 2, sig_id 1; entry ignored");
  EXPECT_EQ(a.diags[2].message, "event_filter: no loaded rule has gen_id 9 (sig_id 0); entry ignored");
}

TEST(ThresholdConfigApply, SingleRuleThresholdReplacesTheRules) {
  Applied a = Apply("threshold gen_id 1, sig_id 1, type limit, track by_src, count 1, seconds 10\n"
                    "event_filter gen_id 1, sig_id 2, type both, track by_rule, count 3, seconds 30\n"
                    "threshold gen_id 1, sig_id 3, type threshold, track by_dst, count 4, seconds 40\n"
                    "threshold gen_id 1, sig_id 4, type limit, track by_dst, count 6, seconds 60\n");
  EXPECT_TRUE(a.diags.empty());
  ASSERT_TRUE(a.rule(1, 1).threshold);
  EXPECT_EQ(a.rule(1, 1).threshold->count, 1u);
  // Replaces the rule's own threshold.
  ASSERT_TRUE(a.rule(1, 2).threshold);
  EXPECT_EQ(a.rule(1, 2).threshold->type, Type::kBoth);
  EXPECT_EQ(a.rule(1, 2).threshold->track, Track::kByRule);
  EXPECT_EQ(a.rule(1, 2).threshold->count, 3u);
  // A rule with only a detection_filter: the entry replaces it.
  EXPECT_FALSE(a.rule(1, 3).detection_filter);
  ASSERT_TRUE(a.rule(1, 3).threshold);
  EXPECT_EQ(a.rule(1, 3).threshold->type, Type::kThreshold);
  // Both: the threshold is replaced, the detection_filter stays.
  ASSERT_TRUE(a.rule(1, 4).threshold);
  EXPECT_EQ(a.rule(1, 4).threshold->count, 6u);
  ASSERT_TRUE(a.rule(1, 4).detection_filter);
  EXPECT_EQ(a.rule(1, 4).detection_filter->count, 5u);
}

TEST(ThresholdConfigApply, LaterSingleRuleEntryWins) {
  Applied a = Apply("threshold gen_id 1, sig_id 1, type limit, track by_src, count 1, seconds 10\n"
                    "threshold gen_id 1, sig_id 1, type limit, track by_src, count 2, seconds 10\n");
  ASSERT_TRUE(a.rule(1, 1).threshold);
  EXPECT_EQ(a.rule(1, 1).threshold->count, 2u);
  ASSERT_EQ(a.diags.size(), 1u);
  EXPECT_EQ(a.diags[0].message, "threshold for gen_id 1, sig_id 1 replaces the entry at threshold.config:1");
  EXPECT_EQ(a.diags[0].location.line, 2);
}

TEST(ThresholdConfigApply, SidZeroThresholdOnlyForRulesWithoutTheirOwn) {
  Applied a = Apply("threshold gen_id 1, sig_id 1, type limit, track by_src, count 7, seconds 10\n"
                    "threshold gen_id 0, sig_id 0, type limit, track by_dst, count 1, seconds 60\n"
                    "threshold gen_id 7, sig_id 0, type both, track by_dst, count 9, seconds 60\n");
  // The single-rule entry wins over the global one, whatever the order.
  EXPECT_EQ(a.rule(1, 1).threshold->count, 7u);
  // Own settings are kept.
  EXPECT_EQ(a.rule(1, 2).threshold->count, 9u);
  EXPECT_FALSE(a.rule(1, 3).threshold);
  EXPECT_TRUE(a.rule(1, 3).detection_filter);
  EXPECT_EQ(a.rule(1, 4).threshold->type, Type::kBoth);
  // The first sid 0 entry that covers a rule wins.
  ASSERT_TRUE(a.rule(7, 1).threshold);
  EXPECT_EQ(a.rule(7, 1).threshold->type, Type::kLimit);
  EXPECT_EQ(a.rule(7, 1).threshold->count, 1u);
  // A note on the rules kept; a warning for the gid 7 entry that applied nowhere.
  ASSERT_EQ(a.diags.size(), 2u);
  EXPECT_EQ(a.diags[0].severity, Diagnostic::Severity::kNote);
  EXPECT_EQ(a.diags[0].location.line, 2);
  EXPECT_EQ(a.diags[0].message.substr(0, 30), "4 rules of gen_id 0, sig_id 0 ");
  EXPECT_EQ(a.diags[1].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(a.diags[1].location.line, 3);
}

TEST(ThresholdConfigApply, RateFilterIsIgnoredWithAWarning) {
  Applied a = Apply("rate_filter gen_id 1, sig_id 1, track by_rule, count 100, seconds 60, new_action alert, "
                    "timeout 30\n");
  ASSERT_EQ(a.diags.size(), 1u);
  EXPECT_EQ(a.diags[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(a.diags[0].message, "rate_filter is not supported by kagami; entry ignored");
  EXPECT_FALSE(a.rule(1, 1).threshold);
}

// --- Indicator alerts (gen_id 9000) ---

constexpr uint32_t kSidA = 1'938'086'674;  // domain:example.com
constexpr uint32_t kSidB = 1'000'000'001;

struct IndicatorApplied {
  Applied a;
  IndicatorTuning tuning;
};

IndicatorApplied ApplyIndicators(std::string_view config) {
  IndicatorApplied r;
  r.a.set = Parse(kRules);
  ThresholdConfig c = Config(config);
  for (const Diagnostic& d : c.diagnostics) ADD_FAILURE() << d.ToString();
  ApplyThresholdConfig(r.a.set, c, &r.a.diags, &r.tuning);
  return r;
}

TEST(ThresholdConfigIndicators, Gid9000EntriesParseAndGoToIndicatorsWithoutRuleWarnings) {
  IndicatorApplied r = ApplyIndicators(
      "suppress gen_id 9000, sig_id 1938086674\n"
      "suppress gen_id 9000, sig_id 1000000001, track by_src, ip 10.0.0.0/8\n"
      "threshold gen_id 9000, sig_id 1000000001, type limit, track by_dst, count 1, seconds 60\n"
      "suppress gen_id 9000, sig_id 0, track by_either, ip 192.0.2.1\n");
  EXPECT_TRUE(r.a.diags.empty()) << r.a.diags[0].ToString();
  // Rules are untouched.
  for (const Rule& rule : r.a.set.rules) EXPECT_TRUE(rule.suppressions.empty()) << rule.sid;
  ASSERT_EQ(r.tuning.sids.size(), 2u);
  EXPECT_EQ(r.tuning.sids[0].sid, kSidB);  // sorted
  const IndicatorTuning::Sid* a = r.tuning.Find(kSidA);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->suppressions.size(), 1u);
  EXPECT_EQ(a->suppressions[0].track, STrack::kAll);
  EXPECT_EQ(r.tuning.ThresholdFor(a), nullptr);
  const IndicatorTuning::Sid* b = r.tuning.Find(kSidB);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->suppressions.size(), 1u);
  EXPECT_TRUE(b->suppressions[0].addresses.Contains(Ip("10.1.2.3")));
  ASSERT_NE(r.tuning.ThresholdFor(b), nullptr);
  EXPECT_EQ(r.tuning.ThresholdFor(b)->track, Track::kByDst);
  EXPECT_EQ(r.tuning.ThresholdFor(b)->count, 1u);
  ASSERT_EQ(r.tuning.all_suppressions.size(), 1u);
  EXPECT_EQ(r.tuning.all_suppressions[0].track, STrack::kByEither);
  EXPECT_EQ(r.tuning.Find(1'500'000'000), nullptr);
  EXPECT_FALSE(r.tuning.empty());
}

TEST(ThresholdConfigIndicators, SidZeroThresholdsFirstOneWinsAndGenIdZeroCounts) {
  // gen_id 0, sig_id 0 reaches every signature: rules and indicators.
  IndicatorApplied r = ApplyIndicators(
      "threshold gen_id 0, sig_id 0, type limit, track by_src, count 3, seconds 30\n"
      "event_filter gen_id 9000, sig_id 0, type both, track by_rule, count 5, seconds 50\n"
      "threshold gen_id 9000, sig_id 1000000001, type threshold, track by_flow, count 2, seconds 20\n");
  ASSERT_TRUE(r.tuning.all_threshold);
  EXPECT_EQ(r.tuning.all_threshold->count, 3u);
  EXPECT_EQ(r.tuning.all_threshold->track, Track::kBySrc);
  // A sid's own entry comes first, whatever the order.
  EXPECT_EQ(r.tuning.ThresholdFor(r.tuning.Find(kSidB))->track, Track::kByFlow);
  EXPECT_EQ(r.tuning.ThresholdFor(r.tuning.Find(kSidA))->count, 3u);
  EXPECT_EQ(r.a.rule(1, 1).threshold->count, 3u);
  // The gen_id 9000 sig_id 0 entry reaches nothing: said so.
  std::vector<std::string> warnings;
  for (const Diagnostic& d : r.a.diags) {
    if (d.severity == Diagnostic::Severity::kWarning) warnings.push_back(d.message);
  }
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "event_filter for gen_id 9000 (sig_id 0) applies to no indicator: an earlier sig_id 0 "
                         "entry already covers them");
}

TEST(ThresholdConfigIndicators, WarningsOnlyForSidsNoIndicatorHas) {
  IndicatorApplied r = ApplyIndicators(
      "suppress gen_id 9000, sig_id 5\n"
      "suppress gen_id 9000, sig_id 1938086674\n"
      "threshold gen_id 9000, sig_id 1000000001, type limit, track by_src, count 1, seconds 1\n"
      "threshold gen_id 9000, sig_id 1000000001, type limit, track by_src, count 2, seconds 1\n"
      "suppress gen_id 9000, sig_id 0\n");
  ASSERT_EQ(r.a.diags.size(), 3u);
  // No indicator can have sid 5; nothing about the in-range sids yet.
  EXPECT_EQ(r.a.diags[0].ToString(),
            "threshold.config:1:1: warning: suppress: no loaded rule has gen_id 9000, sig_id 5, and no indicator "
            "can (indicator sids are 1000000000 to 1999999999); entry ignored");
  EXPECT_EQ(r.a.diags[1].message,
            "threshold for gen_id 9000, sig_id 1000000001 replaces the entry at threshold.config:3");
  EXPECT_EQ(r.a.diags[2].message, "suppress gen_id 9000 (sig_id 0) without track/ip: no indicator will alert");
  EXPECT_EQ(r.tuning.ThresholdFor(r.tuning.Find(kSidB))->count, 2u);
  EXPECT_EQ(r.tuning.Find(5), nullptr);

  // Once the feeds are loaded: a warning per entry whose sid no indicator has.
  std::vector<Diagnostic> diags;
  CheckIndicatorSids(r.tuning, [](uint32_t sid) { return sid == kSidA; }, &diags);
  ASSERT_EQ(diags.size(), 2u);
  EXPECT_EQ(diags[0].ToString(), "threshold.config:3:1: warning: threshold: no loaded rule or indicator has gen_id "
                                 "9000, sig_id 1000000001; entry ignored");
  EXPECT_EQ(diags[1].location.line, 4);
  diags.clear();
  CheckIndicatorSids(r.tuning, [](uint32_t) { return true; }, &diags);
  EXPECT_TRUE(diags.empty());
}

TEST(ThresholdConfigIndicators, RuleWithGid9000AndIndicatorShareAnEntry) {
  Applied a;
  a.set = Parse("alert tcp any any -> any any (msg:\"local\"; gid:9000; sid:1000000001;)\n");
  ThresholdConfig c = Config("suppress gen_id 9000, sig_id 1000000001\n");
  IndicatorTuning tuning;
  ApplyThresholdConfig(a.set, c, &a.diags, &tuning);
  EXPECT_TRUE(a.diags.empty());
  EXPECT_EQ(a.rule(9000, 1000000001).suppressions.size(), 1u);
  ASSERT_NE(tuning.Find(kSidB), nullptr);
  // A rule has it: never "no loaded rule or indicator".
  std::vector<Diagnostic> diags;
  CheckIndicatorSids(tuning, [](uint32_t) { return false; }, &diags);
  EXPECT_TRUE(diags.empty());
}

TEST(ThresholdConfigIndicators, SuppressEverySignatureNamesIndicatorsToo) {
  IndicatorApplied r = ApplyIndicators("suppress gen_id 0, sig_id 0\n");
  ASSERT_EQ(r.a.diags.size(), 1u);
  EXPECT_EQ(r.a.diags[0].message, "suppress gen_id 0, sig_id 0 without track/ip: 5 rules will never alert, nor will "
                                  "any indicator");
  EXPECT_EQ(r.tuning.all_suppressions.size(), 1u);
  // Without rules, gen_id 0 entries still reach indicators: no "no loaded rule" warning.
  Applied none;
  ThresholdConfig c = Config("threshold gen_id 0, sig_id 0, type limit, track by_src, count 1, seconds 1\n");
  IndicatorTuning tuning;
  ApplyThresholdConfig(none.set, c, &none.diags, &tuning);
  EXPECT_TRUE(none.diags.empty());
  EXPECT_TRUE(tuning.all_threshold);
  // Nothing for indicators: empty.
  EXPECT_TRUE(ApplyIndicators("suppress gen_id 1, sig_id 1\n").tuning.empty());
}

}  // namespace
}  // namespace kagami::rules::testing
