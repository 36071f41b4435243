#include "engine/app/http/http_parser.h"

#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

#include "engine/app/http/uri_normalizer.h"
#include "gtest/gtest.h"
#include "tests/support/http_body.h"

namespace kagami::app::http {
namespace {

using Progress = Transaction::Progress;
using kagami::testing::Chunked;
using kagami::testing::Deflate;

struct Step {
  Direction dir;
  std::string data;
};

void FeedAll(HttpParser& p, const std::vector<Step>& steps, size_t max_piece, uint32_t seed) {
  std::mt19937 rng(seed);
  for (const Step& s : steps) {
    size_t i = 0;
    while (i < s.data.size()) {
      size_t n = s.data.size() - i;
      if (max_piece == 1) {
        n = 1;
      } else if (max_piece) {
        n = std::min(n, 1 + rng() % max_piece);
      }
      p.Feed(s.dir, reinterpret_cast<const uint8_t*>(s.data.data() + i), n);
      i += n;
    }
  }
}

// Everything a transaction holds, as text, for comparisons.
std::string Dump(const Transaction& t) {
  std::string o;
  auto add = [&](std::string_view k, std::string_view v) {
    o.append(k).append("=[").append(v).append("]\n");
  };
  add("id", std::to_string(t.id));
  add("request_line", t.request_line);
  add("method", t.method);
  add("uri_raw", t.uri_raw);
  add("uri", t.uri);
  add("protocol", t.protocol);
  for (const Header& h : t.request_headers) add("req_h", h.name + ":" + h.value);
  add("request_headers_raw", t.request_headers_raw);
  add("request_header", t.request_header);
  add("host", t.host);
  add("host_raw", t.host_raw);
  add("ua", t.user_agent);
  add("cookie", t.request_cookie);
  add("request_body", t.request_body);
  add("request_body_bytes", std::to_string(t.request_body_bytes));
  add("response_line", t.response_line);
  add("status", std::to_string(t.status));
  for (const Header& h : t.response_headers) add("res_h", h.name + ":" + h.value);
  add("response_headers_raw", t.response_headers_raw);
  add("response_header", t.response_header);
  add("set_cookie", t.response_cookie);
  add("response_body", t.response_body);
  add("response_body_bytes", std::to_string(t.response_body_bytes));
  add("clen", std::to_string(t.response_content_length));
  add("progress", std::to_string(static_cast<int>(t.request_progress)) + "/" +
                      std::to_string(static_cast<int>(t.response_progress)));
  add("truncated", std::to_string(t.request_body_truncated) + std::to_string(t.response_body_truncated));
  add("request_digest", t.request_digest.md5 + " " + t.request_digest.sha1 + " " + t.request_digest.sha256);
  add("response_digest", t.response_digest.md5 + " " + t.response_digest.sha1 + " " + t.response_digest.sha256);
  std::string an;
  for (Anomaly a : t.anomalies) an.append(AnomalyName(a)).push_back(' ');
  add("anomalies", an);
  return o;
}

std::string Run(const std::vector<Step>& steps, size_t max_piece = 0, uint32_t seed = 1, HttpOptions opts = {},
                bool close = true) {
  HttpParser p(opts);
  FeedAll(p, steps, max_piece, seed);
  if (close) {
    p.Close(Direction::kToServer);
    p.Close(Direction::kToClient);
  }
  std::string out;
  for (const Transaction& t : p.transactions()) out += Dump(t) + "----\n";
  return out;
}

// Parses a conversation whole; checks that byte-by-byte and random splits
// give the same transactions.
std::deque<Transaction> Parse(const std::vector<Step>& steps, HttpOptions opts = {}, bool close = true) {
  const std::string whole = Run(steps, 0, 1, opts, close);
  EXPECT_EQ(whole, Run(steps, 1, 1, opts, close)) << "byte by byte differs";
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    EXPECT_EQ(whole, Run(steps, 7, seed, opts, close)) << "random split differs, seed " << seed;
  }
  HttpParser p(opts);
  FeedAll(p, steps, 0, 1);
  if (close) {
    p.Close(Direction::kToServer);
    p.Close(Direction::kToClient);
  }
  return p.transactions();
}

bool HasAnomaly(const Transaction& t, Anomaly a) {
  for (Anomaly x : t.anomalies) {
    if (x == a) return true;
  }
  return false;
}

constexpr Direction kReq = Direction::kToServer;
constexpr Direction kRes = Direction::kToClient;

TEST(HttpParser, SimpleGetAndResponse) {
  auto txs = Parse({{kReq,
                     "GET /a/./b/../c//d%41?x=%41 HTTP/1.1\r\nHost: WWW.Example.COM.:8080\r\nUser-Agent: UA/1\r\n"
                     "Cookie: a=1\r\nAccept: */*\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: s=1\r\nContent-Type: text/html\r\n\r\nhello"}});
  ASSERT_EQ(txs.size(), 1u);
  const Transaction& t = txs[0];
  EXPECT_EQ(t.request_line, "GET /a/./b/../c//d%41?x=%41 HTTP/1.1");
  EXPECT_EQ(t.method, "GET");
  EXPECT_EQ(t.uri_raw, "/a/./b/../c//d%41?x=%41");
  EXPECT_EQ(t.uri, "/a/c/dA?x=%41");
  EXPECT_EQ(t.protocol, "HTTP/1.1");
  EXPECT_EQ(t.host, "www.example.com");
  EXPECT_EQ(t.host_raw, "WWW.Example.COM.:8080");
  EXPECT_EQ(t.user_agent, "UA/1");
  EXPECT_EQ(t.request_cookie, "a=1");
  EXPECT_EQ(t.request_header, "Host: WWW.Example.COM.:8080\r\nUser-Agent: UA/1\r\nAccept: */*\r\n");
  EXPECT_EQ(t.request_headers_raw,
            "Host: WWW.Example.COM.:8080\r\nUser-Agent: UA/1\r\nCookie: a=1\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(t.status, 200);
  EXPECT_EQ(t.status_code, "200");
  EXPECT_EQ(t.status_msg, "OK");
  EXPECT_EQ(t.response_protocol, "HTTP/1.1");
  EXPECT_EQ(t.response_body, "hello");
  EXPECT_EQ(t.response_content_length, 5);
  EXPECT_EQ(t.response_cookie, "s=1");
  EXPECT_EQ(t.response_content_type, "text/html");
  EXPECT_EQ(t.response_header, "Content-Length: 5\r\nContent-Type: text/html\r\n");
  EXPECT_EQ(t.request_progress, Progress::kComplete);
  EXPECT_EQ(t.response_progress, Progress::kComplete);
  EXPECT_TRUE(t.anomalies.empty());
  ASSERT_NE(t.FindRequestHeader("user-AGENT"), nullptr);
  EXPECT_EQ(t.FindRequestHeader("user-agent")->value, "UA/1");
  EXPECT_EQ(t.FindResponseHeader("nope"), nullptr);
}

TEST(HttpParser, PipelinedRequestsPairInOrder) {
  auto txs = Parse({{kReq, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                           "GET /3 HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 201 OK\r\nContent-Length: 1\r\n\r\nB"
                           "HTTP/1.1 404 NF\r\nContent-Length: 1\r\n\r\nC"}});
  ASSERT_EQ(txs.size(), 3u);
  EXPECT_EQ(txs[0].uri, "/1");
  EXPECT_EQ(txs[0].response_body, "A");
  EXPECT_EQ(txs[1].request_body, "abc");
  EXPECT_EQ(txs[1].status, 201);
  EXPECT_EQ(txs[1].response_body, "B");
  EXPECT_EQ(txs[2].status, 404);
  EXPECT_EQ(txs[2].response_body, "C");
  EXPECT_EQ(txs[2].id, 2u);
}

TEST(HttpParser, Http09) {
  auto txs = Parse({{kReq, "GET /old\r\n"}, {kRes, "<html>old</html>"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].protocol, "");
  EXPECT_EQ(txs[0].uri, "/old");
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kHttp09Request));
  EXPECT_EQ(txs[0].response_body, "<html>old</html>");
  EXPECT_EQ(txs[0].response_progress, Progress::kComplete);
}

TEST(HttpParser, ContinueResponseDoesNotCompleteTransaction) {
  HttpParser p;
  std::string req = "POST /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
  p.Feed(kReq, reinterpret_cast<const uint8_t*>(req.data()), req.size());
  std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(cont.data()), cont.size());
  ASSERT_EQ(p.transactions().size(), 1u);
  EXPECT_NE(p.transactions()[0].response_progress, Progress::kComplete);
  std::string body = "data", fin = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  p.Feed(kReq, reinterpret_cast<const uint8_t*>(body.data()), body.size());
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(fin.data()), fin.size());
  ASSERT_EQ(p.transactions().size(), 1u);
  EXPECT_EQ(p.transactions()[0].status, 200);
  EXPECT_EQ(p.transactions()[0].request_body, "data");
  EXPECT_EQ(p.transactions()[0].response_body, "ok");
  EXPECT_EQ(p.transactions()[0].response_progress, Progress::kComplete);
}

