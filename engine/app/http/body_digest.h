#pragma once
// BodyDigester: MD5, SHA-1 and SHA-256 of one HTTP body as it streams by,
// so indicator feeds' file hashes can be matched against downloads and
// uploads (Suricata's filemd5/filesha1/filesha256 idea). One MultiDigest
// per direction, reused for every body, computes the requested digests in
// one pass over the bytes.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/multi_digest.h"

namespace kagami::app::http {

// Lower-case hex digests of a whole body; each empty when not computed
// (not asked for, no body, or bytes of it were lost or not decoded).
struct BodyDigest {
  std::string md5, sha1, sha256;
  bool empty() const { return md5.empty() && sha1.empty() && sha256.empty(); }
  void Clear() {
    md5.clear();
    sha1.clear();
    sha256.clear();
  }
};

// Which digests to compute (HttpOptions::body_digests).
enum DigestKind : uint8_t {
  kDigestMd5 = MultiDigest::kMd5,
  kDigestSha1 = MultiDigest::kSha1,
  kDigestSha256 = MultiDigest::kSha256
};

class BodyDigester {
 public:
  BodyDigester() = default;
  BodyDigester(const BodyDigester&) = delete;
  BodyDigester& operator=(const BodyDigester&) = delete;

  // Starts a body (ends any body in progress without a result), computing
  // the digests in `kinds` (DigestKind bits).
  void Start(uint64_t tx_id, uint8_t kinds);
  bool active() const { return active_; }
  // A body is in progress and every byte of it so far was hashed.
  bool wanted() const { return active_ && valid_; }
  uint64_t tx_id() const { return tx_id_; }
  void Update(const uint8_t* data, size_t len);
  // Bytes of the body will not be seen (a gap, or an encoding that was not
  // decoded): the body gets no digest.
  void Invalidate() { valid_ = false; }
  // Ends the body; fills `out` when every byte was hashed.
  void Finish(BodyDigest* out);

 private:
  MultiDigest digest_;
  bool active_ = false, valid_ = false;
  uint8_t kinds_ = 0;
  uint64_t tx_id_ = 0;
};

}  // namespace kagami::app::http
