#include "engine/app/http/body_digest.h"

#include <openssl/evp.h>

namespace kagami::app::http {
namespace {

// Fetched once: in OpenSSL 3 the EVP_md5()-style getters look the
// implementation up again on every init.
const EVP_MD* Digest(int i) {
  static const EVP_MD* const kMds[3] = {EVP_MD_fetch(nullptr, "MD5", nullptr),
                                        EVP_MD_fetch(nullptr, "SHA1", nullptr),
                                        EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  return kMds[i];
}

void AppendHex(std::string& out, const unsigned char* d, unsigned n) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.clear();
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[d[i] >> 4]);
    out.push_back(kHex[d[i] & 15]);
  }
}

}  // namespace

BodyDigester::~BodyDigester() {
  for (EVP_MD_CTX* c : ctx_) EVP_MD_CTX_free(c);
}

void BodyDigester::Start(uint64_t tx_id, uint8_t kinds) {
  valid_ = true;
  for (int i = 0; i < 3; ++i) {
    if (!(kinds & (1u << i))) continue;
    if (!ctx_[i]) ctx_[i] = EVP_MD_CTX_new();
    valid_ = valid_ && ctx_[i] && EVP_DigestInit_ex(ctx_[i], Digest(i), nullptr) == 1;
  }
  active_ = true;
  kinds_ = kinds;
  tx_id_ = tx_id;
}

void BodyDigester::Update(const uint8_t* data, size_t len) {
  if (!active_ || !valid_ || len == 0) return;
  for (int i = 0; i < 3; ++i) {
    if (kinds_ & (1u << i)) EVP_DigestUpdate(ctx_[i], data, len);
  }
}

void BodyDigester::Finish(BodyDigest* out) {
  if (!active_) return;
  active_ = false;
  if (!valid_) return;
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  std::string* fields[3] = {&out->md5, &out->sha1, &out->sha256};
  for (int i = 0; i < 3; ++i) {
    if (!(kinds_ & (1u << i))) continue;
    EVP_DigestFinal_ex(ctx_[i], d, &n);
    AppendHex(*fields[i], d, n);
  }
}

}  // namespace kagami::app::http
