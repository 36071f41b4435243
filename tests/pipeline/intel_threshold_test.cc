// threshold.config entries for indicator alerts (gen_id 9000): the decision
// per alert (suppressions, then the threshold, or left to the writer when
// it counts across flows), the tuning carried by the engine, and the real
// Scanner and ParallelScan applying it: suppressed alerts neither written
// nor counted, the same EVE for any number of workers, a reload bringing
// the new entries.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/detect/threshold.h"
#include "engine/intel/intel_builder.h"
#include "engine/intel/intel_store.h"
#include "engine/pipeline/parallel_scan.h"
#include "engine/pipeline/ruleset.h"
#include "rules/feeds/csv_reader.h"
#include "rules/threshold_config.h"
#include "tests/pipeline/app_test_util.h"
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::pipeline {
namespace {

using traffic::Bytes;
using traffic::Harness;
using traffic::TcpSession;
using namespace kagami::apptest;  // NOLINT: builders only

constexpr char kFeed[] =
    "type,value\n"
    "ip,198.51.100.7\n"
    "domain,evil-example.com\n"
    "ip,203.0.113.9\n";

std::shared_ptr<const intel::IntelStore> Store() {
  intel::IntelStoreBuilder builder;
  builder.BeginFeed("test.csv", feeds::FeedOptions());
  feeds::FeedReport report;
  EXPECT_TRUE(feeds::ReadCsvString(kFeed, "test.csv", feeds::FeedOptions(), &builder, &report));
  for (const auto& d : report.diagnostics) ADD_FAILURE() << d.ToString();
  return builder.Build();
}

// The sid the store gave the indicator with this printed value.
uint32_t SidOf(const intel::IntelStore& store, std::string_view value) {
  for (uint32_t i = 0; i < store.size(); ++i) {
    if (store.view(i).value == value) return store.view(i).sid;
  }
  ADD_FAILURE() << "no indicator " << value;
  return 0;
}

std::shared_ptr<const rules::IndicatorTuning> Tuning(const std::string& text) {
  rules::ThresholdConfig config = rules::ParseThresholdConfig(text, "threshold.config");
  for (const auto& d : config.diagnostics) ADD_FAILURE() << d.ToString();
  rules::RuleSet none;
  auto tuning = std::make_shared<rules::IndicatorTuning>();
  std::vector<rules::Diagnostic> diags;
  rules::ApplyThresholdConfig(none, config, &diags, tuning.get());
  for (const auto& d : diags) ADD_FAILURE() << d.ToString();
  return tuning;
}

// An engine without rules that carries `threshold_text`'s indicator entries.
std::shared_ptr<const detect::DetectEngine> EngineWith(const std::string& threshold_text) {
  rules::RuleSet set;
  set.indicator_tuning = Tuning(threshold_text);
  std::vector<rules::Diagnostic> diags;
  auto engine = detect::DetectEngine::Compile(std::move(set), detect::DetectOptions{}, &diags);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *engine : nullptr;
}

decode::Packet PacketFrom(const char* src, const char* dst, uint16_t sport = 1000, uint16_t dport = 80) {
  decode::Packet p;
  p.ip_version = 4;
  p.src = *IpAddress::Parse(src);
  p.dst = *IpAddress::Parse(dst);
  p.src_port = sport;
  p.dst_port = dport;
  p.ip_proto = 6;
  return p;
}

// ---- The decision ----

TEST(IndicatorThresholdTest, SuppressionsThenThresholdAsRulesGetThem) {
  constexpr uint32_t kA = 1'000'000'001, kB = 1'000'000'002, kC = 1'000'000'003;
  auto tuning = Tuning("suppress gen_id 9000, sig_id 1000000001\n"
                       "suppress gen_id 9000, sig_id 1000000002, track by_dst, ip 192.0.2.0/24\n"
                       "suppress gen_id 0, sig_id 0, track by_src, ip 10.9.9.9\n"
                       "threshold gen_id 9000, sig_id 1000000002, type limit, track by_src, count 1, seconds 60\n"
                       "event_filter gen_id 9000, sig_id 0, type threshold, track by_flow, count 2, seconds 60\n");
  detect::ThresholdTracker tracker;
  const rules::ThresholdOption* deferred = nullptr;
  auto decide = [&](uint32_t sid, const decode::Packet& p, int64_t ts, bool defer = false) {
    deferred = nullptr;
    return detect::DecideIndicatorAlert(tracker, *tuning, sid, p, ts, defer, &deferred);
  };
  using V = detect::IndicatorVerdict;
  const int64_t t = int64_t{1'700'000'000} * 1'000'000'000;
  // Suppressed whole, whoever sends it.
  EXPECT_EQ(decide(kA, PacketFrom("10.0.0.1", "198.51.100.1"), t), V::kDrop);
  // By destination; suppressed matches do not count toward the limit.
  EXPECT_EQ(decide(kB, PacketFrom("10.0.0.1", "192.0.2.5"), t), V::kDrop);
  EXPECT_EQ(decide(kB, PacketFrom("10.0.0.1", "198.51.100.1"), t), V::kLog);
  EXPECT_EQ(decide(kB, PacketFrom("10.0.0.1", "198.51.100.2"), t + 1), V::kDrop);  // limit 1 by_src
  EXPECT_EQ(decide(kB, PacketFrom("10.0.0.2", "198.51.100.2"), t + 2), V::kLog);
  EXPECT_EQ(decide(kB, PacketFrom("10.0.0.1", "198.51.100.1"), t + 61'000'000'000), V::kLog);  // a new window
  // gen_id 0, sig_id 0 reaches indicators.
  EXPECT_EQ(decide(kC, PacketFrom("10.9.9.9", "198.51.100.1"), t), V::kDrop);
  // The sig_id 0 event_filter (by_flow, every 2nd) for a sid without its own.
  EXPECT_EQ(decide(kC, PacketFrom("10.0.0.1", "198.51.100.1"), t), V::kDrop);
  EXPECT_EQ(decide(kC, PacketFrom("10.0.0.1", "198.51.100.1"), t + 1), V::kLog);
  // With several workers: by_flow is still decided here, by_src is left to
  // the writer (suppressions are not).
  EXPECT_EQ(decide(kC, PacketFrom("10.0.0.1", "198.51.100.1"), t + 2, true), V::kDrop);
  EXPECT_EQ(deferred, nullptr);
  EXPECT_EQ(decide(kB, PacketFrom("10.0.0.3", "198.51.100.1"), t, true), V::kDefer);
  ASSERT_NE(deferred, nullptr);
  EXPECT_EQ(deferred->track, rules::ThresholdOption::Track::kBySrc);
  EXPECT_EQ(decide(kB, PacketFrom("10.0.0.3", "192.0.2.1"), t, true), V::kDrop);
  // A sid nobody named and no sig_id 0 threshold: logged.
  auto only_suppress = Tuning("suppress gen_id 9000, sig_id 1000000001\n");
  EXPECT_EQ(detect::DecideIndicatorAlert(tracker, *only_suppress, kC, PacketFrom("10.0.0.1", "198.51.100.1"), t,
                                         false, &deferred),
            V::kLog);
}

TEST(IndicatorThresholdTest, TuningTravelsWithTheEngine) {
  auto plain = traffic::CompileRules("alert udp any any -> any 53 (msg:\"x\"; sid:1;)");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->indicator_tuning(), nullptr);
  auto carried = EngineWith("suppress gen_id 9000, sig_id 1000000001\n");
  ASSERT_NE(carried, nullptr);
  ASSERT_NE(carried->indicator_tuning(), nullptr);
  EXPECT_FALSE(carried->indicator_tuning()->empty());
}

TEST(IndicatorThresholdTest, EntriesForSidsNoLoadedIndicatorHasAreWarnings) {
  auto store = Store();
  rules::ThresholdConfig config = rules::ParseThresholdConfig(
      "suppress gen_id 9000, sig_id " + std::to_string(SidOf(*store, "203.0.113.9")) + "\n" +
          "threshold gen_id 9000, sig_id 1234567890, type limit, track by_src, count 1, seconds 1\n",
      "threshold.config");
  rules::RuleSet none;
  rules::IndicatorTuning tuning;
  std::vector<rules::Diagnostic> at_load;
  rules::ApplyThresholdConfig(none, config, &at_load, &tuning);
  EXPECT_TRUE(at_load.empty());
  std::vector<rules::Diagnostic> diags = CheckIndicatorSids(tuning, store.get());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].ToString(), "threshold.config:2:1: warning: threshold: no loaded rule or indicator has gen_id "
                                 "9000, sig_id 1234567890; entry ignored");
  EXPECT_EQ(CheckIndicatorSids(tuning, nullptr).size(), 2u);
}

// ---- Through the Scanner ----

std::vector<Bytes>& operator+=(std::vector<Bytes>& a, const std::vector<Bytes>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<Bytes> Flow(const char* client, uint16_t port, const char* server) {
  TcpSession s(client, port, server, 80);
  std::vector<Bytes> f = s.Handshake();
  f += s.Send(true, HttpGet("/"));
  f += s.Send(false, HttpOk("x"));
  f.push_back(s.Fin(true));
  f.push_back(s.Fin(false));
  f.push_back(s.Ack(true));
  return f;
}

Bytes Dns(const char* client, uint16_t port, const char* name) {
  return kagami::testing::EthUdp(client, port, "192.0.2.53", 53, DnsQuery(port, name));
}

// Three clients: 10.1.0.1 reaches the bad address from many ports (flows
// spread over workers), 10.1.0.2 once; both look up the bad name; 10.1.0.3
// reaches the other bad address.
std::vector<Bytes> Traffic() {
  std::vector<Bytes> f;
  for (uint16_t i = 0; i < 6; ++i) f += Flow("10.1.0.1", static_cast<uint16_t>(40000 + 7 * i), "198.51.100.7");
  f += Flow("10.1.0.2", 41000, "198.51.100.7");
  f.push_back(Dns("10.1.0.1", 5301, "www.evil-example.com"));
  f.push_back(Dns("10.1.0.2", 5302, "evil-example.com"));
  f += Flow("10.1.0.3", 42000, "203.0.113.9");
  return f;
}

std::vector<traffic::Record> IntelAlerts(const std::vector<traffic::Record>& all) {
  std::vector<traffic::Record> out;
  for (const traffic::Record& r : all) {
    if (traffic::Field(r.line, "event_type") == "alert" && traffic::Field(r.line, "gid") == "9000") out.push_back(r);
  }
  return out;
}

// The threshold file of the tests: the name suppressed by sid, 10.1.0.3
// suppressed as a source for every indicator, the address limited to one
// alert per source.
std::string TestThresholds(const intel::IntelStore& store) {
  return "suppress gen_id 9000, sig_id " + std::to_string(SidOf(store, "evil-example.com")) + "\n" +
         "suppress gen_id 9000, sig_id 0, track by_src, ip 10.1.0.3\n" +
         "threshold gen_id 9000, sig_id " + std::to_string(SidOf(store, "198.51.100.7")) +
         ", type limit, track by_src, count 1, seconds 3600\n";
}

TEST(IndicatorThresholdTest, ScannerDropsSuppressedAndLimitedAlertsAndDoesNotCountThem) {
  auto store = Store();
  {
    Harness h("");
    h.scanner().set_intel(store);
    h.Feed(Traffic());
    h.Finish();
    EXPECT_EQ(IntelAlerts(h.Records()).size(), 10u);  // 7 flows to .7, 2 names, 1 flow to .9
    EXPECT_EQ(h.alerts(), 10u);
  }
  Harness h("", {}, EngineWith(TestThresholds(*store)));
  h.scanner().set_intel(store);
  h.Feed(Traffic());
  h.Finish();
  const std::vector<traffic::Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].src_ip, "10.1.0.1");
  EXPECT_EQ(alerts[0].src_port, 40000);  // the first of its flows
  EXPECT_EQ(alerts[1].src_ip, "10.1.0.2");
  for (const auto& a : alerts) EXPECT_EQ(a.sid, SidOf(*store, "198.51.100.7"));
  EXPECT_EQ(h.alerts(), 2u);
}

TEST(IndicatorThresholdTest, ReloadBringsTheNewEntries) {
  auto store = Store();
  auto before = traffic::CompileRules("");
  auto after = EngineWith("suppress gen_id 9000, sig_id " + std::to_string(SidOf(*store, "198.51.100.7")) + "\n");
  Harness h("", {}, before);
  RulesetSlot slot;
  slot.Publish(Ruleset{before, store});
  h.scanner().set_ruleset_slot(&slot);
  h.Feed(Flow("10.1.0.1", 40000, "198.51.100.7"));
  slot.Publish(Ruleset{after, store});
  h.Feed(Flow("10.1.0.1", 40001, "198.51.100.7"));
  h.Feed(Flow("10.1.0.1", 40002, "203.0.113.9"));
  h.Finish();
  const std::vector<traffic::Record> alerts = IntelAlerts(h.Records());
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].src_port, 40000);
  EXPECT_EQ(alerts[1].dest_ip, "203.0.113.9");
}

