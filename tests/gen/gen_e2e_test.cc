// End-to-end: the kagami-gen binary ($KAGAMI_GEN) writes captures that the
// kagami binary ($KAGAMI_BINARY) scans with the detection pack: HTTP, DNS
// and TLS events with host names and SNI, alerts for the injected C2 only,
// none on benign traffic; plus the command line's errors, stdout output and
// determinism.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/e2e/kagami_process.h"
#define KAGAMI_TRAFFIC_BUILDERS_ONLY
#include "tests/pipeline/traffic_test_util.h"

namespace kagami::testing {
namespace {

using ::testing::HasSubstr;
using pipeline::traffic::Field;

const std::string kPack = std::string(KAGAMI_SOURCE_DIR) + "/rules/packs/tick/tick-network.rules";

class GenE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "kagami-gen-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  ProcessResult Gen(const std::vector<std::string>& args) { return WaitKagami(StartProgram(KagamiGenBinary(), args, dir_), dir_); }
  // Scans `capture` with the pack; returns the EVE text.
  std::string Scan(const std::string& capture) {
    const std::string eve = dir_ + "/eve.json";
    ProcessResult r = RunKagami({"scan", "-q", "--rules", kPack, "--eve", eve, "--eve-types", "alert,http,dns,tls", capture}, dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ReadFile(eve);
  }
  std::vector<std::string> OfType(const std::string& eve, std::string_view type) {
    std::vector<std::string> out;
    for (const std::string& line : Lines(eve)) {
      if (Field(line, "event_type") == type) out.push_back(line);
    }
    return out;
  }

  std::string dir_;
};

TEST_F(GenE2eTest, ScanSeesHttpDnsTlsAndOnlyTheInjectedAlerts) {
  const std::string capture = dir_ + "/mixed.pcapng";
  ProcessResult g = Gen({"-o", capture, "--seed", "4", "--sessions", "150", "--inject", "datper:2", "--ipv6", "0.2"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_THAT(g.err, HasSubstr("c2/datper        2"));
  EXPECT_THAT(g.err, HasSubstr("pcapng"));
  const std::string eve = Scan(capture);
  const auto http = OfType(eve, "http"), dns = OfType(eve, "dns"), tls = OfType(eve, "tls");
  ASSERT_FALSE(http.empty());
  ASSERT_FALSE(dns.empty());
  ASSERT_FALSE(tls.empty());
  for (const std::string& line : http) EXPECT_THAT(line, HasSubstr("\"hostname\":\"")) << line;
  for (const std::string& line : tls) EXPECT_THAT(line, HasSubstr("\"sni\":\"")) << line;
  EXPECT_THAT(dns.front(), HasSubstr("\"rrname\":\""));
  // The two check-ins alert, on the Datper rule, and nothing else does.
  EXPECT_THAT(AlertSids(eve), ::testing::ElementsAre(4200001, 4200001));
}

TEST_F(GenE2eTest, BenignTrafficRaisesNoAlerts) {
  const std::string capture = dir_ + "/benign.pcap";
  ProcessResult g = Gen({"-o", capture, "--seed", "8", "--size", "6MB", "--random-splits", "--mix", "http=70,dns=15,tls=15"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const std::string eve = Scan(capture);
  EXPECT_FALSE(OfType(eve, "http").empty());
  EXPECT_TRUE(AlertSids(eve).empty()) << eve.substr(0, 2000);
}

TEST_F(GenE2eTest, StdoutOutputIsTheSameAsTheFile) {
  ProcessResult a = Gen({"-o", dir_ + "/file.pcap", "--seed", "3", "--sessions", "30"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string file = ReadFile(dir_ + "/file.pcap");
  ProcessResult b = Gen({"-o", "-", "--seed", "3", "--sessions", "30"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_GT(file.size(), 1000u);
  EXPECT_TRUE(b.out == file) << "stdout differs from the file";
}

TEST_F(GenE2eTest, ListsFamiliesAndRejectsBadValues) {
  ProcessResult list = Gen({"--list-families"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr("datper"));
  const std::vector<std::vector<std::string>> bad = {
      {"-o", dir_ + "/x.pcap", "--size", "12 parsecs"},
      {"-o", dir_ + "/x.pcap", "--mix", "http=50,ftp=50"},
      {"-o", dir_ + "/x.pcap", "--inject", "no-such-family"},
      {"-o", dir_ + "/x.pcap", "--inject", "datper:many"},
      {"-o", dir_ + "/x.pcap", "--mss", "10"},
      {"-o", dir_ + "/x.pcap", "--ipv6", "2"},
      {"-o", dir_ + "/x.pcap", "--format", "erf"},
      {"--sessions", "3"},
  };
  for (const auto& args : bad) {
    ProcessResult r = Gen(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace
}  // namespace kagami::testing
