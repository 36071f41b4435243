#include "engine/app/tls/x509_fields.h"

#include <cstring>

#include "engine/app/tls/der.h"

namespace kagami::app::tls::x509 {
namespace {

using der::Tlv;

// Every field here must decode as libcrypto decodes it, and libcrypto
// refuses some lengths in long form (one with no content after it, at the
// end of its element: OpenSSL wants a byte past the length octets). Only
// minimal lengths are read here; a field with any other is left to
// libcrypto, which takes the long forms it accepts.
bool ReadField(ByteReader& r, Tlv& out) { return der::ReadMinimalTlv(r, out); }

constexpr uint8_t kUtf8String = 0x0c;
constexpr uint8_t kNumericString = 0x12;
constexpr uint8_t kPrintableString = 0x13;
constexpr uint8_t kT61String = 0x14;
constexpr uint8_t kIa5String = 0x16;
constexpr uint8_t kUtcTime = 0x17;
constexpr uint8_t kGeneralizedTime = 0x18;

// libcrypto refuses names past this size (X509_NAME_MAX).
constexpr size_t kMaxName = 1024 * 1024;

bool Is(const ByteReader& r, const uint8_t* bytes, size_t n) {
  return r.left() == n && std::memcmp(r.cur(), bytes, n) == 0;
}

// The checks libcrypto makes of an OBJECT IDENTIFIER's content: not empty,
// the last byte ends a subidentifier, no subidentifier starts with 0x80.
bool ValidOid(const ByteReader& oid) {
  const uint8_t* p = oid.cur();
  const size_t n = oid.left();
  if (n == 0 || (p[n - 1] & 0x80)) return false;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == 0x80 && (i == 0 || !(p[i - 1] & 0x80))) return false;
  }
  return true;
}