TEST(HttpParser, HeadAnd204And304HaveNoBody) {
  auto txs = Parse({{kReq, "HEAD / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
                           "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"}},
                   {}, /*close=*/false);
  ASSERT_EQ(txs.size(), 3u);
  for (const Transaction& t : txs) {
    EXPECT_EQ(t.response_progress, Progress::kComplete);
    EXPECT_EQ(t.response_body, "");
  }
  EXPECT_EQ(txs[1].status, 204);
  EXPECT_EQ(txs[2].status, 304);
}

TEST(HttpParser, ConnectTunnelIsOpaque) {
  auto txs = Parse({{kReq, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01 GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03 binary"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].method, "CONNECT");
  EXPECT_EQ(txs[0].host, "example.com");
  EXPECT_EQ(txs[0].response_body, "");
}

TEST(HttpParser, RejectedConnectKeepsParsingHttp) {
  auto txs = Parse({{kReq, "CONNECT h:443 HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"}});
  ASSERT_EQ(txs.size(), 2u);
  EXPECT_EQ(txs[0].status, 407);
  EXPECT_EQ(txs[1].uri, "/next");
  EXPECT_EQ(txs[1].response_body, "x");
}

TEST(HttpParser, NoBodyResponseFollowedByItsBody) {
  // A 204 that declares chunked and then sends a body anyway (an evasion):
  // the body is read rather than taken for a response without status line.
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 204 ok\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nX5O!\r\n0\r\n\r\n"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].response_body, "X5O!");
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kNoBodyExpectedButData));
}

TEST(HttpParser, FoldedRepeatedAndOddHeaders) {
  auto txs = Parse({{kReq, "GET / HTTP/1.1\nX-A: one\n  two\n\tthree\nX-B: 1\nX-b: 2\nNoColon\n"
                           "Spaced :  v  \n" + std::string("X-Nul: a\0b\n\n", 12)}});
  ASSERT_EQ(txs.size(), 1u);
  const Transaction& t = txs[0];
  ASSERT_NE(t.FindRequestHeader("X-A"), nullptr);
  EXPECT_EQ(t.FindRequestHeader("X-A")->value, "one two three");
  EXPECT_EQ(t.FindRequestHeader("Spaced")->value, "v");
  EXPECT_NE(t.FindRequestHeader("NoColon"), nullptr);
  EXPECT_EQ(t.FindRequestHeader("X-Nul")->value, std::string("a\0b", 3));
  EXPECT_EQ(t.request_header,
            std::string("X-A: one two three\r\nX-B: 1, 2\r\nNoColon: \r\nSpaced: v\r\nX-Nul: a\0b\r\n", 65));
  EXPECT_TRUE(HasAnomaly(t, Anomaly::kHeaderFolded));
  EXPECT_TRUE(HasAnomaly(t, Anomaly::kHeaderMissingColon));
  EXPECT_TRUE(HasAnomaly(t, Anomaly::kHeaderNameWhitespace));
  EXPECT_TRUE(HasAnomaly(t, Anomaly::kHeaderNul));
  EXPECT_EQ(t.request_progress, Progress::kComplete);
}

TEST(HttpParser, LeadingEmptyLinesSkipped) {
  auto txs = Parse({{kReq, "\r\n\r\nGET / HTTP/1.0\r\n\r\n"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].request_line, "GET / HTTP/1.0");
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kLeadingEmptyLines));
}

