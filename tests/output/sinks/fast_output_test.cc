// The `fast:` output: through an OutputSet to a file as `kagami` runs it,
// its URL rules, and how it reports what the file took in bytes of the EVE
// records it was given.
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/output/sinks/fast_transport.h"
#include "engine/output/sinks/output_set.h"
#include "engine/output/sinks/transport_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/output/sinks/records.h"
#include "tests/support/peers.h"

namespace kagami::output {
namespace {

using kagami::testing::ScratchDir;
using kagami::testing::WaitFor;
using ::testing::HasSubstr;

constexpr auto kPatience = std::chrono::seconds(20);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Alert number `i`: its sid is 1000 + i, so the lines show their order.
std::string Alert(int i) {
  return "{\"timestamp\":\"2026-12-07T10:00:00.000000+0000\",\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\","
         "\"src_port\":1234,\"dest_ip\":\"10.0.0.2\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"action\":"
         "\"allowed\",\"gid\":1,\"signature_id\":" +
         std::to_string(1000 + i) +
         ",\"rev\":1,\"signature\":\"n\",\"category\":\"c\",\"severity\":2}}\n";
}

std::string Line(int i) {
  return "12/07/2026-10:00:00.000000  [**] [1:" + std::to_string(1000 + i) +
         ":1] n [**] [Classification: c] [Priority: 2] {TCP} 10.0.0.1:1234 -> 10.0.0.2:80\n";
}

class FastOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
    setenv("TZ", "UTC0", 1);
    tzset();
  }
  void TearDown() override {
    if (saved_tz_.empty()) {
      unsetenv("TZ");
    } else {
      setenv("TZ", saved_tz_.c_str(), 1);
    }
    tzset();
  }
  std::string saved_tz_;
};

std::string ErrorOf(const std::string& url) {
  absl::StatusOr<OutputSpec> spec = ParseOutputUrl(url);
  if (!spec.ok()) return std::string(spec.status().message());
  absl::StatusOr<std::unique_ptr<Transport>> t = MakeTransport(*spec);
  return t.ok() ? "" : std::string(t.status().message());
}

TEST_F(FastOutputTest, EveryAlertIsOneLineInOrder) {
  ScratchDir dir;
  OutputSet set;
  // The default types of the run include dns: fast takes alerts anyway.
  ASSERT_TRUE(set.Add("fast:" + (dir / "fast.log"), kEventAlert | kEventDns).ok());
  EXPECT_EQ(set.types(), kEventAlert);
  std::string want;
  for (int i = 0; i < 500; ++i) {
    set.Write(Alert(i));
    if (i % 7 == 0) set.Write(testing::Record(i, "dns"));  // not an alert: not for this output
    want += Line(i);
  }
  set.Stop(std::chrono::seconds(5));
  EXPECT_EQ(ReadFile(dir / "fast.log"), want);
  const OutputSet::Status s = set.Snapshot().at(0);
  EXPECT_EQ(s.counters.sent, 500u);
  EXPECT_EQ(s.counters.dropped, 0u);
  EXPECT_EQ(s.description, "fast file " + (dir / "fast.log"));
}

// Rotation and reopening are the file output's: sizes count fast lines.
TEST_F(FastOutputTest, RotatesAndReopensAsAFile) {
  ScratchDir dir;
  const size_t size = Line(0).size();
  OutputSet set;
  ASSERT_TRUE(set.Add("fast:" + (dir / "fast.log") + "?rotate=" + std::to_string(size * 10) + "&keep=1",
                      kEventAlert)
                  .ok());
  for (int i = 0; i < 15; ++i) set.Write(Alert(i));
  ASSERT_TRUE(WaitFor([&] { return set.Snapshot().at(0).counters.sent == 15; }, kPatience));
  std::filesystem::rename(dir / "fast.log", dir / "fast.log.moved");  // logrotate
  ASSERT_TRUE(set.Reopen().ok());
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(dir / "fast.log"); }, kPatience));
  set.Write(Alert(15));
  set.Stop(std::chrono::seconds(5));
  std::string first, second;
  for (int i = 0; i < 10; ++i) first += Line(i);
  for (int i = 10; i < 15; ++i) second += Line(i);
  EXPECT_EQ(ReadFile(dir / "fast.log.1"), first);
  EXPECT_EQ(ReadFile(dir / "fast.log.moved"), second);
  EXPECT_EQ(ReadFile(dir / "fast.log"), Line(15));
}

