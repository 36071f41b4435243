#include "engine/app/tls/certificate.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "engine/app/tls/byte_reader.h"
#include "engine/app/tls/der.h"
#include "engine/app/tls/fingerprint.h"
#include "engine/app/tls/x509_fields.h"

namespace kagami::app::tls {
namespace {

using der::Expect;
using der::kBitString;
using der::kInteger;
using der::kSequence;
using der::ReadTlv;
using der::Tlv;

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};

void AppendHexJoined(std::string& out, const unsigned char* p, size_t n, const char* digits) {
  out.reserve(out.size() + n * 3);
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ':';
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0xf];
  }
}

std::string Fingerprint(const EVP_MD* md, const uint8_t* der, size_t n) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(der, n, digest, &len, md, nullptr) != 1) return {};
  std::string out;
  AppendHexJoined(out, digest, len, kHexLower);
  return out;
}

// Attribute names as Suricata prints them (its X.509 library's
// abbreviations); other attributes use libcrypto's short name, unknown ones
// the dotted OID.
void AppendAttributeName(std::string& out, const ASN1_OBJECT* obj) {
  switch (OBJ_obj2nid(obj)) {
    case NID_commonName:
      out += "CN";
      return;
    case NID_countryName:
      out += "C";
      return;
    case NID_localityName:
      out += "L";
      return;
    case NID_stateOrProvinceName:
      out += "ST";
      return;
    case NID_organizationName:
      out += "O";
      return;
    case NID_organizationalUnitName:
      out += "OU";
      return;
    case NID_domainComponent:
      out += "DC";
      return;
    case NID_pkcs9_emailAddress:
      out += "Email";
      return;
    case NID_givenName:
      out += "givenName";
      return;
    case NID_surname:
      out += "surname";
      return;
    case NID_undef:
      break;
    default: {
      const char* sn = OBJ_nid2sn(OBJ_obj2nid(obj));
      if (sn != nullptr) {
        out += sn;
        return;
      }
      break;
    }
  }
  char buf[128];
  int len = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  if (len > 0) out.append(buf, std::min<size_t>(static_cast<size_t>(len), sizeof(buf) - 1));
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Values are kept byte for byte (a NUL inside a name must stay visible to
// rules); only the wide string types are turned into UTF-8.
void AppendValue(std::string& out, const ASN1_STRING* s) {
  const unsigned char* p = ASN1_STRING_get0_data(s);
  size_t n = static_cast<size_t>(ASN1_STRING_length(s));
  if (p == nullptr) return;
  switch (ASN1_STRING_type(s)) {
    case V_ASN1_BMPSTRING:
      for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t cp = (uint32_t{p[i]} << 8) | p[i + 1];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < n) {
          uint32_t lo = (uint32_t{p[i + 2]} << 8) | p[i + 3];
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
          }
        }
        AppendUtf8(out, cp);
      }
      return;
    case V_ASN1_UNIVERSALSTRING:
      for (size_t i = 0; i + 3 < n; i += 4) {
        AppendUtf8(out, (uint32_t{p[i]} << 24) | (uint32_t{p[i + 1]} << 16) |
                            (uint32_t{p[i + 2]} << 8) | p[i + 3]);
      }
      return;
    default:
      out.append(reinterpret_cast<const char*>(p), n);
  }
}

std::string FormatName(const X509_NAME* name) {
  std::string out;
  int count = X509_NAME_entry_count(name);
  int prev_set = -1;
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int set = X509_NAME_ENTRY_set(e);
    if (i > 0) out += set == prev_set ? " + " : ", ";
    prev_set = set;
    AppendAttributeName(out, X509_NAME_ENTRY_get_object(e));
    out += '=';
    AppendValue(out, X509_NAME_ENTRY_get_data(e));
  }
  return out;
}

int64_t ToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string FormatNameDer(const Tlv& t, CertificateDecoding how) {
  if (std::string text; how == CertificateDecoding::kDirect && x509::NameText(t.start, t.size, text)) return text;
  const unsigned char* p = t.start;
  X509_NAME* name = d2i_X509_NAME(nullptr, &p, static_cast<long>(t.size));
  if (name == nullptr) return {};
  std::string out = FormatName(name);
  X509_NAME_free(name);
  return out;
}

bool TimeDer(const Tlv& t, int64_t& out, CertificateDecoding how) {
  if (how == CertificateDecoding::kDirect && x509::TimeSeconds(t.start, t.size, out)) return true;
  const unsigned char* p = t.start;
  ASN1_TIME* time = d2i_ASN1_TIME(nullptr, &p, static_cast<long>(t.size));
  if (time == nullptr) return false;
  out = ToUnix(time);
  ASN1_TIME_free(time);
  return true;
}