TEST(HttpParser, ChunkedWithExtensionsTrailersAndContentLengthConflict) {
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "5;ext=1\r\nhello\r\n0006\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"}},
                   {}, false);
  ASSERT_EQ(txs.size(), 2u);
  EXPECT_EQ(txs[0].response_body, "hello world");
  EXPECT_EQ(txs[0].response_progress, Progress::kComplete);
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kContentLengthAndChunked));
  EXPECT_EQ(txs[1].response_body, "hi");
}

TEST(HttpParser, PlainTextLabelledGzipPassesThroughUnchanged) {
  // Plain JSON "inflates" as raw deflate into garbage for a few dozen bytes
  // before zlib notices; the guess must not leak that garbage.
  const std::string json =
      "{\"sdk_version\":11026,\"app_package\":\"com.x.y\",\"app_version\":\"1.7.4\",\"device_id\":\"3506729\"}";
  auto txs = Parse({{kReq, "POST /i HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: " +
                               std::to_string(json.size()) + "\r\n\r\n" + json},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].request_body, json);
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kDecompressionFailed));
}

TEST(HttpParser, BodiesNotKeptStillFollowTheFraming) {
  // keep_bodies off (no rule inspects bodies): chunked framing and the next
  // response are still found, bytes counted, nothing stored.
  HttpOptions opts;
  opts.keep_bodies = false;
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                           "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nhi"}},
                   opts, false);
  ASSERT_EQ(txs.size(), 2u);
  EXPECT_EQ(txs[0].response_body, "");
  EXPECT_EQ(txs[0].response_body_bytes, 11u);
  EXPECT_EQ(txs[0].response_progress, Progress::kComplete);
  EXPECT_EQ(txs[1].status, 404);
  EXPECT_EQ(txs[1].response_body_bytes, 2u);
}

