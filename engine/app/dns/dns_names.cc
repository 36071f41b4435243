// Text forms of DNS numbers, matching what Suricata's EVE output writes.

#include <array>

#include "absl/strings/str_cat.h"
#include "engine/app/dns/dns_parser.h"
#include "engine/app/dns/dns_wire.h"

namespace kagami::app::dns {
namespace {

struct TypeEntry {
  uint16_t type;
  std::string_view name;
};

// The types Suricata's EVE names (IANA mnemonics); others are written as
// numbers. Sorted by number for the binary search.
constexpr TypeEntry kTypes[] = {
    {1, "A"},          {2, "NS"},        {3, "MD"},          {4, "MF"},       {5, "CNAME"},
    {6, "SOA"},        {7, "MB"},        {8, "MG"},          {9, "MR"},       {10, "NULL"},
    {11, "WKS"},       {12, "PTR"},      {13, "HINFO"},      {14, "MINFO"},   {15, "MX"},
    {16, "TXT"},       {17, "RP"},       {18, "AFSDB"},      {19, "X25"},     {20, "ISDN"},
    {21, "RT"},        {22, "NSAP"},     {23, "NSAPPTR"},    {24, "SIG"},     {25, "KEY"},
    {26, "PX"},        {27, "GPOS"},     {28, "AAAA"},       {29, "LOC"},     {30, "NXT"},
    {33, "SRV"},       {34, "ATMA"},     {35, "NAPTR"},      {36, "KX"},      {37, "CERT"},
    {38, "A6"},        {39, "DNAME"},    {41, "OPT"},        {42, "APL"},     {43, "DS"},
    {44, "SSHFP"},     {45, "IPSECKEY"}, {46, "RRSIG"},      {47, "NSEC"},    {48, "DNSKEY"},
    {49, "DHCID"},     {50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},    {55, "HIP"},
    {59, "CDS"},       {60, "CDNSKEY"},  {65, "HTTPS"},      {99, "SPF"},     {249, "TKEY"},
    {250, "TSIG"},     {254, "MAILA"},   {255, "ANY"},       {256, "URI"},
};

constexpr std::string_view kRcodes[] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};
// Extended rcodes (EDNS / TSIG, RFC 6891 and 8945), from 16 on.
constexpr std::string_view kExtendedRcodes[] = {
    "BADVERS/BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC",
};

constexpr char kHex[] = "0123456789abcdef";

// Lowercase hex without leading zeros.
void AppendHex16(std::string& s, unsigned v) {
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned digit = (v >> shift) & 0xF;
    if (digit != 0 || started || shift == 0) {
      s.push_back(kHex[digit]);
      started = true;
    }
  }
}

}  // namespace

std::string_view TypeName(uint16_t type) {
  size_t lo = 0, hi = std::size(kTypes);
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (kTypes[mid].type < type) lo = mid + 1;
    else hi = mid;
  }
  if (lo < std::size(kTypes) && kTypes[lo].type == type) return kTypes[lo].name;
  return {};
}

std::string TypeText(uint16_t type) {
  const std::string_view name = TypeName(type);
  if (!name.empty()) return std::string(name);
  return absl::StrCat(type);
}

std::string RcodeName(uint8_t rcode) {
  if (rcode < std::size(kRcodes)) return std::string(kRcodes[rcode]);
  if (rcode >= 16 && rcode - 16u < std::size(kExtendedRcodes))
    return std::string(kExtendedRcodes[rcode - 16]);
  return absl::StrCat(rcode);
}

std::string FlagsHex(uint16_t flags) {
  std::string s;
  AppendHex16(s, flags);
  return s;
}

std::string_view AnomalyName(Anomaly a) {
  switch (a) {
    case Anomaly::kTruncated: return "truncated";
    case Anomaly::kRecordOverflow: return "record_overflow";
    case Anomaly::kLabelTooLong: return "label_too_long";
    case Anomaly::kNameTooLong: return "name_too_long";
    case Anomaly::kCompressionLoop: return "compression_loop";
    case Anomaly::kForwardPointer: return "forward_pointer";
    case Anomaly::kBadPointer: return "bad_pointer";
    case Anomaly::kBadRdataLength: return "bad_rdata_length";
    case Anomaly::kTooManyRecords: return "too_many_records";
    case Anomaly::kZFlagSet: return "z_flag_set";
    case Anomaly::kTrailingData: return "trailing_data";
    case Anomaly::kCount: break;
  }
  return "unknown";
}

namespace wire {

void AssignIpv4(std::string& s, const uint8_t addr[4]) {
  char buf[16];
  size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    if (i != 0) buf[n++] = '.';
    const unsigned v = addr[i];
    if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) buf[n++] = static_cast<char>('0' + v / 10 % 10);
    buf[n++] = static_cast<char>('0' + v % 10);
  }
  s.assign(buf, n);
}

void AssignIpv6Expanded(std::string& s, const uint8_t addr[16]) {
  char buf[39];
  size_t n = 0;
  for (int i = 0; i < 16; ++i) {
    if (i != 0 && i % 2 == 0) buf[n++] = ':';
    buf[n++] = kHex[addr[i] >> 4];
    buf[n++] = kHex[addr[i] & 0xF];
  }
  s.assign(buf, n);
}

}  // namespace wire

std::string FormatIpv4(const uint8_t addr[4]) {
  std::string s;
  wire::AssignIpv4(s, addr);
  return s;
}

std::string FormatIpv6Expanded(const uint8_t addr[16]) {
  std::string s;
  wire::AssignIpv6Expanded(s, addr);
  return s;
}

std::string FormatIpv6Rfc5952(const uint8_t addr[16]) {
  std::array<unsigned, 8> g{};
  for (int i = 0; i < 8; ++i) g[i] = unsigned{addr[2 * i]} << 8 | addr[2 * i + 1];
  // IPv4-mapped addresses keep the dotted quad (RFC 5952 section 5).
  if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xFFFF)
    return absl::StrCat("::ffff:", FormatIpv4(addr + 12));
  // The longest run of two or more zero groups (the first on a tie) becomes "::".
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string s;
  s.reserve(39);
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      s += "::";
      i += best_len - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s.push_back(':');
    AppendHex16(s, g[i]);
  }
  return s;
}

}  // namespace kagami::app::dns