void SubjectAltNames(const Tlv& exts_seq, std::vector<std::string>& out, CertificateDecoding how) {
  const size_t before = out.size();
  if (how == CertificateDecoding::kDirect && x509::DnsNames(exts_seq.start, exts_seq.size, out)) return;
  out.resize(before);
  const unsigned char* p = exts_seq.start;
  X509_EXTENSIONS* exts = d2i_X509_EXTENSIONS(nullptr, &p, static_cast<long>(exts_seq.size));
  if (exts == nullptr) return;
  int at = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
  if (at >= 0) {
    std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> sans(
        static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(X509v3_get_ext(exts, at))));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans.get(), i);
      if (g->type != GEN_DNS || g->d.dNSName == nullptr) continue;
      const unsigned char* s = ASN1_STRING_get0_data(g->d.dNSName);
      int len = ASN1_STRING_length(g->d.dNSName);
      if (s != nullptr && len >= 0) {
        out.emplace_back(reinterpret_cast<const char*>(s), static_cast<size_t>(len));
      }
    }
  }
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

// Walks the certificate's structure (RFC 5280 4.1) and decodes each field we
// need: directly (x509_fields.h) where its encoding is plain, else through
// libcrypto. d2i_X509 would do it all in one call, but in OpenSSL 3.0 it
// also decodes the public key through the provider machinery, which costs
// some 150 us per certificate; a field-by-field decode is ~20x cheaper.
bool DecodeFields(const uint8_t* der, size_t n, Certificate& out, CertificateDecoding how) {
  ByteReader r(der, n);
  Tlv cert, tbs, sig_alg, sig;
  if (!Expect(r, kSequence, cert)) return false;
  ByteReader c = cert.content;
  if (!Expect(c, kSequence, tbs) || !Expect(c, kSequence, sig_alg) || !Expect(c, kBitString, sig) ||
      !c.empty())
    return false;
  ByteReader t = tbs.content;
  Tlv field, serial, issuer, validity, subject, spki, not_before, not_after;
  if (!ReadTlv(t, field)) return false;
  if (field.tag == 0xA0) {  // [0] version
    if (!ReadTlv(t, field)) return false;
  }
  serial = field;
  if (serial.tag != kInteger || serial.content.empty()) return false;
  if (!Expect(t, kSequence, field) || !Expect(t, kSequence, issuer) ||
      !Expect(t, kSequence, validity) || !Expect(t, kSequence, subject) ||
      !Expect(t, kSequence, spki))
    return false;
  ByteReader v = validity.content;
  if (!ReadTlv(v, not_before) || !ReadTlv(v, not_after) || !v.empty()) return false;
  std::vector<std::string> sans;
  while (!t.empty()) {  // [1] issuerUID, [2] subjectUID, [3] extensions
    if (!ReadTlv(t, field)) return false;
    if (field.tag == 0xA3) {
      ByteReader e = field.content;
      Tlv exts;
      if (!Expect(e, kSequence, exts)) return false;
      SubjectAltNames(exts, sans, how);
    }
  }
  if (!TimeDer(not_before, out.not_before, how) || !TimeDer(not_after, out.not_after, how)) return false;
  out.subject = FormatNameDer(subject, how);
  out.issuer = FormatNameDer(issuer, how);
  // The serial's content bytes as they are (sign byte included): Suricata
  // prints the raw encoding.
  out.serial.clear();
  AppendHexJoined(out.serial, serial.content.cur(), serial.content.left(), kHexUpper);
  out.subject_alt_names = std::move(sans);
  return true;
}

}  // namespace

bool DecodeCertificate(const uint8_t* der, size_t n, Certificate& out, CertificateDecoding how) {
  out.der.assign(reinterpret_cast<const char*>(der), n);
  out.fingerprint_sha1 = Fingerprint(Sha1(), der, n);
  out.fingerprint_sha256 = Fingerprint(Sha256(), der, n);
  out.decoded = DecodeFields(der, n, out, how);
  if (!out.decoded) {
    out.subject.clear();
    out.issuer.clear();
    out.serial.clear();
    out.not_before = out.not_after = 0;
    out.subject_alt_names.clear();
  }
  ERR_clear_error();
  return out.decoded;
}

}  // namespace kagami::app::tls
