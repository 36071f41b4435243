#include "cli/alert_comparison.h"

#include <algorithm>
#include <map>
#include <utility>

#include "rapidjson/document.h"

namespace kagami::cli {
namespace {

std::optional<uint64_t> UnsignedOf(const rapidjson::Value& object, const char* name) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsUint64()) return std::nullopt;
  return it->value.GetUint64();
}

std::string StringOf(const rapidjson::Value& object, const char* name) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// "10.0.0.1:80", "[2001:db8::1]:80", "*:80", "10.0.0.1".
std::string Endpoint(const std::optional<std::string>& ip, std::optional<uint32_t> port) {
  std::string text = ip ? *ip : "*";
  if (!port) return text;
  if (text.find(':') != std::string::npos) text = "[" + text + "]";
  return text + ":" + std::to_string(*port);
}

std::optional<std::string> IpOrNone(const std::string& ip) {
  if (ip.empty()) return std::nullopt;
  return ip;
}

bool Matches(const ExpectedExact& e, const AlertRecord& a) {
  return (!e.sid || *e.sid == a.sid) && (!e.src_ip || *e.src_ip == a.src_ip) &&
         (!e.dest_ip || *e.dest_ip == a.dest_ip) && (!e.src_port || e.src_port == a.src_port) &&
         (!e.dest_port || e.dest_port == a.dest_port);
}

}  // namespace

std::vector<AlertRecord> ReadEveAlerts(std::string_view eve) {
  std::vector<AlertRecord> alerts;
  rapidjson::Document doc;
  size_t start = 0;
  while (start < eve.size()) {
    size_t end = eve.find('\n', start);
    if (end == std::string_view::npos) end = eve.size();
    const std::string_view line = eve.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    doc.Parse(line.data(), line.size());
    if (doc.HasParseError() || !doc.IsObject() || StringOf(doc, "event_type") != "alert") continue;
    AlertRecord a;
    // Through a const reference: both iterators are then ConstMemberIterator
    // (comparing a const with a non-const one is ambiguous in C++20).
    const rapidjson::Value& root = doc;
    if (const auto it = root.FindMember("alert"); it != root.MemberEnd() && it->value.IsObject()) {
      a.sid = UnsignedOf(it->value, "signature_id").value_or(0);
      a.gid = UnsignedOf(it->value, "gid").value_or(1);
    }
    a.src_ip = NormalizeIp(StringOf(doc, "src_ip"));
    a.dest_ip = NormalizeIp(StringOf(doc, "dest_ip"));
    if (auto p = UnsignedOf(doc, "src_port")) a.src_port = static_cast<uint32_t>(*p);
    if (auto p = UnsignedOf(doc, "dest_port")) a.dest_port = static_cast<uint32_t>(*p);
    alerts.push_back(std::move(a));
  }
  return alerts;
}

std::string DescribeExact(const ExpectedExact& e) {
  std::vector<std::string> parts;
  if (e.sid) parts.push_back("sid " + std::to_string(*e.sid));
  if (e.src_ip || e.dest_ip || e.src_port || e.dest_port) {
    parts.push_back(Endpoint(e.src_ip, e.src_port) + " -> " + Endpoint(e.dest_ip, e.dest_port));
  }
  if (parts.empty()) return "{any alert}";
  std::string text = "{" + parts[0];
  for (size_t i = 1; i < parts.size(); ++i) text += ", " + parts[i];
  return text + "}";
}

std::vector<Mismatch> CompareAlerts(const ExpectedAlerts& expected, const std::vector<AlertRecord>& alerts) {
  std::vector<Mismatch> out;
  const auto total = static_cast<int64_t>(alerts.size());
  if (expected.alerts_total && *expected.alerts_total != total) {
    out.push_back({"alerts_total", *expected.alerts_total, total});
  }
  for (const auto& [sid, want] : expected.by_sid) {
    const auto got = static_cast<int64_t>(
        std::count_if(alerts.begin(), alerts.end(), [sid = sid](const AlertRecord& a) { return a.sid == sid; }));
    if (got != want) out.push_back({"by_sid " + std::to_string(sid), want, got});
  }
  for (const ExpectedExact& e : expected.exact) {
    const auto got = static_cast<int64_t>(
        std::count_if(alerts.begin(), alerts.end(), [&e](const AlertRecord& a) { return Matches(e, a); }));
    if (got != e.count) out.push_back({"exact " + DescribeExact(e), e.count, got});
  }
  return out;
}

std::vector<std::string> SummarizeAlerts(const std::vector<AlertRecord>& alerts, size_t max_tuples) {
  // (sid, gid) -> 4-tuple text -> count
  std::map<std::pair<uint64_t, uint64_t>, std::map<std::string, size_t>> groups;
  for (const AlertRecord& a : alerts) {
    const std::string tuple =
        Endpoint(IpOrNone(a.src_ip), a.src_port) + " -> " + Endpoint(IpOrNone(a.dest_ip), a.dest_port);
    ++groups[{a.sid, a.gid}][tuple];
  }
  std::vector<std::string> lines;
  for (const auto& [key, tuples] : groups) {
    size_t count = 0;
    for (const auto& t : tuples) count += t.second;
    std::string head = "sid " + std::to_string(key.first);
    if (key.second != 1) head += " (gid " + std::to_string(key.second) + ")";
    lines.push_back(head + ": " + std::to_string(count));
    std::vector<std::pair<std::string, size_t>> sorted(tuples.begin(), tuples.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = 0; i < sorted.size() && i < max_tuples; ++i) {
      lines.push_back("  " + sorted[i].first + ": " + std::to_string(sorted[i].second));
    }
    if (sorted.size() > max_tuples) {
      lines.push_back("  ... " + std::to_string(sorted.size() - max_tuples) + " more 4-tuples");
    }
  }
  return lines;
}

}  // namespace kagami::cli
