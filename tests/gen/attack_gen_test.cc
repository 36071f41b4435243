// kagami-gen --attack: every kind is deterministic, decodes as the attack it
// claims to be (counted with the repo's capture reader and decoder, and
// where it takes state, through the real Scanner), carries its legitimate
// sessions at the start, middle and end, and keeps packet time in order
// except where the attack is time itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capture/packet_source.h"
#include "engine/app/dns/dns_parser.h"
#include "engine/decode/decoder.h"
#include "engine/pipeline/scanner.h"
#include "tests/pipeline/traffic_test_util.h"
#include "tools/gen/attack_kinds.h"
#include "tools/gen/attacks.h"
#include "tools/gen/capture_writer.h"
#include "tools/gen/frame_builder.h"

namespace kagami::gen {
namespace {

constexpr uint32_t kServer = (10u << 24) | (20u << 16) | 80;  // 10.20.0.80

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "kagami-attack-", getpid(), "-", name);
}

AttackOptions Options(AttackKind kind, uint64_t count, uint64_t seed = 7) {
  AttackOptions o;
  o.kind = kind;
  o.count = count;
  o.seed = seed;
  return o;
}

std::string Generate(const AttackOptions& o, GeneratorSummary* summary = nullptr) {
  std::string out;
  auto writer = CaptureWriter::ToString(&out, CaptureFormat::kPcap);
  auto s = GenerateAttack(o, *writer);
  EXPECT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(writer->Close().ok());
  if (s.ok() && summary) *summary = *s;
  return out;
}

// One decoded packet, with what the tests look at copied out.
struct Decoded {
  int64_t ts_ns = 0;
  std::string frame;
  uint32_t src = 0, dst = 0;
  uint8_t proto = 0;
  bool fragment = false, mf = false;
  uint16_t frag_id = 0, frag_offset = 0;
  uint16_t sport = 0, dport = 0;
  uint8_t flags = 0;
  uint32_t seq = 0;
  std::string payload;
};

uint32_t V4(const decode::Packet& p, bool src) {
  const uint8_t* a = p.l3 + (src ? 12 : 16);
  return (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
}

bool IsLegitClient(uint32_t a) { return (a >> 16) == ((10u << 8) | 99u); }

// Writes the capture to a file, reads it back through capture/ and decodes
// every packet with checksums verified: each must decode cleanly.
std::vector<Decoded> DecodeAll(const std::string& capture, const std::string& name) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << capture;
  std::vector<Decoded> out;
  auto source = capture::OpenCaptureFile(path);
  EXPECT_TRUE(source.ok()) << source.status();
  if (!source.ok()) return out;
  decode::DecoderOptions dopt;
  dopt.verify_checksums = true;
  decode::Decoder decoder(dopt);
  capture::PacketView v;
  for (;;) {
    auto more = (*source)->Next(v);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    decode::Packet p;
    EXPECT_EQ(decoder.Decode(v, p), decode::DecodeResult::kOk) << "packet " << v.index;
    EXPECT_FALSE(p.ip_checksum_bad || p.l4_checksum_bad) << "packet " << v.index;
    Decoded d;
    d.ts_ns = v.ts_ns;
    d.frame.assign(reinterpret_cast<const char*>(v.data), v.caplen);
    if (p.ip_version == 4) {
      d.src = V4(p, true);
      d.dst = V4(p, false);
    }
    d.proto = p.ip_proto;
    d.fragment = p.is_fragment;
    d.mf = p.ip_mf;
    d.frag_id = static_cast<uint16_t>(p.frag_id);
    d.frag_offset = p.frag_offset;
    d.sport = p.src_port;
    d.dport = p.dst_port;
    d.flags = p.tcp_flags;
    d.seq = p.tcp_seq;
    if (p.payload) d.payload.assign(reinterpret_cast<const char*>(p.payload), p.payload_len);
    if (d.fragment) d.payload.assign(reinterpret_cast<const char*>(p.l3) + 20, p.l3_len - 20);
    out.push_back(std::move(d));
  }
  const decode::DecoderCounters& c = decoder.counters();
  for (size_t k = 0; k < c.anomalies.size(); ++k) {
    EXPECT_EQ(c.anomalies[k], 0u) << decode::AnomalyName(static_cast<decode::Anomaly>(k));
  }
  std::remove(path.c_str());
  return out;
}