// ---- Several workers ----

struct Frame {
  Bytes bytes;
  int64_t ts_ns;
};

class FrameSource final : public capture::PacketSource {
 public:
  explicit FrameSource(const std::vector<Frame>& frames) : frames_(frames) {}
  absl::StatusOr<bool> Next(capture::PacketView& out) override {
    if (at_ == frames_.size()) return false;
    const Frame& f = frames_[at_++];
    out = capture::PacketView{};
    out.ts_ns = f.ts_ns;
    out.caplen = out.wirelen = static_cast<uint32_t>(f.bytes.size());
    out.index = at_;
    out.offset = at_ * 100;
    out.data = f.bytes.data();
    return true;
  }
  bool stable_views() const override { return true; }
  const std::string& name() const override { return name_; }

 private:
  const std::vector<Frame>& frames_;
  size_t at_ = 0;
  std::string name_ = "frames.pcap";
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Outcome {
  std::string eve;
  uint64_t summary_alerts = 0, counted = 0;
  uint64_t by_workers = 0;  // alerts the workers decided themselves
  std::vector<uint64_t> per_worker;
};

// workers 0: one Scanner alone.
Outcome Scan(const std::shared_ptr<const detect::DetectEngine>& engine,
             const std::shared_ptr<const intel::IntelStore>& store, const std::vector<Frame>& frames,
             uint32_t workers) {
  const std::string path = ::testing::TempDir() + "kagami-intel-thr-" + std::to_string(getpid()) + "-" +
                           std::to_string(workers) + ".json";
  Outcome r;
  {
    output::EveWriter eve;
    EXPECT_TRUE(eve.Open(path).ok());
    output::ScanSummary summary;
    FrameSource source(frames);
    if (workers == 0) {
      Scanner scanner(engine, ScannerOptions{}, &eve, &summary);
      scanner.set_intel(store);
      EXPECT_TRUE(scanner.Run(source, nullptr).ok());
      scanner.Finish();
      r.counted = scanner.alerts();
    } else {
      ParallelOptions p;
      p.workers = workers;
      p.batch_items = 8;
      ParallelScan scan(engine, ScannerOptions{}, p, &eve, &summary);
      scan.set_intel(store);
      EXPECT_TRUE(scan.Run(source, nullptr).ok());
      scan.Finish();
      r.counted = scan.alerts();
      for (const ScanCounters& c : scan.worker_counters()) r.by_workers += c.alerts;
      r.per_worker = scan.packets_per_worker();
    }
    r.summary_alerts = summary.alerts();
  }
  r.eve = Slurp(path);
  std::remove(path.c_str());
  return r;
}

TEST(IndicatorThresholdTest, WorkersGiveTheSameAlertsAsOneScanner) {
  auto store = Store();
  auto engine = EngineWith(TestThresholds(*store));
  std::vector<Frame> frames;
  int64_t ts = int64_t{1'700'000'000} * 1'000'000'000;
  for (Bytes& b : Traffic()) frames.push_back({std::move(b), ts += 1'000'000});
  const Outcome single = Scan(engine, store, frames, 0);
  std::istringstream lines(single.eve);
  std::vector<traffic::Record> alerts = IntelAlerts(traffic::ParseRecords(lines));
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(single.summary_alerts, 2u);
  EXPECT_EQ(single.counted, 2u);
  for (uint32_t n : {1u, 2u, 3u}) {
    SCOPED_TRACE("workers " + std::to_string(n));
    const Outcome par = Scan(engine, store, frames, n);
    EXPECT_EQ(par.eve, single.eve);
    EXPECT_EQ(par.summary_alerts, 2u);
    EXPECT_EQ(par.counted, 2u);
    // The limit counts across flows: the writer decided every alert left,
    // and the source's flows did go to different workers.
    EXPECT_EQ(par.by_workers, 0u);
    for (uint64_t packets : par.per_worker) EXPECT_GT(packets, 0u);
  }
}

}  // namespace
}  // namespace kagami::pipeline