TEST(HttpParser, InvalidChunkSizeFallsBackToBodyUntilClose) {
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz not chunked\r\nmore"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].response_body, "zz not chunked\r\nmore");
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kInvalidChunkSize));
}

TEST(HttpParser, BodyUntilCloseAndInvalidContentLength) {
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\nall of this is body"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].response_body, "all of this is body");
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kInvalidContentLength));
  EXPECT_EQ(txs[0].response_progress, Progress::kComplete);
}

TEST(HttpParser, CompressedBodies) {
  const std::string text = "The quick brown fox jumps over the lazy dog. 0123456789";
  for (int bits : {31, 15, -15}) {
    auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                      {kRes, "HTTP/1.1 200 OK\r\nContent-Encoding: " + std::string(bits == 31 ? "x-gzip" : "deflate") +
                                 "\r\n\r\n" + Deflate(text, bits)}});
    ASSERT_EQ(txs.size(), 1u);
    EXPECT_EQ(txs[0].response_body, text) << bits;
  }
  // Two layers: deflate applied first, then gzip.
  const std::string two = Deflate(Deflate(text, -15), 31);
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Encoding: gzip\r\nContent-Length: " +
                               std::to_string(two.size()) + "\r\n\r\n" + two}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].response_body, text);
  // Labelled gzip but plain: passed through.
  txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + text}});
  EXPECT_EQ(txs[0].response_body, text);
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kDecompressionFailed));
  // Chunked + gzip.
  const std::string chunked = Chunked(Deflate(text, 31), 10);
  txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
               {kRes, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" + chunked}});
  EXPECT_EQ(txs[0].response_body, text);
}

TEST(HttpParser, LayerLimitAndBodyLimitAndBomb) {
  const std::string text(1 << 20, 'A');
  const std::string gz = Deflate(text, 31);
  HttpOptions opts;
  opts.response_body_limit = 1000;
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
                               "\r\n\r\n" + gz}},
                   opts);
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].response_body.size(), 1000u);
  EXPECT_TRUE(txs[0].response_body_truncated);
  EXPECT_EQ(txs[0].response_progress, Progress::kComplete);
  // Unlimited body: the bomb cap stops decoding.
  opts.response_body_limit = 0;
  opts.max_decompressed_bytes = 4096;
  txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
               {kRes, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + gz}}, opts);
  EXPECT_EQ(txs[0].response_body.size(), 4096u);
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kDecompressionBomb));
  // More layers than allowed: the extra ones are not decoded.
  opts = {};
  opts.decompress_layer_limit = 1;
  const std::string two = Deflate(Deflate("hi", 31), 31);
  txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
               {kRes, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\n\r\n" + two}}, opts);
  EXPECT_EQ(txs[0].response_body, Deflate("hi", 31));
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kDecompressionLayerLimit));
  // Identity body over the limit: counted, kept up to the limit.
  opts = {};
  opts.response_body_limit = 4;
  txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"}}, opts);
  EXPECT_EQ(txs[0].response_body, "0123");
  EXPECT_EQ(txs[0].response_body_bytes, 10u);
  EXPECT_TRUE(txs[0].response_body_truncated);
}

TEST(HttpParser, HeaderBlockTooLong) {
  HttpOptions opts;
  opts.max_header_bytes = 64;
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\nA: 1\r\nB: " + std::string(200, 'x') + "\r\nC: 3\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"}},
                   opts);
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kHeaderTooLong));
  EXPECT_NE(txs[0].FindRequestHeader("A"), nullptr);
  EXPECT_EQ(txs[0].FindRequestHeader("C"), nullptr);
  EXPECT_EQ(txs[0].response_body, "z");
}

TEST(HttpParser, GapInsideBodyKeepsFraming) {
  HttpParser p;
  std::string req = "GET / HTTP/1.1\r\n\r\n", head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01";
  p.Feed(kReq, reinterpret_cast<const uint8_t*>(req.data()), req.size());
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(head.data()), head.size());
  p.Gap(kRes, 4);
  std::string tail = "6789HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
  p.Feed(kReq, reinterpret_cast<const uint8_t*>(req.data()), req.size());
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(tail.data()), tail.size());
  ASSERT_EQ(p.transactions().size(), 2u);
  EXPECT_EQ(p.transactions()[0].response_body, "016789");
  EXPECT_EQ(p.transactions()[0].response_body_bytes, 10u);
  EXPECT_TRUE(HasAnomaly(p.transactions()[0], Anomaly::kGap));
  EXPECT_EQ(p.transactions()[1].response_body, "x");
}

