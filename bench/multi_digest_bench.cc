// MultiDigest: bytes per second of a 16 KiB body fed in 1460-byte pieces, per
// set of digests and engine (0 stitched, 1 libcrypto one digest after the
// other). The stitched engine needs the CPU's SHA extensions; without them
// both rows measure libcrypto.
#include <benchmark/benchmark.h>

#include <vector>

#include "common/multi_digest.h"

namespace {

using kagami::MultiDigest;

void BM_MultiDigest(benchmark::State& state) {
  const auto kinds = static_cast<uint8_t>(state.range(0));
  const auto engine =
      state.range(1) == 0 ? MultiDigest::Engine::kStitched : MultiDigest::Engine::kLibcrypto;
  std::vector<uint8_t> body(16384);
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>(i * 131 + 7);
  MultiDigest d(engine);
  MultiDigest::Result r{};
  for (auto _ : state) {
    d.Start(kinds);
    for (size_t at = 0; at < body.size(); at += 1460) {
      d.Update(body.data() + at, std::min<size_t>(1460, body.size() - at));
    }
    d.Finish(&r);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetLabel(d.engine() == MultiDigest::Engine::kStitched ? "stitched" : "libcrypto");
}
BENCHMARK(BM_MultiDigest)
    ->ArgNames({"kinds", "engine"})
    ->ArgsProduct({{MultiDigest::kMd5, MultiDigest::kSha1, MultiDigest::kSha256,
                    MultiDigest::kMd5 | MultiDigest::kSha1 | MultiDigest::kSha256},
                   {0, 1}});

}  // namespace
