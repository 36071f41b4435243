#include "engine/pipeline/scanner.h"

#include <gtest/gtest.h>

#include "engine/decode/decoder.h"
#include "rules/rule_loader.h"
#include "tests/support/packet_builder.h"

namespace kagami::pipeline {
namespace {

using testing::Bytes;

std::shared_ptr<const detect::DetectEngine> Engine(const std::string& text) {
  rules::RuleSet set = rules::ParseRules(text, "test.rules", rules::LoadOptions{});
  EXPECT_EQ(set.error_count(), 0u);
  std::vector<rules::Diagnostic> diags;
  auto engine = detect::DetectEngine::Compile(set, detect::DetectOptions{}, &diags);
  EXPECT_TRUE(engine.ok());
  return *engine;
}

capture::PacketView View(const Bytes& frame, uint64_t index) {
  capture::PacketView v;
  v.data = frame.data();
  v.caplen = v.wirelen = static_cast<uint32_t>(frame.size());
  v.index = index;
  return v;
}

TEST(ScannerTest, CountsAlertsPerRule) {
  Scanner scanner(Engine("alert tcp any any -> any any (msg:\"m\"; content:\"needle\"; sid:9;)"),
                  ScannerOptions{}, nullptr, nullptr);
  Bytes hit = testing::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "hay needle hay");
  Bytes miss = testing::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "hay hay");
  scanner.ProcessPacket(View(hit, 1), "x");
  scanner.ProcessPacket(View(miss, 2), "x");
  scanner.ProcessPacket(View(hit, 3), "x");
  EXPECT_EQ(scanner.alerts(), 2u);
  ASSERT_EQ(scanner.rule_hits().size(), 1u);
  EXPECT_EQ(scanner.rule_hits()[0], 2u);
  EXPECT_EQ(scanner.decoder_counters().packets, 3u);
}

TEST(ScannerTest, CountsPacketsWithChecksumsIgnored) {
  Scanner scanner(Engine("alert tcp any any -> any any (msg:\"m\"; content:\"x\"; sid:1;)"),
                  ScannerOptions{.checksums = ChecksumMode::kIgnore}, nullptr, nullptr);
  Bytes frame = testing::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x");
  scanner.ProcessPacket(View(frame, 1), "x");
  EXPECT_EQ(scanner.decoder_counters().packets, 1u);
  EXPECT_EQ(scanner.decoder_counters().bytes, frame.size());
}

// Like Suricata's checksum "auto" mode: a capture where most packets have bad
// checksums (taken with offloading) stops being validated after the sample.
TEST(ScannerTest, ChecksumValidationTurnsOffForOffloadedCaptures) {
  Scanner scanner(Engine("alert tcp any any -> any any (msg:\"m\"; content:\"x\"; sid:1;)"),
                  ScannerOptions{.checksums = ChecksumMode::kVerify}, nullptr, nullptr);
  testing::L4Options bad;
  bad.bad_checksum = true;
  Bytes frame = testing::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x", bad);
  EXPECT_TRUE(scanner.checksum_validation_active());
  for (int i = 0; i < 1000; ++i) scanner.ProcessPacket(View(frame, i + 1), "x");
  EXPECT_FALSE(scanner.checksum_validation_active());
}

TEST(ScannerTest, ChecksumValidationStaysOnForCleanCaptures) {
  Scanner scanner(Engine("alert tcp any any -> any any (msg:\"m\"; content:\"x\"; sid:1;)"),
                  ScannerOptions{.checksums = ChecksumMode::kVerify}, nullptr, nullptr);
  Bytes frame = testing::EthTcp("10.0.0.1", 1, "10.0.0.2", 2, "x");
  for (int i = 0; i < 1500; ++i) scanner.ProcessPacket(View(frame, i + 1), "x");
  EXPECT_TRUE(scanner.checksum_validation_active());
}

}  // namespace
}  // namespace kagami::pipeline
