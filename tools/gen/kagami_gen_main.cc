// kagami-gen: writes a deterministic capture of benign sessions with C2
// sessions of known families injected among them, or (--attack) of an
// attack on a sensor's resources with legitimate sessions mixed in (see
// tools/gen/README.md).
#include <malloc.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tools/gen/attacks.h"
#include "tools/gen/c2_family.h"
#include "tools/gen/generator.h"

namespace {

using kagami::gen::CaptureFormat;

// "64MB", "2GiB", "1500000", "10k": decimal units (kB, MB, GB, TB) count in
// powers of 1000, binary ones (KiB, MiB, ...) and bare letters in 1024.
bool ParseSize(const std::string& text, uint64_t* out) {
  size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) ++digits;
  double number = 0;
  if (digits == 0 || !absl::SimpleAtod(text.substr(0, digits), &number)) return false;
  const std::string unit = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text.substr(digits)));
  static const struct {
    const char* name;
    double factor;
  } kUnits[] = {{"", 1},       {"b", 1},          {"k", 1024.0},     {"kib", 1024.0}, {"kb", 1e3},
                {"m", 1048576.0}, {"mib", 1048576.0}, {"mb", 1e6},    {"g", 1073741824.0},
                {"gib", 1073741824.0}, {"gb", 1e9}, {"t", 1099511627776.0}, {"tib", 1099511627776.0}, {"tb", 1e12}};
  for (const auto& u : kUnits) {
    if (unit == u.name) {
      const double bytes = number * u.factor;
      if (bytes < 1 || bytes > 1e15) return false;
      *out = static_cast<uint64_t>(bytes);
      return true;
    }
  }
  return false;
}

bool ParseMix(const std::string& text, kagami::gen::TrafficMix* mix, std::string* error) {
  kagami::gen::TrafficMix m{0, 0, 0};
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    uint32_t weight = 0;
    if (!absl::SimpleAtoi(kv.second, &weight)) {
      *error = "--mix: '" + std::string(part) + "' is not PROTOCOL=WEIGHT";
      return false;
    }
    const std::string key = absl::AsciiStrToLower(kv.first);
    if (key == "http") {
      m.http = weight;
    } else if (key == "dns") {
      m.dns = weight;
    } else if (key == "tls") {
      m.tls = weight;
    } else {
      *error = "--mix: unknown protocol '" + kv.first + "' (expected http, dns, tls)";
      return false;
    }
  }
  if (m.total() == 0) {
    *error = "--mix: every weight is 0";
    return false;
  }
  *mix = m;
  return true;
}

std::string HumanBytes(uint64_t n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrFormat("%.0f %s", v, kUnits[u]) : absl::StrFormat("%.2f %s", v, kUnits[u]);
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "kagami-gen: %s\n", message.c_str());
  return 2;
}

std::string AttackNames() {
  std::string names;
  for (const kagami::gen::AttackKindInfo& k : kagami::gen::AttackKinds()) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", std::string(k.name));
  }
  return names;
}

CaptureFormat FormatFor(const std::string& format, const std::string& output) {
  if (format == "pcapng" || (format.empty() && output.size() > 7 && output.substr(output.size() - 7) == ".pcapng")) {
    return CaptureFormat::kPcapng;
  }
  return CaptureFormat::kPcap;
}

