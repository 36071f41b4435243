// DNS parser micro benchmarks: a typical query, a response with four
// answers (CNAME + 3 A, compressed), and the same response over TCP framing.
// Messages/s is items_per_second, MB/s is bytes_per_second.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/app/dns/dns_parser.h"
#include "engine/app/dns/dns_tcp_framer.h"

namespace {

using namespace kagami::app::dns;
using Bytes = std::vector<uint8_t>;

void Put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

void PutName(Bytes& b, std::string_view dotted, int pointer = -1) {
  while (!dotted.empty()) {
    const size_t dot = dotted.find('.');
    const std::string_view label = dotted.substr(0, dot);
    b.push_back(static_cast<uint8_t>(label.size()));
    b.insert(b.end(), label.begin(), label.end());
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  if (pointer >= 0) Put16(b, static_cast<uint16_t>(0xC000 | pointer));
  else b.push_back(0);
}

void PutHeader(Bytes& b, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ar) {
  for (uint16_t v : {uint16_t{0x1d2c}, flags, qd, an, uint16_t{0}, ar}) Put16(b, v);
}

void PutRr(Bytes& b, uint16_t type, const Bytes& rdata, uint16_t cls = 1) {
  Put16(b, type);
  Put16(b, cls);
  Put16(b, 0);
  Put16(b, 300);
  Put16(b, static_cast<uint16_t>(rdata.size()));
  b.insert(b.end(), rdata.begin(), rdata.end());
}

// www.example.com A, with an EDNS OPT record, as a stub resolver sends it.
Bytes TypicalQuery() {
  Bytes b;
  PutHeader(b, 0x0100, 1, 0, 1);
  PutName(b, "www.example.com");
  Put16(b, 1);
  Put16(b, 1);
  b.push_back(0);
  PutRr(b, 41, {}, 1232);
  return b;
}

// www.example.com -> CNAME www.example.com.cdn.example.net -> 3 x A.
Bytes FourAnswers() {
  Bytes b;
  PutHeader(b, 0x8180, 1, 4, 0);
  PutName(b, "www.example.com");
  Put16(b, 1);
  Put16(b, 1);
  PutName(b, "", 12);
  Bytes cname;
  PutName(cname, "cdn.example.net");
  const int target = static_cast<int>(b.size() + 10);
  PutRr(b, 5, cname);
  for (uint8_t i = 0; i < 3; ++i) {
    PutName(b, "", target);
    PutRr(b, 1, {93, 184, 216, i});
  }
  return b;
}

void RunParse(benchmark::State& state, const Bytes& msg) {
  DnsOptions options;
  Message out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseMessage(msg.data(), msg.size(), options, out));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(msg.size()));
}

void BM_DnsParseQuery(benchmark::State& state) { RunParse(state, TypicalQuery()); }
BENCHMARK(BM_DnsParseQuery);

void BM_DnsParseResponse4Answers(benchmark::State& state) { RunParse(state, FourAnswers()); }
BENCHMARK(BM_DnsParseResponse4Answers);

// 64 framed responses per feed, cut in 100-byte segments, each parsed.
void BM_DnsTcpFramedResponses(benchmark::State& state) {
  const Bytes msg = FourAnswers();
  Bytes stream;
  for (int i = 0; i < 64; ++i) {
    Put16(stream, static_cast<uint16_t>(msg.size()));
    stream.insert(stream.end(), msg.begin(), msg.end());
  }
  DnsOptions options;
  Message out;
  TcpFramer framer(options);
  int64_t messages = 0;
  for (auto _ : state) {
    for (size_t pos = 0; pos < stream.size(); pos += 100) {
      const size_t n = std::min<size_t>(100, stream.size() - pos);
      framer.Feed(stream.data() + pos, n, [&](const uint8_t* d, size_t len) {
        ParseMessage(d, len, options, out);
        ++messages;
      });
    }
  }
  state.SetItemsProcessed(messages);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_DnsTcpFramedResponses);

}  // namespace