TEST_F(FastOutputTest, UrlRules) {
  EXPECT_EQ(ErrorOf("fast:x.log?types=alert"), "");
  EXPECT_EQ(ErrorOf("fast:-"), "");
  EXPECT_EQ(ErrorOf("fast:x.log?types=alert,dns"),
            "output 'fast:x.log?types=alert,dns': column 12: types: fast writes alerts only, got 'alert,dns'");
  EXPECT_EQ(ErrorOf("fast:-?rotate=1mb"), "output 'fast:-?rotate=1mb': column 8: rotate: standard output cannot be "
                                          "rotated");
  EXPECT_THAT(ErrorOf("fast:"), HasSubstr("fast: needs a path, or - for standard output"));
  EXPECT_THAT(ErrorOf("fast:x.log?mode=list"), HasSubstr("column 12: unknown parameter 'mode' for fast (it takes "
                                                         "rotate, keep, name"));
  EXPECT_THAT(ErrorOf("fast:x.log?rotate=big"), HasSubstr("column 12: rotate: expected a size"));
  EXPECT_THAT(OutputSchemesHelp(), HasSubstr("fast:PATH or fast:- (Suricata fast.log lines, alerts only)"));
  OutputSpec spec = *ParseOutputUrl("fast:-");
  spec.types = kAllEventTypes;  // what OutputSet gives a URL without ?types=
  absl::StatusOr<std::unique_ptr<Transport>> t = MakeTransport(spec);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(spec.types, kEventAlert);
  EXPECT_EQ((*t)->Describe(), "fast stdout");
  EXPECT_TRUE(MustConnectAtStart(spec));
  OutputSet set;  // a file output: one that cannot be opened fails at start
  EXPECT_THAT(std::string(set.Add("fast:/nonexistent-dir/fast.log", kEventAlert).message()),
              HasSubstr("cannot open /nonexistent-dir/fast.log: No such file or directory"));
}

// A file that takes only some lines: the records reported taken are the
// ones whose lines it took, counted in the records' bytes; a record with no
// line goes with those before it and is counted as refused.
class Partial final : public Transport {
 public:
  explicit Partial(size_t lines) : lines_(lines) {}
  std::string Describe() const override { return "partial"; }
  absl::Status Connect() override { return absl::OkStatus(); }
  DeliverResult Deliver(std::string_view text) override {
    got += text;
    DeliverResult r;
    for (size_t n = 0; n < lines_ && r.bytes < text.size(); ++n) r.bytes = text.find('\n', r.bytes) + 1;
    if (r.bytes < text.size()) r.status = absl::UnavailableError("disk full");
    return r;
  }
  void Disconnect() override {}
  std::string got;

 private:
  size_t lines_;
};

TEST_F(FastOutputTest, ReportsRecordBytesNotLineBytes) {
  const std::string broken = "{\"event_type\":\"alert\",\"alert\":{}}\n";
  const std::string batch = Alert(0) + broken + Alert(1) + Alert(2) + broken;
  auto partial = std::make_unique<Partial>(2);
  Partial* file = partial.get();
  FastTransport fast(std::move(partial));
  DeliverResult r = fast.Deliver(batch);
  EXPECT_EQ(file->got, Line(0) + Line(1) + Line(2));
  EXPECT_EQ(r.bytes, Alert(0).size() + broken.size() + Alert(1).size());
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_FALSE(r.status.ok());
  // The rest again: this time all of it.
  auto all = std::make_unique<Partial>(100);
  FastTransport again(std::move(all));
  r = again.Deliver(std::string_view(batch).substr(r.bytes));
  EXPECT_EQ(r.bytes, Alert(2).size() + broken.size());
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_TRUE(r.status.ok());
  // Nothing with a line: all taken, all refused, the file not bothered.
  auto none = std::make_unique<Partial>(0);
  Partial* untouched = none.get();
  FastTransport refuse(std::move(none));
  r = refuse.Deliver(broken + broken);
  EXPECT_EQ(r.bytes, 2 * broken.size());
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(untouched->got, "");
}

}  // namespace
}  // namespace kagami::output
