#include "engine/app/buffers.h"

namespace kagami::app {
namespace {

using P = AppProto;
// Indexed by BufferId.
const BufferInfo kBuffers[kNumBuffers] = {
    {"pkt", P::kUnknown, kSideEither},
    {"http.method", P::kHttp, kSideToServer},
    {"http.uri", P::kHttp, kSideToServer},
    {"http.uri.raw", P::kHttp, kSideToServer},
    {"http.host", P::kHttp, kSideToServer},
    {"http.host.raw", P::kHttp, kSideToServer},
    {"http.user_agent", P::kHttp, kSideToServer},
    {"http.header", P::kHttp, kSideEither},
    {"http.header.raw", P::kHttp, kSideEither},
    {"http.cookie", P::kHttp, kSideEither},
    {"http.request_line", P::kHttp, kSideToServer},
    {"http.response_line", P::kHttp, kSideToClient},
    {"http.stat_code", P::kHttp, kSideToClient},
    {"http.stat_msg", P::kHttp, kSideToClient},
    {"http.request_body", P::kHttp, kSideToServer},
    {"http.response_body", P::kHttp, kSideToClient},
    {"file.data", P::kHttp, kSideEither},
    {"http.content_type", P::kHttp, kSideEither},
    {"http.start", P::kHttp, kSideEither},
    {"dns.query", P::kDns, kSideToServer},
    {"tls.sni", P::kTls, kSideToServer},
    {"tls.cert_subject", P::kTls, kSideToClient},
    {"tls.cert_issuer", P::kTls, kSideToClient},
    {"tls.cert_serial", P::kTls, kSideToClient},
    {"tls.cert_fingerprint", P::kTls, kSideToClient},
    {"ja3.hash", P::kTls, kSideToServer},
    {"ja3.string", P::kTls, kSideToServer},
    {"ja3s.hash", P::kTls, kSideToClient},
    {"ja3s.string", P::kTls, kSideToClient},
    {"ja4.hash", P::kTls, kSideToServer},
    {"tls.version", P::kTls, kSideToClient},
    {"http.referer", P::kHttp, kSideToServer},
    {"http.location", P::kHttp, kSideToClient},
    {"http.server", P::kHttp, kSideToClient},
    {"http.content_len", P::kHttp, kSideEither},
    {"http.accept", P::kHttp, kSideToServer},
    {"http.accept_enc", P::kHttp, kSideToServer},
    {"http.accept_lang", P::kHttp, kSideToServer},
    {"http.connection", P::kHttp, kSideToServer},
    {"http.protocol", P::kHttp, kSideEither},
    {"http.header_names", P::kHttp, kSideEither},
    {"tls.certs", P::kTls, kSideToClient},
    {"dns.query.dotprefix", P::kDns, kSideToServer},
    {"tls.sni.dotprefix", P::kTls, kSideToServer},
    {"http.host.dotprefix", P::kHttp, kSideToServer},
};

}  // namespace

const BufferInfo& GetBufferInfo(BufferId id) { return kBuffers[id < kNumBuffers ? id : 0]; }

bool BufferByName(std::string_view name, BufferId* out) {
  for (uint8_t i = 0; i < kNumBuffers; ++i) {
    if (kBuffers[i].name == name) {
      *out = static_cast<BufferId>(i);
      return true;
    }
  }
  return false;
}

}  // namespace kagami::app