TEST(HttpParser, GapInHeadersResyncsOnNextRequest) {
  HttpParser p;
  std::string a = "GET /a HTTP/1.1\r\nHos";
  p.Feed(kReq, reinterpret_cast<const uint8_t*>(a.data()), a.size());
  p.Gap(kReq, 100);
  std::string b = "garbage\r\nmore: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  p.Feed(kReq, reinterpret_cast<const uint8_t*>(b.data()), b.size());
  ASSERT_EQ(p.transactions().size(), 2u);
  EXPECT_EQ(p.transactions()[1].uri, "/b");
  EXPECT_EQ(p.transactions()[1].request_progress, Progress::kComplete);
}

TEST(HttpParser, RetireCompleted) {
  HttpParser p;
  std::string req = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", res = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  p.Feed(kReq, reinterpret_cast<const uint8_t*>(req.data()), req.size());
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(res.data()), res.size());
  p.RetireCompleted();
  ASSERT_EQ(p.transactions().size(), 1u);
  EXPECT_EQ(p.transactions()[0].id, 1u);
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(res.data()), res.size());
  EXPECT_EQ(p.transactions()[0].response_progress, Progress::kComplete);
  p.RetireCompleted();
  EXPECT_TRUE(p.transactions().empty());
}

TEST(HttpParser, TooManyOpenTransactionsDropsOldest) {
  HttpOptions opts;
  opts.max_open_transactions = 4;
  HttpParser p(opts);
  std::string req = "GET / HTTP/1.1\r\n\r\n";
  for (int i = 0; i < 10; ++i) p.Feed(kReq, reinterpret_cast<const uint8_t*>(req.data()), req.size());
  EXPECT_EQ(p.transactions().size(), 4u);
  EXPECT_EQ(p.transactions().back().id, 9u);
  EXPECT_GT(p.anomaly_count(), 0u);
}

TEST(HttpParser, MalformedInputNeverCrashesAndKeepsGoodParts) {
  auto txs = Parse({{kReq, std::string("\0\0\0 \t\r\n", 7) + "GET\r\n: \r\n\r\n"},
                    {kRes, "HTTP/1.1 abc\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200\r\n\r\n"}});
  ASSERT_GE(txs.size(), 1u);
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kMalformedRequestLine) || HasAnomaly(txs[0], Anomaly::kMalformedStatusLine));
}

TEST(HttpParser, ResponseJunkBeforeStatusLineSkipped) {
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "foobar\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].response_body, "abc");
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kResponseLineNotStatus));
}

TEST(HttpParser, BareCrLineEndings) {
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\rContent-Length: 3\rX: y\r\n\r\nabc"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].status, 200);
  EXPECT_EQ(txs[0].response_body, "abc");
  EXPECT_TRUE(HasAnomaly(txs[0], Anomaly::kBareCrLineEnding));
}