// The legitimate sessions: one SYN each from 10.99.0.0/16, at the start, in
// the middle and at the end of the capture (by packet position; the first
// SYN comes up to 3 ms into the run, a few hundred flood packets), and
// their requests with the User-Agent.
void ExpectLegitSpread(const std::vector<Decoded>& packets, uint64_t legit = 4) {
  std::vector<size_t> syns;
  uint64_t requests = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    const Decoded& d = packets[i];
    if (!IsLegitClient(d.src)) continue;
    if (d.flags == kTcpSyn) syns.push_back(i);
    if (d.payload.find("User-Agent: KagamiLegit/1.0\r\n") != std::string::npos &&
        d.payload.rfind("GET /kagami-legit-check HTTP/1.1\r\n", 0) == 0) {
      ++requests;
    }
  }
  ASSERT_EQ(syns.size(), legit);
  EXPECT_EQ(requests, legit);
  if (legit < 3) return;
  const double n = static_cast<double>(packets.size());
  EXPECT_LT(static_cast<double>(syns.front()), 0.1 * n) << "no legitimate session at the start";
  EXPECT_GT(static_cast<double>(syns.back()), 0.9 * n) << "no legitimate session at the end";
  EXPECT_TRUE(std::any_of(syns.begin(), syns.end(), [&](size_t i) { return i > 0.2 * n && i < 0.8 * n; }))
      << "no legitimate session in the middle";
}

void ExpectTimeInOrder(const std::vector<Decoded>& packets) {
  for (size_t i = 1; i < packets.size(); ++i) {
    ASSERT_GE(packets[i].ts_ns, packets[i - 1].ts_ns) << "time goes back at packet " << i + 1;
  }
}

// Through the real Scanner, with `rules`.
struct Scanned {
  pipeline::ScanCounters counters;
  uint64_t hits = 0;
};

Scanned Scan(const std::string& capture, const std::string& name, const std::string& rules) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << capture;
  pipeline::ScannerOptions so;
  pipeline::Scanner scanner(pipeline::traffic::CompileRules(rules), so, nullptr, nullptr);
  auto source = capture::OpenCaptureFile(path);
  EXPECT_TRUE(source.ok()) << source.status();
  pipeline::RunControl control;
  EXPECT_TRUE(scanner.Run(**source, &control).ok());
  scanner.Finish();
  Scanned r;
  scanner.AddCountersTo(r.counters);
  for (uint64_t h : scanner.rule_hits()) r.hits += h;
  std::remove(path.c_str());
  return r;
}

constexpr char kLegitRule[] =
    "alert http any any -> any any (msg:\"legit\"; http.user_agent; content:\"KagamiLegit/1.0\"; sid:1;)\n";

// ---------------------------------------------------------------------------

