#pragma once
// The named buffers rules inspect (Suricata's sticky buffers) and the view of
// one transaction that detection reads them from. Parsers know nothing of
// rules; the app layer maps each parser's transaction onto these ids, and
// engine/detect compiles one Hyperscan database per id.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/app/app_proto.h"

namespace kagami::app {

enum BufferId : uint8_t {
  kBufPacket = 0,  // the packet payload / stream chunk ("pkt", not an app buffer)
  kBufHttpMethod,
  kBufHttpUri,
  kBufHttpUriRaw,
  kBufHttpHost,
  kBufHttpHostRaw,
  kBufHttpUserAgent,
  kBufHttpHeader,       // request headers to_server, response headers to_client
  kBufHttpHeaderRaw,    // the same, as on the wire
  kBufHttpCookie,       // Cookie to_server, Set-Cookie to_client
  kBufHttpRequestLine,
  kBufHttpResponseLine,
  kBufHttpStatCode,
  kBufHttpStatMsg,
  kBufHttpRequestBody,
  kBufHttpResponseBody,
  kBufFileData,         // request body to_server, response body to_client
  kBufHttpContentType,  // the Content-Type of the side being inspected
  kBufHttpStart,        // start line + raw headers of the side being inspected
  kBufDnsQuery,
  kBufTlsSni,
  kBufTlsCertSubject,
  kBufTlsCertIssuer,
  kBufTlsCertSerial,
  kBufTlsCertFingerprint,
  kBufJa3Hash,
  kBufJa3String,
  kBufJa3sHash,
  kBufJa3sString,
  kBufJa4Hash,
  kBufTlsVersion,  // the negotiated version as four hex digits, "0303" (tls.version keyword)
  kBufHttpReferer,
  kBufHttpLocation,
  kBufHttpServer,
  kBufHttpContentLen,    // Content-Length of the side inspected
  kBufHttpAccept,
  kBufHttpAcceptEnc,
  kBufHttpAcceptLang,
  kBufHttpConnection,
  kBufHttpProtocol,      // "HTTP/1.1" of the side inspected
  kBufHttpHeaderNames,   // "\r\nName1\r\nName2\r\n\r\n" of the side inspected
  kBufTlsCerts,          // each certificate of the chain (DER), one instance each
  kBufDnsQueryDot,       // dns.query with the dotprefix transform: ".name"
  kBufTlsSniDot,
  kBufHttpHostDot,
  kNumBuffers
};
static_assert(kNumBuffers <= 64, "buffer masks are 64-bit");

// Which directions a buffer can be inspected in.
enum BufferSide : uint8_t {
  kSideToServer = 1,  // request-side data (also inspectable later, with the response)
  kSideToClient = 2,  // response-side data
  kSideEither = 3,    // means the request's data to_server and the response's to_client
};

struct BufferInfo {
  std::string_view name;  // the canonical keyword, e.g. "http.uri"
  AppProto proto = AppProto::kUnknown;
  BufferSide side = kSideEither;
};

const BufferInfo& GetBufferInfo(BufferId id);
// The id for a canonical buffer name as the rule parser stores it ("pkt",
// "http.uri", ...); false when unknown.
bool BufferByName(std::string_view name, BufferId* out);

struct BufferSpan {
  const uint8_t* data = nullptr;
  uint32_t len = 0;
};

// One transaction as detection sees it in one direction: for each buffer,
// zero or more instances (dns.query has one per question) and whether the
// buffer is final (the parser has all of it). A buffer that is final with no
// instance does not exist in this transaction (no Host header, say): rules on
// it do not match. Reused between inspections, so it allocates nothing in the
// steady state.
class TxView {
 public:
  void Reset(AppProto proto, bool to_server) {
    for (uint8_t i = 0; i < kNumBuffers; ++i) {
      if (ready_ >> i & 1) spans_[i].clear();
    }
    ready_ = 0;
    proto_ = proto;
    to_server_ = to_server;
  }
  // Marks `id` final and adds one instance (skipped when `add` is false, for a
  // buffer that is final but absent).
  void Set(BufferId id, const void* data, size_t len, bool add = true) {
    if (!(ready_ >> id & 1)) spans_[id].clear();
    ready_ |= uint64_t{1} << id;
    if (add) spans_[id].push_back(BufferSpan{static_cast<const uint8_t*>(data), static_cast<uint32_t>(len)});
  }
  void Set(BufferId id, std::string_view s) { Set(id, s.data(), s.size()); }
  void SetAbsent(BufferId id) { Set(id, nullptr, 0, false); }

  bool ready(BufferId id) const { return ready_ >> id & 1; }
  uint64_t ready_mask() const { return ready_; }
  std::span<const BufferSpan> Get(BufferId id) const {
    if (!ready(id)) return {};
    return spans_[id];
  }
  AppProto proto() const { return proto_; }
  bool to_server() const { return to_server_; }

 private:
  std::array<std::vector<BufferSpan>, kNumBuffers> spans_;
  uint64_t ready_ = 0;
  AppProto proto_ = AppProto::kUnknown;
  bool to_server_ = true;
};

// What detection remembers about one transaction: the rules that alerted on
// it (each rule alerts at most once per transaction), rules that were
// candidates but waited for buffers or the other direction, and which
// buffers were already scanned for fast patterns (per direction). Owned by
// the app layer next to the parser's transaction.
struct TxInspectState {
  uint64_t engine_generation = 0;  // a reloaded engine starts over
  std::vector<uint32_t> done;
  std::vector<uint32_t> pending;
  std::array<uint64_t, 2> scanned{};  // [to_server, to_client] buffer masks
  bool always_checked = false;        // rules without fast pattern were added to pending
  // Per direction [to_server, to_client], the rules whose packet (stream)
  // steps matched a stream chunk of that direction while this transaction
  // was open: that part stays matched, as in Suricata's per-transaction,
  // per-direction detect state, until the buffers are final.
  std::array<std::vector<uint32_t>, 2> stream_matched;
  // Which stages of the transaction were checked against indicator feeds
  // (engine/pipeline's IntelMatcher bits), so each field is looked up once.
  uint8_t intel_checked = 0;
  void Clear() {
    done.clear();
    pending.clear();
    scanned = {};
    always_checked = false;
    for (auto& m : stream_matched) m.clear();
    intel_checked = 0;
  }
};

}  // namespace kagami::app
