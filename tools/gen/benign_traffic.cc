#include "tools/gen/benign_traffic.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kagami::gen {
namespace {

// ---------------------------------------------------------------------------
// Names and addresses

constexpr const char* kDomains[] = {
    "wikipedia.org", "bbc.co.uk",      "nytimes.com",    "reddit.com",      "stackoverflow.com",
    "amazon.com",    "weather.com",    "python.org",     "mozilla.org",     "apple.com",
    "microsoft.com", "yahoo.co.jp",    "nhk.or.jp",      "rakuten.co.jp",   "asahi.com",
    "nikkei.com",    "cloudflare.com", "jsdelivr.net",   "unpkg.com",       "ubuntu.com",
    "debian.org",    "kernel.org",     "w3.org",         "imdb.com",        "booking.com",
    "spotify.com",   "twitch.tv",      "zoom.us",        "slack.com",       "dropbox.com",
    "linkedin.com",  "office.com",     "live.com",       "adobe.com",       "medium.com",
    "theguardian.com", "reuters.com",  "bloomberg.com",  "espn.com",        "ikea.com",
    "netflix.com",   "pinterest.com",  "wordpress.com",  "shopify.com",     "paypal.com",
    "ebay.com",      "etsy.com",       "gitlab.com",     "npmjs.com",       "pypi.org",
    "readthedocs.io", "duckduckgo.com", "bing.com",      "google.com",      "gstatic.com",
    "youtube.com",   "akamaized.net",  "fastly.net",     "mdn.dev",         "archlinux.org",
};
constexpr const char* kSubdomains[] = {"static", "cdn", "api", "img", "assets", "m", "news",
                                       "mail", "login", "accounts", "media", "docs", "video", "shop"};
constexpr const char* kWords[] = {
    "about", "account", "active", "album", "archive", "article", "autumn", "banner", "basket", "beach",
    "blue", "board", "bridge", "button", "camera", "canvas", "career", "castle", "center", "cheese",
    "city", "cloud", "coffee", "color", "comment", "company", "contact", "corner", "country", "daily",
    "data", "design", "detail", "dinner", "doctor", "dragon", "editor", "energy", "engine", "event",
    "family", "feature", "field", "figure", "forest", "friend", "garden", "gallery", "global", "green",
    "guide", "harbor", "health", "history", "holiday", "home", "island", "journal", "kitchen", "label",
    "layout", "league", "letter", "library", "light", "listen", "market", "media", "member", "menu",
    "method", "mobile", "moment", "morning", "mountain", "music", "nature", "network", "notice", "ocean",
    "office", "orange", "palace", "paper", "people", "photo", "planet", "player", "pocket", "policy",
    "profile", "project", "public", "purple", "quality", "question", "rabbit", "record", "region", "report",
    "result", "review", "river", "rocket", "science", "search", "season", "section", "service", "signal",
    "silver", "simple", "social", "sport", "spring", "square", "station", "story", "street", "studio",
    "summer", "system", "table", "teacher", "theme", "ticket", "timber", "travel", "update", "valley",
    "video", "village", "vision", "water", "weather", "window", "winter", "wonder", "world", "yellow",
};

// First octets of large, routed, non-special IPv4 blocks; none is in a
// private, shared, loopback, link-local, multicast or documentation range.
constexpr uint8_t kPublicFirstOctets[] = {23,  31,  34,  35,  45,  52,  54,  64,  66,  69,  72,
                                          74,  82,  91,  93,  104, 108, 128, 130, 137, 142, 145,
                                          151, 157, 162, 185, 188, 195, 199, 204, 208, 212, 216};

uint64_t HashName(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return h;
}

std::string Ipv4From(uint64_t bits) {
  const uint8_t first = kPublicFirstOctets[bits % std::size(kPublicFirstOctets)];
  return absl::StrCat(first, ".", (bits >> 8) & 0xff, ".", (bits >> 16) & 0xff, ".", 1 + ((bits >> 24) % 253));
}

std::string Ipv6From(uint64_t bits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2a0%x:%x:%x:%x::%x", static_cast<unsigned>(1 + (bits & 7)),
                static_cast<unsigned>((bits >> 4) & 0xffff) | 0x1000, static_cast<unsigned>((bits >> 20) & 0xffff),
                static_cast<unsigned>((bits >> 36) & 0xfff), static_cast<unsigned>(1 + ((bits >> 48) & 0xfff)));
  return buf;
}

std::string Host(Rng& rng) {
  const char* domain = rng.Pick(kDomains);
  const uint64_t r = rng.Below(100);
  if (r < 45) return absl::StrCat("www.", domain);
  if (r < 55) return std::string(domain);
  if (r < 90) return absl::StrCat(rng.Pick(kSubdomains), ".", domain);
  return absl::StrCat(rng.Lower(rng.Between(4, 9)), rng.Below(100), ".", rng.Pick(kSubdomains), ".", domain);
}

// The registered domain of a host from Host(): the last two labels, three
// for the ccTLD second levels in kDomains.
std::string_view BaseDomain(std::string_view host) {
  for (std::string_view d : kDomains) {
    if (host == d || (host.size() > d.size() && host.substr(host.size() - d.size()) == d &&
                      host[host.size() - d.size() - 1] == '.')) {
      return host.substr(host.size() - d.size());
    }
  }
  return host;
}

