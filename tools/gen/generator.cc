#include "tools/gen/generator.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/gen/c2_family.h"
#include "tools/gen/session_writer.h"

namespace kagami::gen {
namespace {

// Each use of randomness has its own stream, so adding a draw in one place
// (a new header in benign HTTP, say) does not move the injection positions.
uint64_t StreamSeed(uint64_t seed, uint64_t stream) {
  Rng mix(seed ^ (stream * 0xd1b54a32d192ed03ULL));
  return mix.Next();
}

}  // namespace

absl::Status ValidateOptions(const GeneratorOptions& o) {
  if (o.mss < 64 || o.mss > 9000) return absl::InvalidArgumentError(absl::StrCat("mss ", o.mss, " out of range 64..9000"));
  if (!(o.ipv6_fraction >= 0 && o.ipv6_fraction <= 1)) {
    return absl::InvalidArgumentError("ipv6 fraction must be between 0 and 1");
  }
  if (!o.inject_only && o.mix.total() == 0) return absl::InvalidArgumentError("the mix has no protocol with a weight above 0");
  if (!o.inject_only && o.target_bytes == 0 && o.sessions == 0) {
    return absl::InvalidArgumentError("give a size or a session count");
  }
  if (o.inject_only && o.inject.empty()) return absl::InvalidArgumentError("inject-only needs at least one family to inject");
  for (const InjectSpec& spec : o.inject) {
    if (FindC2Family(spec.family) == nullptr) {
      std::string known;
      for (const C2Family& f : C2Families()) absl::StrAppend(&known, known.empty() ? "" : ", ", f.name);
      return absl::InvalidArgumentError(absl::StrCat("unknown C2 family '", spec.family, "' (known: ", known, ")"));
    }
    if (spec.count == 0) return absl::InvalidArgumentError(absl::StrCat("inject count for ", spec.family, " must be at least 1"));
  }
  if (o.concurrency == 0) return absl::InvalidArgumentError("concurrency must be at least 1");
  return absl::OkStatus();
}

absl::StatusOr<GeneratorSummary> Generate(const GeneratorOptions& options, CaptureWriter& out) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  Rng content(StreamSeed(options.seed, 1));
  Rng c2(StreamSeed(options.seed, 2));
  Rng positions(StreamSeed(options.seed, 3));
  SessionWriterOptions wo;
  wo.mss = options.mss;
  wo.random_splits = options.random_splits;
  wo.concurrency = options.concurrency;
  wo.start_ns = options.start_ns;
  SessionWriter writer(wo, StreamSeed(options.seed, 4), &out);
  BenignTraffic benign(options.mix, options.ipv6_fraction);
  GeneratorSummary summary;

  // The injections in a seeded order, each at a seeded point of the run
  // (a fraction of the target), spread evenly with jitter.
  std::vector<const C2Family*> injections;
  for (const InjectSpec& spec : options.inject) {
    for (uint64_t i = 0; i < spec.count; ++i) injections.push_back(FindC2Family(spec.family));
  }
  for (size_t i = injections.size(); i > 1; --i) std::swap(injections[i - 1], injections[positions.Below(i)]);
  std::vector<double> at(injections.size());
  for (size_t j = 0; j < at.size(); ++j) {
    const double jitter = 0.1 + 0.8 * static_cast<double>(positions.Below(1000)) / 1000.0;
    at[j] = (static_cast<double>(j) + jitter) / static_cast<double>(at.size());
  }

  auto add = [&](Session s) {
    ++summary.sessions_by_label[s.label];
    ++summary.sessions;
    writer.Add(std::move(s));
  };
  auto inject = [&](const C2Family& family) {
    const Endpoint client{ClientAddress(c2, false), EphemeralPort(c2)};
    const Endpoint server{PublicAddress(c2, false), 80};
    for (Session& s : family.make(c2, client, server)) add(std::move(s));
  };

  size_t next = 0;
  uint64_t benign_sessions = 0;
  if (!options.inject_only) {
    for (;;) {
      double progress = 0;
      if (options.sessions > 0) {
        progress = static_cast<double>(benign_sessions) / static_cast<double>(options.sessions);
      }
      if (options.target_bytes > 0) {
        const double by_size = static_cast<double>(out.bytes() + writer.pending_bytes_estimate()) /
                               static_cast<double>(options.target_bytes);
        progress = std::max(progress, by_size);
      }
      while (next < injections.size() && at[next] <= progress) inject(*injections[next++]);
      if (progress >= 1) break;
      uint64_t budget = UINT64_MAX;
      if (options.target_bytes > 0) {
        const uint64_t used = out.bytes() + writer.pending_bytes_estimate();
        budget = options.target_bytes > used ? options.target_bytes - used : 0;
      }
      add(benign.Next(content, writer.now_ns(), budget));
      ++benign_sessions;
      if (!out.status().ok()) return out.status();
    }
  }
  while (next < injections.size()) inject(*injections[next++]);
  writer.Finish();
  if (!out.status().ok()) return out.status();
  summary.packets = out.packets();
  summary.bytes = out.bytes();
  summary.first_ns = options.start_ns;
  summary.last_ns = writer.now_ns();
  return summary;
}

}  // namespace kagami::gen