TEST(HttpParser, Probes) {
  auto probe_req = [](std::string_view s) { return ProbeRequest(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  auto probe_res = [](std::string_view s) { return ProbeResponse(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  EXPECT_EQ(probe_req("GET / HTTP/1.1"), Probe::kYes);
  EXPECT_EQ(probe_req("POST "), Probe::kYes);
  EXPECT_EQ(probe_req("PO"), Probe::kNeedMore);
  EXPECT_EQ(probe_req("POST"), Probe::kNeedMore);
  EXPECT_EQ(probe_req("\x16\x03\x01"), Probe::kNo);
  EXPECT_EQ(probe_req("GETX /"), Probe::kNo);
  EXPECT_EQ(probe_req(""), Probe::kNeedMore);
  EXPECT_EQ(probe_res("HTTP/1.1 200"), Probe::kYes);
  EXPECT_EQ(probe_res("HTT"), Probe::kNeedMore);
  EXPECT_EQ(probe_res("SSH-2.0"), Probe::kNo);
}

TEST(UriNormalizer, Cases) {
  std::string out;
  auto norm = [&](std::string_view in) {
    NormalizeUri(in, out);
    return out;
  };
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("/a/b/../../.."), "/");
  EXPECT_EQ(norm("/a/./b/"), "/a/b/");
  EXPECT_EQ(norm("//a///b"), "/a/b");
  EXPECT_EQ(norm("/a/b/.."), "/a/");
  EXPECT_EQ(norm("/%2e%2e/%2E/x"), "/x");
  EXPECT_EQ(norm("/a%2fb"), "/a/b");
  EXPECT_EQ(norm("/%u0041%u263a"), "/A?");
  EXPECT_EQ(norm("/%zz%4"), "/%zz%4");
  EXPECT_EQ(norm("/p?q=/../%41#f"), "/p?q=/../%41#f");
  EXPECT_EQ(norm("http://Host:80/a/../b?x"), "http://Host:80/b?x");
  EXPECT_EQ(norm("*"), "*");
  EXPECT_EQ(NormalizeHost("Ex.COM.:8080"), "ex.com");
  EXPECT_EQ(NormalizeHost("[::1]:80"), "[::1]");
  EXPECT_EQ(NormalizeHost("user@H"), "h");
}

TEST(HttpParser, AbsoluteUriSetsHost) {
  auto txs = Parse({{kReq, "GET http://Proxy.Example:3128/x HTTP/1.1\r\nHost: other\r\n\r\n"}});
  ASSERT_EQ(txs.size(), 1u);
  EXPECT_EQ(txs[0].host, "proxy.example");
  EXPECT_EQ(txs[0].host_raw, "Proxy.Example:3128");
}

TEST(HttpParser, ChunkedRequestBody) {
  auto txs = Parse({{kReq, "POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                           "GET /n HTTP/1.1\r\n\r\n"}});
  ASSERT_EQ(txs.size(), 2u);
  EXPECT_EQ(txs[0].request_body, "abcde");
  EXPECT_EQ(txs[0].request_body_bytes, 5u);
  EXPECT_EQ(txs[1].uri, "/n");
}

TEST(HttpParser, UpdatedFlagSetOnChange) {
  HttpParser p;
  std::string req = "GET / HTTP/1.1\r\n\r\n";
  p.Feed(kReq, reinterpret_cast<const uint8_t*>(req.data()), req.size());
  ASSERT_EQ(p.transactions().size(), 1u);
  EXPECT_TRUE(p.transactions()[0].updated);
  p.transactions()[0].updated = false;
  std::string res = "HTTP/1.1 200 OK\r\n";
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(res.data()), res.size());
  EXPECT_TRUE(p.transactions()[0].updated);
}

}  // namespace
}  // namespace kagami::app::http

namespace kagami::app::http {
namespace {

// Reference digests made with libcrypto's one-shot API.
std::string HexDigest(const char* name, std::string_view data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, EVP_get_digestbyname(name), nullptr);
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[d[i] >> 4]);
    out.push_back(kHex[d[i] & 15]);
  }
  return out;
}

void ExpectDigest(const BodyDigest& got, std::string_view body) {
  EXPECT_EQ(got.md5, HexDigest("MD5", body));
  EXPECT_EQ(got.sha1, HexDigest("SHA1", body));
  EXPECT_EQ(got.sha256, HexDigest("SHA256", body));
}

HttpOptions Hashing(uint32_t limit = 100 * 1024, bool keep = true) {
  HttpOptions o;
  o.body_digests = kDigestMd5 | kDigestSha1 | kDigestSha256;
  o.response_body_limit = limit;
  o.request_body_limit = limit;
  o.keep_bodies = keep;
  return o;
}

std::string Payload(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  return s;
}

TEST(HttpBodyDigest, IdentityChunkedAndUploadBodiesWhateverTheSplit) {
  const std::string file = Payload(5000);
  const std::string upload = "field=value&file=" + Payload(300);
  const std::string chunked = Chunked(file, 1700);
  auto txs = Parse({{kReq, "POST /up HTTP/1.1\r\nContent-Length: " + std::to_string(upload.size()) + "\r\n\r\n" +
                               upload + "GET /b HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(file.size()) + "\r\n\r\n" + file +
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked}},
                   Hashing());
  ASSERT_EQ(txs.size(), 2u);
  ExpectDigest(txs[0].request_digest, upload);
  ExpectDigest(txs[0].response_digest, file);
  EXPECT_TRUE(txs[1].request_digest.empty());  // no body, no digest
  ExpectDigest(txs[1].response_digest, file);
}

TEST(HttpBodyDigest, IdentityBodyBeyondTheLimitAndWithoutKeptBodiesIsStillHashed) {
  const std::string file = Payload(10000);
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n" + file;
  auto limited = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing(1000));
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_TRUE(limited[0].response_body_truncated);
  ExpectDigest(limited[0].response_digest, file);
  auto unkept = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing(1000, false));
  ExpectDigest(unkept[0].response_digest, file);
  // Hashing off: nothing.
  auto off = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}});
  EXPECT_TRUE(off[0].response_digest.empty());
}

