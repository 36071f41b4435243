#include "engine/output/sinks/output_spec.h"

#include "engine/output/sinks/transport_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kagami::output {
namespace {

using ::testing::HasSubstr;

OutputSpec Parse(const std::string& url) {
  absl::StatusOr<OutputSpec> spec = ParseOutputUrl(url);
  EXPECT_TRUE(spec.ok()) << url << ": " << spec.status();
  return spec.ok() ? *spec : OutputSpec{};
}

std::string ErrorOf(const std::string& url) {
  absl::StatusOr<OutputSpec> spec = ParseOutputUrl(url);
  if (!spec.ok()) return std::string(spec.status().message());
  absl::StatusOr<std::unique_ptr<Transport>> t = MakeTransport(*spec);
  return t.ok() ? "" : std::string(t.status().message());
}

TEST(OutputSpecTest, PathForms) {
  OutputSpec f = Parse("file:/var/log/kagami/eve.json?rotate=100mb&types=alert,dns");
  EXPECT_EQ(f.scheme, "file");
  EXPECT_EQ(f.path, "/var/log/kagami/eve.json");
  EXPECT_TRUE(f.types_given);
  EXPECT_EQ(f.types, kEventAlert | kEventDns);
  ASSERT_EQ(f.params.size(), 2u);
  EXPECT_EQ(f.params[0].key, "rotate");
  EXPECT_FALSE(f.params[0].used);  // the transport's
  EXPECT_TRUE(f.params[1].used);   // every output's
  EXPECT_EQ(Parse("file:relative/eve.json").path, "relative/eve.json");
  EXPECT_EQ(Parse("file:a%3Fb%25c.json").path, "a?b%c.json");
  EXPECT_EQ(Parse("unix-dgram:/run/x.sock").path, "/run/x.sock");
  EXPECT_EQ(Parse("syslog:").path, "");
  OutputSpec out = Parse("-?types=stats");
  EXPECT_EQ(out.scheme, "stdout");
  EXPECT_EQ(out.types, kEventStats);
  EXPECT_EQ(Parse("-").scheme, "stdout");
}

TEST(OutputSpecTest, AuthorityForms) {
  OutputSpec r = Parse("redis://user:p%40ss@10.1.2.3:6380/2?mode=stream&key=eve&maxlen=1000");
  EXPECT_EQ(r.scheme, "redis");
  EXPECT_EQ(r.user, "user");
  EXPECT_EQ(r.password, "p@ss");
  EXPECT_TRUE(r.has_password);
  EXPECT_EQ(r.host, "10.1.2.3");
  EXPECT_EQ(r.port, 6380);
  EXPECT_EQ(r.url_path, "/2");
  OutputSpec v6 = Parse("syslog+tcp://[::1]:6514");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 6514);
  OutputSpec u = Parse("redis+unix://:secret@/run/redis/redis.sock?db=3");
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.url_path, "/run/redis/redis.sock");
  EXPECT_EQ(Parse("redis://localhost").port, 0);
}

TEST(OutputSpecTest, CommonSettings) {
  OutputSpec s = Parse("redis://h?queue=1mb&spool=/var/spool/k&spool_max=2gb&reconnect_max=250ms&name=soc-1");
  EXPECT_EQ(s.queue_max, uint64_t{1} << 20);
  EXPECT_EQ(s.spool_dir, "/var/spool/k");
  EXPECT_EQ(s.spool_max, uint64_t{2} << 30);
  EXPECT_EQ(s.reconnect_max, std::chrono::milliseconds(250));
  EXPECT_EQ(s.name, "soc-1");
  EXPECT_TRUE(s.name_given);
  std::chrono::milliseconds d{};
  EXPECT_TRUE(ParseDuration("2s", &d));
  EXPECT_EQ(d.count(), 2000);
  EXPECT_TRUE(ParseDuration("1m", &d));
  EXPECT_EQ(d.count(), 60000);
  EXPECT_TRUE(ParseDuration("15", &d));
  EXPECT_EQ(d.count(), 15000);
  EXPECT_FALSE(ParseDuration("fast", &d));
  EXPECT_FALSE(ParseDuration("-1s", &d));
}

TEST(OutputSpecTest, ErrorsNameTheColumn) {
  EXPECT_EQ(ErrorOf("eve.json"), "output 'eve.json': column 4: expected SCHEME: (file:, unix-stream:, syslog:, "
                                 "redis://, ...) or -");
  EXPECT_EQ(ErrorOf("redis://h:99999"), "output 'redis://h:99999': column 11: port: expected 1 to 65535, got '99999'");
  EXPECT_EQ(ErrorOf("file:x?types=alert,nope"),
            "output 'file:x?types=alert,nope': column 8: types: unknown event type 'nope' (expected alert, http, "
            "dns, tls, stats, flow, anomaly, fileinfo)");
  EXPECT_EQ(ErrorOf("file:x?rotate"), "output 'file:x?rotate': column 8: expected KEY=VALUE, got 'rotate'");
  EXPECT_EQ(ErrorOf("file:x?queue=1mb&queue=2mb"), "output 'file:x?queue=1mb&queue=2mb': column 18: 'queue' given twice");
  EXPECT_EQ(ErrorOf("file:a%zz"), "output 'file:a%zz': column 7: broken %-escape");
  EXPECT_EQ(ErrorOf("syslog+tcp://[::1:514"), "output 'syslog+tcp://[::1:514': column 14: IPv6 address without its closing ']'");
  EXPECT_THAT(ErrorOf("ftp://h/x"), HasSubstr("unknown scheme 'ftp' (known: stdout, file, unix-dgram"));
  EXPECT_EQ(ErrorOf("redis://h?mode=queue"),
            "output 'redis://h?mode=queue': column 11: mode: expected list (lpush), rpush, channel (publish) or "
            "stream (xadd)");
  EXPECT_EQ(ErrorOf("redis://h?maxlen=5"), "output 'redis://h?maxlen=5': column 11: maxlen: only for mode=stream");
  EXPECT_THAT(ErrorOf("file:x?colour=red"), HasSubstr("column 8: unknown parameter 'colour' for file (it takes rotate, keep, name"));
  EXPECT_EQ(ErrorOf("syslog+udp://host"), "output 'syslog+udp://host': expected syslog+udp://HOST:PORT");
  EXPECT_EQ(ErrorOf("syslog:?facility=local9"),
            "output 'syslog:?facility=local9': column 9: facility: expected kern, user, daemon, auth, ..., local0 "
            "to local7");
  EXPECT_EQ(ErrorOf("redis://h/db1"), "output 'redis://h/db1': the path is the database number, got '/db1'");
  EXPECT_EQ(ErrorOf("redis+unix://host/x"), "output 'redis+unix://host/x': expected redis+unix:///PATH");
  EXPECT_EQ(ErrorOf("file:"), "output 'file:': file: needs a path");
  EXPECT_EQ(ErrorOf("file:x?name=a.b"), "output 'file:x?name=a.b': column 8: name: letters, digits, '-' and '_' only (it names counters)");
  EXPECT_EQ(ErrorOf(""), "output '': empty; expected a URL such as file:eve.json");
}

}  // namespace
}  // namespace kagami::output
