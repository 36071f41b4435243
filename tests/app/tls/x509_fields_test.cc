// x509_fields: names, times and subjectAltName DNS names decoded straight
// from DER, and the same certificates decoded through libcrypto alone.
#include "engine/app/tls/x509_fields.h"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "engine/app/tls/certificate.h"
#include "tests/app/tls/tls_test_util.h"

namespace kagami::app::tls {
namespace {

using testing::Append;
using testing::Bytes;

// One DER element (lengths up to 64 KiB).
Bytes Der(uint8_t tag, const Bytes& content) {
  Bytes b{tag};
  const size_t n = content.size();
  if (n < 0x80) {
    b.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x100) {
    b.insert(b.end(), {0x81, static_cast<uint8_t>(n)});
  } else {
    b.insert(b.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  Append(b, content);
  return b;
}
Bytes Der(uint8_t tag, const std::string& content) { return Der(tag, Bytes(content.begin(), content.end())); }
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) Append(b, p);
  return b;
}

const Bytes kCn = {0x06, 0x03, 0x55, 0x04, 0x03};
const Bytes kO = {0x06, 0x03, 0x55, 0x04, 0x0a};
const Bytes kOu = {0x06, 0x03, 0x55, 0x04, 0x0b};
const Bytes kC = {0x06, 0x03, 0x55, 0x04, 0x06};

Bytes Atv(const Bytes& oid, uint8_t type, const std::string& value) { return Der(0x30, Cat({oid, Der(type, value)})); }
Bytes Rdn(std::initializer_list<Bytes> atvs) { return Der(0x31, Cat(atvs)); }
Bytes Name(std::initializer_list<Bytes> rdns) { return Der(0x30, Cat(rdns)); }

bool NameText(const Bytes& der, std::string& out) { return x509::NameText(der.data(), der.size(), out); }

TEST(X509Name, PlainNamesInSuricatasForm) {
  std::string text;
  Bytes name = Name({Rdn({Atv(kC, 0x13, "US")}), Rdn({Atv(kO, 0x0c, "Example"), Atv(kOu, 0x0c, "Unit")}),
                     Rdn({Atv(kCn, 0x0c, std::string("a\0b", 3))})});
  ASSERT_TRUE(NameText(name, text));
  EXPECT_EQ(text, std::string("C=US, O=Example + OU=Unit, CN=a\0b", 33));

  const Bytes email = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};
  const Bytes dc = {0x06, 0x0a, 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19};
  const Bytes jurisdiction_c = {0x06, 0x0b, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x03};
  ASSERT_TRUE(NameText(Name({Rdn({Atv(dc, 0x16, "org")}), Rdn({Atv(email, 0x16, "a@b.org")}),
                             Rdn({Atv(jurisdiction_c, 0x13, "JP")}), Rdn({Atv(kCn, 0x14, "caf\xe9")})}),
                       text));
  EXPECT_EQ(text, "DC=org, Email=a@b.org, jurisdictionC=JP, CN=caf\xe9");