TEST(HttpBodyDigest, EncodedBodiesAreHashedDecodedOnlyWhenWhollyDecoded) {
  const std::string file = Payload(3000);
  const std::string gz = Deflate(file, 31);
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) + "\r\n\r\n" + gz;
  auto decoded = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing());
  ExpectDigest(decoded[0].response_digest, file);
  // Decoding stopped at the limit: no digest rather than the digest of part
  // of the file.
  auto cut = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing(1000));
  EXPECT_TRUE(cut[0].response_digest.empty());
  // Bodies not kept (no rule reads them) are decoded for the digest alone,
  // within the same limit, and keep nothing.
  auto unkept = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing(100 * 1024, false));
  ExpectDigest(unkept[0].response_digest, file);
  EXPECT_TRUE(unkept[0].response_body.empty());
  auto unkept_cut = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing(1000, false));
  EXPECT_TRUE(unkept_cut[0].response_digest.empty());
}

TEST(HttpBodyDigest, AGzipTrailerSizingTheBodyPastTheLimitSkipsDecodingIt) {
  // Decoded for the digest alone, a gzip body whose trailer gives a decoded
  // size past the limit is not decoded. The trailer is trusted: one that
  // lies about the size costs the body its digest (and only that).
  const std::string file = Payload(800);
  std::string gz = Deflate(file, 31);
  auto response = [](const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  auto honest = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response(gz)}}, Hashing(1000, false));
  ExpectDigest(honest[0].response_digest, file);
  gz[gz.size() - 3] = 0x7f;  // ISIZE now about 8 MB
  auto lying = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response(gz)}}, Hashing(1000, false));
  EXPECT_TRUE(lying[0].response_digest.empty());
  // Kept bodies are decoded for the rules whatever the trailer says.
  auto kept = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response(gz)}}, Hashing(1000));
  ExpectDigest(kept[0].response_digest, file);
}

TEST(HttpBodyDigest, ABodyThatFailsToDecodeHasNoDigestAndOnlyKeptBodiesReportIt) {
  // Labelled gzip but plain text: zlib fails after a few dozen bytes.
  const std::string text(400, 'x');
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 400\r\n\r\n" + text;
  auto kept = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing());
  EXPECT_TRUE(kept[0].response_digest.empty());
  EXPECT_TRUE(HasAnomaly(kept[0], Anomaly::kDecompressionFailed));
  // Decoding for the digest alone must not change what rules and logs see.
  auto unkept = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing(100 * 1024, false));
  EXPECT_TRUE(unkept[0].response_digest.empty());
  EXPECT_FALSE(HasAnomaly(unkept[0], Anomaly::kDecompressionFailed));
}

TEST(HttpBodyDigest, DecodingForTheDigestAloneGivesTheDigestOfTheKeptBody) {
  // Bodies no rule keeps are decoded whole in one call when they are a clean
  // gzip member and by the streaming decoder otherwise; either way the
  // digest is that of the body a rule would have seen.
  const std::string file = Payload(6000);
  const std::string gz = Deflate(file, 31);
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x55;
  std::string reserved_flag = gz;
  reserved_flag[3] |= 0x20;
  const std::string zlib = Deflate(file, 15), raw = Deflate(file, -15);
  // (Gzip bodies cut short or followed by junk are left out: their last four
  // bytes are not a size, which skips decoding them; see the test above.)
  const std::string bodies[] = {gz, zlib, raw, zlib + "junk after the stream", raw + "junk",
                                bad_crc, reserved_flag, zlib.substr(0, zlib.size() / 2),
                                raw.substr(0, raw.size() / 2)};
  for (size_t i = 0; i < std::size(bodies); ++i) {
    SCOPED_TRACE("body " + std::to_string(i));
    const std::string& body = bodies[i];
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body;
    auto kept = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing());
    auto unkept = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"}, {kRes, response}}, Hashing(100 * 1024, false));
    ASSERT_EQ(kept.size(), 1u);
    ASSERT_EQ(unkept.size(), 1u);
    // A raw deflate stream cut short decodes to no digest, kept or not.
    EXPECT_EQ(kept[0].response_digest.empty(), i == 8);
    EXPECT_EQ(unkept[0].response_digest.sha256, kept[0].response_digest.sha256);
    EXPECT_EQ(unkept[0].response_digest.md5, kept[0].response_digest.md5);
    if (i < 7) ExpectDigest(unkept[0].response_digest, file);
  }
}

