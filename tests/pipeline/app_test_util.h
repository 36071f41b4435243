#pragma once
// Builders for application-layer test traffic: DNS messages (UDP payloads
// and TCP frames), TLS records with a ClientHello / ServerHello, and the
// JA3 string a ClientHello should fingerprint to. Header-only with no
// engine dependency, so the e2e tests (which do not link the engine) can
// use it too. Binary payloads are std::string, the type TcpSession::Send
// and the packet builders take.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::apptest {

inline void Put8(std::string& b, uint32_t v) { b.push_back(static_cast<char>(v & 0xff)); }
inline void Put16(std::string& b, uint32_t v) {
  Put8(b, v >> 8);
  Put8(b, v);
}
inline void Put24(std::string& b, uint32_t v) {
  Put8(b, v >> 16);
  Put16(b, v & 0xffff);
}
inline void Put32(std::string& b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xffff);
}

// ---------------------------------------------------------------------------
// DNS

// "www.evil.example" -> 3www4evil7example0
inline std::string DnsName(std::string_view dotted) {
  std::string out;
  size_t from = 0;
  while (from < dotted.size()) {
    size_t dot = dotted.find('.', from);
    if (dot == std::string_view::npos) dot = dotted.size();
    Put8(out, static_cast<uint32_t>(dot - from));
    out.append(dotted.substr(from, dot - from));
    from = dot + 1;
  }
  Put8(out, 0);
  return out;
}

inline std::string DnsHeader(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
  std::string b;
  Put16(b, id);
  Put16(b, flags);
  Put16(b, qd);
  Put16(b, an);
  Put16(b, ns);
  Put16(b, ar);
  return b;
}

inline std::string DnsQuestion(std::string_view name, uint16_t qtype) {
  std::string b = DnsName(name);
  Put16(b, qtype);
  Put16(b, 1);  // IN
  return b;
}

// The owner of a record that names the first question (compression pointer to 12).
inline const std::string kDnsFirstQuestion("\xc0\x0c", 2);

// A resource record of class IN; `owner` in wire form (DnsName or kDnsFirstQuestion).
inline std::string DnsRecord(std::string_view owner, uint16_t type, std::string_view rdata, uint32_t ttl = 60) {
  std::string b(owner);
  Put16(b, type);
  Put16(b, 1);
  Put32(b, ttl);
  Put16(b, static_cast<uint32_t>(rdata.size()));
  b.append(rdata);
  return b;
}

// An A record for the first question's name.
inline std::string DnsAnswerA(const std::array<uint8_t, 4>& ip, uint32_t ttl = 60) {
  return DnsRecord(kDnsFirstQuestion, 1, std::string_view(reinterpret_cast<const char*>(ip.data()), ip.size()), ttl);
}

// A standard query (RD set) with one question.
inline std::string DnsQuery(uint16_t id, std::string_view name, uint16_t qtype = 1) {
  return DnsHeader(id, 0x0100, 1, 0, 0, 0) + DnsQuestion(name, qtype);
}

// The answer to DnsQuery(id, name): QR RD RA, NOERROR, one A record.
inline std::string DnsResponseA(uint16_t id, std::string_view name, const std::array<uint8_t, 4>& ip = {192, 0, 2, 1}) {
  return DnsHeader(id, 0x8180, 1, 1, 0, 0) + DnsQuestion(name, 1) + DnsAnswerA(ip);
}

// A query that carries an answer record: valid wire format, but not the
// shape protocol detection accepts for a standard query.
inline std::string DnsOddQuery(uint16_t id, std::string_view name) {
  return DnsHeader(id, 0x0100, 1, 1, 0, 0) + DnsQuestion(name, 1) + DnsAnswerA({203, 0, 113, 9});
}

// RFC 1035 4.2.2: two-byte length, then the message.
inline std::string DnsTcpFrame(std::string_view message) {
  std::string b;
  Put16(b, static_cast<uint32_t>(message.size()));
  b.append(message);
  return b;
}

// ---------------------------------------------------------------------------
// TLS

inline std::string TlsRecord(uint8_t type, std::string_view payload, uint16_t version = 0x0301) {
  std::string b;
  Put8(b, type);
  Put16(b, version);
  Put16(b, static_cast<uint32_t>(payload.size()));
  b.append(payload);
  return b;
}

inline std::string TlsHandshake(uint8_t type, std::string_view body) {
  std::string b;
  Put8(b, type);
  Put24(b, static_cast<uint32_t>(body.size()));
  b.append(body);
  return b;
}

struct HelloSpec {
  uint16_t version = 0x0303;
  std::vector<uint16_t> ciphers = {0x1301, 0x1302, 0xc02b, 0xc02f, 0x009c};
  std::string sni{};  // empty: no server_name extension
  std::vector<uint16_t> groups = {29, 23, 24};
  std::vector<uint8_t> point_formats = {0};
  std::vector<uint16_t> sig_algs = {0x0403, 0x0804, 0x0401};
  std::vector<std::string> alpn = {"h2", "http/1.1"};
};