// "2,000,000": the counts in the summary are read by people.
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// --attack: validated options in, capture out, summary on stderr.
int RunAttack(const kagami::gen::AttackKindInfo& info, const kagami::gen::AttackOptions& options,
              const std::string& output, CaptureFormat fmt) {
  if (absl::Status s = kagami::gen::ValidateAttackOptions(options); !s.ok()) return Fail(std::string(s.message()));
  auto writer = kagami::gen::CaptureWriter::Open(output, fmt);
  if (!writer.ok()) return Fail(std::string(writer.status().message()));
  absl::StatusOr<kagami::gen::GeneratorSummary> summary = kagami::gen::GenerateAttack(options, **writer);
  absl::Status closed = (*writer)->Close();
  if (!summary.ok()) return Fail(std::string(summary.status().message()));
  if (!closed.ok()) return Fail(std::string(closed.message()));
  std::fprintf(stderr,
               "kagami-gen: wrote %s (%s, seed %llu): %llu packets, %s, attack %s: %s %s, %llu legitimate "
               "session%s, %.1f s of traffic\n",
               output == "-" ? "standard output" : output.c_str(), fmt == CaptureFormat::kPcap ? "pcap" : "pcapng",
               static_cast<unsigned long long>(options.seed), static_cast<unsigned long long>(summary->packets),
               HumanBytes(summary->bytes).c_str(), std::string(info.name).c_str(),
               Grouped(kagami::gen::AttackCount(options)).c_str(), std::string(info.count_unit).c_str(),
               static_cast<unsigned long long>(summary->sessions), summary->sessions == 1 ? "" : "s",
               static_cast<double>(summary->last_ns - summary->first_ns) / 1e9);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Sessions hold multi-megabyte bodies that are built and freed all the
  // time; by default glibc maps and unmaps each one, and the page faults
  // cost more than generating the bytes. Keep freed memory for reuse.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
  CLI::App app{"kagami-gen: deterministic capture generator (benign HTTP/DNS/TLS sessions, injected C2)", "kagami-gen"};
  std::string output, format, size, mix;
  std::vector<std::string> injects;
  uint64_t seed = 1, sessions = 0;
  uint32_t mss = 1460;
  double ipv6 = 0;
  bool inject_only = false, list_families = false, random_splits = false;
  std::string attack, order;
  uint64_t count = 0, legit = 4;
  bool list_attacks = false;
  app.add_option("-o,--output", output, "Capture file to write, '-' for standard output");
  app.add_option("--format", format, "pcap or pcapng (default: from the file extension, pcap for stdout)")
      ->check(CLI::IsMember({"pcap", "pcapng"}));
  app.add_option("--seed", seed, "Seed: the same seed and options write the same bytes")->capture_default_str();
  app.add_option("--size", size, "Approximate file size: 64MB, 2GiB, 500k, ... (default 16MiB without --sessions)");
  app.add_option("--sessions", sessions, "Number of benign sessions");
  app.add_option("--mix", mix, "Protocol weights, e.g. http=50,dns=30,tls=20 (the default)");
  app.add_option("--inject", injects, "C2 family to inject, FAMILY[:COUNT] (repeatable)");
  app.add_flag("--inject-only", inject_only, "Write only the injected C2 sessions, no benign traffic");
  app.add_flag("--list-families", list_families, "List the C2 families --inject knows and exit");
  app.add_option("--mss", mss, "TCP maximum segment size (64..9000)")->capture_default_str();
  app.add_flag("--random-splits", random_splits, "Also cut TCP messages at random points (exercises reassembly)");
  app.add_option("--ipv6", ipv6, "Fraction of benign sessions over IPv6 (0..1)")->capture_default_str();
  app.add_option("--attack", attack, "Write an attack on a sensor's resources instead: " + AttackNames());
  app.add_option("--count", count, "With --attack: how much of it (SYNs, fragments, bytes ...; --list-attacks)");
  app.add_option("--order", order, "With --attack tcp-reverse: reverse (default), random, overlapping, in-order");
  app.add_option("--legit", legit, "With --attack: legitimate HTTP sessions mixed in")->capture_default_str();
  app.add_flag("--list-attacks", list_attacks, "List the attack kinds with their default counts and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (list_families) {
    for (const kagami::gen::C2Family& f : kagami::gen::C2Families()) {
      std::printf("%-20s %s\n", f.name.c_str(), f.description.c_str());
    }
    return 0;
  }
  if (list_attacks) {
    for (const kagami::gen::AttackKindInfo& k : kagami::gen::AttackKinds()) {
      std::printf("%-18s %14s %-14s %s\n", std::string(k.name).c_str(), Grouped(k.default_count).c_str(),
                  std::string(k.count_unit).c_str(), std::string(k.exercises).c_str());
    }
    return 0;
  }
  if (output.empty()) return Fail("-o FILE is required ('-' for standard output)");

  if (attack.empty()) {
    for (const char* name : {"--count", "--order", "--legit"}) {
      if (app.count(name) > 0) return Fail(std::string(name) + " goes with --attack KIND");
    }
  } else {
    // An attack capture is the attack and its legitimate sessions only: the
    // options that shape benign traffic have nothing to act on.
    for (const char* name : {"--size", "--sessions", "--mix", "--inject", "--inject-only", "--mss", "--random-splits",
                             "--ipv6"}) {
      if (app.count(name) > 0) {
        return Fail(std::string("--attack cannot be combined with ") + name +
                    " (an attack capture holds the attack and --legit sessions; --count sets its size)");
      }
    }
    const kagami::gen::AttackKindInfo* kind = kagami::gen::FindAttackKind(attack);
    if (kind == nullptr) return Fail("--attack: unknown kind '" + attack + "' (known: " + AttackNames() + ")");
    kagami::gen::AttackOptions options;
    options.kind = kind->kind;
    options.seed = seed;
    options.legit = legit;
    if (app.count("--count") > 0 && count == 0) return Fail("--count must be at least 1");
    options.count = count;
    if (!order.empty()) {
      if (kind->kind != kagami::gen::AttackKind::kTcpReverse) return Fail("--order goes with --attack tcp-reverse");
      auto parsed = kagami::gen::ParseSegmentOrder(order);
      if (!parsed) return Fail("--order: '" + order + "' is not reverse, random, overlapping or in-order");
      options.order = *parsed;
    }
    return RunAttack(*kind, options, output, FormatFor(format, output));
  }

  kagami::gen::GeneratorOptions options;
  options.seed = seed;
  options.sessions = sessions;
  options.mss = mss;
  options.random_splits = random_splits;
  options.ipv6_fraction = ipv6;
  options.inject_only = inject_only;
  if (!size.empty() && !ParseSize(size, &options.target_bytes)) {
    return Fail("--size: '" + size + "' is not a size (e.g. 64MB, 2GiB, 500k)");
  }
  if (size.empty() && sessions == 0) options.target_bytes = uint64_t{16} << 20;
  if (!mix.empty()) {
    std::string error;
    if (!ParseMix(mix, &options.mix, &error)) return Fail(error);
  }
  for (const std::string& spec : injects) {
    kagami::gen::InjectSpec inject;
    const size_t colon = spec.rfind(':');
    inject.family = spec.substr(0, colon);
    if (colon != std::string::npos && !absl::SimpleAtoi(spec.substr(colon + 1), &inject.count)) {
      return Fail("--inject: '" + spec + "' is not FAMILY[:COUNT]");
    }
    options.inject.push_back(inject);
  }
  if (absl::Status s = kagami::gen::ValidateOptions(options); !s.ok()) return Fail(std::string(s.message()));

  const CaptureFormat fmt = FormatFor(format, output);
  auto writer = kagami::gen::CaptureWriter::Open(output, fmt);
  if (!writer.ok()) return Fail(std::string(writer.status().message()));
  absl::StatusOr<kagami::gen::GeneratorSummary> summary = kagami::gen::Generate(options, **writer);
  absl::Status closed = (*writer)->Close();
  if (!summary.ok()) return Fail(std::string(summary.status().message()));
  if (!closed.ok()) return Fail(std::string(closed.message()));

  std::fprintf(stderr, "kagami-gen: wrote %s (%s, seed %llu): %llu packets, %s, %llu sessions, %.1f s of traffic\n",
               output == "-" ? "standard output" : output.c_str(), fmt == CaptureFormat::kPcap ? "pcap" : "pcapng",
               static_cast<unsigned long long>(seed), static_cast<unsigned long long>(summary->packets),
               HumanBytes(summary->bytes).c_str(), static_cast<unsigned long long>(summary->sessions),
               static_cast<double>(summary->last_ns - summary->first_ns) / 1e9);
  for (const auto& [label, count] : summary->sessions_by_label) {
    std::fprintf(stderr, "  %-16s %llu\n", label.c_str(), static_cast<unsigned long long>(count));
  }
  return 0;
}