TEST(HttpBodyDigest, DecodedBodyIsHashedWholeWhenItFitsTheLimitExactly) {
  // Decoded bodies are hashed at their end, from the kept copy or, when no
  // rule keeps bodies, decoded for the digest alone: a body whose decoded
  // size is exactly the limit is whole, one byte more is not.
  const std::string file = Payload(2500);
  const std::string gz = Deflate(file, 31);
  const std::string chunked = Chunked(gz, 700);
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked;
  // Fed one byte at a time: the decoder's output comes in many pieces.
  for (int run = 0; run < 4; ++run) {
    const uint32_t limit = run % 2 == 0 ? 2500 : 2499;
    const bool keep = run < 2;
    SCOPED_TRACE("limit " + std::to_string(limit) + (keep ? " kept" : " not kept"));
    HttpParser p(Hashing(limit, keep));
    const std::string request = "POST /u HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: " +
                                std::to_string(gz.size()) + "\r\n\r\n" + gz;
    for (char c : request) p.Feed(kReq, reinterpret_cast<const uint8_t*>(&c), 1);
    for (char c : response) p.Feed(kRes, reinterpret_cast<const uint8_t*>(&c), 1);
    ASSERT_EQ(p.transactions().size(), 1u);
    const Transaction& tx = p.transactions()[0];
    EXPECT_EQ(tx.response_progress, Progress::kComplete);
    if (limit == 2500) {
      ExpectDigest(tx.request_digest, file);
      ExpectDigest(tx.response_digest, file);
    } else {
      EXPECT_TRUE(tx.request_digest.empty());
      EXPECT_TRUE(tx.response_digest.empty());
    }
  }
}

TEST(HttpBodyDigest, OnlyTheDigestsAskedForAreComputed) {
  const std::string file = Payload(700);
  HttpOptions o;
  o.body_digests = kDigestSha256;
  auto txs = Parse({{kReq, "GET / HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 700\r\n\r\n" + file}},
                   o);
  EXPECT_TRUE(txs[0].response_digest.md5.empty());
  EXPECT_TRUE(txs[0].response_digest.sha1.empty());
  EXPECT_EQ(txs[0].response_digest.sha256, HexDigest("SHA256", file));
}

TEST(HttpBodyDigest, PartialContentIsNotHashedButTheNextResponseIs) {
  const std::string file = Payload(900);
  auto txs = Parse({{kReq, "GET /f HTTP/1.1\r\nRange: bytes=0-899\r\n\r\nGET /f HTTP/1.1\r\n\r\n"},
                    {kRes, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-899/5000\r\nContent-Length: 900\r\n\r\n" +
                               file + "HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n" + file}},
                   Hashing());
  ASSERT_EQ(txs.size(), 2u);
  EXPECT_TRUE(txs[0].response_digest.empty());  // a byte range, not the file
  ExpectDigest(txs[1].response_digest, file);
}

TEST(HttpBodyDigest, BodyTheStreamDepthWillCutOffIsNotHashed) {
  const std::string file = Payload(3000);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n";
  const std::string request = "GET / HTTP/1.1\r\n\r\n";
  HttpOptions o = Hashing();
  // The body ends exactly at the depth: whole, hashed.
  o.stream_depth = head.size() + file.size();
  auto whole = Parse({{kReq, request}, {kRes, head + file}}, o);
  ExpectDigest(whole[0].response_digest, file);
  // One byte past it: the reassembler would stop before the body's end.
  o.stream_depth = head.size() + file.size() - 1;
  auto cut = Parse({{kReq, request}, {kRes, head + file}}, o);
  EXPECT_TRUE(cut[0].response_digest.empty());
  // The depth is per direction: the request side counts its own bytes.
  const std::string upload = "POST /u HTTP/1.1\r\nContent-Length: 3000\r\n\r\n" + file;
  o.stream_depth = upload.size();
  auto up = Parse({{kReq, upload}, {kRes, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}}, o);
  ExpectDigest(up[0].request_digest, file);
}

TEST(HttpBodyDigest, GapInsideTheBodyLeavesNoDigest) {
  const std::string file = Payload(100);
  HttpParser p(Hashing());
  p.Feed(kReq, reinterpret_cast<const uint8_t*>("GET / HTTP/1.1\r\n\r\n"), 18);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(head.data()), head.size());
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(file.data()), 40);
  p.Gap(kRes, 20);
  p.Feed(kRes, reinterpret_cast<const uint8_t*>(file.data() + 60), 40);
  ASSERT_EQ(p.transactions().size(), 1u);
  EXPECT_EQ(p.transactions()[0].response_progress, Progress::kComplete);
  EXPECT_TRUE(p.transactions()[0].response_digest.empty());
}

}  // namespace
}  // namespace kagami::app::http
