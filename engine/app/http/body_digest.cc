#include "engine/app/http/body_digest.h"

namespace kagami::app::http {
namespace {

// `out` = hex of d[0..n) (n <= 32), written in one assignment: a byte at a
// time through push_back was half a percent of a pass's instructions with a
// file-hash feed loaded.
void AssignHex(std::string& out, const uint8_t* d, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[64];
  for (size_t i = 0; i < n; ++i) {
    hex[2 * i] = kHex[d[i] >> 4];
    hex[2 * i + 1] = kHex[d[i] & 15];
  }
  out.assign(hex, 2 * n);
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
  if (kinds_ & kDigestMd5) AssignHex(out->md5, r.md5, sizeof(r.md5));
  if (kinds_ & kDigestSha1) AssignHex(out->sha1, r.sha1, sizeof(r.sha1));
  if (kinds_ & kDigestSha256) AssignHex(out->sha256, r.sha256, sizeof(r.sha256));
}

}  // namespace kagami::app::http