void AppendRandom(Rng& rng, size_t n, std::string& out) {
  const size_t at = out.size();
  out.resize(at + n);
  char* p = out.data() + at;
  while (n >= 8) {
    const uint64_t v = rng.Next();
    std::memcpy(p, &v, 8);
    p += 8;
    n -= 8;
  }
  uint64_t v = rng.Next();
  for (; n > 0; --n, v >>= 8) *p++ = static_cast<char>(v);
}

void Put8(std::string& b, uint32_t v) { b.push_back(static_cast<char>(v & 0xff)); }
void Put16(std::string& b, uint32_t v) {
  Put8(b, v >> 8);
  Put8(b, v);
}
void Put24(std::string& b, uint32_t v) {
  Put8(b, v >> 16);
  Put16(b, v & 0xffff);
}
void Put32(std::string& b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xffff);
}
void SetBe16(std::string& b, size_t at, uint32_t v) {
  b[at] = static_cast<char>((v >> 8) & 0xff);
  b[at + 1] = static_cast<char>(v & 0xff);
}

Session NewSession(Rng& rng, Transport transport, bool v6, std::string server_ip, uint16_t server_port,
                   std::string label) {
  Session s;
  s.transport = transport;
  s.client = {ClientAddress(rng, v6), EphemeralPort(rng)};
  s.server = {std::move(server_ip), server_port};
  s.label = std::move(label);
  return s;
}

// ---------------------------------------------------------------------------
// HTTP

constexpr const char* kBrowserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
};
constexpr const char* kToolAgents[] = {
    "curl/8.5.0", "Debian APT-HTTP/1.3 (2.6.1)", "okhttp/4.12.0", "Wget/1.21.4",
    "Microsoft-Delivery-Optimization/10.0",
};
constexpr const char* kLanguages[] = {"en-US,en;q=0.9", "en-GB,en;q=0.9", "ja,en-US;q=0.9,en;q=0.8",
                                      "de-DE,de;q=0.9,en;q=0.8", "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"};
constexpr const char* kServers[] = {"nginx", "cloudflare", "Apache/2.4.59 (Debian)", "AmazonS3", "ECS (nyd/D13E)",
                                    "Microsoft-IIS/10.0", "envoy", "gws", "LiteSpeed"};

enum class Kind { kHtml, kScript, kStyle, kJpeg, kPng, kWebp, kJson, kFont, kIcon, kText };

struct Resource {
  Kind kind;
  std::string path;
};

const char* ContentType(Kind k) {
  switch (k) {
    case Kind::kHtml: return "text/html; charset=utf-8";
    case Kind::kScript: return "application/javascript";
    case Kind::kStyle: return "text/css";
    case Kind::kJpeg: return "image/jpeg";
    case Kind::kPng: return "image/png";
    case Kind::kWebp: return "image/webp";
    case Kind::kJson: return "application/json";
    case Kind::kFont: return "font/woff2";
    case Kind::kIcon: return "image/x-icon";
    case Kind::kText: return "text/plain";
  }
  return "text/plain";
}

bool IsText(Kind k) {
  return k == Kind::kHtml || k == Kind::kScript || k == Kind::kStyle || k == Kind::kJson || k == Kind::kText;
}

std::string Slug(Rng& rng, int words) {
  std::string s;
  for (int i = 0; i < words; ++i) absl::StrAppend(&s, i ? "-" : "", rng.Pick(kWords));
  return s;
}

Resource PickResource(Rng& rng, bool first) {
  if (first && rng.Chance(0.6)) return {Kind::kHtml, rng.Chance(0.5) ? "/" : absl::StrCat("/", rng.Pick(kWords), "/")};
  switch (rng.Below(12)) {
    case 0: return {Kind::kHtml, absl::StrCat("/", 2019 + rng.Below(6), "/", 10 + rng.Below(3), "/", 10 + rng.Below(19), "/",
                                              Slug(rng, static_cast<int>(rng.Between(2, 5))), ".html")};
    case 1: return {Kind::kScript, absl::StrCat("/static/js/", rng.Pick(kWords), ".", rng.Hex(8), ".js")};
    case 2: return {Kind::kStyle, absl::StrCat("/static/css/", rng.Pick(kWords), ".", rng.Hex(8), ".css")};
    case 3: return {Kind::kJpeg, absl::StrCat("/images/", Slug(rng, 2), "-", rng.Between(1, 999), ".jpg")};
    case 4: return {Kind::kPng, absl::StrCat("/assets/img/", Slug(rng, 1), "@2x.png")};
    case 5: return {Kind::kWebp, absl::StrCat("/media/", rng.Between(1000, 99999), "/", Slug(rng, 2), ".webp")};
    case 6: return {Kind::kJson, absl::StrCat("/api/v", rng.Between(1, 3), "/", rng.Pick(kWords), "s?page=",
                                              rng.Between(1, 20), "&limit=", 10 * rng.Between(1, 5))};
    case 7: return {Kind::kJson, absl::StrCat("/api/v2/", rng.Pick(kWords), "s/", rng.Between(1, 500000))};
    case 8: return {Kind::kHtml, absl::StrCat("/search?q=", rng.Pick(kWords), "+", rng.Pick(kWords), "&lang=en")};
    case 9: return {Kind::kFont, absl::StrCat("/fonts/", rng.Pick(kWords), "-Regular.woff2")};
    case 10: return rng.Chance(0.5) ? Resource{Kind::kIcon, "/favicon.ico"} : Resource{Kind::kText, "/robots.txt"};
    default: return {Kind::kScript, absl::StrCat("/js/", rng.Pick(kWords), "-bundle.min.js")};
  }
}

