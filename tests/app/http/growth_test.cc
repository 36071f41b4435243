// Work that must stay linear (or n log n) in what an attacker sends: the
// http.header buffer of a block of many header lines, and a chunk-size line
// trickled in one byte per segment. Counted in operations, never in time
// (bench/growth_bench.cc and docs/perf/growth.md have the timings).

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/app/http/header_util.h"
#include "engine/app/http/http_parser.h"
#include "gtest/gtest.h"

namespace kagami::app::http {
namespace {

// The pairwise definition BuildHeaderBuffer replaced, kept as the oracle:
// for each header, skip it if an earlier one has the same name (EqualsLoose
// of the earlier name against this one), else write it with the values of
// every later header of that name.
std::string PairwiseHeaderBuffer(const std::vector<Header>& headers, std::string_view cookie_name) {
  std::string out;
  for (size_t i = 0; i < headers.size(); ++i) {
    const Header& h = headers[i];
    if (EqualsLoose(h.name, cookie_name)) continue;
    bool seen_before = false;
    for (size_t k = 0; k < i && !seen_before; ++k) seen_before = EqualsLoose(headers[k].name, h.name);
    if (seen_before) continue;
    out.append(h.name).append(": ").append(h.value);
    for (size_t k = i + 1; k < headers.size(); ++k) {
      if (EqualsLoose(headers[k].name, h.name)) out.append(", ").append(headers[k].value);
    }
    out.append("\r\n");
  }
  return out;
}

TEST(CompareLoose, IsZeroExactlyWhenEqualsLooseHoldsForNulFreeNames) {
  using namespace std::string_view_literals;
  EXPECT_EQ(CompareLoose("Host", "hOST"), 0);
  EXPECT_EQ(CompareLoose("Ho\0st"sv, "host"), 0);
  EXPECT_EQ(CompareLoose("Ho\0st"sv, "h\0ost"sv), 0);
  EXPECT_LT(CompareLoose("a", "B"), 0);
  EXPECT_GT(CompareLoose("ab", "a"), 0);
  EXPECT_LT(CompareLoose("", "a"), 0);
  std::mt19937 rng(3);
  const char alphabet[] = {'a', 'A', 'b', '\0', '-'};
  auto draw = [&] {
    std::string s(rng() % 5, ' ');
    for (char& c : s) c = alphabet[rng() % sizeof(alphabet)];
    return s;
  };
  for (int i = 0; i < 100000; ++i) {
    const std::string a = draw(), b = draw(), c = draw();
    const int ab = CompareLoose(a, b);
    ASSERT_EQ(ab, -CompareLoose(b, a));
    if (b.find('\0') == std::string::npos) {
      ASSERT_EQ(ab == 0, EqualsLoose(a, b));
    }
    // Transitive, so sorting by it is well defined.
    if (ab <= 0 && CompareLoose(b, c) <= 0) {
      ASSERT_LE(CompareLoose(a, c), 0);
    }
  }
}

TEST(BuildHeaderBuffer, SameTextAsThePairwiseDefinition) {
  // Few distinct names, case variants, NULs inside names (which the
  // pairwise rule treats asymmetrically) and the cookie header, so groups,
  // repeats and every odd case occur often.
  std::mt19937 rng(11);
  const std::vector<std::string> names = {"Host",   "host",   "HOST", std::string("Ho\0st", 5), "Cookie",
                                          "cookie", std::string("Coo\0kie", 7), "Set-Cookie", "X-A",
                                          "x-a",    "",       std::string("x-\0a", 4), "Accept"};
  for (int round = 0; round < 20000; ++round) {
    std::vector<Header> headers(rng() % 12);
    for (size_t i = 0; i < headers.size(); ++i) {
      headers[i].name = names[rng() % names.size()];
      headers[i].value = "v" + std::to_string(i);
    }
    for (std::string_view cookie : {"Cookie", "Set-Cookie"}) {
      std::string got;
      BuildHeaderBuffer(headers, cookie, got);
      ASSERT_EQ(got, PairwiseHeaderBuffer(headers, cookie)) << "round " << round;
    }
  }
}

// The bound that would have caught the quadratic grouping: a 64 KiB block
// holds 6,553 distinct ten-byte header lines; pairwise that was ~21 million
// name comparisons, sorted it is n log n.
TEST(BuildHeaderBuffer, ComparisonsAreNLogN) {
  for (size_t n : {size_t{100}, size_t{6553}}) {
    std::vector<Header> distinct(n), same(n);
    char name[32];
    for (size_t i = 0; i < n; ++i) {
      std::snprintf(name, sizeof name, "h%05zx", i);
      distinct[i] = {name, "v"};
      same[i] = {"X-Same", "v"};
    }
    const double bound = 3.0 * static_cast<double>(n) * std::log2(static_cast<double>(n)) + 2.0 * static_cast<double>(n);
    for (const auto* headers : {&distinct, &same}) {
      uint64_t comparisons = 0;
      std::string out;
      BuildHeaderBuffer(*headers, "Cookie", out, &comparisons);
      EXPECT_LE(static_cast<double>(comparisons), bound) << n;
      // The oracle is the quadratic rule itself: the full-block case is
      // checked once, through the parser, below.
      if (n <= 100) {
        EXPECT_EQ(out, PairwiseHeaderBuffer(*headers, "Cookie"));
      }
    }
  }
}

// The whole parser on a maximal block: every line kept, the buffer the
// pairwise rule gives.
TEST(BuildHeaderBuffer, ParserKeepsAFullBlockOfDistinctHeaders) {
  std::string req = "GET / HTTP/1.1\r\n";
  char line[32];
  for (int i = 0; i < 6553; ++i) {
    std::snprintf(line, sizeof line, "h%05x:v\r\n", i);
    req += line;
  }
  req += "\r\n";
  HttpParser p;
  for (size_t i = 0; i < req.size(); i += 1460) {
    p.Feed(Direction::kToServer, reinterpret_cast<const uint8_t*>(req.data() + i), std::min<size_t>(1460, req.size() - i));
  }
  ASSERT_EQ(p.transactions().size(), 1u);
  const Transaction& tx = p.transactions().front();
  EXPECT_EQ(tx.request_headers.size(), 6553u);
  EXPECT_EQ(tx.request_header, PairwiseHeaderBuffer(tx.request_headers, "Cookie"));
  EXPECT_EQ(tx.request_progress, Transaction::Progress::kComplete);
}

void FeedBytes(HttpParser& p, Direction dir, const std::string& data) {
  for (char c : data) p.Feed(dir, reinterpret_cast<const uint8_t*>(&c), 1);
}

void StartChunkedResponse(HttpParser& p) {
  const std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  p.Feed(Direction::kToServer, reinterpret_cast<const uint8_t*>(req.data()), req.size());
  p.Feed(Direction::kToClient, reinterpret_cast<const uint8_t*>(head.data()), head.size());
}

// Each partial chunk-size line was scanned from its start at every feed:
// 50,000 spaces one per segment were 1.25 * 10^9 byte checks.
TEST(ChunkSizeLine, TrickledSpacesAreScannedOnce) {
  HttpParser p;
  StartChunkedResponse(p);
  const std::string spaces(50000, ' ');
  FeedBytes(p, Direction::kToClient, spaces + "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_LE(p.line_scan_bytes(), 2 * spaces.size());
  ASSERT_EQ(p.transactions().size(), 1u);
  EXPECT_EQ(p.transactions().front().response_body, "hello");
  EXPECT_EQ(p.transactions().front().response_progress, Transaction::Progress::kComplete);
}

// The early decision still comes at the first byte that cannot start a
// size, however many spaces came before it, and a new line starts its scan
// afresh.
TEST(ChunkSizeLine, HopelessLineIsStillDecidedAtItsFirstBadByte) {
  HttpParser p;
  StartChunkedResponse(p);
  FeedBytes(p, Direction::kToClient, "3\r\nabc\r\n" + std::string(1000, ' '));
  EXPECT_EQ(p.transactions().front().response_body, "abc");
  FeedBytes(p, Direction::kToClient, "x");
  const Transaction& tx = p.transactions().front();
  EXPECT_NE(std::find(tx.anomalies.begin(), tx.anomalies.end(), Anomaly::kInvalidChunkSize), tx.anomalies.end());
  // Read as body until close from the bad line on, that line included.
  EXPECT_EQ(tx.response_body, "abc" + std::string(1000, ' ') + "x");
  EXPECT_LE(p.line_scan_bytes(), 2u * 1001u + 16u);
}

}  // namespace
}  // namespace kagami::app::http