  ASSERT_TRUE(NameText(Name({}), text));  // an empty name
  EXPECT_EQ(text, "");
  ASSERT_TRUE(NameText(Name({Rdn({Atv(kCn, 0x0c, "\xe6\x97\xa5\xe6\x9c\xac")})}), text));
  EXPECT_EQ(text, "CN=\xe6\x97\xa5\xe6\x9c\xac");
}

TEST(X509Name, LeavesWhatItDoesNotHandleToLibcrypto) {
  std::string text;
  const Bytes unknown_oid = {0x06, 0x03, 0x2a, 0x03, 0x04};  // 1.2.3.4
  const Bytes bad_oid = {0x06, 0x03, 0x80, 0x04, 0x03};      // a subidentifier led by 0x80
  EXPECT_FALSE(NameText(Name({Rdn({Atv(unknown_oid, 0x0c, "x")})}), text));
  EXPECT_FALSE(NameText(Name({Rdn({Atv(bad_oid, 0x0c, "x")})}), text));
  EXPECT_FALSE(NameText(Name({Rdn({Atv(kCn, 0x1e, std::string("\0x", 2))})}), text));  // BMPString
  EXPECT_FALSE(NameText(Name({Rdn({Atv(kCn, 0x0c, "\xc0\xaf")})}), text));            // overlong UTF-8
  EXPECT_FALSE(NameText(Name({Rdn({Atv(kCn, 0x0c, "\xed\xa0\x80")})}), text));        // a surrogate
  EXPECT_FALSE(NameText(Name({Rdn({Atv(kCn, 0x0c, "\xe6\x97")})}), text));            // cut short
  EXPECT_FALSE(NameText(Name({Der(0x31, Bytes{})}), text));                           // an empty RDN
  EXPECT_FALSE(NameText(Name({Rdn({Der(0x30, Cat({kCn, Der(0x0c, "x"), Der(0x0c, "y")}))})}), text));
  Bytes trailing = Name({Rdn({Atv(kCn, 0x0c, "x")})});
  trailing.push_back(0);
  EXPECT_FALSE(NameText(trailing, text));
  Bytes indefinite = {0x30, 0x80, 0x00, 0x00};
  EXPECT_FALSE(NameText(indefinite, text));
  // Lengths longer than they need be (BER, not DER): libcrypto refuses an
  // empty value so encoded at the end of its name (fuzzer finding), takes
  // others; either way the direct decoder leaves them to it.
  const Bytes empty_long = {0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x07, 0x0c, 0x81, 0x00};
  EXPECT_FALSE(NameText(empty_long, text));
  const Bytes value_long = {0x30, 0x0e, 0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55,
                            0x04, 0x07, 0x0c, 0x81, 0x02, 'a',  'b'};
  EXPECT_FALSE(NameText(value_long, text));
  const Bytes zero_octet = {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55,
                            0x04, 0x07, 0x0c, 0x82, 0x00, 0x02, 'a',  'b'};
  EXPECT_FALSE(NameText(zero_octet, text));
  // The minimal forms of the same names are read.
  ASSERT_TRUE(NameText(Bytes{0x30, 0x0b, 0x31, 0x09, 0x30, 0x07, 0x06, 0x03, 0x55, 0x04, 0x07, 0x0c, 0x00}, text));
  EXPECT_EQ(text, "L=");
}

bool Seconds(uint8_t tag, const std::string& text, int64_t& out) {
  Bytes der = Der(tag, text);
  return x509::TimeSeconds(der.data(), der.size(), out);
}

TEST(X509Time, UtcAndGeneralizedTime) {
  int64_t t = 0;
  ASSERT_TRUE(Seconds(0x17, "491231235959Z", t));
  EXPECT_EQ(t, 2524607999);
  ASSERT_TRUE(Seconds(0x17, "500101000000Z", t));  // YY 50-99 is 19YY
  EXPECT_EQ(t, -631152000);
  ASSERT_TRUE(Seconds(0x18, "20240229120000Z", t));
  EXPECT_EQ(t, 1709208000);
  ASSERT_TRUE(Seconds(0x18, "20000229000000Z", t));
  EXPECT_EQ(t, 951782400);
  ASSERT_TRUE(Seconds(0x18, "21000301000000Z", t));
  EXPECT_EQ(t, 4107542400);
  ASSERT_TRUE(Seconds(0x18, "16010101000000Z", t));
  EXPECT_EQ(t, -11644473600);

  for (const char* bad : {"21000229000000Z", "20231301000000Z", "20230100000000Z", "20230101240000Z",
                          "20230101006000Z", "20230101000060Z", "2023010100000Z", "202301010000Z",
                          "20230101000000+0100", "20230101000000.5Z", "2023010100000AZ", "20230101000000z"}) {
    EXPECT_FALSE(Seconds(0x18, bad, t)) << bad;
  }
  EXPECT_FALSE(Seconds(0x17, "2301010000Z", t));  // no seconds: libcrypto's
  EXPECT_FALSE(Seconds(0x04, "230101000000Z", t));
}

Bytes Extension(const Bytes& oid, const Bytes& value, bool critical = false) {
  return Der(0x30, Cat({oid, critical ? Bytes{0x01, 0x01, 0xff} : Bytes{}, Der(0x04, value)}));
}
const Bytes kSanOid = {0x06, 0x03, 0x55, 0x1d, 0x11};
const Bytes kBasicConstraintsOid = {0x06, 0x03, 0x55, 0x1d, 0x13};

bool DnsNames(const Bytes& der, std::vector<std::string>& out) {
  out.clear();
  return x509::DnsNames(der.data(), der.size(), out);
}

TEST(X509SubjectAltName, DnsNamesOfTheFirstExtension) {
  std::vector<std::string> names;
  Bytes san = Der(0x30, Cat({Der(0x82, "a.example"), Der(0x87, Bytes{10, 0, 0, 1}), Der(0x81, "x@y.z"),
                             Der(0x86, "http://u/"), Der(0x82, "")}));
  Bytes other = Der(0x30, Der(0x82, "second.example"));
  Bytes exts = Der(0x30, Cat({Extension(kBasicConstraintsOid, Der(0x30, Bytes{}), true), Extension(kSanOid, san),
                              Extension(kSanOid, other)}));
  ASSERT_TRUE(DnsNames(exts, names));
  EXPECT_EQ(names, (std::vector<std::string>{"a.example", ""}));

  ASSERT_TRUE(DnsNames(Der(0x30, Extension(kBasicConstraintsOid, Der(0x30, Bytes{}))), names));
  EXPECT_TRUE(names.empty());
}

TEST(X509SubjectAltName, LeavesWhatItDoesNotHandleToLibcrypto) {
  std::vector<std::string> names;
  const Bytes dns = Der(0x30, Der(0x82, "a.example"));
  // An otherName or a directoryName entry.
  EXPECT_FALSE(DnsNames(Der(0x30, Extension(kSanOid, Der(0x30, Cat({Der(0x82, "a"), Der(0xa0, Bytes{})})))), names));
  EXPECT_FALSE(DnsNames(Der(0x30, Extension(kSanOid, Der(0x30, Der(0xa4, Bytes{})))), names));
  // Bytes after the GeneralNames; an empty GeneralNames.
  Bytes tail = dns;
  tail.push_back(0);
  EXPECT_FALSE(DnsNames(Der(0x30, Extension(kSanOid, tail)), names));
  EXPECT_FALSE(DnsNames(Der(0x30, Extension(kSanOid, Der(0x30, Bytes{}))), names));
  // A critical flag of two bytes, an extension without its value, a bad OID
  // in another extension, no extensions at all.
  EXPECT_FALSE(DnsNames(Der(0x30, Der(0x30, Cat({kSanOid, Bytes{0x01, 0x02, 0xff, 0xff}, Der(0x04, dns)}))), names));
  EXPECT_FALSE(DnsNames(Der(0x30, Der(0x30, kSanOid)), names));
  EXPECT_FALSE(DnsNames(Der(0x30, Cat({Extension(Bytes{0x06, 0x01, 0x80}, Bytes{}), Extension(kSanOid, dns)})), names));
  EXPECT_FALSE(DnsNames(Der(0x30, Bytes{}), names));
}

// The same certificate decoded both ways gives the same fields.
void ExpectSameBothWays(const Bytes& der) {
  Certificate direct, reference;
  const bool ok = DecodeCertificate(der.data(), der.size(), direct, CertificateDecoding::kDirect);
  EXPECT_EQ(ok, DecodeCertificate(der.data(), der.size(), reference, CertificateDecoding::kLibcrypto));
  EXPECT_EQ(direct.subject, reference.subject);
  EXPECT_EQ(direct.issuer, reference.issuer);
  EXPECT_EQ(direct.serial, reference.serial);
  EXPECT_EQ(direct.not_before, reference.not_before);
  EXPECT_EQ(direct.not_after, reference.not_after);
  EXPECT_EQ(direct.subject_alt_names, reference.subject_alt_names);
  EXPECT_EQ(direct.decoded, reference.decoded);
}

// A certificate made by libcrypto with the given name entries (by OID and
// string type), validity and subjectAltName (a v3 configuration string).
Bytes MakeCertificate(const std::vector<std::tuple<std::string, int, std::string>>& subject, int64_t not_before,
                      int64_t not_after, const std::string& san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
  ASN1_TIME_set(X509_getm_notBefore(x), static_cast<time_t>(not_before));
  ASN1_TIME_set(X509_getm_notAfter(x), static_cast<time_t>(not_after));
  X509_NAME* name = X509_get_subject_name(x);
  for (const auto& [oid, type, value] : subject) {
    ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), 1);
    X509_NAME_ENTRY* e = X509_NAME_ENTRY_create_by_OBJ(nullptr, obj, type,
                                                       reinterpret_cast<const unsigned char*>(value.data()),
                                                       static_cast<int>(value.size()));
    X509_NAME_add_entry(name, e, -1, 0);
    X509_NAME_ENTRY_free(e);
    ASN1_OBJECT_free(obj);
  }
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  testing::AddSubjectAltName(x, san);
  X509_sign(x, key, EVP_sha256());
  Bytes der(static_cast<size_t>(i2d_X509(x, nullptr)));
  unsigned char* p = der.data();
  i2d_X509(x, &p);
  X509_free(x);
  EVP_PKEY_free(key);
  return der;
}

