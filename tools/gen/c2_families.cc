// C2 exchanges of the malware families the Tick pack covers, built from the
// public descriptions cited in rules/packs/tick/README.md (and, for the
// families known only by their infrastructure, from the published C2 names
// and addresses). Each one is what a single check-in puts on the wire:
// request shapes, header order and quirks as published; tokens, encrypted
// payloads and bodies come from the Rng, since only their shape is known.

#include <arpa/inet.h>
#include <zlib.h>

#include <concepts>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "tools/gen/benign_traffic.h"
#include "tools/gen/c2_family.h"

namespace kagami::gen {
namespace {

constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";

// The User-Agents as the sources quote them.
constexpr std::string_view kUaIe11 = "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko";
constexpr std::string_view kUaDaserfDelphi = "Mozilla/4.0 (compatible; MSIE 11.0; Windows NT 6.1; SV1)";
constexpr std::string_view kUaDaserf2017 = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.0; SV1)";
constexpr std::string_view kUaHomam = "Mozilla/4.0 (compatible; MSIE 8.0; Win32)";
constexpr std::string_view kUaGofarer =
    "Mozilla/4.0+(compatible;+MSIE+8.0;+Windows+NT+6.1;+Trident/4.0;+SLCC2;+.NET+CLR+2.0.50727;+.NET4.0E)";
constexpr std::string_view kUaRarStar = "Mozilla/4.0+(compatible;+MSIE+8.0;+Windows+NT+6.0;+SV1)";
constexpr std::string_view kUaAbk = "Mozilla/4.0(compatible;MSIE8.0;WindowsNT6.0;Trident/4.0)";
// What a VBScript MSXML2.XMLHTTP client sends on Windows 7 (ReVBShell).
constexpr std::string_view kUaXmlHttp =
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0; SLCC2; .NET CLR 2.0.50727)";

// String building over std::string_view (this Abseil's StrCat takes only
// its own string_view type).
void Append(std::string& out, std::string_view s) { out.append(s); }
void Append(std::string& out, std::integral auto n) { out.append(std::to_string(n)); }
template <typename... T>
std::string Cat(const T&... parts) {
  std::string out;
  (Append(out, parts), ...);
  return out;
}

std::string Crc32Hex(std::string_view text) {
  const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08lx", static_cast<unsigned long>(crc));
  return buf;
}

std::string Binary(Rng& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng.Below(256));
  return out;
}

std::string HostHeader(std::string_view host, const Endpoint& server) {
  return server.port == 80 ? std::string(host) : Cat(host, ":", server.port);
}

// An HTTP/1.1 request: request line, headers in the given order, body.
std::string Request(std::string_view method, std::string_view target,
                    std::initializer_list<std::pair<std::string_view, std::string_view>> headers,
                    std::string_view body = {}) {
  std::string out = Cat(method, " ", target, " HTTP/1.1\r\n");
  for (const auto& [name, value] : headers) out.append(Cat(name, ": ", value, "\r\n"));
  if (!body.empty() || method == "POST") out.append(Cat("Content-Length: ", body.size(), "\r\n"));
  out.append(Cat("\r\n", body));
  return out;
}

std::string Response(std::string_view content_type, std::string_view body, std::string_view server = "Apache") {
  return Cat("HTTP/1.1 200 OK\r\nDate: Tue, 11 Jul 2017 01:23:45 GMT\r\nServer: ", server,
                      "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\n\r\n", body);
}

Session Http(const Endpoint& client, const Endpoint& server, std::string_view label, std::string request,
             std::string response) {
  Session s;
  s.client = client;
  s.server = server;
  s.label = Cat("c2/", label);
  s.messages.push_back({true, std::move(request)});
  s.messages.push_back({false, std::move(response)});
  return s;
}

void Put16(std::string& out, size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void PutName(std::string& out, std::string_view name) {
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    out.push_back(static_cast<char>(dot - start));
    out.append(name.substr(start, dot - start));
    start = dot + 1;
  }
  out.push_back('\0');
}