TEST(AttackGenTest, EveryKindIsDeterministicAndSeeded) {
  const std::map<AttackKind, uint64_t> small = {
      {AttackKind::kSynFlood, 2000},        {AttackKind::kFragFlood, 2000},        {AttackKind::kTcpReverse, 1500},
      {AttackKind::kHttpSlowHeaders, 300},  {AttackKind::kDnsPointerLoops, 200},   {AttackKind::kTlsLyingLengths, 100},
      {AttackKind::kHttpUpload, 200'000},   {AttackKind::kTimeBackwards, 60},
  };
  ASSERT_EQ(small.size(), AttackKinds().size());
  for (const auto& [kind, count] : small) {
    const std::string a = Generate(Options(kind, count)), b = Generate(Options(kind, count));
    const std::string c = Generate(Options(kind, count, 8));
    EXPECT_GT(a.size(), 10000u);
    EXPECT_TRUE(a == b) << "kind " << static_cast<int>(kind) << ": one seed, two captures";
    EXPECT_NE(a, c) << "kind " << static_cast<int>(kind) << ": the seed changes nothing";
  }
  for (SegmentOrder order : {SegmentOrder::kRandom, SegmentOrder::kOverlapping}) {
    AttackOptions o = Options(AttackKind::kTcpReverse, 1000);
    o.order = order;
    EXPECT_TRUE(Generate(o) == Generate(o));
  }
}

TEST(AttackGenTest, KindsAndOptionsAreChecked) {
  for (const AttackKindInfo& k : AttackKinds()) {
    ASSERT_EQ(FindAttackKind(k.name), &k);
    EXPECT_GT(k.default_count, 0u);
  }
  EXPECT_EQ(FindAttackKind("smurf"), nullptr);
  EXPECT_EQ(FindAttackKind("syn-flood")->default_count, 2'000'000u);
  EXPECT_EQ(FindAttackKind("http-upload")->default_count, uint64_t{1} << 30);
  EXPECT_EQ(ParseSegmentOrder("overlapping"), SegmentOrder::kOverlapping);
  EXPECT_FALSE(ParseSegmentOrder("sideways"));
  EXPECT_TRUE(ValidateAttackOptions(Options(AttackKind::kTcpReverse, 5000)).ok());
  EXPECT_FALSE(ValidateAttackOptions(Options(AttackKind::kTcpReverse, 20)).ok());
  AttackOptions o = Options(AttackKind::kSynFlood, 10);
  o.legit = 1'000'000;
  EXPECT_FALSE(ValidateAttackOptions(o).ok());
  EXPECT_EQ(AttackCount(Options(AttackKind::kFragFlood, 0)), 1'000'000u);
}

TEST(AttackGenTest, SynFloodIsOneNewFlowPerSyn) {
  GeneratorSummary summary;
  const auto packets = DecodeAll(Generate(Options(AttackKind::kSynFlood, 5000), &summary), "syn.pcap");
  EXPECT_EQ(summary.sessions_by_label["attack/syn-flood"], 5000u);
  EXPECT_EQ(summary.sessions_by_label["legit/http"], 4u);
  std::set<std::tuple<uint32_t, uint16_t>> sources;
  uint64_t syns = 0;
  for (const Decoded& d : packets) {
    if (IsLegitClient(d.src) || IsLegitClient(d.dst)) continue;
    ASSERT_EQ(d.flags, kTcpSyn);
    ASSERT_EQ(d.dst, kServer);
    ASSERT_EQ(d.dport, 80);
    EXPECT_NE(d.src >> 24, 10u) << "a spoofed source inside HOME_NET";
    ++syns;
    sources.insert({d.src, d.sport});
  }
  EXPECT_EQ(syns, 5000u);
  EXPECT_EQ(sources.size(), 5000u) << "every SYN a flow of its own";
  ExpectLegitSpread(packets);
  ExpectTimeInOrder(packets);
}

TEST(AttackGenTest, FragFloodNeverCompletesAndOverlaps) {
  const auto packets = DecodeAll(Generate(Options(AttackKind::kFragFlood, 4000)), "frag.pcap");
  // Per datagram: the offsets sent (and how often) and whether its end came.
  struct Datagram {
    std::map<uint16_t, int> offsets;
    int last = -1;
  };
  std::map<std::tuple<uint32_t, uint16_t>, Datagram> datagrams;
  uint64_t fragments = 0, overlapping = 0;
  for (const Decoded& d : packets) {
    if (IsLegitClient(d.src) || IsLegitClient(d.dst)) continue;
    ASSERT_TRUE(d.fragment);
    ASSERT_EQ(d.payload.size(), 8u) << "a fragment that is not tiny";
    ++fragments;
    Datagram& g = datagrams[{d.src, d.frag_id}];
    if (++g.offsets[d.frag_offset] > 1) ++overlapping;
    if (!d.mf) g.last = d.frag_offset;
  }
  EXPECT_EQ(fragments, 4000u);
  EXPECT_GT(datagrams.size(), 200u);
  EXPECT_GT(overlapping, fragments / 20);
  for (const auto& [key, g] : datagrams) {
    if (g.last < 0) continue;  // no end: never completes
    bool hole = false;
    for (int off = 0; off < g.last; ++off) hole = hole || g.offsets.count(static_cast<uint16_t>(off)) == 0;
    EXPECT_TRUE(hole) << "a datagram with every piece";
  }
  ExpectLegitSpread(packets);
  ExpectTimeInOrder(packets);

  // The defragmenter holds them and completes none.
  const Scanned s = Scan(Generate(Options(AttackKind::kFragFlood, 4000)), "frag-scan.pcap", kLegitRule);
  EXPECT_EQ(s.counters.defrag.fragments, 4000u);
  EXPECT_EQ(s.counters.defrag.reassembled, 0u);
  EXPECT_GT(s.counters.defrag.overlaps, 0u);
  EXPECT_EQ(s.hits, 4u);
}

// The request tcp-reverse sends, put back together from its segments.
std::string Reassemble(const std::vector<Decoded>& packets, uint64_t* segments, std::vector<uint32_t>* seqs) {
  std::map<uint32_t, std::string> by_seq;
  for (const Decoded& d : packets) {
    if (IsLegitClient(d.src) || d.dst != kServer || d.payload.empty()) continue;
    ++*segments;
    seqs->push_back(d.seq);
    by_seq[d.seq] = d.payload;
  }
  std::string out;
  const uint32_t base = by_seq.begin()->first;
  for (const auto& [seq, bytes] : by_seq) {
    const size_t at = seq - base;
    if (out.size() < at + bytes.size()) out.resize(at + bytes.size());
    out.replace(at, bytes.size(), bytes);
  }
  return out;
}

TEST(AttackGenTest, TcpReverseSendsTheRequestByteByByteInEachOrder) {
  // Under the reassembler's default limit on queued segments, so the whole
  // request is reassembled in every order.
  constexpr uint64_t kBytes = 2000;
  for (SegmentOrder order :
       {SegmentOrder::kReverse, SegmentOrder::kRandom, SegmentOrder::kOverlapping, SegmentOrder::kInOrder}) {
    SCOPED_TRACE(static_cast<int>(order));
    AttackOptions o = Options(AttackKind::kTcpReverse, kBytes);
    o.order = order;
    const std::string capture = Generate(o);
    const auto packets = DecodeAll(capture, "reverse.pcap");
    uint64_t segments = 0;
    std::vector<uint32_t> seqs;
    const std::string request = Reassemble(packets, &segments, &seqs);
    ASSERT_EQ(request.size(), kBytes);
    EXPECT_EQ(request.rfind("GET /kagami-attack-marker/", 0), 0u);
    const size_t end = request.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos);
    const size_t cl = request.find("Content-Length: ");
    ASSERT_NE(cl, std::string::npos);
    EXPECT_EQ(std::stoul(request.substr(cl + 16)), kBytes - end - 4) << "the body makes up the size";
    EXPECT_EQ(segments, order == SegmentOrder::kOverlapping ? kBytes - 1 : kBytes);
    if (order == SegmentOrder::kReverse) {
      EXPECT_TRUE(std::is_sorted(seqs.rbegin(), seqs.rend())) << "not last byte first";
    } else if (order == SegmentOrder::kInOrder) {
      EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
    } else {
      EXPECT_FALSE(std::is_sorted(seqs.begin(), seqs.end()));
    }
    ExpectLegitSpread(packets);
    ExpectTimeInOrder(packets);

    // Reassembled, the URI carries the marker.
    const Scanned s = Scan(capture, "reverse-scan.pcap",
                           std::string(kLegitRule) +
                               "alert http any any -> any any (msg:\"marker\"; http.uri; "
                               "content:\"/kagami-attack-marker\"; startswith; sid:2;)\n");
    EXPECT_EQ(s.hits, 5u);
    if (order != SegmentOrder::kInOrder) {
      EXPECT_GT(s.counters.stream.out_of_order, 0u);
    }
  }
}

