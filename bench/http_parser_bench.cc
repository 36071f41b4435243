// HttpParser throughput: typical GET/response traffic (small headers,
// Content-Length bodies) and a chunked + gzip response body, fed in
// MSS-sized pieces as the stream layer hands them over.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>

#include "engine/app/http/http_parser.h"

namespace {

using kagami::app::http::Direction;
using kagami::app::http::HttpParser;

constexpr size_t kSegment = 1460;

void FeedSegments(HttpParser& p, Direction dir, const std::string& data) {
  for (size_t i = 0; i < data.size(); i += kSegment) {
    const size_t n = std::min(kSegment, data.size() - i);
    p.Feed(dir, reinterpret_cast<const uint8_t*>(data.data() + i), n);
  }
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// 20 request/response pairs on one connection, 2 KiB bodies.
void BM_HttpGetResponse(benchmark::State& state) {
  std::string req, res;
  const std::string body(2048, 'b');
  for (int i = 0; i < 20; ++i) {
    req += "GET /static/img/" + std::to_string(i) +
           ".png?v=12345 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
           "Gecko/20100101 Firefox/115.0\r\nAccept: image/avif,image/webp,*/*\r\nAccept-Language: en-US,en;q=0.5\r\n"
           "Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nCookie: session=abcdef0123456789\r\n\r\n";
    res += "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Tue, 01 Aug 2023 10:00:00 GMT\r\n"
           "Content-Type: image/png\r\nContent-Length: 2048\r\nConnection: keep-alive\r\n"
           "Cache-Control: max-age=3600\r\nETag: \"64c8d3e0-800\"\r\n\r\n" +
           body;
  }
  for (auto _ : state) {
    HttpParser p;
    FeedSegments(p, Direction::kToServer, req);
    FeedSegments(p, Direction::kToClient, res);
    p.RetireCompleted();
    benchmark::DoNotOptimize(p.transactions().size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (req.size() + res.size())));
}
BENCHMARK(BM_HttpGetResponse);

// One response: 256 KiB of HTML, gzip, sent in 4 KiB chunks. Bytes are wire
// bytes; the body limit is raised so everything is decoded.
void BM_HttpChunkedGzip(benchmark::State& state) {
  std::string html;
  for (int i = 0; html.size() < (256u << 10); ++i) {
    html += "<div class=\"item\" id=\"i" + std::to_string(i) + "\"><a href=\"/p/" + std::to_string(i * 7) +
            "\">Item " + std::to_string(i) + "</a></div>\n";
  }
  const std::string gz = Gzip(html);
  std::string res = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t i = 0; i < gz.size(); i += 4096) {
    const size_t n = std::min<size_t>(4096, gz.size() - i);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%zx\r\n", n);
    res += hex + gz.substr(i, n) + "\r\n";
  }
  res += "0\r\n\r\n";
  const std::string req = "GET / HTTP/1.1\r\nHost: www.example.com\r\nAccept-Encoding: gzip\r\n\r\n";
  kagami::app::http::HttpOptions opts;
  opts.response_body_limit = 1u << 20;
  for (auto _ : state) {
    HttpParser p(opts);
    FeedSegments(p, Direction::kToServer, req);
    FeedSegments(p, Direction::kToClient, res);
    benchmark::DoNotOptimize(p.transactions().front().response_body.size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (req.size() + res.size())));
  state.counters["decoded_MB/s"] = benchmark::Counter(static_cast<double>(html.size()) * state.iterations(),
                                                       benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
}
BENCHMARK(BM_HttpChunkedGzip);

}  // namespace
