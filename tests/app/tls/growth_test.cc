// Work that must stay linear in what an attacker sends: a ClientHello that
// repeats an extension thousands of times. Counted in heap allocations, not
// time (bench/growth_bench.cc and docs/perf/growth.md have the timings).
//
// The allocation count comes from replacing the global operator new/delete
// for this test binary (they forward to malloc/free, so sanitizers still
// see every block); only allocations made while a Counting scope is open
// are counted.

#include <cstdlib>
#include <new>

#include "engine/app/tls/hello_parser.h"
#include "engine/app/tls/tls_parser.h"
#include "gtest/gtest.h"
#include "tests/app/tls/tls_test_util.h"

namespace {

thread_local bool g_counting = false;
thread_local uint64_t g_allocations = 0;

void* CountedAlloc(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t n) { return CountedAlloc(n); }
void* operator new[](std::size_t n) { return CountedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace kagami::app::tls {
namespace {

using namespace testing;  // NOLINT: the builders in tls_test_util.h

struct Counting {
  Counting() {
    g_allocations = 0;
    g_counting = true;
  }
  ~Counting() { g_counting = false; }
  uint64_t count() const { return g_allocations; }
};

// The hello body (no handshake header) with `n` supported_groups
// extensions of one group each: the values of all of them land in one list.
Bytes RepeatedGroupsHello(size_t n) {
  std::vector<Extension> exts;
  for (size_t i = 0; i < n; ++i) exts.push_back(GroupsExt({static_cast<uint16_t>(0x0100 + i)}));
  return ClientHelloBody(0x0303, {0x1301}, exts);
}

// Reserving exactly size + one value per repeated extension reallocated the
// list for every extension: 8,191 allocations (and n^2/2 values copied) for
// the most a hello can carry. Growing it geometrically takes a few dozen.
TEST(ClientHelloGrowth, RepeatedExtensionListsGrowGeometrically) {
  for (size_t n : {size_t{64}, size_t{8191}}) {
    const Bytes body = RepeatedGroupsHello(n);
    ClientHello ch;
    uint64_t allocations = 0;
    {
      Counting counting;
      EXPECT_FALSE(ParseClientHello(body.data(), body.size(), ch).has_value());
      allocations = counting.count();
    }
    ASSERT_EQ(ch.supported_groups.size(), n);
    EXPECT_EQ(ch.supported_groups.front(), 0x0100);
    EXPECT_EQ(ch.supported_groups.back(), static_cast<uint16_t>(0x0100 + n - 1));
    EXPECT_EQ(ch.extensions.size(), n);
    // Two lists (extension types, groups) and the cipher suites, each
    // doubling from 1 to n: about 2 log2(n) + 1; far from n.
    EXPECT_LE(allocations, 40u) << n;
  }
}

// The same hello through the parser, in records: same values and
// fingerprints as when it comes whole.
TEST(ClientHelloGrowth, RepeatedGroupsThroughTheParser) {
  const Bytes wire = Records(22, Handshake(1, RepeatedGroupsHello(8191)), 16384);
  TlsParser p;
  p.Feed(Direction::kToServer, wire.data(), wire.size());
  ASSERT_TRUE(p.session().client_hello.has_value());
  const ClientHello& ch = *p.session().client_hello;
  EXPECT_EQ(ch.supported_groups.size(), 8191u);
  EXPECT_FALSE(ch.ja3_hash.empty());
  EXPECT_FALSE(ch.ja4.empty());
}

}  // namespace
}  // namespace kagami::app::tls
