#pragma once
// TestCa: a certificate authority made when a test runs, and the server
// certificates it signs, for TLS tests against HttpTestServer (or any other
// server) without keys or certificates checked in that would expire.
//
//   kagami::testing::TestCa ca;
//   server.UseTls(ca.Issue({"127.0.0.1", "localhost"}));
//   ca.WriteCertFile(dir / "ca.pem");    // the client trusts this file
//
// Keys are EC P-256, signatures ECDSA with SHA-256. Failures (which only an
// OpenSSL without EC would cause) throw std::runtime_error with OpenSSL's
// message, so the test fails where it used the helper.

#include <memory>
#include <string>
#include <vector>

namespace kagami::testing {

// A certificate and its private key, both PEM.
struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8, unencrypted
};

class TestCa {
 public:
  // A new key and self-signed CA certificate (basicConstraints CA:TRUE,
  // keyCertSign), valid from an hour ago for a day.
  explicit TestCa(const std::string& common_name = "Kagami Test CA");
  ~TestCa();
  TestCa(TestCa&&) noexcept;
  TestCa& operator=(TestCa&&) noexcept;

  // The CA certificate, to be trusted by the client.
  const std::string& cert_pem() const { return cert_pem_; }
  // Writes cert_pem() to `path` (a CA file for libcurl, `curl --cacert`,
  // FetchOptions::ca_file); false when it cannot be written.
  bool WriteCertFile(const std::string& path) const;

  // A server certificate signed by this CA with a new key: each of `names`
  // goes into subjectAltName as an IP address when it parses as one, else
  // as a DNS name (the first is also the subject's CN). extendedKeyUsage
  // serverAuth. Valid from an hour ago for a day, or, with `expired`, for a
  // day that ended an hour ago.
  TestCertificate Issue(const std::vector<std::string>& names = {"127.0.0.1", "localhost"},
                        bool expired = false) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string cert_pem_;
};

}  // namespace kagami::testing
