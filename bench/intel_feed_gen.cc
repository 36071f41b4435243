#include "bench/intel_feed_gen.h"

#include <cstdio>
#include <string>

namespace kagami::bench {
namespace {

// splitmix64: small, fast, and the same sequence on every machine.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
};

const char* const kTlds[] = {"com", "net", "org", "jp", "kr", "info", "biz", "co.jp", "xyz", "top"};
const char* const kCampaigns[] = {"Operation Alpha", "Operation Bravo", "Campaign 2019-02", "July 2017"};
const char* const kFamilies[] = {"Daserf", "Datper", "xxmm", "ShadowPad", "Gofarer"};

// A version-4 UUID, random-looking as real feeds' ids are (so they sort
// in no relation to file order), unique through its last group.
std::string IndicatorUuid(uint64_t seed, uint64_t i) {
  Rng r{seed ^ (i * 0x9e3779b97f4a7c15ULL)};
  const uint64_t h = r.Next();
  char text[40];
  std::snprintf(text, sizeof text, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                static_cast<unsigned long long>(h >> 32), static_cast<unsigned long long>((h >> 16) & 0xffff),
                static_cast<unsigned long long>((h >> 4) & 0xfff), static_cast<unsigned long long>(h & 0xfff),
                static_cast<unsigned long long>(i & 0xffffffffffffULL));
  return text;
}

std::string Word(Rng& r, int min, int max) {
  std::string w;
  const int n = min + static_cast<int>(r.Below(static_cast<uint64_t>(max - min + 1)));
  for (int i = 0; i < n; ++i) w.push_back(static_cast<char>('a' + r.Below(26)));
  return w;
}

std::string Hex(Rng& r, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string h;
  for (int i = 0; i < digits; ++i) h.push_back(kHex[r.Below(16)]);
  return h;
}

struct Entry {
  const char* csv_type;
  const char* zeek_type;
  std::string value;
  std::string stix_pattern;
};

Entry Make(Rng& r) {
  const uint64_t roll = r.Below(1000);
  Entry e;
  if (roll < 330) {  // 33% IPv4 addresses
    e.value = std::to_string(1 + r.Below(223)) + "." + std::to_string(r.Below(256)) + "." +
              std::to_string(r.Below(256)) + "." + std::to_string(1 + r.Below(254));
    e.csv_type = "ipv4";
    e.zeek_type = "Intel::ADDR";
    e.stix_pattern = "[ipv4-addr:value = '" + e.value + "']";
  } else if (roll < 360) {  // 3% IPv4 networks
    const int len = 16 + static_cast<int>(r.Below(13));
    const uint32_t a = static_cast<uint32_t>(r.Next()) & (len == 0 ? 0u : ~0u << (32 - len));
    e.value = std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
              "." + std::to_string(a & 255) + "/" + std::to_string(len);
    e.csv_type = "ipv4";
    e.zeek_type = "Intel::SUBNET";
    e.stix_pattern = "[ipv4-addr:value = '" + e.value + "']";
  } else if (roll < 380) {  // 2% IPv6
    e.value = "2001:db8:" + Hex(r, 4) + ":" + Hex(r, 4) + "::" + Hex(r, 3) + "1";
    e.csv_type = "ipv6";
    e.zeek_type = "Intel::ADDR";
    e.stix_pattern = "[ipv6-addr:value = '" + e.value + "']";
  } else if (roll < 780) {  // 40% domains
    e.value = (r.Below(3) == 0 ? Word(r, 3, 8) + "." : std::string()) + Word(r, 5, 14) + "." +
              kTlds[r.Below(sizeof kTlds / sizeof kTlds[0])];
    e.csv_type = "domain";
    e.zeek_type = "Intel::DOMAIN";
    e.stix_pattern = "[domain-name:value = '" + e.value + "']";
  } else if (roll < 930) {  // 15% URLs
    const std::string host = Word(r, 5, 12) + "." + kTlds[r.Below(sizeof kTlds / sizeof kTlds[0])];
    const std::string path = "/" + Word(r, 3, 10) + "/" + Word(r, 4, 12) + (r.Below(2) ? ".php" : ".asp");
    e.value = host + path;
    e.csv_type = "url";
    e.zeek_type = "Intel::URL";
    e.stix_pattern = "[url:value = 'http://" + e.value + "']";
    e.value = "http://" + e.value;
  } else if (roll < 960) {  // 3% user agents
    // Letters, digits and punctuation that need no escaping in any format.
    e.value = "Mozilla/4.0 (compatible; MSIE " + std::to_string(5 + r.Below(5)) + ".0; " + Word(r, 6, 12) + ")";
    e.csv_type = "http_user_agent";
    e.zeek_type = "Intel::SOFTWARE";
    e.stix_pattern = "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '" + e.value + "']";
  } else if (roll < 970) {  // 1% JA3
    e.value = Hex(r, 32);
    e.csv_type = "ja3";
    e.zeek_type = "Intel::JA3";
    e.stix_pattern = "[file:hashes.MD5 = '" + e.value + "']";  // STIX has no JA3 object: a file hash stands in
  } else if (roll < 980) {  // 1% certificate SHA-1
    e.value = Hex(r, 40);
    e.csv_type = "cert_sha1";
    e.zeek_type = "Intel::CERT_HASH";
    e.stix_pattern = "[x509-certificate:hashes.'SHA-1' = '" + e.value + "']";
  } else {  // 2% file hashes
    e.value = Hex(r, 64);
    e.csv_type = "sha256";
    e.zeek_type = "Intel::FILE_HASH";
    e.stix_pattern = "[file:hashes.'SHA-256' = '" + e.value + "']";
  }
  return e;
}

}  // namespace

