#pragma once
// DNS message parsing (RFC 1035 and friends) into the shape Suricata's EVE
// "dns" object and the dns.* keywords need.
//
// ParseMessage takes one whole message: a UDP payload, or one TCP frame with
// its length prefix removed (see dns_tcp_framer.h). It never reads outside
// [data, data + len), follows compression pointers only backwards and a
// bounded number of times, and keeps whatever parsed before a problem:
// malformed input becomes an Anomaly with the byte offset where it was seen.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kagami::app::dns {

struct DnsOptions {
  // Questions + resource records parsed per message; the rest is skipped
  // with kTooManyRecords. Caps what one message can make us allocate.
  uint32_t max_records = 512;
  // Largest TCP frame TcpFramer buffers; longer frames are skipped unread.
  uint32_t max_tcp_message = 65535;
  // AAAA rdata text. Suricata (up to 8.0) writes all eight groups with
  // leading zeros ("2001:0db8:0000:...:0001"); true writes RFC 5952 text
  // ("2001:db8::1") instead.
  bool aaaa_rfc5952 = false;
};

// Longest name text kept (Suricata's limit too); longer names are cut at a
// label boundary and flagged name_truncated.
inline constexpr size_t kMaxNameText = 1025;
// Anomalies recorded per message; later ones are dropped.
inline constexpr size_t kMaxAnomalies = 64;

struct Question {
  // Labels joined with '.', no trailing dot, "" for the root. Label bytes are
  // kept as they are (a '.' or NUL inside a label is not escaped): detection
  // matches on raw bytes.
  std::string name{};
  uint16_t type = 0, cls = 0;
  bool name_truncated = false;
};

struct Soa {
  std::string mname{}, rname{};
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};

struct Srv {
  uint16_t priority = 0, weight = 0, port = 0;
  std::string name{};
};

struct Sshfp {
  uint8_t algo = 0, fp_type = 0;
  std::string fingerprint{};  // raw bytes; EVE writes them as "aa:bb:..."
};

struct EdnsOption {
  uint16_t code = 0;
  std::string data{};  // raw bytes; EVE writes them as hex
};

struct Record {
  std::string name{};
  uint16_t type = 0, cls = 0;
  uint32_t ttl = 0;
  bool name_truncated = false;
  // Suricata's EVE "rdata" text: A/AAAA address text, the name of
  // CNAME/NS/PTR/DNAME/MX, the raw bytes of NULL, the first string of TXT;
  // empty for other types and for rdata that did not parse.
  std::string rdata{};
  // TXT: every character-string. Suricata 8 writes one EVE answer object per
  // string (each with that string as rdata).
  std::vector<std::string> txt{};
  std::optional<Soa> soa{};
  uint16_t mx_preference = 0;
  std::optional<Srv> srv{};
  std::optional<Sshfp> sshfp{};
  // OPT (EDNS, RFC 6891): cls is the UDP payload size, ttl the extended
  // rcode/version/flags, and these are its options.
  std::vector<EdnsOption> opt{};
};

enum class Anomaly : uint8_t {
  kTruncated,        // the message ends inside the header counts' promise
  kRecordOverflow,   // a record's rdlength runs past the end of the message
  kLabelTooLong,     // label length byte 64..191 (reserved label types)
  kNameTooLong,      // a name longer than 255 bytes on the wire
  kCompressionLoop,  // pointer back into the name being read, or too many hops
  kForwardPointer,   // pointer to itself or further on
  kBadPointer,       // pointer into the 12-byte header
  kBadRdataLength,   // rdata shorter or longer than its type's fields
  kTooManyRecords,   // more than DnsOptions::max_records
  kZFlagSet,         // the reserved Z bit is set
  kTrailingData,     // bytes after the last record the counts announce
  kCount,
};

struct Message {
  uint16_t id = 0, flags = 0;
  bool response = false;
  uint8_t opcode = 0, rcode = 0;
  bool aa = false, tc = false, rd = false, ra = false, z = false;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;  // as in the header
  std::vector<Question> questions{};
  std::vector<Record> answers{}, authorities{}, additionals{};
  std::vector<std::pair<Anomaly, uint32_t>> anomalies{};  // kind, byte offset

  bool HasAnomaly(Anomaly a) const {
    for (const auto& [kind, offset] : anomalies)
      if (kind == a) return true;
    return false;
  }
};

// Parses one DNS message into `out` (whose vectors and strings are reused,
// so a long-lived Message parses without allocating in the steady state).
// Returns false only when the 12-byte header is missing; otherwise parses as
// much as it can and records anomalies: a message cut inside the answers
// keeps its questions and the answers before the cut.
bool ParseMessage(const uint8_t* data, size_t len, const DnsOptions& options, Message& out);

// Record type as Suricata's EVE writes rrtype ("A", "AAAA", ...); empty for
// types it has no name for (use TypeText).
std::string_view TypeName(uint16_t type);
// TypeName, or the number as decimal text when there is no name.
std::string TypeText(uint16_t type);
// "NOERROR", "NXDOMAIN", ...; unknown codes as decimal text.
std::string RcodeName(uint8_t rcode);
// The header flags as EVE's "flags": lowercase hex without padding ("8180").
std::string FlagsHex(uint16_t flags);
// Stable lowercase name for an anomaly, for counters and events.
std::string_view AnomalyName(Anomaly a);
// Address text as used for rdata.
std::string FormatIpv4(const uint8_t addr[4]);
std::string FormatIpv6Expanded(const uint8_t addr[16]);  // Suricata's form
std::string FormatIpv6Rfc5952(const uint8_t addr[16]);

}  // namespace kagami::app::dns