// The attribute names certificate.cc prints for these OIDs (Suricata's
// abbreviations, else libcrypto's short name); nullptr for the rest, which
// libcrypto then names.
const char* AttributeName(const ByteReader& oid) {
  const uint8_t* p = oid.cur();
  const size_t n = oid.left();
  if (n == 3 && p[0] == 0x55 && p[1] == 0x04) {  // 2.5.4.x, X.520
    switch (p[2]) {
      case 3: return "CN";
      case 4: return "surname";
      case 5: return "serialNumber";
      case 6: return "C";
      case 7: return "L";
      case 8: return "ST";
      case 9: return "street";
      case 10: return "O";
      case 11: return "OU";
      case 12: return "title";
      case 13: return "description";
      case 15: return "businessCategory";
      case 17: return "postalCode";
      case 41: return "name";
      case 42: return "givenName";
      case 43: return "initials";
      case 44: return "generationQualifier";
      case 46: return "dnQualifier";
      case 65: return "pseudonym";
      case 97: return "organizationIdentifier";
      default: return nullptr;
    }
  }
  static constexpr uint8_t kPilot[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01};  // 0.9.2342.19200300.100.1
  if (n == sizeof(kPilot) + 1 && std::memcmp(p, kPilot, sizeof(kPilot)) == 0) {
    if (p[n - 1] == 25) return "DC";
    if (p[n - 1] == 1) return "UID";
    return nullptr;
  }
  static constexpr uint8_t kEmail[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};  // 1.2.840.113549.1.9.1
  if (Is(oid, kEmail, sizeof(kEmail))) return "Email";
  // 1.3.6.1.4.1.311.60.2.1.x, the EV jurisdiction attributes.
  static constexpr uint8_t kJurisdiction[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01};
  if (n == sizeof(kJurisdiction) + 1 && std::memcmp(p, kJurisdiction, sizeof(kJurisdiction)) == 0) {
    switch (p[n - 1]) {
      case 1: return "jurisdictionL";
      case 2: return "jurisdictionST";
      case 3: return "jurisdictionC";
      default: return nullptr;
    }
  }
  return nullptr;
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF). libcrypto rejects a name whose UTF8String is not; those
// are left to it.
bool ValidUtf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if ((b & 0xe0) == 0xc0) {
      len = 2, cp = b & 0x1f, min = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
      len = 3, cp = b & 0x0f, min = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
      len = 4, cp = b & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// Value bytes as they are, for the one-byte string types. The wide ones
// (BMP, Universal) and the rarer types are left to libcrypto.
bool AppendValue(const Tlv& value, std::string& out) {
  const uint8_t* p = value.content.cur();
  const size_t n = value.content.left();
  switch (value.tag) {
    case kUtf8String:
      if (!ValidUtf8(p, n)) return false;
      break;
    case kNumericString:
    case kPrintableString:
    case kT61String:
    case kIa5String:
      break;
    default:
      return false;
  }
  out.append(reinterpret_cast<const char*>(p), n);
  return true;
}

bool TwoDigits(const uint8_t* p, int& out) {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return false;
  out = (p[0] - '0') * 10 + (p[1] - '0');
  return true;
}

bool LeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Days from 1970-01-01 to the given proleptic Gregorian date.
int64_t DaysFromEpoch(int64_t y, int m, int d) {
  // Count from March so the leap day ends a year; eras of 400 years.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

bool NameText(const uint8_t* der, size_t n, std::string& out) {
  ByteReader r(der, n);
  Tlv name;
  if (n > kMaxName || !ReadField(r, name) || name.tag != der::kSequence || !r.empty()) return false;
  out.clear();
  ByteReader rdns = name.content;
  bool first = true;
  while (!rdns.empty()) {
    Tlv rdn;
    if (!ReadField(rdns, rdn) || rdn.tag != der::kSet || rdn.content.empty()) return false;
    ByteReader atvs = rdn.content;
    bool first_in_rdn = true;
    while (!atvs.empty()) {
      Tlv atv, oid, value;
      if (!ReadField(atvs, atv) || atv.tag != der::kSequence) return false;
      ByteReader a = atv.content;
      if (!ReadField(a, oid) || oid.tag != der::kOid || !ReadField(a, value) || !a.empty()) return false;
      const char* attribute = ValidOid(oid.content) ? AttributeName(oid.content) : nullptr;
      if (attribute == nullptr) return false;
      if (!first) out += first_in_rdn ? ", " : " + ";
      first = first_in_rdn = false;
      out += attribute;
      out += '=';
      if (!AppendValue(value, out)) return false;
    }
  }
  return true;
}

bool TimeSeconds(const uint8_t* der, size_t n, int64_t& out) {
  ByteReader r(der, n);
  Tlv t;
  if (!ReadField(r, t) || !r.empty()) return false;
  const uint8_t* p = t.content.cur();
  const size_t len = t.content.left();
  int64_t year = 0;
  if (t.tag == kUtcTime && len == 13) {  // YYMMDDHHMMSSZ
    int yy = 0;
    if (!TwoDigits(p, yy)) return false;
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    p += 2;
  } else if (t.tag == kGeneralizedTime && len == 15) {  // YYYYMMDDHHMMSSZ
    int hi = 0, lo = 0;
    if (!TwoDigits(p, hi) || !TwoDigits(p + 2, lo)) return false;
    year = hi * 100 + lo;
    p += 4;
  } else {
    return false;  // other forms (no seconds, fractions, offsets) go to libcrypto
  }
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!TwoDigits(p, month) || !TwoDigits(p + 2, day) || !TwoDigits(p + 4, hour) ||
      !TwoDigits(p + 6, minute) || !TwoDigits(p + 8, second) || p[10] != 'Z')
    return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  if (day > kDays[month - 1] + (month == 2 && LeapYear(year))) return false;
  out = DaysFromEpoch(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return true;
}

bool DnsNames(const uint8_t* der, size_t n, std::vector<std::string>& out) {
  static constexpr uint8_t kSubjectAltName[] = {0x55, 0x1d, 0x11};  // 2.5.29.17
  ByteReader r(der, n);
  Tlv exts;
  if (!ReadField(r, exts) || exts.tag != der::kSequence || !r.empty() || exts.content.empty()) return false;
  // Every extension must be well formed (libcrypto decodes them all before
  // looking one up); only the first subjectAltName is read.
  ByteReader e = exts.content;
  ByteReader names;
  bool found = false;
  while (!e.empty()) {
    Tlv ext, oid, field;
    if (!ReadField(e, ext) || ext.tag != der::kSequence) return false;
    ByteReader x = ext.content;
    if (!ReadField(x, oid) || oid.tag != der::kOid || !ValidOid(oid.content) || !ReadField(x, field)) return false;
    if (field.tag == der::kBoolean) {  // critical
      if (field.content.left() != 1 || !ReadField(x, field)) return false;
    }
    if (field.tag != der::kOctetString || !x.empty()) return false;
    if (!found && Is(oid.content, kSubjectAltName, sizeof(kSubjectAltName))) {
      found = true;
      names = field.content;
    }
  }
  if (!found) return true;
  Tlv seq;
  if (!ReadField(names, seq) || seq.tag != der::kSequence || !names.empty() || seq.content.empty()) return false;
  ByteReader g = seq.content;
  while (!g.empty()) {
    Tlv name;
    if (!ReadField(g, name)) return false;
    switch (name.tag) {
      case 0x82:  // [2] dNSName
        out.emplace_back(reinterpret_cast<const char*>(name.content.cur()), name.content.left());
        break;
      case 0x81:  // [1] rfc822Name
      case 0x86:  // [6] uniformResourceIdentifier
      case 0x87:  // [7] iPAddress
        break;
      default:  // otherName, directoryName and the rest: libcrypto
        return false;
    }
  }
  return true;
}

}  // namespace kagami::app::tls::x509