size_t BodySize(Rng& rng, Kind k) {
  // Mostly small, with a long tail, as web objects are.
  auto tail = [&](size_t lo, size_t hi, size_t big) { return rng.Chance(0.05) ? rng.Between(hi, big) : rng.Between(lo, hi); };
  switch (k) {
    case Kind::kHtml: return tail(2000, 60000, 300000);
    case Kind::kScript: return tail(3000, 120000, 900000);
    case Kind::kStyle: return tail(1500, 50000, 200000);
    case Kind::kJpeg: case Kind::kWebp: return tail(4000, 200000, 2500000);
    case Kind::kPng: return tail(500, 60000, 600000);
    case Kind::kJson: return tail(80, 8000, 120000);
    case Kind::kFont: return rng.Between(15000, 90000);
    case Kind::kIcon: return rng.Between(300, 15000);
    case Kind::kText: return rng.Between(40, 800);
  }
  return 1000;
}

std::string HttpDate(int64_t now_ns) {
  const time_t t = static_cast<time_t>(now_ns / 1000000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string Gzip(std::string_view in) {
  z_stream z{};
  // Level 1: compressing is the slowest thing the generator does.
  deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// ---------------------------------------------------------------------------
// DNS

// Writes names with RFC 1035 4.1.4 compression: every suffix written is
// remembered, and a later name ending in one points at it.
class DnsBuilder {
 public:
  std::string msg;

  void Name(std::string_view name) {
    while (!name.empty()) {
      for (const auto& [suffix, offset] : suffixes_) {
        if (suffix == name) {
          Put16(msg, 0xc000 | offset);
          return;
        }
      }
      if (msg.size() < 0x3fff) suffixes_.emplace_back(std::string(name), static_cast<uint16_t>(msg.size()));
      const size_t dot = name.find('.');
      const std::string_view label = name.substr(0, dot);
      Put8(msg, static_cast<uint32_t>(label.size()));
      msg.append(label);
      name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
    }
    Put8(msg, 0);
  }
  void Header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
    Put16(msg, id);
    Put16(msg, flags);
    Put16(msg, qd);
    Put16(msg, an);
    Put16(msg, ns);
    Put16(msg, ar);
  }
  void Question(std::string_view name, uint16_t type) {
    Name(name);
    Put16(msg, type);
    Put16(msg, 1);
  }
  // A resource record; `rdata` writes the data and the length is filled in.
  template <typename F>
  void Record(std::string_view name, uint16_t type, uint32_t ttl, F&& rdata) {
    Name(name);
    Put16(msg, type);
    Put16(msg, 1);
    Put32(msg, ttl);
    const size_t len_at = msg.size();
    Put16(msg, 0);
    rdata();
    SetBe16(msg, len_at, static_cast<uint32_t>(msg.size() - len_at - 2));
  }
  // An EDNS(0) OPT pseudo-record advertising a 1232-byte payload.
  void Opt() {
    Put8(msg, 0);
    Put16(msg, 41);
    Put16(msg, 1232);
    Put32(msg, 0);
    Put16(msg, 0);
  }

 private:
  std::vector<std::pair<std::string, uint16_t>> suffixes_;
};

constexpr uint16_t kTypeA = 1, kTypeCname = 5, kTypeMx = 15, kTypeTxt = 16, kTypeAaaa = 28;

void AppendAddressBytes(std::string& out, const std::string& text, bool v6, Rng& rng) {
  // The generator only ever resolves its own names; the bytes just need to
  // look like addresses, so they are drawn rather than parsed back.
  if (!v6) {
    Put8(out, kPublicFirstOctets[HashName(text) % std::size(kPublicFirstOctets)]);
    Put8(out, static_cast<uint32_t>(rng.Below(256)));
    Put8(out, static_cast<uint32_t>(rng.Below(256)));
    Put8(out, static_cast<uint32_t>(rng.Between(1, 254)));
  } else {
    Put16(out, 0x2a00 | static_cast<uint32_t>(rng.Between(1, 9)));
    for (int i = 0; i < 7; ++i) Put16(out, i < 3 ? static_cast<uint32_t>(rng.Below(0x10000)) : (i == 6 ? static_cast<uint32_t>(rng.Between(1, 0xffff)) : 0));
  }
}

// A query and its answer, as two messages.
std::pair<std::string, std::string> DnsExchange(Rng& rng, const std::string& name, uint16_t qtype, bool nxdomain) {
  const uint16_t id = static_cast<uint16_t>(rng.Next());
  const bool edns = rng.Chance(0.5);
  DnsBuilder q;
  q.Header(id, 0x0100, 1, 0, 0, edns ? 1 : 0);
  q.Question(name, qtype);
  if (edns) q.Opt();

  DnsBuilder r;
  const size_t count_at = 6;
  r.Header(id, nxdomain ? 0x8183 : 0x8180, 1, 0, 0, edns ? 1 : 0);
  r.Question(name, qtype);
  uint16_t answers = 0;
  const std::string base(BaseDomain(name));
  if (!nxdomain) {
    std::string owner = name;
    if ((qtype == kTypeA || qtype == kTypeAaaa) && rng.Chance(0.4)) {
      // Served from a CDN: the name is an alias of the CDN's.
      static constexpr const char* kCdns[] = {"edgekey.net", "cloudfront.net", "fastly.net", "akamaiedge.net", "azureedge.net"};
      std::string target = absl::StrCat(rng.Chance(0.5) ? base : std::string(rng.Pick(kWords)), "-", rng.Lower(2), rng.Below(10),
                                        ".", rng.Pick(kCdns));
      r.Record(owner, kTypeCname, static_cast<uint32_t>(rng.Between(60, 3600)), [&] { r.Name(target); });
      ++answers;
      owner = target;
    }
    const uint32_t ttl = static_cast<uint32_t>(rng.Between(20, 600));
    switch (qtype) {
      case kTypeA:
      case kTypeAaaa: {
        const int n = static_cast<int>(rng.Between(1, 4));
        for (int i = 0; i < n; ++i) {
          r.Record(owner, qtype, ttl, [&] { AppendAddressBytes(r.msg, owner, qtype == kTypeAaaa, rng); });
          ++answers;
        }
        break;
      }
      case kTypeCname:
        r.Record(owner, kTypeCname, ttl, [&] { r.Name(absl::StrCat(base, ".cdn.", rng.Pick(kDomains))); });
        ++answers;
        break;
      case kTypeMx: {
        const int n = static_cast<int>(rng.Between(1, 3));
        for (int i = 0; i < n; ++i) {
          r.Record(owner, kTypeMx, ttl * 10, [&] {
            Put16(r.msg, static_cast<uint32_t>(10 * (i + 1)));
            r.Name(absl::StrCat("mx", i + 1, ".", base));
          });
          ++answers;
        }
        break;
      }
      case kTypeTxt: {
        const int n = static_cast<int>(rng.Between(1, 3));
        for (int i = 0; i < n; ++i) {
          std::string text;
          switch (i) {
            case 0: text = absl::StrCat("v=spf1 include:_spf.", base, " ~all"); break;
            case 1: text = absl::StrCat("site-verification=", rng.Text(43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")); break;
            default: text = absl::StrCat("MS=ms", rng.Between(10000000, 99999999)); break;
          }
          r.Record(owner, kTypeTxt, ttl * 10, [&] {
            Put8(r.msg, static_cast<uint32_t>(text.size()));
            r.msg.append(text);
          });
          ++answers;
        }
        break;
      }
    }
  }
  if (edns) r.Opt();
  SetBe16(r.msg, count_at, answers);
  return {std::move(q.msg), std::move(r.msg)};
}

std::string TcpFrame(const std::string& message) {
  std::string b;
  Put16(b, static_cast<uint32_t>(message.size()));
  b.append(message);
  return b;
}

// ---------------------------------------------------------------------------
// TLS

constexpr uint16_t kGrease[] = {0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a,
                                0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa};

std::string Record(uint8_t type, std::string_view body, uint16_t version = 0x0303) {
  std::string b;
  b.reserve(body.size() + 5);
  Put8(b, type);
  Put16(b, version);
  Put16(b, static_cast<uint32_t>(body.size()));
  b.append(body);
  return b;
}

std::string Handshake(uint8_t type, std::string_view body) {
  std::string b;
  Put8(b, type);
  Put24(b, static_cast<uint32_t>(body.size()));
  b.append(body);
  return b;
}

void Extension(std::string& out, uint16_t type, std::string_view body) {
  Put16(out, type);
  Put16(out, static_cast<uint32_t>(body.size()));
  out.append(body);
}

// Encrypted records carrying `n` bytes in all, each at most 16 KiB of
// plaintext plus the AEAD's expansion.
std::string AppData(Rng& rng, size_t n, uint8_t type = 23) {
  std::string out;
  out.reserve(n + (n / 16401 + 1) * 5);
  while (n > 0) {
    const size_t len = std::min<size_t>(n, 16401);
    Put8(out, type);
    Put16(out, 0x0303);
    Put16(out, static_cast<uint32_t>(len));
    AppendRandom(rng, len, out);
    n -= len;
  }
  return out;
}

struct ClientHelloInfo {
  std::string record;
  std::string session_id;
  bool offers_h2 = false;
};

// A browser-shaped ClientHello: `chrome` adds GREASE and shuffles the
// extension order as Chrome does; otherwise a Firefox-like fixed order.
ClientHelloInfo ClientHello(Rng& rng, const std::string& sni, bool chrome, bool ticket) {
  ClientHelloInfo info;
  const uint16_t grease = rng.Pick(kGrease);
  std::string body;
  Put16(body, 0x0303);
  AppendRandom(rng, 32, body);
  AppendRandom(rng, 32, info.session_id);
  Put8(body, 32);
  body.append(info.session_id);
  static constexpr uint16_t kChromeCiphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                                                0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  static constexpr uint16_t kFirefoxCiphers[] = {0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030,
                                                 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  std::string ciphers;
  if (chrome) {
    Put16(ciphers, grease);
    for (uint16_t c : kChromeCiphers) Put16(ciphers, c);
  } else {
    for (uint16_t c : kFirefoxCiphers) Put16(ciphers, c);
  }
  Put16(body, static_cast<uint32_t>(ciphers.size()));
  body.append(ciphers);
  Put8(body, 1);
  Put8(body, 0);

  std::vector<std::string> exts;
  auto ext = [&](uint16_t type, const std::string& data) {
    std::string e;
    Extension(e, type, data);
    exts.push_back(std::move(e));
  };
  {
    std::string entry, list;
    Put8(entry, 0);
    Put16(entry, static_cast<uint32_t>(sni.size()));
    entry.append(sni);
    Put16(list, static_cast<uint32_t>(entry.size()));
    list.append(entry);
    ext(0, list);
  }
  ext(23, "");                       // extended_master_secret
  ext(65281, std::string(1, '\0'));  // renegotiation_info
  {
    std::string g;
    std::vector<uint16_t> groups = chrome ? std::vector<uint16_t>{grease, 29, 23, 24}
                                          : std::vector<uint16_t>{29, 23, 24, 25, 256, 257};
    Put16(g, static_cast<uint32_t>(groups.size() * 2));
    for (uint16_t x : groups) Put16(g, x);
    ext(10, g);
  }
  ext(11, std::string("\x01\x00", 2));  // ec_point_formats: uncompressed
  {
    std::string t;
    if (ticket) AppendRandom(rng, rng.Between(160, 230), t);
    ext(35, t);  // session_ticket
  }
  {
    info.offers_h2 = rng.Chance(0.8);
    std::string protocols;
    if (info.offers_h2) {
      Put8(protocols, 2);
      protocols += "h2";
    }
    Put8(protocols, 8);
    protocols += "http/1.1";
    std::string a;
    Put16(a, static_cast<uint32_t>(protocols.size()));
    a += protocols;
    ext(16, a);  // ALPN
  }
  ext(5, std::string("\x01\x00\x00\x00\x00", 5));  // status_request (OCSP)
  {
    static constexpr uint16_t kSigAlgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
    std::string s;
    Put16(s, static_cast<uint32_t>(std::size(kSigAlgs) * 2));
    for (uint16_t x : kSigAlgs) Put16(s, x);
    ext(13, s);
  }
  {
    std::string k, shares;
    if (chrome) {
      Put16(shares, grease);
      Put16(shares, 1);
      Put8(shares, 0);
    }
    Put16(shares, 29);  // x25519
    Put16(shares, 32);
    AppendRandom(rng, 32, shares);
    if (!chrome) {
      Put16(shares, 23);  // secp256r1, uncompressed point
      Put16(shares, 65);
      Put8(shares, 4);
      AppendRandom(rng, 64, shares);
    }
    Put16(k, static_cast<uint32_t>(shares.size()));
    k += shares;
    ext(51, k);  // key_share
  }
  ext(45, std::string("\x01\x01", 2));  // psk_key_exchange_modes: psk_dhe_ke
  {
    std::string v;
    std::vector<uint16_t> versions = chrome ? std::vector<uint16_t>{grease, 0x0304, 0x0303}
                                            : std::vector<uint16_t>{0x0304, 0x0303};
    Put8(v, static_cast<uint32_t>(versions.size() * 2));
    for (uint16_t x : versions) Put16(v, x);
    ext(43, v);  // supported_versions
  }
  if (chrome) {
    ext(18, "");                                    // signed_certificate_timestamp
    ext(27, std::string("\x02\x00\x02", 3));        // compress_certificate: brotli
    // Chrome sends its extensions in a random order (since version 110).
    for (size_t i = exts.size(); i > 1; --i) std::swap(exts[i - 1], exts[rng.Below(i)]);
  } else {
    ext(28, std::string("\x40\x01", 2));  // record_size_limit
  }
  std::string all;
  if (chrome) Extension(all, rng.Pick(kGrease), "");
  for (const std::string& e : exts) all += e;
  if (chrome) Extension(all, rng.Pick(kGrease), std::string(1, '\0'));
  Put16(body, static_cast<uint32_t>(all.size()));
  body += all;
  info.record = Record(22, Handshake(1, body), 0x0301);
  return info;
}

}  // namespace

std::string ClientAddress(Rng& rng, bool v6) {
  if (v6) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "fd5a:7c3e:1b20:%x::%x", static_cast<unsigned>(rng.Below(16)),
                  static_cast<unsigned>(rng.Between(2, 0x3ff)));
    return buf;
  }
  return absl::StrCat("10.", rng.Below(4), ".", rng.Below(64), ".", rng.Between(2, 254));
}

std::string TlsClientHello(Rng& rng, std::string_view sni) {
  return ClientHello(rng, std::string(sni), /*chrome=*/false, /*ticket=*/false).record;
}

std::string PublicAddress(Rng& rng, bool v6) { return v6 ? Ipv6From(rng.Next()) : Ipv4From(rng.Next()); }

std::string SiteAddress(std::string_view host, bool v6) {
  const uint64_t h = HashName(host);
  return v6 ? Ipv6From(h) : Ipv4From(h);
}

uint16_t EphemeralPort(Rng& rng) {
  // Windows hands out 49152-65535, Linux 32768-60999.
  return static_cast<uint16_t>(rng.Chance(0.6) ? rng.Between(49152, 65535) : rng.Between(32768, 60999));
}

BenignTraffic::BenignTraffic(const TrafficMix& mix, double ipv6_fraction)
    : mix_(mix), ipv6_fraction_(ipv6_fraction) {
  if (mix_.total() == 0) mix_ = TrafficMix{};
  // Fixed text the bodies are cut from: the same whatever the seed, so only
  // where a body starts costs a random draw.
  Rng rng(0x6b6167616d69ULL);
  constexpr size_t kCorpusBytes = 256 * 1024;
  std::string& html = corpus_[0];
  while (html.size() < kCorpusBytes) {
    absl::StrAppend(&html, rng.Chance(0.2) ? "<h2>" : "<p class=\"", rng.Chance(0.2) ? "" : rng.Pick(kWords), "\">");
    const int n = static_cast<int>(rng.Between(8, 40));
    for (int i = 0; i < n; ++i) absl::StrAppend(&html, i ? " " : "", rng.Pick(kWords));
    absl::StrAppend(&html, ". <a href=\"/", rng.Pick(kWords), "/", Slug(rng, 3), "\">", rng.Pick(kWords), "</a></p>\n");
  }
  std::string& js = corpus_[1];
  while (js.size() < kCorpusBytes) {
    absl::StrAppend(&js, "function ", rng.Pick(kWords), rng.Between(1, 99), "(e,t){var n=e.", rng.Pick(kWords),
                    "||{};if(!t)return n;for(var r=0;r<t.length;r++)n[t[r]]=\"", rng.Pick(kWords), "\";return n}\n");
  }
  std::string& css = corpus_[2];
  while (css.size() < kCorpusBytes) {
    absl::StrAppend(&css, ".", rng.Pick(kWords), "-", rng.Pick(kWords), "{margin:", rng.Below(40), "px ", rng.Below(40),
                    "px;color:#", rng.Hex(6), ";font-size:", rng.Between(10, 32), "px}\n");
  }
}

void BenignTraffic::AppendText(Rng& rng, int kind, size_t n, std::string& out) const {
  const std::string& c = corpus_[kind];
  while (n > 0) {
    const size_t at = rng.Below(c.size() / 2);
    const size_t take = std::min(n, c.size() - at);
    out.append(c, at, take);
    n -= take;
  }
}

Session BenignTraffic::Next(Rng& rng, int64_t now_ns, uint64_t budget) {
  body_cap_ = std::max<uint64_t>(budget / 2, 256);
  const bool v6 = ipv6_fraction_ > 0 && rng.Chance(ipv6_fraction_);
  const uint64_t r = rng.Below(mix_.total());
  if (r < mix_.http) return Http(rng, now_ns, v6);
  if (r < mix_.http + mix_.dns) return Dns(rng, v6, rng.Chance(0.08));
  return Tls(rng, v6);
}

Session BenignTraffic::Http(Rng& rng, int64_t now_ns, bool v6) {
  const std::string host = Host(rng);
  const uint16_t port = rng.Chance(0.9) ? 80 : (rng.Chance(0.7) ? 8080 : 8000);
  Session s = NewSession(rng, Transport::kTcp, v6, SiteAddress(host, v6), port, "benign/http");
  const std::string host_header = port == 80 ? host : absl::StrCat(host, ":", port);
  const bool tool = rng.Chance(0.12);
  const char* agent = tool ? rng.Pick(kToolAgents) : rng.Pick(kBrowserAgents);
  const bool firefox = std::string_view(agent).find("Firefox") != std::string_view::npos;
  const char* language = rng.Pick(kLanguages);
  const char* server = rng.Pick(kServers);
  const std::string date = HttpDate(now_ns);
  const int requests = tool ? 1 : static_cast<int>(rng.Chance(0.3) ? 1 : rng.Between(2, 8));
  const std::string cookie = rng.Chance(0.4) ? absl::StrCat("session=", rng.Text(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), "; theme=", rng.Pick(kWords)) : "";

  for (int i = 0; i < requests; ++i) {
    const bool post = !tool && i > 0 && rng.Chance(0.12);
    Resource res = post ? Resource{Kind::kJson, rng.Chance(0.5) ? "/api/v1/events" : absl::StrCat("/", rng.Pick(kWords), "/comments")}
                        : PickResource(rng, i == 0);
    std::string body;
    const char* body_type = "";
    if (post) {
      if (res.path == "/api/v1/events") {
        body_type = "application/json";
        absl::StrAppend(&body, "{\"event\":\"", rng.Pick(kWords), "\",\"page\":\"/", rng.Pick(kWords), "\",\"ts\":",
                        now_ns / 1000000, ",\"items\":[");
        const int n = static_cast<int>(rng.Between(1, 12));
        for (int k = 0; k < n; ++k) absl::StrAppend(&body, k ? "," : "", "{\"id\":", rng.Below(100000), ",\"name\":\"", rng.Pick(kWords), "\"}");
        body += "]}";
      } else {
        body_type = "application/x-www-form-urlencoded";
        absl::StrAppend(&body, "author=", rng.Pick(kWords), "&text=");
        const int n = static_cast<int>(rng.Between(3, 40));
        for (int k = 0; k < n; ++k) absl::StrAppend(&body, k ? "+" : "", rng.Pick(kWords));
      }
    }
    std::string req;
    req.reserve(600 + body.size());
    absl::StrAppend(&req, post ? "POST " : "GET ", res.path, " HTTP/1.1\r\nHost: ", host_header, "\r\n");
    if (tool) {
      absl::StrAppend(&req, "User-Agent: ", agent, "\r\nAccept: */*\r\n");
    } else {
      const char* accept = res.kind == Kind::kHtml ? "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
                           : (res.kind == Kind::kJpeg || res.kind == Kind::kPng || res.kind == Kind::kWebp || res.kind == Kind::kIcon)
                               ? "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
                           : res.kind == Kind::kJson ? "application/json, text/plain, */*"
                           : res.kind == Kind::kStyle ? "text/css,*/*;q=0.1"
                                                      : "*/*";
      if (firefox) {
        absl::StrAppend(&req, "User-Agent: ", agent, "\r\nAccept: ", accept, "\r\nAccept-Language: ", language,
                        "\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n");
      } else {
        absl::StrAppend(&req, "Connection: keep-alive\r\nUser-Agent: ", agent, "\r\nAccept: ", accept,
                        "\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: ", language, "\r\n");
      }
      if (i > 0) absl::StrAppend(&req, "Referer: http://", host_header, "/\r\n");
      if (!cookie.empty()) absl::StrAppend(&req, "Cookie: ", cookie, "\r\n");
      if (res.kind == Kind::kHtml && i == 0) req += "Upgrade-Insecure-Requests: 1\r\n";
    }
    if (post) absl::StrAppend(&req, "Content-Type: ", body_type, "\r\nContent-Length: ", body.size(), "\r\n");
    req += "\r\n";
    req += body;
    s.messages.push_back({true, std::move(req)});

    // The response.
    const uint64_t roll = rng.Below(100);
    int status = 200;
    if (post) {
      status = rng.Chance(0.4) ? 204 : 200;
    } else if (roll < 8 && res.kind != Kind::kHtml && res.kind != Kind::kJson) {
      status = 304;
    } else if (roll < 13) {
      status = 404;
    } else if (roll < 16) {
      status = rng.Chance(0.5) ? 301 : 302;
    }
    const char* reason = status == 200   ? "OK"
                         : status == 204 ? "No Content"
                         : status == 304 ? "Not Modified"
                         : status == 404 ? "Not Found"
                         : status == 301 ? "Moved Permanently"
                                         : "Found";
    std::string head = absl::StrCat("HTTP/1.1 ", status, " ", reason, "\r\nDate: ", date, "\r\nServer: ", server, "\r\n");
    std::string payload;
    Kind kind = res.kind;
    if (status == 404 || status == 301 || status == 302) kind = Kind::kHtml;
    if (status == 200) {
      const size_t n = std::min<uint64_t>(BodySize(rng, kind), body_cap_);
      payload.reserve(n + 64);
      switch (kind) {
        case Kind::kHtml:
          absl::StrAppend(&payload, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", rng.Pick(kWords), " ",
                          rng.Pick(kWords), "</title></head><body>\n");
          AppendText(rng, 0, n, payload);
          payload += "\n</body></html>\n";
          break;
        case Kind::kScript: AppendText(rng, 1, n, payload); break;
        case Kind::kStyle: AppendText(rng, 2, n, payload); break;
        case Kind::kJson: {
          payload += "{\"items\":[";
          for (int k = 0; payload.size() < n; ++k) {
            absl::StrAppend(&payload, k ? "," : "", "{\"id\":", rng.Below(1000000), ",\"title\":\"", rng.Pick(kWords), " ",
                            rng.Pick(kWords), "\",\"active\":", rng.Chance(0.5) ? "true" : "false", "}");
          }
          payload += "]}";
          break;
        }
        case Kind::kText:
          absl::StrAppend(&payload, "User-agent: *\nDisallow: /", rng.Pick(kWords), "/\nSitemap: http://", host, "/sitemap.xml\n");
          break;
        case Kind::kJpeg: payload.append("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20); AppendRandom(rng, n, payload); break;
        case Kind::kPng: payload.append("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16); AppendRandom(rng, n, payload); break;
        case Kind::kWebp: payload.append("RIFF\x00\x00\x00\x00WEBPVP8 ", 16); AppendRandom(rng, n, payload); break;
        case Kind::kFont: payload += "wOF2"; AppendRandom(rng, n, payload); break;
        case Kind::kIcon: payload.append("\x00\x00\x01\x00\x01\x00", 6); AppendRandom(rng, n, payload); break;
      }
    } else if (status == 404) {
      absl::StrAppend(&payload, "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The page ",
                      res.path.substr(0, res.path.find('?')), " was not found on this server.</p></body></html>\n");
    } else if (status == 301 || status == 302) {
      const std::string location = absl::StrCat("https://", host, res.path);
      absl::StrAppend(&head, "Location: ", location, "\r\n");
      absl::StrAppend(&payload, "<html><head><title>", status, " ", reason, "</title></head><body><a href=\"", location,
                      "\">", reason, "</a></body></html>\n");
    }
    if (status == 304 || status == 204) {
      if (status == 304) absl::StrAppend(&head, "ETag: \"", rng.Hex(16), "\"\r\nCache-Control: max-age=", 60 * rng.Between(1, 1440), "\r\n");
      head += "\r\n";
      s.messages.push_back({false, std::move(head)});
      continue;
    }
    absl::StrAppend(&head, "Content-Type: ", ContentType(kind), "\r\n");
    if (status == 200 && kind != Kind::kHtml && kind != Kind::kJson) {
      absl::StrAppend(&head, "Cache-Control: public, max-age=", 3600 * rng.Between(1, 720), "\r\nETag: \"", rng.Hex(16), "\"\r\n");
    }
    if (IsText(kind) && payload.size() >= 1024 && payload.size() <= (256u << 10) && rng.Chance(0.35)) {
      payload = Gzip(payload);
      head += "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n";
    }
    std::string msg;
    if (status == 200 && IsText(kind) && rng.Chance(0.25)) {
      head += "Transfer-Encoding: chunked\r\n\r\n";
      msg.reserve(head.size() + payload.size() + payload.size() / 1000 + 64);
      msg += head;
      for (size_t at = 0; at < payload.size();) {
        const size_t n = std::min<size_t>(payload.size() - at, rng.Between(512, 16384));
        char size_line[24];
        std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
        msg += size_line;
        msg.append(payload, at, n);
        msg += "\r\n";
        at += n;
      }
      msg += "0\r\n\r\n";
    } else {
      absl::StrAppend(&head, "Content-Length: ", payload.size(), "\r\n\r\n");
      msg.reserve(head.size() + payload.size());
      msg += head;
      msg += payload;
    }
    s.messages.push_back({false, std::move(msg)});
  }
  return s;
}

Session BenignTraffic::Dns(Rng& rng, bool v6, bool tcp) {
  // A few resolvers serve every client.
  static constexpr const char* kResolvers[] = {"resolver-a", "resolver-b", "resolver-c"};
  Session s = NewSession(rng, tcp ? Transport::kTcp : Transport::kUdp, v6, SiteAddress(rng.Pick(kResolvers), v6), 53,
                         tcp ? "benign/dns-tcp" : "benign/dns");
  std::string name = Host(rng);
  const uint64_t r = rng.Below(100);
  uint16_t qtype = r < 55 ? kTypeA : r < 80 ? kTypeAaaa : r < 87 ? kTypeCname : r < 93 ? kTypeMx : kTypeTxt;
  if (qtype == kTypeMx || qtype == kTypeTxt) name = std::string(BaseDomain(name));
  if (tcp && qtype != kTypeMx) qtype = kTypeTxt;  // large answers are what go over TCP
  const bool nx = name.find_first_of("0123456789") != std::string::npos && rng.Chance(0.5);
  auto [q, a] = DnsExchange(rng, name, qtype, nx);
  if (tcp) {
    s.messages.push_back({true, TcpFrame(q)});
    s.messages.push_back({false, TcpFrame(a)});
    return s;
  }
  s.messages.push_back({true, std::move(q)});
  s.messages.push_back({false, std::move(a)});
  // Resolvers in stub libraries ask for A and AAAA from the same socket.
  if (qtype == kTypeA && rng.Chance(0.35)) {
    auto [q6, a6] = DnsExchange(rng, name, kTypeAaaa, nx);
    s.messages.push_back({true, std::move(q6)});
    s.messages.push_back({false, std::move(a6)});
  }
  return s;
}

Session BenignTraffic::Tls(Rng& rng, bool v6) {
  const std::string host = Host(rng);
  const uint16_t port = rng.Chance(0.93) ? 443 : 8443;
  Session s = NewSession(rng, Transport::kTcp, v6, SiteAddress(host, v6), port, "benign/tls");
  const bool chrome = rng.Chance(0.7);
  const bool resumed12 = rng.Chance(0.2);
  ClientHelloInfo hello = ClientHello(rng, host, chrome, resumed12);
  s.messages.push_back({true, std::move(hello.record)});

  std::string sh;
  Put16(sh, 0x0303);
  AppendRandom(rng, 32, sh);
  Put8(sh, 32);
  sh += hello.session_id;
  std::string exts;
  if (!resumed12) {
    Put16(sh, rng.Chance(0.7) ? 0x1301 : 0x1302);
    Put8(sh, 0);
    std::string ks;
    Put16(ks, 29);
    Put16(ks, 32);
    AppendRandom(rng, 32, ks);
    Extension(exts, 51, ks);
    Extension(exts, 43, std::string("\x03\x04", 2));
  } else {
    Put16(sh, rng.Chance(0.6) ? 0xc02f : 0xc02b);
    Put8(sh, 0);
    Extension(exts, 65281, std::string(1, '\0'));
    Extension(exts, 11, std::string("\x01\x00", 2));
    Extension(exts, 23, "");
    std::string a;
    const std::string proto = hello.offers_h2 ? "h2" : "http/1.1";
    Put16(a, static_cast<uint32_t>(proto.size() + 1));
    Put8(a, static_cast<uint32_t>(proto.size()));
    a += proto;
    Extension(exts, 16, a);
  }
  Put16(sh, static_cast<uint32_t>(exts.size()));
  sh += exts;
  const std::string ccs = Record(20, std::string(1, '\x01'));
  std::string server_flight = Record(22, Handshake(2, sh)) + ccs;
  if (resumed12) {
    server_flight += AppData(rng, 40, 22);  // the encrypted Finished
  } else {
    // EncryptedExtensions, Certificate, CertificateVerify, Finished.
    server_flight += AppData(rng, rng.Between(2500, 5200));
  }
  s.messages.push_back({false, std::move(server_flight)});
  std::string client_finish = ccs + (resumed12 ? AppData(rng, 40, 22) : AppData(rng, 53));
  client_finish += AppData(rng, rng.Between(90, 700));  // the first request
  s.messages.push_back({true, std::move(client_finish)});
  const int rounds = static_cast<int>(rng.Between(1, 8));
  for (int i = 0; i < rounds; ++i) {
    const size_t response =
        std::min<uint64_t>(rng.Chance(0.1) ? rng.Between(200000, 3000000) : rng.Between(300, 60000), body_cap_);
    s.messages.push_back({false, AppData(rng, response)});
    if (i + 1 < rounds) s.messages.push_back({true, AppData(rng, rng.Between(60, 1500))});
  }
  if (rng.Chance(0.5)) s.messages.push_back({true, AppData(rng, 24, 21)});  // close_notify alert
  return s;
}

}  // namespace kagami::gen