// Extension types in the order ClientHelloRecord writes them.
inline std::vector<uint16_t> HelloExtensionTypes(const HelloSpec& h) {
  std::vector<uint16_t> t;
  if (!h.sni.empty()) t.push_back(0);
  t.push_back(10);
  t.push_back(11);
  t.push_back(13);
  if (!h.alpn.empty()) t.push_back(16);
  return t;
}

// The JA3 string of the hello (no GREASE values in these specs).
inline std::string Ja3String(const HelloSpec& h) {
  auto join = [](const auto& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) s += '-';
      s += std::to_string(static_cast<unsigned>(v[i]));
    }
    return s;
  };
  return std::to_string(h.version) + "," + join(h.ciphers) + "," + join(HelloExtensionTypes(h)) + "," +
         join(h.groups) + "," + join(h.point_formats);
}

inline void PutExtension(std::string& out, uint16_t type, const std::string& body) {
  Put16(out, type);
  Put16(out, static_cast<uint32_t>(body.size()));
  out.append(body);
}

// One handshake record holding the ClientHello of `h`.
inline std::string ClientHelloRecord(const HelloSpec& h) {
  std::string body;
  Put16(body, h.version);
  for (int i = 0; i < 32; ++i) Put8(body, static_cast<uint32_t>(0x40 + i));  // random
  Put8(body, 32);
  for (int i = 0; i < 32; ++i) Put8(body, static_cast<uint32_t>(i * 7));  // session id
  Put16(body, static_cast<uint32_t>(h.ciphers.size() * 2));
  for (uint16_t c : h.ciphers) Put16(body, c);
  Put8(body, 1);
  Put8(body, 0);  // null compression
  std::string exts;
  if (!h.sni.empty()) {
    std::string entry;
    Put8(entry, 0);
    Put16(entry, static_cast<uint32_t>(h.sni.size()));
    entry.append(h.sni);
    std::string e;
    Put16(e, static_cast<uint32_t>(entry.size()));
    e.append(entry);
    PutExtension(exts, 0, e);
  }
  {
    std::string e;
    Put16(e, static_cast<uint32_t>(h.groups.size() * 2));
    for (uint16_t g : h.groups) Put16(e, g);
    PutExtension(exts, 10, e);
  }
  {
    std::string e;
    Put8(e, static_cast<uint32_t>(h.point_formats.size()));
    for (uint8_t f : h.point_formats) Put8(e, f);
    PutExtension(exts, 11, e);
  }
  {
    std::string e;
    Put16(e, static_cast<uint32_t>(h.sig_algs.size() * 2));
    for (uint16_t s : h.sig_algs) Put16(e, s);
    PutExtension(exts, 13, e);
  }
  if (!h.alpn.empty()) {
    std::string list;
    for (const std::string& p : h.alpn) {
      Put8(list, static_cast<uint32_t>(p.size()));
      list.append(p);
    }
    std::string e;
    Put16(e, static_cast<uint32_t>(list.size()));
    e.append(list);
    PutExtension(exts, 16, e);
  }
  Put16(body, static_cast<uint32_t>(exts.size()));
  body.append(exts);
  return TlsRecord(22, TlsHandshake(1, body));
}

// A TLS 1.2 ServerHello record choosing `cipher`, no extensions.
inline std::string ServerHelloRecord(uint16_t cipher = 0xc02b) {
  std::string body;
  Put16(body, 0x0303);
  for (int i = 0; i < 32; ++i) Put8(body, static_cast<uint32_t>(0x80 + i));
  Put8(body, 0);  // empty session id
  Put16(body, cipher);
  Put8(body, 0);
  return TlsRecord(22, TlsHandshake(2, body), 0x0303);
}

inline std::string ChangeCipherSpecRecord() { return TlsRecord(20, std::string(1, '\x01'), 0x0303); }
inline std::string AppDataRecord(std::string_view opaque) { return TlsRecord(23, opaque, 0x0303); }

// ---------------------------------------------------------------------------
// HTTP

// "GET <uri> HTTP/1.1" with a Host and whatever `headers` adds (each line
// ending in CRLF).
inline std::string HttpGet(std::string_view uri, std::string_view host = "www.example.com",
                           std::string_view headers = "") {
  return "GET " + std::string(uri) + " HTTP/1.1\r\nHost: " + std::string(host) + "\r\n" + std::string(headers) +
         "\r\n";
}

inline std::string HttpOk(std::string_view body, std::string_view status = "200 OK", std::string_view headers = "") {
  return "HTTP/1.1 " + std::string(status) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(headers) + "\r\n" + std::string(body);
}

// Every cut inside `n` bytes: one byte per segment.
inline std::vector<size_t> EveryByte(size_t n) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < n; ++i) cuts.push_back(i);
  return cuts;
}

}  // namespace kagami::apptest
