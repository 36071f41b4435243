#include "engine/output/scan_summary.h"

#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kagami::output {
namespace {

const char* Plural(uint64_t n, const char* one, const char* many) {
  return n == 1 ? one : many;
}

// A counter's name with its number: "flow[s]" reads "1 flow", "2 flows";
// "entr[y|ies]" reads "1 entry", "2 entries"; a name without brackets is
// the same for any count ("bytes reassembled" stays as written).
std::string CountedName(uint64_t n, std::string_view name) {
  const size_t open = name.find('[');
  const size_t close = open == std::string_view::npos ? open : name.find(']', open);
  if (close == std::string_view::npos) return std::string(name);
  const std::string_view inside = name.substr(open + 1, close - open - 1);
  const size_t bar = inside.find('|');
  const std::string_view one = bar == std::string_view::npos ? std::string_view() : inside.substr(0, bar);
  const std::string_view many = bar == std::string_view::npos ? inside : inside.substr(bar + 1);
  std::string out(name.substr(0, open));
  out.append(n == 1 ? one : many);
  out.append(CountedName(n, name.substr(close + 1)));
  return out;
}

struct SignatureCount {
  uint32_t gid = 0, sid = 0;
  const std::string* msg = nullptr;
  uint64_t count = 0;
};

}  // namespace