bool WriteSyntheticFeed(const std::string& path, FeedKind kind, uint64_t count, uint64_t seed) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  Rng r{seed};
  constexpr int kFamilyCount = sizeof kFamilies / sizeof kFamilies[0];
  if (kind == FeedKind::kCsv) {
    std::fputs("type,value,family,campaign,source,confidence,reference\n", f);
  } else if (kind == FeedKind::kZeek) {
    std::fputs("#separator \\x09\n#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n", f);
  } else {
    std::fputs("{\"type\":\"bundle\",\"id\":\"bundle--5a1e0000-0000-4000-8000-000000000000\",\"objects\":[\n", f);
    std::fputs("{\"type\":\"intrusion-set\",\"spec_version\":\"2.1\",\"id\":\"intrusion-set--5a1e0000-0000-4000-8000-"
               "000000000001\",\"created\":\"2020-01-01T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\",\"name\":"
               "\"Synthetic Set\"}",
               f);
    for (int i = 0; i < kFamilyCount; ++i) {
      std::fprintf(f,
                   ",\n{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--5a1e0000-0000-4000-8000-%012d\","
                   "\"created\":\"2020-01-01T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\",\"name\":\"%s\","
                   "\"is_family\":true}",
                   i, kFamilies[i]);
      std::fprintf(f,
                   ",\n{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"relationship--5a1e0000-0000-4000-"
                   "8000-%012d\",\"created\":\"2020-01-01T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\","
                   "\"relationship_type\":\"uses\",\"source_ref\":\"intrusion-set--5a1e0000-0000-4000-8000-"
                   "000000000001\",\"target_ref\":\"malware--5a1e0000-0000-4000-8000-%012d\"}",
                   i, i);
    }
  }
  for (uint64_t i = 0; i < count; ++i) {
    const Entry e = Make(r);
    const int family = static_cast<int>(r.Below(kFamilyCount));
    const char* campaign = kCampaigns[r.Below(sizeof kCampaigns / sizeof kCampaigns[0])];
    if (kind == FeedKind::kCsv) {
      std::string v = e.value;
      const bool quote = v.find_first_of(",\"") != std::string::npos;
      std::fprintf(f, "%s,%s%s%s,%s,%s,synthetic,%d,https://example.org/report/%d\n", e.csv_type, quote ? "\"" : "",
                   v.c_str(), quote ? "\"" : "", kFamilies[family], campaign, 40 + static_cast<int>(r.Below(60)),
                   family);
    } else if (kind == FeedKind::kZeek) {
      std::string v = e.value;
      if (v.rfind("http://", 0) == 0) v.erase(0, 7);  // Zeek URLs have no scheme
      std::fprintf(f, "%s\t%s\tsynthetic\t%s %s\n", v.c_str(), e.zeek_type, kFamilies[family], campaign);
    } else {
      const std::string id = IndicatorUuid(seed, i);
      std::fprintf(f,
                   ",\n{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%s\",\"created\":\"2020-01-01T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\","
                   "\"pattern_type\":\"stix\",\"valid_from\":\"2020-01-01T00:00:00Z\",\"confidence\":%d,"
                   "\"pattern\":\"%s\"}",
                   id.c_str(), 40 + static_cast<int>(r.Below(60)), e.stix_pattern.c_str());
      std::fprintf(f,
                   ",\n{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"relationship--%08llx-0001-4000-8000-"
                   "%012llx\",\"created\":\"2020-01-01T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\","
                   "\"relationship_type\":\"indicates\",\"source_ref\":\"indicator--%s\","
                   "\"target_ref\":\"malware--5a1e0000-0000-4000-8000-%012d\"}",
                   static_cast<unsigned long long>(seed & 0xffffffff), static_cast<unsigned long long>(i), id.c_str(),
                   family);
    }
  }
  if (kind == FeedKind::kStix) std::fputs("\n]}\n", f);
  return std::fclose(f) == 0;
}

}  // namespace kagami::bench