// A DNS lookup of `name` at the site's resolver, answered with `address`
// (an A or AAAA record by its family).
Session DnsLookup(Rng& rng, const Endpoint& client, std::string_view name, std::string_view address,
                  std::string_view label) {
  unsigned char addr[16];
  const bool v6 = address.find(':') != std::string_view::npos;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, std::string(address).c_str(), addr) != 1) std::abort();
  const char type = v6 ? '\x1c' : '\x01';
  const uint16_t id = static_cast<uint16_t>(rng.Below(65536));
  std::string query;
  Put16(query, id);
  query.append("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // RD, one question
  PutName(query, name);
  query.push_back('\0');
  query.push_back(type);
  query.append("\x00\x01", 2);  // IN
  std::string answer = query;
  answer[2] = '\x81';
  answer[3] = '\x80';  // QR, RD, RA
  answer[7] = '\x01';  // one answer
  answer.append("\xc0\x0c\x00", 3);  // the question's name
  answer.push_back(type);
  answer.append("\x00\x01\x00\x00\x01\x2c\x00", 7);  // IN, TTL 300
  answer.push_back(static_cast<char>(v6 ? 16 : 4));
  answer.append(reinterpret_cast<const char*>(addr), v6 ? 16 : 4);

  Session s;
  s.transport = Transport::kUdp;
  s.client = {client.ip, static_cast<uint16_t>(rng.Between(49152, 65535))};
  s.server = {client.ip.find(':') == std::string::npos ? "10.0.0.53" : "fd00::53", 53};  // the site resolver
  s.label = Cat("c2/", label);
  s.messages.push_back({true, std::move(query)});
  s.messages.push_back({false, std::move(answer)});
  return s;
}

// --- Datper (JPCERT/CC 2017 and 2019; ET Open's TickGroup Datper rules) ---

// 2017 check-in: one parameter whose value is 8 hex chars, their CRC32 as 8
// hex chars, '1' or '2', then lower-case filler; the sample's header order.
std::vector<Session> Datper(Rng& rng, const Endpoint& client, const Endpoint& server) {
  const std::string token = rng.Hex(8);
  const std::string value =
      Cat(token, Crc32Hex(token), rng.Chance(0.5) ? "1" : "2", rng.Lower(rng.Between(8, 20)));
  const std::string target =
      Cat("/", rng.Lower(rng.Between(3, 8)), "/index.php?", rng.Lower(rng.Between(3, 8)), "=", value);
  return {Http(client, server, "datper",
               Request("GET", target,
                       {{"Accept", "*/*"},
                        {"Content-Type", "application/x-www-form-urlencoded"},
                        {"User-Agent", kUaIe11},
                        {"Host", HostHeader(server.ip, server)},
                        {"Pragma", "no-cache"},
                        {"Connection", "close"}}),
               Response("text/html", rng.Text(rng.Between(16, 64), kBase64)))};
}

// 2019 builds: /hp.php?, /set.html? or /index.htm? with exactly one
// [a-z]{3,10}=[a-z0-9]+ parameter, a form Content-Type on a body-less GET and
// no Referer or Accept-* headers. One check-in in each of the three forms.
std::vector<Session> Datper2019(Rng& rng, const Endpoint& client, const Endpoint& server) {
  static constexpr std::string_view kHosts[] = {"menu.han-game.com", "menu.rakutenline.com", "menu.sa-guard.com"};
  std::vector<Session> out;
  for (std::string_view page : {"/hp.php", "/set.html", "/index.htm"}) {
    const std::string dir = page == "/hp.php" ? "" : Cat("/", rng.Lower(rng.Between(3, 6)));
    const std::string target = Cat(dir, page, "?", rng.Lower(rng.Between(3, 10)), "=",
                                            rng.Text(rng.Between(12, 40), kAlnum));
    out.push_back(Http(client, server, "datper-2019",
                       Request("GET", target,
                               {{"Accept", "*/*"},
                                {"Content-Type", "application/x-www-form-urlencoded"},
                                {"User-Agent", kUaIe11},
                                {"Host", HostHeader(kHosts[rng.Below(3)], server)},
                                {"Connection", "Keep-Alive"},
                                {"Cache-Control", "no-cache"}}),
                       Response("text/html", rng.Text(rng.Between(16, 64), kBase64))));
  }
  return out;
}

