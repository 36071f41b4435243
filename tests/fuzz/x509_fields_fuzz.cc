// Fuzzes the direct certificate field decoders (x509_fields.h) against
// libcrypto: every certificate is decoded both ways (CertificateDecoding
// kDirect and kLibcrypto) and the two must give the same fields.
//
// So that mutations reach the fields rather than break the certificate's
// outer lengths, the input is cut into parts that a fixed certificate is
// built around: byte 0 picks where the first part goes (0: subject name,
// 1: notBefore, 2: the extensions, 3: the whole input is the certificate),
// then come parts each led by a 2-byte big-endian length. The parts are used
// as they are, one element or not.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/app/tls/certificate.h"

namespace {

using Bytes = std::vector<uint8_t>;
using kagami::app::tls::Certificate;
using kagami::app::tls::CertificateDecoding;

Bytes Der(uint8_t tag, const Bytes& content) {
  Bytes b{tag};
  const size_t n = content.size();
  if (n < 0x80) {
    b.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x10000) {
    b.insert(b.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  } else {
    b.insert(b.end(), {0x83, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  b.insert(b.end(), content.begin(), content.end());
  return b;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

// What the fuzzer did not supply: a small plain name, times, an algorithm.
const Bytes kName = Der(0x30, Der(0x31, Der(0x30, Cat({Bytes{0x06, 0x03, 0x55, 0x04, 0x03}, Der(0x0c, Bytes{'x'})}))));
const Bytes kTime = Der(0x17, Bytes{'2', '4', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z'});
const Bytes kAlgorithm = Der(0x30, Bytes{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02});

Bytes BuildCertificate(const Bytes& subject, const Bytes& not_before, const Bytes& extensions) {
  Bytes tbs = Cat({Der(0xa0, Bytes{0x02, 0x01, 0x02}), Bytes{0x02, 0x01, 0x01}, kAlgorithm, kName,
                   Der(0x30, Cat({not_before, kTime})), subject, Der(0x30, Bytes{}),
                   extensions.empty() ? Bytes{} : Der(0xa3, extensions)});
  return Der(0x30, Cat({Der(0x30, tbs), kAlgorithm, Bytes{0x03, 0x01, 0x00}}));
}

std::string Fields(const Certificate& c) {
  std::string out = std::to_string(c.decoded) + "|" + c.subject + "|" + c.issuer + "|" + c.serial + "|" +
                    std::to_string(c.not_before) + "|" + std::to_string(c.not_after);
  for (const std::string& n : c.subject_alt_names) out += "|" + n;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] & 3;
  Bytes der;
  if (mode == 3) {
    der.assign(data + 1, data + size);
  } else {
    std::vector<Bytes> parts;
    size_t i = 1;
    while (i + 2 <= size && parts.size() < 3) {
      size_t len = (size_t{data[i]} << 8) | data[i + 1];
      i += 2;
      if (len > size - i) len = size - i;
      parts.emplace_back(data + i, data + i + len);
      i += len;
    }
    parts.resize(3);
    // The first part goes where the mode says; the others fill the rest.
    Bytes subject = kName, not_before = kTime, extensions;
    Bytes* slots[] = {&subject, &not_before, &extensions};
    for (size_t k = 0; k < 3; ++k) {
      Bytes& part = parts[k];
      Bytes* slot = slots[(mode + k) % 3];
      if (!part.empty() || slot == &extensions) *slot = part;
    }
    der = BuildCertificate(subject, not_before, extensions);
  }
  Certificate direct, reference;
  kagami::app::tls::DecodeCertificate(der.data(), der.size(), direct, CertificateDecoding::kDirect);
  kagami::app::tls::DecodeCertificate(der.data(), der.size(), reference, CertificateDecoding::kLibcrypto);
  if (Fields(direct) != Fields(reference)) std::abort();
  return 0;
}