TEST(X509Certificate, DirectAndLibcryptoDecodingAgree) {
  // Every attribute the direct decoder names, in each one-byte string type,
  // and cases it leaves to libcrypto (BMP/Universal strings, an attribute
  // outside its table, otherName and directoryName alternative names).
  const char* oids[] = {"2.5.4.3",  "2.5.4.4",  "2.5.4.5",  "2.5.4.6",  "2.5.4.7",  "2.5.4.8",  "2.5.4.9",
                        "2.5.4.10", "2.5.4.11", "2.5.4.12", "2.5.4.13", "2.5.4.15", "2.5.4.17", "2.5.4.41",
                        "2.5.4.42", "2.5.4.43", "2.5.4.44", "2.5.4.46", "2.5.4.65", "2.5.4.97",
                        "0.9.2342.19200300.100.1.25", "0.9.2342.19200300.100.1.1", "1.2.840.113549.1.9.1",
                        "1.3.6.1.4.1.311.60.2.1.1", "1.3.6.1.4.1.311.60.2.1.2", "1.3.6.1.4.1.311.60.2.1.3",
                        "1.2.3.4", "2.5.4.99"};
  const int types[] = {V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING, V_ASN1_IA5STRING, V_ASN1_T61STRING,
                       V_ASN1_NUMERICSTRING, V_ASN1_BMPSTRING, V_ASN1_UNIVERSALSTRING, V_ASN1_VISIBLESTRING};
  for (const char* oid : oids) {
    for (int type : types) {
      SCOPED_TRACE(std::string(oid) + " type " + std::to_string(type));
      std::string value = type == V_ASN1_BMPSTRING ? std::string("\0A\0b", 4)
                          : type == V_ASN1_UNIVERSALSTRING ? std::string("\0\0\0A", 4)
                                                           : std::string("Val 1", 5);
      ExpectSameBothWays(MakeCertificate({{oid, type, value}, {"2.5.4.3", V_ASN1_UTF8STRING, "x.example"}},
                                         1700000000, 2600000000, "DNS:a.example,IP:10.0.0.1"));
    }
  }
  ExpectSameBothWays(MakeCertificate({{"2.5.4.3", V_ASN1_UTF8STRING, "\xe6\x97\xa5 \xe6\x9c\xac"}}, 0, 4102444800,
                                     "DNS:a.example,email:x@y.z,URI:http://u/,DNS:b.example"));
  ExpectSameBothWays(MakeCertificate({{"2.5.4.3", V_ASN1_UTF8STRING, "x"}}, -631152000, 2524607999,
                                     "otherName:1.2.3.4;UTF8:hello,DNS:a.example"));
  ExpectSameBothWays(MakeCertificate({}, 951782400, 951782400, "RID:1.2.3.4"));
}