// --- Daserf (RSA FirstWatch 2015, Neo23x0 and JPCERT/CC YARA, Microsoft) ---

// Visual C build, Nov-2017 sample: GET of an .gif whose reply is an encoded
// URL, not an image, then a POST of t0=/t1= fields to an .asp on that URL;
// both with the hard-coded "Content-Type: */*" and the Vista MSIE 8 UA.
std::vector<Session> Daserf(Rng& rng, const Endpoint& client, const Endpoint& server) {
  static constexpr std::string_view kHost = "www.gokickes.com";
  static constexpr std::string_view kScripts[] = {"jcbhe.asp", "edset.asp", "bxcve.asp"};
  const std::string dir = Cat("/", rng.Lower(rng.Between(4, 8)));
  std::vector<Session> out;
  out.push_back(Http(client, server, "daserf",
                     Request("GET", Cat(dir, "/addr.gif"),
                             {{"Accept", "*/*"},
                              {"Content-Type", "*/*"},
                              {"User-Agent", kUaDaserf2017},
                              {"Host", HostHeader(kHost, server)},
                              {"Cache-Control", "no-cache"}}),
                     Response("image/gif", Binary(rng, rng.Between(24, 48)))));
  const std::string body = Cat("t0=", rng.Text(rng.Between(8, 16), kBase64), "&t1=",
                                        rng.Text(rng.Between(40, 160), kBase64));
  out.push_back(Http(client, server, "daserf",
                     Request("POST", Cat(dir, "/", kScripts[rng.Below(3)]),
                             {{"Accept", "*/*"},
                              {"Content-Type", "*/*"},
                              {"User-Agent", kUaDaserf2017},
                              {"Host", HostHeader(kHost, server)},
                              {"Cache-Control", "no-cache"}},
                             body),
                     Response("text/html", rng.Text(rng.Between(16, 64), kBase64), "Microsoft-IIS/7.5")));
  return out;
}

// Delphi build: the MSIE 11.0 SV1 User-Agent no Internet Explorer sent.
std::vector<Session> DaserfDelphi(Rng& rng, const Endpoint& client, const Endpoint& server) {
  static constexpr std::string_view kScripts[] = {"hcvery.php", "ynhkef.php", "dkgwey.php"};
  const std::string target = Cat("/", rng.Lower(rng.Between(4, 8)), "/", kScripts[rng.Below(3)], "?",
                                          rng.Lower(3), "=", rng.Text(24, kAlnum));
  return {Http(client, server, "daserf-delphi",
               Request("GET", target,
                       {{"Accept", "*/*"},
                        {"User-Agent", kUaDaserfDelphi},
                        {"Host", HostHeader("sansei.jpn.com", server)},
                        {"Connection", "Keep-Alive"}}),
               Response("text/html", rng.Text(rng.Between(16, 64), kBase64)))};
}

// --- Downloaders ---

std::string FakePe(Rng& rng, size_t size) {
  std::string pe = "MZ";
  pe.append(Binary(rng, 58));
  pe.append("\x80\x00\x00\x00", 4);  // e_lfanew
  pe.append(Binary(rng, 14));
  pe.append("This program cannot be run in DOS mode.\r\r\n$");
  pe.resize(0x80, '\0');
  pe.append("PE\0\0", 4);
  pe.append(Binary(rng, size > pe.size() ? size - pe.size() : 64));
  return pe;
}

// Gofarer (Symantec 2016; JPCERT/CC YARA): fetches Daserf with its
// plus-encoded User-Agent.
std::vector<Session> Gofarer(Rng& rng, const Endpoint& client, const Endpoint& server) {
  const std::string target = Cat("/", rng.Lower(rng.Between(4, 8)), "/", rng.Lower(6), ".exe");
  return {Http(client, server, "gofarer",
               Request("GET", target,
                       {{"User-Agent", kUaGofarer}, {"Host", HostHeader(server.ip, server)},
                        {"Cache-Control", "no-cache"}}),
               Response("application/octet-stream", FakePe(rng, rng.Between(2048, 8192))))};
}

