#pragma once
// A deterministic synthetic indicator feed for benchmarks: `count`
// indicators in a realistic type mix (addresses and CIDRs v4/v6, domains,
// URLs, user agents, JA3, certificate and file hashes), attributed to a few
// made-up campaigns, written as CSV, Zeek Intel or a STIX 2.1 bundle. Streams
// to the file, so generating a million entries takes no memory to speak of.

#include <cstdint>
#include <string>

namespace kagami::bench {

enum class FeedKind { kCsv, kZeek, kStix };

// Returns false when the file cannot be written.
bool WriteSyntheticFeed(const std::string& path, FeedKind kind, uint64_t count, uint64_t seed = 1);

}  // namespace kagami::bench