TEST(X509Certificate, TheDirectPathIsTakenForPlainCertificates) {
  // A plain certificate decodes with every field given by x509_fields: its
  // subject and validity read directly equal what the certificate reports.
  Bytes der = MakeCertificate({{"2.5.4.6", V_ASN1_PRINTABLESTRING, "JP"}, {"2.5.4.3", V_ASN1_UTF8STRING, "x.example"}},
                              1700000000, 2600000000, "DNS:a.example,DNS:b.example");
  Certificate c;
  ASSERT_TRUE(DecodeCertificate(der.data(), der.size(), c));
  EXPECT_EQ(c.subject, "C=JP, CN=x.example");
  EXPECT_EQ(c.not_before, 1700000000);
  EXPECT_EQ(c.not_after, 2600000000);
  EXPECT_EQ(c.subject_alt_names, (std::vector<std::string>{"a.example", "b.example"}));
  // The subject element inside the DER, decoded on its own.
  const X509* x = nullptr;
  const unsigned char* p = der.data();
  X509* parsed = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  ASSERT_NE(parsed, nullptr);
  x = parsed;
  unsigned char* name_der = nullptr;
  int len = i2d_X509_NAME(X509_get_subject_name(x), &name_der);
  std::string text;
  EXPECT_TRUE(x509::NameText(name_der, static_cast<size_t>(len), text));
  EXPECT_EQ(text, c.subject);
  OPENSSL_free(name_der);
  X509_free(parsed);
}

}  // namespace
}  // namespace kagami::app::tls