// HomamDownloader (Unit 42 2017/2018; Neo23x0 YARA; Microsoft Trayntadd).
std::vector<Session> Homam(Rng& rng, const Endpoint& client, const Endpoint& server) {
  return {Http(client, server, "homam",
               Request("GET", "/products/drive/index.htm",
                       {{"Accept", "*/*"},
                        {"Content-Type", "*/*"},
                        {"User-Agent", kUaHomam},
                        {"Host", HostHeader("pre.englandprevail.com", server)}}),
               Response("text/html", rng.Text(rng.Between(64, 256), kBase64)))};
}

// ABK (Trend Micro ENDTRADE 2019; JPCERT/CC YARA; Microsoft Broler.H): the
// space-less User-Agent against the published C2 page, and an image reply
// that carries an executable after the JPEG end-of-image marker.
std::vector<Session> Abk(Rng& rng, const Endpoint& client, const Endpoint& server) {
  static constexpr char kJfifHeader[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
  std::string jpeg(kJfifHeader, sizeof kJfifHeader - 1);
  jpeg.append(Binary(rng, rng.Between(512, 2048)));
  jpeg.append("\xff\xd9", 2);
  jpeg.append(FakePe(rng, rng.Between(2048, 6144)));
  return {Http(client, server, "abk",
               Request("GET", "//shop//img//marks_escrow//index.php",
                       {{"User-Agent", kUaAbk}, {"Host", HostHeader("www.suamok.com", server)},
                        {"Cache-Control", "no-cache"}}),
               Response("image/jpeg", jpeg))};
}

// RarStar (Secureworks 2017 via ATT&CK; Neo23x0 YARA): XOR-encoded upload
// with its plus-encoded User-Agent.
std::vector<Session> RarStar(Rng& rng, const Endpoint& client, const Endpoint& server) {
  return {Http(client, server, "rarstar",
               Request("POST", Cat("/", rng.Lower(rng.Between(4, 8)), ".php"),
                       {{"User-Agent", kUaRarStar},
                        {"Host", HostHeader(server.ip, server)},
                        {"Content-Type", "application/octet-stream"}},
                       Binary(rng, rng.Between(256, 1024))),
               Response("text/html", "ok"))};
}

// xxmm (Secureworks 2017; Neo23x0 YARA): AES-encrypted exchange with its
// PHP tunnel page (the samples' default is /phptunnel.php).
std::vector<Session> Xxmm(Rng& rng, const Endpoint& client, const Endpoint& server) {
  return {Http(client, server, "xxmm",
               Request("POST", "/phptunnel.php",
                       {{"Host", HostHeader(server.ip, server)},
                        {"Content-Type", "application/octet-stream"},
                        {"Connection", "Keep-Alive"}},
                       Binary(rng, 16 * rng.Between(4, 32))),
               Response("application/octet-stream", Binary(rng, 16 * rng.Between(2, 16))))};
}

// down_new / DALBOT (Trend Micro ENDTRADE; JPCERT/CC YARA): a check-in with
// the MAC address as twelve hex digits and the "&uc=go" parameter; the
// Dalbot backdoor's file upload fields (Microsoft Dalbot).
std::vector<Session> Dalbot(Rng& rng, const Endpoint& client, const Endpoint& server) {
  std::vector<Session> out;
  out.push_back(Http(client, server, "dalbot",
                     Request("GET", Cat("/", rng.Lower(5), ".php?id=", rng.Hex(12), "&uc=go"),
                             {{"User-Agent", kUaIe11}, {"Host", HostHeader(server.ip, server)}}),
                     Response("text/html", Cat("AAAAA", rng.Text(32, kBase64)))));
  const std::string body = Cat("reqpath=C%3A%5CUsers%5CPublic%5C", rng.Lower(6),
                                        ".dat&FILECONTENT=", rng.Text(rng.Between(64, 256), kBase64));
  out.push_back(Http(client, server, "dalbot",
                     Request("POST", Cat("/", rng.Lower(5), ".php"),
                             {{"User-Agent", kUaIe11},
                              {"Host", HostHeader(server.ip, server)},
                              {"Content-Type", "application/x-www-form-urlencoded"}},
                             body),
                     Response("text/html", "ok")));
  return out;
}

// --- Tooling and infrastructure of 2020-2022 (ESET 2023, AhnLab 2023) ---

// Customized ReVBShell: polls with GET /, returns command output as
// multipart form data to /cmd with the client's fixed boundary.
std::vector<Session> ReVbShell(Rng& rng, const Endpoint& client, const Endpoint&) {
  const Endpoint server{"103.127.124.119", 8080};
  static constexpr std::string_view kBoundary = "----WebKitFormBoundaryNiV6OvjHXJPrEdnb";
  std::vector<Session> out;
  out.push_back(Http(client, server, "revbshell",
                     Request("GET", "/", {{"Accept", "*/*"}, {"User-Agent", kUaXmlHttp},
                                          {"Host", HostHeader(server.ip, server)}}),
                     Response("text/html", "GETUID", "BaseHTTP/0.3 Python/2.7.18")));
  const std::string body = Cat("--", kBoundary, "\r\nContent-Disposition: form-data; name=\"cmd\"\r\n\r\n",
                                        "GETUID\r\n--", kBoundary,
                                        "\r\nContent-Disposition: form-data; name=\"result\"\r\n\r\n",
                                        rng.Lower(8), "\\", rng.Lower(6), "\r\n--", kBoundary, "--\r\n");
  out.push_back(Http(client, server, "revbshell",
                     Request("POST", "/cmd",
                             {{"Accept", "*/*"},
                              {"Content-Type", Cat("multipart/form-data; boundary=", kBoundary)},
                              {"User-Agent", kUaXmlHttp},
                              {"Host", HostHeader(server.ip, server)}},
                             body),
                     Response("text/html", "", "BaseHTTP/0.3 Python/2.7.18")));
  return out;
}

// Known C2 names and addresses with no published request format: the DNS
// lookup and an opaque exchange with the address it resolves to.
std::vector<Session> Infrastructure(Rng& rng, const Endpoint& client, std::string_view name,
                                    std::string_view address, uint16_t port, std::string_view label) {
  std::vector<Session> out;
  out.push_back(DnsLookup(rng, client, name, address, label));
  Session s;
  s.client = client;
  s.server = {std::string(address), port};
  s.label = Cat("c2/", label);
  s.messages.push_back({true, Binary(rng, rng.Between(64, 512))});
  s.messages.push_back({false, Binary(rng, rng.Between(64, 1024))});
  out.push_back(std::move(s));
  return out;
}

// ServerHello, then encrypted application data, in TLS 1.2 records.
std::string ServerFlight(Rng& rng) {
  std::string body("\x03\x03", 2);
  body.append(Binary(rng, 32));
  body.push_back('\0');
  body.append("\xc0\x2f\x00\x00\x00", 5);  // suite, null compression, no extensions
  std::string hs("\x02\x00", 2);
  Put16(hs, body.size());
  hs.append(body);
  std::string out("\x16\x03\x03", 3);
  Put16(out, hs.size());
  out.append(hs);
  const std::string data = Binary(rng, rng.Between(64, 512));
  out.append("\x17\x03\x03", 3);
  Put16(out, data.size());
  out.append(data);
  return out;
}

// The Delphi backdoor of the 2021 Exchange intrusions (ESET): only its C2
// names are published, reached over HTTPS.
std::vector<Session> TickDelphi(Rng& rng, const Endpoint& client, const Endpoint& server_in) {
  static constexpr std::string_view kNames[] = {"www.averyspace.net", "www.komdsecko.net"};
  const std::string_view name = kNames[rng.Below(2)];
  const Endpoint server{server_in.ip, 443};
  std::vector<Session> out;
  out.push_back(DnsLookup(rng, client, name, server.ip, "tick-delphi"));
  Session s;
  s.client = client;
  s.server = server;
  s.label = "c2/tick-delphi";
  s.messages.push_back({true, TlsClientHello(rng, name)});
  s.messages.push_back({false, ServerFlight(rng)});
  out.push_back(std::move(s));
  return out;
}

// Broler (Microsoft Broler.G): the C2 page embedded in the samples.
std::vector<Session> Broler(Rng& rng, const Endpoint& client, const Endpoint&) {
  const Endpoint server{"27.255.90.158", 80};
  return {Http(client, server, "broler",
               Request("GET", "/TerminFold/ldsjr.php",
                       {{"User-Agent", kUaIe11}, {"Host", server.ip}, {"Cache-Control", "no-cache"}}),
               Response("text/html", rng.Text(48, kBase64)))};
}

// Gokcpdoor (LAC VB2023; JPCERT/CC YARA): KCP over UDP. Each datagram is
// one KCP segment: conv, cmd (81 push, 82 ack), frg, wnd, ts, sn, una, len
// (little-endian) and len bytes of encrypted data.
std::vector<Session> Gokcpdoor(Rng& rng, const Endpoint& client, const Endpoint& server_in) {
  const Endpoint server{server_in.ip, static_cast<uint16_t>(rng.Between(10000, 60000))};
  const uint32_t conv = static_cast<uint32_t>(rng.Next());
  auto le32 = [](std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  Session s;
  s.transport = Transport::kUdp;
  s.client = client;
  s.server = server;
  s.label = "c2/gokcpdoor";
  uint32_t ts = static_cast<uint32_t>(rng.Below(1u << 30));
  uint32_t sn_client = 0, sn_server = 0;
  for (int i = 0; i < 32; ++i) {
    const bool from_client = i % 2 == 0;
    const bool push = i % 4 < 2;  // a push and its ack, alternating senders
    std::string seg;
    le32(seg, conv);
    seg.push_back(static_cast<char>(push ? 81 : 82));
    seg.push_back('\0');                  // frg
    seg.append("\x00\x01", 2);            // wnd 256
    le32(seg, ts += static_cast<uint32_t>(rng.Between(20, 400)));
    le32(seg, push ? (from_client ? sn_client++ : sn_server++) : (from_client ? sn_server : sn_client));
    le32(seg, from_client ? sn_server : sn_client);  // una
    const std::string data = push ? Binary(rng, rng.Between(32, 400)) : std::string();
    le32(seg, static_cast<uint32_t>(data.size()));
    seg.append(data);
    s.messages.push_back({from_client, std::move(seg)});
  }
  return {std::move(s)};
}

// The Exchange webshell of the 2021 Delphi-backdoor intrusions (ESET; the
// filename list): a request from outside to the dropped page. Plain HTTP,
// as seen behind a TLS-offloading proxy.
std::vector<Session> ExchangeWebshell(Rng& rng, const Endpoint& client, const Endpoint& server) {
  const Endpoint exchange{client.ip, 80};
  const Endpoint attacker{server.ip, static_cast<uint16_t>(rng.Between(49152, 65535))};
  const std::string body = Cat(rng.Lower(4), "=", rng.Text(rng.Between(64, 256), kBase64));
  return {Http(attacker, exchange, "exchange-webshell",
               Request("POST", "/aspnet_client/aspnet.aspx",
                       {{"Host", "mail.example.co.jp"},
                        {"User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"},
                        {"Content-Type", "application/x-www-form-urlencoded"}},
                       body),
               Response("text/html", rng.Text(64, kBase64), "Microsoft-IIS/10.0"))};
}

// An exchange of several connections comes from one host but not one
// port: every session after the first that would reuse an earlier one's
// client endpoint gets the next ephemeral port.
C2Family Family(std::string name, std::string description,
                std::function<std::vector<Session>(Rng&, const Endpoint&, const Endpoint&)> make) {
  auto distinct = [make = std::move(make)](Rng& rng, const Endpoint& client, const Endpoint& server) {
    std::vector<Session> sessions = make(rng, client, server);
    std::set<std::tuple<std::string, uint16_t, Transport>> used;
    for (Session& s : sessions) {
      while (!used.emplace(s.client.ip, s.client.port, s.transport).second) {
        s.client.port = static_cast<uint16_t>(49152 + (s.client.port + 1 - 49152 + 16384) % 16384);
      }
    }
    return sessions;
  };
  return {std::move(name), std::move(description), std::move(distinct)};
}

}  // namespace

const std::vector<C2Family>& C2Families() {
  static const std::vector<C2Family> families = {
      Family("datper", "Datper 2017 check-in: .php?<param>=<hex token><its CRC32><1|2><filler> (JPCERT/CC)", Datper),
      Family("datper-2019", "Datper 2019 check-ins to /hp.php, /set.html and /index.htm (JPCERT/CC, ET Open)", Datper2019),
      Family("daserf", "Daserf C build: GET .../addr.gif, then POST t0=&t1= to an .asp, Content-Type */* (RSA, Neo23x0)",
       Daserf),
      Family("daserf-delphi", "Daserf Delphi build: MSIE 11.0 SV1 User-Agent (JPCERT/CC, Sigma)", DaserfDelphi),
      Family("gofarer", "Gofarer downloader: plus-encoded User-Agent fetching an executable (JPCERT/CC)", Gofarer),
      Family("homam", "HomamDownloader: MSIE 8.0 Win32 UA with Content-Type */* to its C2 page (Unit 42, Neo23x0)", Homam),
      Family("abk", "ABK downloader: space-less UA, JPEG reply carrying an executable (Trend Micro, Microsoft)", Abk),
      Family("rarstar", "RarStar uploader: plus-encoded UA, XOR-encoded POST (Secureworks, Neo23x0)", RarStar),
      Family("xxmm", "xxmm: encrypted POST to /phptunnel.php (Secureworks, Neo23x0)", Xxmm),
      Family("dalbot", "down_new/DALBOT: &uc=go check-in and reqpath/FILECONTENT upload (JPCERT/CC, Microsoft)", Dalbot),
      Family("revbshell", "customized ReVBShell: GET / poll and multipart POST /cmd to 103.127.124.119:8080 (ESET)",
       ReVbShell),
      Family("exchange-webshell", "inbound POST to the Exchange webshell /aspnet_client/aspnet.aspx (ESET 2021)",
       ExchangeWebshell),
      Family("tick-delphi", "Tick Delphi backdoor: lookup of and TLS to its C2 names (ESET 2021)", TickDelphi),
      Family("gokcpdoor", "Gokcpdoor: KCP segments over UDP to a high port (LAC, JPCERT/CC)", Gokcpdoor),
      Family("broler", "Broler: GET of its embedded C2 page on 27.255.90.158 (Microsoft)", Broler),
      Family("shadowpy", "ShadowPy: lookup of travelasist.com and traffic to 115.144.69.108 (ESET, AhnLab)",
       [](Rng& rng, const Endpoint& c, const Endpoint&) {
         return Infrastructure(rng, c, "travelasist.com", "115.144.69.108", 443, "shadowpy");
       }),
      Family("netboy", "Netboy: lookup of mssql.waterglue.org and traffic to 110.10.16.56 (ESET)",
       [](Rng& rng, const Endpoint& c, const Endpoint&) {
         return Infrastructure(rng, c, "mssql.waterglue.org", "110.10.16.56", 443, "netboy");
       }),
      Family("ghostdown", "Ghostdown: lookup of oracle.eneygylakes.com and traffic to 58.230.118.78 (ESET)",
       [](Rng& rng, const Endpoint& c, const Endpoint&) {
         return Infrastructure(rng, c, "oracle.eneygylakes.com", "58.230.118.78", 443, "ghostdown");
       }),
  };
  return families;
}

const C2Family* FindC2Family(std::string_view name) {
  for (const C2Family& f : C2Families())
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace kagami::gen
