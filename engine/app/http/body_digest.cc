#include "engine/app/http/body_digest.h"

namespace kagami::app::http {
namespace {

void AppendHex(std::string& out, const uint8_t* d, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.clear();
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[d[i] >> 4]);
    out.push_back(kHex[d[i] & 15]);
  }
}

}  // namespace

void BodyDigester::Start(uint64_t tx_id, uint8_t kinds) {
  valid_ = digest_.Start(kinds);
  active_ = true;
  kinds_ = kinds;
  tx_id_ = tx_id;
}

void BodyDigester::Update(const uint8_t* data, size_t len) {
  if (active_ && valid_) digest_.Update(data, len);
}

void BodyDigester::Finish(BodyDigest* out) {
  if (!active_) return;
  active_ = false;
  if (!valid_) return;
  MultiDigest::Result r;
  digest_.Finish(&r);
  if (kinds_ & kDigestMd5) AppendHex(out->md5, r.md5, sizeof(r.md5));
  if (kinds_ & kDigestSha1) AppendHex(out->sha1, r.sha1, sizeof(r.sha1));
  if (kinds_ & kDigestSha256) AppendHex(out->sha256, r.sha256, sizeof(r.sha256));
}

}  // namespace kagami::app::http