std::string FormatCount(uint64_t v) {
  std::string digits = absl::StrCat(v);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  const size_t lead = digits.size() % 3;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (i + 3 - lead) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string FormatBytes(uint64_t v) {
  if (v < 1000) return absl::StrCat(v, " B");
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  double x = static_cast<double>(v) / 1000.0;
  size_t unit = 0;
  // Move up when the value would print as 1000.0 or more.
  while (x >= 999.95 && unit + 1 < std::size(kUnits)) {
    x /= 1000.0;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", x, kUnits[unit]);
}

void ScanSummary::Start() {
  start_ = Clock::now();
  finished_ = false;
}

void ScanSummary::Finish() {
  end_ = Clock::now();
  finished_ = true;
}

double ScanSummary::elapsed_seconds() const {
  if (elapsed_override_ >= 0) return elapsed_override_;
  const Clock::time_point end = finished_ ? end_ : Clock::now();
  return std::chrono::duration<double>(end - start_).count();
}

void ScanSummary::ForgetRules() {
  for (const auto& [rule, count] : per_rule_) retired_.push_back({rule->gid, rule->sid, rule->msg, count});
  per_rule_.clear();
}

void ScanSummary::MergeAlerts(const ScanSummary& other) {
  alerts_ += other.alerts_;
  for (const auto& [rule, count] : other.per_rule_) per_rule_[rule] += count;
  retired_.insert(retired_.end(), other.retired_.begin(), other.retired_.end());
  for (const auto& [sid, c] : other.per_indicator_) {
    auto [it, inserted] = per_indicator_.try_emplace(sid, c);
    if (!inserted) it->second.count += c.count;
  }
}

void ScanSummary::Print(FILE* out) const {
  const double secs = elapsed_seconds();
  std::string text =
      interface_.empty()
          ? absl::StrCat("kagami: scanned ", FormatCount(files_), Plural(files_, " file", " files"),
                         unread_files_ == 0 ? ""
                                            : absl::StrCat(" (", FormatCount(unread_files_), " could not be read)"),
                         ", ")
          : absl::StrCat("kagami: captured on ", interface_, ": ");
  absl::StrAppend(&text, FormatCount(packets_), Plural(packets_, " packet, ", " packets, "), FormatBytes(bytes_),
                  secs < 1 ? absl::StrFormat(" in %.3f s", secs) : absl::StrFormat(" in %.2f s", secs));
  if (secs > 0) {
    const auto pps = static_cast<uint64_t>(static_cast<double>(packets_) / secs);
    const double mbps = static_cast<double>(bytes_) * 8.0 / 1e6 / secs;
    // A capture's run includes the time the link was quiet: its rate is an
    // average of the traffic, not of what the engine can do.
    absl::StrAppend(&text, interface_.empty() ? " (" : " (traffic averaged ", FormatCount(pps), " packets/s, ",
                    absl::StrFormat("%.1f", mbps), " Mbit/s)");
  }
  text.push_back('\n');

  // Merge rule objects that describe the same signature (a reload, or a
  // rule loaded twice) so each (gid, sid, msg) is one row.
  std::vector<SignatureCount> rows;
  rows.reserve(per_rule_.size());
  for (const auto& [rule, count] : per_rule_) {
    rows.push_back({rule->gid, rule->sid, &rule->msg, count});
  }
  for (const auto& [sid, c] : per_indicator_) rows.push_back({c.gid, sid, &c.signature, c.count});
  for (const RetiredRule& r : retired_) rows.push_back({r.gid, r.sid, &r.msg, r.count});
  const auto key = [](const SignatureCount& r) {
    return std::tie(r.gid, r.sid, *r.msg);
  };
  std::sort(rows.begin(), rows.end(),
            [&](const SignatureCount& a, const SignatureCount& b) { return key(a) < key(b); });
  std::vector<SignatureCount> merged;
  for (const SignatureCount& r : rows) {
    if (!merged.empty() && key(merged.back()) == key(r)) {
      merged.back().count += r.count;
    } else {
      merged.push_back(r);
    }
  }
  std::sort(merged.begin(), merged.end(), [&](const SignatureCount& a, const SignatureCount& b) {
    if (a.count != b.count) return a.count > b.count;
    return key(a) < key(b);
  });

  absl::StrAppend(&text, "alerts: ", FormatCount(alerts_));
  if (alerts_ > 0) {
    absl::StrAppend(&text, " from ", FormatCount(merged.size()),
                    Plural(merged.size(), " signature", " signatures"));
  }
  text.push_back('\n');
  if (!merged.empty()) {
    const size_t shown = std::min(merged.size(), kTopSignatures);
    std::vector<std::string> counts, sids;
    size_t count_w = 5, sid_w = 3;
    for (size_t i = 0; i < shown; ++i) {
      counts.push_back(FormatCount(merged[i].count));
      sids.push_back(merged[i].gid == 1 ? absl::StrCat(merged[i].sid)
                                        : absl::StrCat(merged[i].gid, ":", merged[i].sid));
      count_w = std::max(count_w, counts.back().size());
      sid_w = std::max(sid_w, sids.back().size());
    }
    const int cw = static_cast<int>(count_w), sw = static_cast<int>(sid_w);
    absl::StrAppend(&text, absl::StrFormat("  %*s  %*s  signature\n", cw, "count", sw, "sid"));
    for (size_t i = 0; i < shown; ++i) {
      absl::StrAppend(&text, absl::StrFormat("  %*s  %*s  %s\n", cw, counts[i], sw, sids[i],
                                             *merged[i].msg));
    }
    if (merged.size() > shown) {
      absl::StrAppend(&text, "  ... and ", FormatCount(merged.size() - shown), " more\n");
    }
  }

  for (const auto& [group, counts, first_always] : counters_) {
    std::string list;
    for (const auto& [name, count] : counts) {
      if (count == 0 && !(first_always && &name == &counts.front().first)) continue;
      absl::StrAppend(&list, list.empty() ? "" : ", ", FormatCount(count), " ", CountedName(count, name));
    }
    if (!list.empty()) absl::StrAppend(&text, group, ": ", list, "\n");
  }

  uint64_t anomaly_total = 0;
  std::string anomaly_list;
  for (const auto& [name, count] : anomalies_) {
    if (count == 0) continue;
    anomaly_total += count;
    absl::StrAppend(&anomaly_list, anomaly_list.empty() ? "" : ", ", name, " ",
                    FormatCount(count));
  }
  if (anomaly_total > 0) {
    absl::StrAppend(&text, "decode anomalies: ", FormatCount(anomaly_total), " (",
                    anomaly_list, ")\n");
  }

  if (!errors_.empty()) {
    absl::StrAppend(&text, "errors: ", FormatCount(errors_.size()), "\n");
    const size_t shown = std::min(errors_.size(), kMaxErrorsShown);
    for (size_t i = 0; i < shown; ++i) absl::StrAppend(&text, "  ", errors_[i], "\n");
    if (errors_.size() > shown) {
      absl::StrAppend(&text, "  ... and ", FormatCount(errors_.size() - shown), " more\n");
    }
  }
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

ProgressLine::ProgressLine(FILE* out, uint64_t total_files, bool force)
    : out_(out), total_files_(total_files),
      enabled_(out != nullptr && (force || isatty(fileno(out)) == 1)) {}

void ProgressLine::MaybeDraw(const ScanSummary& s) {
  // Reading the clock on every packet would cost more than the rest of
  // Update(); 256 packets go by in well under a millisecond at line rate.
  countdown_ = 256;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < kInterval) return;
  Draw(s);
}

void ProgressLine::Draw(const ScanSummary& s) {
  if (!enabled_) return;
  last_ = std::chrono::steady_clock::now();
  std::string line = absl::StrCat("\r\033[Kfile ", s.files() + s.unread_files());
  if (total_files_ > 0) absl::StrAppend(&line, "/", total_files_);
  absl::StrAppend(&line, "  packets ", FormatCount(s.packets()), "  bytes ",
                  FormatBytes(s.bytes()), "  alerts ", FormatCount(s.alerts()));
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::Clear() {
  if (!enabled_ || !drawn_) return;
  static constexpr std::string_view kErase = "\r\033[K";
  std::fwrite(kErase.data(), 1, kErase.size(), out_);
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace kagami::output
