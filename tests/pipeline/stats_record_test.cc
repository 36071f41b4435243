// The EVE stats record: each counter under its Suricata name, the derived
// ones (IPv4 = all minus IPv6, TCP = all minus UDP) computed right, and the
// capture group present only when the kernel's counts are known.
#include "engine/pipeline/stats_record.h"

#include <gtest/gtest.h>

#include <string>

#include "rapidjson/document.h"
#include "rapidjson/pointer.h"

namespace kagami::pipeline {
namespace {

uint64_t At(const rapidjson::Document& doc, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  EXPECT_NE(v, nullptr) << pointer;
  if (v == nullptr || !v->IsUint64()) return ~uint64_t{0};
  return v->GetUint64();
}

ScanCounters Sample() {
  ScanCounters c;
  c.decoder.packets = 10;
  c.decoder.bytes = 1005;
  c.decoder.invalid = 2;
  c.decoder.ipv4 = 7;
  c.decoder.ipv6 = 1;
  c.decoder.vxlan = 3;
  c.decoder.ipip = 4;
  c.flow.created = 6;
  c.flow.active = 5;
  c.flow.evicted = 9;
  c.flow.reused = 1;
  c.flow_memory = 4096;
  c.reassembly_memory = 2048;
  c.stream.memcap_drops = 3;
  c.stream.gaps = 11;
  c.stream.overlaps_different = 12;
  c.defrag.fragments = 20;
  c.defrag.fragments_v6 = 8;
  c.defrag.reassembled = 5;
  c.defrag.reassembled_v6 = 2;
  c.defrag.timeouts = 3;
  c.defrag.timeouts_v6 = 1;
  c.defrag.too_many_fragments = 13;
  c.app.flows_dns = 30;
  c.app.flows_dns_udp = 26;
  c.app.flows_failed = 15;
  c.app.flows_failed_udp = 10;
  c.app.flows_http = 14;
  c.app.http_transactions = 40;
  c.alerts = 77;
  return c;
}

TEST(StatsRecord, NamesEveryCounterAsSuricataDoes) {
  StatsContext ctx;
  ctx.ts_ns = 1'700'000'000'123'456'000;
  ctx.uptime_seconds = 42;
  std::string line;
  FormatStatsRecord(Sample(), ctx, line);
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(line.c_str()).HasParseError()) << line;
  EXPECT_STREQ(doc["event_type"].GetString(), "stats");
  EXPECT_STREQ(doc["timestamp"].GetString(), "2023-11-14T22:13:20.123456+0000");
  EXPECT_EQ(At(doc, "/stats/uptime"), 42u);
  EXPECT_EQ(At(doc, "/stats/decoder/pkts"), 10u);
  EXPECT_EQ(At(doc, "/stats/decoder/bytes"), 1005u);
  EXPECT_EQ(At(doc, "/stats/decoder/invalid"), 2u);
  EXPECT_EQ(At(doc, "/stats/decoder/vxlan"), 3u);
  EXPECT_EQ(At(doc, "/stats/decoder/ipv4_in_ipv4"), 4u);
  EXPECT_EQ(At(doc, "/stats/decoder/avg_pkt_size"), 100u);
  EXPECT_EQ(At(doc, "/stats/flow/total"), 6u);
  EXPECT_EQ(At(doc, "/stats/flow/active"), 5u);
  EXPECT_EQ(At(doc, "/stats/flow/memuse"), 4096u);
  EXPECT_EQ(At(doc, "/stats/flow/memcap"), 9u);
  EXPECT_EQ(At(doc, "/stats/flow/tcp_reuse"), 1u);
  EXPECT_EQ(At(doc, "/stats/tcp/reassembly_gap"), 11u);
  EXPECT_EQ(At(doc, "/stats/tcp/overlap_diff_data"), 12u);
  EXPECT_EQ(At(doc, "/stats/tcp/reassembly_memuse"), 2048u);
  EXPECT_EQ(At(doc, "/stats/tcp/segment_memcap_drop"), 3u);
  EXPECT_EQ(At(doc, "/stats/defrag/ipv4/fragments"), 12u);
  EXPECT_EQ(At(doc, "/stats/defrag/ipv6/fragments"), 8u);
  EXPECT_EQ(At(doc, "/stats/defrag/ipv4/reassembled"), 3u);
  EXPECT_EQ(At(doc, "/stats/defrag/ipv6/reassembled"), 2u);
  EXPECT_EQ(At(doc, "/stats/defrag/ipv4/timeouts"), 2u);
  EXPECT_EQ(At(doc, "/stats/defrag/ipv6/timeouts"), 1u);
  EXPECT_EQ(At(doc, "/stats/defrag/max_frags_reached"), 13u);
  EXPECT_EQ(At(doc, "/stats/detect/alert"), 77u);
  EXPECT_EQ(At(doc, "/stats/app_layer/flow/dns_udp"), 26u);
  EXPECT_EQ(At(doc, "/stats/app_layer/flow/dns_tcp"), 4u);
  EXPECT_EQ(At(doc, "/stats/app_layer/flow/failed_udp"), 10u);
  EXPECT_EQ(At(doc, "/stats/app_layer/flow/failed_tcp"), 5u);
  EXPECT_EQ(At(doc, "/stats/app_layer/flow/http"), 14u);
  EXPECT_EQ(At(doc, "/stats/app_layer/tx/http"), 40u);
  // Offline: no kernel, no capture group.
  EXPECT_FALSE(doc["stats"].HasMember("capture"));
}

TEST(StatsRecord, CaptureGroupCarriesTheKernelCounts) {
  StatsContext ctx;
  ctx.kernel_packets = 1000;
  ctx.kernel_drops = 7;
  std::string line;
  FormatStatsRecord(ScanCounters{}, ctx, line);
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(line.c_str()).HasParseError()) << line;
  EXPECT_EQ(At(doc, "/stats/capture/kernel_packets"), 1000u);
  EXPECT_EQ(At(doc, "/stats/capture/kernel_drops"), 7u);
  // No packets: the average is 0, not a division by zero.
  EXPECT_EQ(At(doc, "/stats/decoder/avg_pkt_size"), 0u);
}

}  // namespace
}  // namespace kagami::pipeline