TEST(AttackGenTest, MarkerRequestIsExactlyTheSizeAsked) {
  Rng rng(3);
  for (uint64_t size = MinimumMarkerRequest(); size < MinimumMarkerRequest() + 300; ++size) {
    ASSERT_EQ(MarkerRequest(rng, size).size(), size);
  }
  for (uint64_t size : {uint64_t{9999} + 200, uint64_t{100'000}, uint64_t{1'000'000}}) {
    ASSERT_EQ(MarkerRequest(rng, size).size(), size);
  }
}

TEST(AttackGenTest, SlowHeadersOpenEveryConnectionAndNeverFinish) {
  const auto packets = DecodeAll(Generate(Options(AttackKind::kHttpSlowHeaders, 600)), "slow.pcap");
  std::set<std::tuple<uint32_t, uint16_t>> syns;
  std::map<std::tuple<uint32_t, uint16_t>, std::string> sent;
  for (const Decoded& d : packets) {
    if (IsLegitClient(d.src) || IsLegitClient(d.dst)) continue;
    EXPECT_EQ(d.flags & (kTcpFin | kTcpRst), 0) << "an attack connection closed";
    if (d.flags == kTcpSyn) syns.insert({d.src, d.sport});
    if (d.dst == kServer) sent[{d.src, d.sport}] += d.payload;
  }
  EXPECT_EQ(syns.size(), 600u);
  EXPECT_EQ(sent.size(), 600u);
  for (const auto& [key, bytes] : sent) {
    EXPECT_EQ(bytes.rfind("GET /", 0), 0u);
    EXPECT_NE(bytes.find(" HTTP/1.1\r\nHost: "), std::string::npos);
    EXPECT_EQ(bytes.find("\r\n\r\n"), std::string::npos) << "headers finished";
  }
  ExpectLegitSpread(packets);
  ExpectTimeInOrder(packets);
  const Scanned s = Scan(Generate(Options(AttackKind::kHttpSlowHeaders, 600)), "slow-scan.pcap", kLegitRule);
  EXPECT_EQ(s.counters.stream.sessions, 604u);
  EXPECT_EQ(s.counters.app.flows_http, 604u);
  EXPECT_EQ(s.hits, 4u);
}

TEST(AttackGenTest, DnsResponsesAreAllPointerLoops) {
  const auto packets = DecodeAll(Generate(Options(AttackKind::kDnsPointerLoops, 1000)), "dns.pcap");
  app::dns::DnsOptions options;
  std::map<std::string, int> kinds;
  uint64_t queries = 0, responses = 0;
  for (const Decoded& d : packets) {
    if (d.proto != 17) continue;
    app::dns::Message m;
    ASSERT_TRUE(app::dns::ParseMessage(reinterpret_cast<const uint8_t*>(d.payload.data()), d.payload.size(), options, m));
    if (!m.response) {
      ++queries;
      EXPECT_TRUE(m.anomalies.empty());
      continue;
    }
    ++responses;
    ASSERT_FALSE(m.anomalies.empty()) << "a response that parses cleanly";
    for (const auto& [kind, offset] : m.anomalies) ++kinds[std::string(app::dns::AnomalyName(kind))];
  }
  EXPECT_EQ(queries, 1000u);
  EXPECT_EQ(responses, 1000u);
  // Loops through labels, and pointers to themselves, forward or past the end.
  EXPECT_GT(kinds.size(), 1u);
  EXPECT_GT(kinds[std::string(app::dns::AnomalyName(app::dns::Anomaly::kCompressionLoop))] +
                kinds[std::string(app::dns::AnomalyName(app::dns::Anomaly::kForwardPointer))],
            0);
  ExpectLegitSpread(packets);
  ExpectTimeInOrder(packets);
}

TEST(AttackGenTest, TlsHellosLieAboutTheirLengths) {
  const std::string capture = Generate(Options(AttackKind::kTlsLyingLengths, 150));
  const auto packets = DecodeAll(capture, "tls.pcap");
  std::map<std::tuple<uint32_t, uint16_t>, std::string> hello;
  for (const Decoded& d : packets) {
    if (d.dst == kServer && d.dport == 443) hello[{d.src, d.sport}] += d.payload;
  }
  ASSERT_EQ(hello.size(), 150u);
  uint64_t record_lies = 0, handshake_lies = 0, huge = 0;
  for (const auto& [key, bytes] : hello) {
    ASSERT_GE(bytes.size(), 9u);
    ASSERT_EQ(static_cast<uint8_t>(bytes[0]), 0x16);
    ASSERT_EQ(static_cast<uint8_t>(bytes[5]), 1) << "not a ClientHello";
    const size_t record = (static_cast<uint8_t>(bytes[3]) << 8) | static_cast<uint8_t>(bytes[4]);
    const size_t message = (static_cast<uint8_t>(bytes[6]) << 16) | (static_cast<uint8_t>(bytes[7]) << 8) |
                           static_cast<uint8_t>(bytes[8]);
    if (record != bytes.size() - 5) ++record_lies;
    if (message != bytes.size() - 9) ++handshake_lies;
    if (message == 0xffffff) ++huge;
    EXPECT_TRUE(record != bytes.size() - 5 || message != bytes.size() - 9) << "a hello that tells the truth";
  }
  EXPECT_GT(record_lies, 40u);
  EXPECT_GT(handshake_lies, 80u);
  EXPECT_EQ(huge, 30u);
  ExpectLegitSpread(packets);
  ExpectTimeInOrder(packets);
  const Scanned s = Scan(capture, "tls-scan.pcap", kLegitRule);
  EXPECT_EQ(s.hits, 4u);
  EXPECT_EQ(s.counters.stream.sessions, 154u);
}

TEST(AttackGenTest, HttpUploadStreamsOneBodyOfTheCount) {
  constexpr uint64_t kBody = 3'000'000;
  const std::string capture = Generate(Options(AttackKind::kHttpUpload, kBody));
  const auto packets = DecodeAll(capture, "upload.pcap");
  std::string head;
  uint64_t body = 0, segments = 0;
  for (const Decoded& d : packets) {
    if (IsLegitClient(d.src) || d.dst != kServer || d.payload.empty()) continue;
    if (segments++ == 0) {
      head = d.payload;
    } else {
      body += d.payload.size();
    }
  }
  EXPECT_EQ(head.rfind("POST /upload/", 0), 0u);
  EXPECT_NE(head.find("\r\nContent-Length: 3000000\r\n\r\n"), std::string::npos);
  EXPECT_EQ(body, kBody);
  ExpectLegitSpread(packets);
  ExpectTimeInOrder(packets);
  const Scanned s = Scan(capture, "upload-scan.pcap", kLegitRule);
  EXPECT_EQ(s.hits, 4u);
  EXPECT_GT(s.counters.stream.depth_reached, 0u) << "the body is past the default stream depth";
}

TEST(AttackGenTest, TimeJumpsBackByMinutesAndPacketsRepeat) {
  const auto packets = DecodeAll(Generate(Options(AttackKind::kTimeBackwards, 400)), "time.pcap");
  uint64_t jumps = 0, duplicates = 0;
  for (size_t i = 1; i < packets.size(); ++i) {
    if (packets[i].ts_ns < packets[i - 1].ts_ns - int64_t{50} * 1'000'000'000) ++jumps;
    if (packets[i].frame == packets[i - 1].frame && packets[i].ts_ns == packets[i - 1].ts_ns) ++duplicates;
  }
  EXPECT_GT(jumps, 2u);
  const double share = static_cast<double>(duplicates) / static_cast<double>(packets.size());
  EXPECT_GT(share, 0.05);
  EXPECT_LT(share, 0.15);
  ExpectLegitSpread(packets);
}

}  // namespace
}  // namespace kagami::gen
