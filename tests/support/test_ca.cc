#include "tests/support/test_ca.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <stdexcept>

namespace kagami::testing {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

[[noreturn]] void Fail(const std::string& what) {
  std::string message = "TestCa: " + what;
  if (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    message += ": ";
    message += buf;
  }
  ERR_clear_error();
  throw std::runtime_error(message);
}

Pkey NewKey() {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) Fail("EC key generation");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) Fail("extension " + std::string(OBJ_nid2sn(nid)) + "=" + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (!ok) Fail("adding an extension");
}

// A certificate for `key` named `cn`, valid over [now + from, now + to]
// seconds, not yet signed or extended. `issuer` null: self-issued.
Cert NewCert(EVP_PKEY* key, const std::string& cn, X509* issuer, long from, long to) {
  Cert cert(X509_new());
  if (!cert) Fail("X509_new");
  X509_set_version(cert.get(), 2);  // v3, for extensions
  // Random serials: a client that caches by issuer and serial never sees
  // two certificates of one test run as the same.
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial >> 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Kagami tests"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

std::string Pem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) Fail("PEM encoding");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string CertPem(X509* cert) {
  return Pem([cert](BIO* b) { return PEM_write_bio_X509(b, cert); });
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

constexpr long kHour = 3600, kDay = 24 * kHour;

}  // namespace

struct TestCa::Keys {
  Pkey key;
  Cert cert;
};

TestCa::TestCa(const std::string& common_name) : keys_(std::make_unique<Keys>()) {
  keys_->key = NewKey();
  keys_->cert = NewCert(keys_->key.get(), common_name, nullptr, -kHour, kDay);
  X509* c = keys_->cert.get();
  AddExtension(c, c, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(c, c, NID_subject_key_identifier, "hash");
  if (X509_sign(c, keys_->key.get(), EVP_sha256()) == 0) Fail("signing the CA certificate");
  cert_pem_ = CertPem(c);
}

TestCa::~TestCa() = default;
TestCa::TestCa(TestCa&&) noexcept = default;
TestCa& TestCa::operator=(TestCa&&) noexcept = default;

bool TestCa::WriteCertFile(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << cert_pem_;
  return static_cast<bool>(out.flush());
}

TestCertificate TestCa::Issue(const std::vector<std::string>& names, bool expired) const {
  if (names.empty()) throw std::runtime_error("TestCa::Issue: no names");
  Pkey key = NewKey();
  Cert cert = expired ? NewCert(key.get(), names.front(), keys_->cert.get(), -kDay - kHour, -kHour)
                      : NewCert(key.get(), names.front(), keys_->cert.get(), -kHour, kDay);
  X509* c = cert.get();
  X509* ca = keys_->cert.get();
  std::string san;
  for (const std::string& n : names) san += (san.empty() ? "" : ",") + std::string(IsIpAddress(n) ? "IP:" : "DNS:") + n;
  AddExtension(c, ca, NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(c, ca, NID_key_usage, "critical,digitalSignature");
  AddExtension(c, ca, NID_ext_key_usage, "serverAuth");
  AddExtension(c, ca, NID_subject_alt_name, san);
  AddExtension(c, ca, NID_subject_key_identifier, "hash");
  AddExtension(c, ca, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(c, keys_->key.get(), EVP_sha256()) == 0) Fail("signing a server certificate");
  TestCertificate out;
  out.cert_pem = CertPem(c);
  EVP_PKEY* k = key.get();
  out.key_pem = Pem([k](BIO* b) { return PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr); });
  return out;
}

}  // namespace kagami::testing
