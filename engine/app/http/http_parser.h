#pragma once
// HttpParser: an incremental HTTP/1.x parser for one TCP connection.
//
// Each direction is a state machine fed with reassembled stream bytes in any
// split; line-oriented parts (start lines, headers, chunk sizes, trailers)
// are collected into a per-direction line buffer and acted on only once a
// line is complete, and body bytes are handed straight to the body decoder,
// so the result does not depend on how the data was cut.
//
// It follows libhtp (and so Suricata) where servers and clients disagree
// with the RFCs: bare LF line endings, obs-fold continuation lines, headers
// without a colon, Transfer-Encoding over Content-Length, response lines
// that are not status lines read as body, Content-Encoding layers decoded
// with format sniffing and pass-through when the data is not compressed.
// See README.md for the exact rules.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/app/http/body_digest.h"

namespace kagami::app::http {

enum class Direction : uint8_t { kToServer, kToClient };

enum class Anomaly : uint8_t {
  kMalformedRequestLine,     // no URI, or not even a method
  kMalformedStatusLine,      // "HTTP/..." line without a 3-digit status
  kResponseLineNotStatus,    // the response does not start with "HTTP/": read as body until close
  kHttp09Request,            // request line without a protocol
  kLeadingEmptyLines,        // empty lines before a request/status line
  kHeaderMissingColon,       // kept with an empty value, name = the whole line
  kHeaderNameWhitespace,     // whitespace between name and colon, or inside the name
  kHeaderNul,                // NUL byte in a header line
  kHeaderFolded,             // obs-fold continuation line (joined with one space)
  kHeaderInvalidFold,        // continuation line with no header before it
  kHeaderTooLong,            // header block above max_header_bytes: the rest is skipped
  kBareCrLineEnding,         // a line ended by CR alone
  kInvalidContentLength,
  kRepeatedContentLength,    // several Content-Length values that disagree
  kContentLengthAndChunked,  // both present: chunked wins
  kUnknownTransferEncoding,  // Transfer-Encoding without "chunked": ignored
  kInvalidChunkSize,         // the rest of the body is read until close
  kChunkSizeJunk,            // bytes after the chunk size that are not an extension
  kChunkDataEndJunk,         // bytes between the chunk data and its CRLF
  kDecompressionFailed,      // a layer's data was not compressed (passed through) or broke off
  kDecompressionLayerLimit,  // more Content-Encoding layers than decompress_layer_limit
  kDecompressionBomb,        // decoded output capped
  kBodyIncomplete,           // the direction closed before the body ended
  kHeadersIncomplete,        // the direction closed inside the header block
  kGap,                      // bytes lost in the stream
  kResponseWithoutRequest,
  kTooManyTransactions,      // above max_open_transactions: the oldest was dropped
  kDataAfterClose,           // bytes fed after Close()
  kNoBodyExpectedButData,    // a response to HEAD, 204 or 304 followed by non-HTTP bytes
  kCount,
};
std::string_view AnomalyName(Anomaly a);

struct HttpOptions {
  uint32_t request_body_limit = 100 * 1024;   // decoded body bytes kept per tx; 0 = unlimited
  uint32_t response_body_limit = 100 * 1024;
  uint32_t max_header_bytes = 64 * 1024;      // per header block; beyond it: anomaly, rest skipped
  uint32_t decompress_layer_limit = 3;        // nested Content-Encoding layers decoded
  uint32_t max_open_transactions = 256;
  // Decoded bytes produced per body when its limit is 0 (unlimited): the
  // decompression-bomb cap. With a limit, decoding stops at the limit.
  uint64_t max_decompressed_bytes = 64ull << 20;
  // Keep (and decompress) bodies. The app layer turns it off when no rule
  // inspects a body: framing is still followed, bytes still counted.
  bool keep_bodies = true;
  // Digests of each whole body to compute (DigestKind bits: MD5, SHA-1,
  // SHA-256; Transaction::*_digest), for file-hash indicators; 0 = none.
  // Identity bodies are hashed whatever the limits; content-encoded ones are
  // hashed decoded (decoded for the digest alone when bodies are not kept),
  // so only when the decoded body fits its limit.
  uint8_t body_digests = 0;
  // The reassembler's depth per direction (bytes from the stream's start;
  // 0 = none). A body whose Content-Length ends past it will be cut off, so
  // it is not hashed: the digest of part of a file matches no indicator.
  uint64_t stream_depth = 0;
};

struct Header {
  std::string name{};
  std::string value{};
};

struct Transaction {
  uint64_t id = 0;  // 0,1,2... in flow order (pipelining)
  // request side
  std::string request_line{};  // first line without CRLF (leading empty lines skipped)
  std::string method{}, uri_raw{}, protocol{};  // protocol e.g. "HTTP/1.1"; empty for HTTP/0.9
  std::string uri{};                             // normalised (see NormalizeUri in uri_normalizer.h)
  std::vector<Header> request_headers{};         // every header line, in order
  std::string request_headers_raw{};             // header block as on the wire (request line excluded)
  std::string request_header{};                  // normalised: Suricata http.header
  std::string host{};                            // lower-cased, port and trailing dot stripped
  std::string host_raw{};                        // Host header value(s) or the absolute URI's authority
  std::string user_agent{}, request_cookie{}, request_content_type{};
  std::string request_body{};       // de-chunked + decompressed, up to the limit
  uint64_t request_body_bytes = 0;  // decoded bytes seen in total (also beyond the limit)
  // response side
  std::string response_line{}, response_protocol{}, status_code{}, status_msg{};
  int status = 0;
  std::vector<Header> response_headers{};
  std::string response_headers_raw{}, response_header{};
  std::string response_cookie{};  // Set-Cookie value(s) joined with ", "
  std::string response_content_type{};
  std::string response_body{};
  uint64_t response_body_bytes = 0;
  int64_t response_content_length = -1;  // declared, -1 unknown
  // Digests of the whole decoded bodies (HttpOptions::body_digests), set when
  // the body is complete; empty otherwise.
  BodyDigest request_digest{}, response_digest{};
  // progress
  enum class Progress : uint8_t { kNone, kLine, kHeaders, kBody, kComplete };
  Progress request_progress = Progress::kNone, response_progress = Progress::kNone;
  bool request_body_truncated = false, response_body_truncated = false;
  bool updated = false;  // set whenever anything above changed; the caller clears it
  std::vector<Anomaly> anomalies{};
  // Stream offset (in the direction concerned) where each anomaly was noticed.
  std::vector<uint64_t> anomaly_offsets{};

  // Case-insensitive; the first header of that name.
  const Header* FindRequestHeader(std::string_view name) const;
  const Header* FindResponseHeader(std::string_view name) const;
};

// Suricata's http.header text of a header block: "Name: value\r\n" per
// name in first-appearance order, repeated names (compared loosely, see
// header_util.h) joined with ", " in the first one's place, `cookie_name`
// left out. Names are grouped by sorting: O(n log n) name comparisons,
// which `comparisons` counts when given (the tests hold it to that).
void BuildHeaderBuffer(const std::vector<Header>& headers, std::string_view cookie_name, std::string& out,
                       uint64_t* comparisons = nullptr);

class HttpParser {
 public:
  explicit HttpParser(const HttpOptions& options = {});
  ~HttpParser();
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  // Any split of the same bytes gives the same transactions.
  void Feed(Direction dir, const uint8_t* data, size_t len);
  // `len` bytes lost in this direction: skipped inside a body of known
  // length, otherwise the direction resynchronises on the next line that
  // starts a request (or a status line).
  void Gap(Direction dir, uint64_t len);
  // That side ended (FIN/RST/flow end): finishes a body delimited by close.
  void Close(Direction dir);

  std::deque<Transaction>& transactions() { return txs_; }
  const std::deque<Transaction>& transactions() const { return txs_; }
  // Drops completed transactions (both sides kComplete) from the front, at most `n`.
  void RetireCompleted(size_t n = SIZE_MAX);
  uint64_t anomaly_count() const { return anomaly_count_; }
  // Bytes of partial lines examined by the checks made before a line is
  // complete (a chunk-size line that cannot become valid is acted on at
  // once). Each byte is examined about once however the line is split;
  // tests hold it to that.
  uint64_t line_scan_bytes() const { return line_scan_bytes_; }

  struct Side;  // per-direction state (http_parser.cc)

 private:
  Transaction* TxById(uint64_t id);
  Transaction& NewTx();
  void AddAnomaly(Transaction* tx, Side& s, Anomaly a);

  Transaction* CurrentTx(Side& s);
  Transaction* ResponseTxForNewMessage(Side& s);
  // Collects a line; returns bytes consumed.
  size_t TakeLine(Side& s, const uint8_t* data, size_t len, bool* complete);
  void OnLine(Side& s, Transaction* tx, bool request);
  void OnRequestLine(Side& s);
  void OnResponseLine(Side& s);
  void JunkToBody(Side& s, Transaction* tx);
  void StartBodyUntilClose(Side& s, Transaction* tx);
  // The current line as it came, its terminator included: a copy (for bytes
  // fed back through the parser), or appended where it is kept.
  static std::string LineBytes(const Side& s);
  static void AppendLineBytes(const Side& s, std::string& out);
  void OnHeaderLine(Side& s, Transaction* tx, bool request);
  void HeaderContentLine(Side& s, Transaction* tx, bool request);
  void EndHeaders(Side& s, Transaction* tx, bool request);
  void FlushPendingHeader(Side& s, Transaction* tx, bool request);
  void StartBody(Side& s, Transaction* tx, bool request);
  size_t FeedBody(Side& s, Transaction* tx, bool request, const uint8_t* data, size_t len);
  void BodyData(Side& s, Transaction* tx, bool request, const uint8_t* data, size_t len);
  void FinishSide(Side& s, Transaction* tx, bool request);
  void HoldForDigest(Side& s, const uint8_t* data, size_t len);
  void DecodeHeldForDigest(Side& s);
  void OnChunkSizeLine(Side& s, Transaction* tx, bool request, bool complete);

  HttpOptions options_;
  std::deque<Transaction> txs_;
  uint64_t next_id_ = 0;
  uint64_t anomaly_count_ = 0;
  uint64_t line_scan_bytes_ = 0;
  bool tunnel_ = false;  // CONNECT / 101 accepted: nothing more is HTTP
  std::unique_ptr<Side> req_;
  std::unique_ptr<Side> res_;
  Transaction scratch_;  // stands in for a transaction that was dropped
};

// Protocol probe on the first bytes of a direction: kYes (an HTTP method +
// space, or "HTTP/" for responses), kNo, kNeedMore (too few bytes to tell).
enum class Probe : uint8_t { kYes, kNo, kNeedMore };
Probe ProbeRequest(const uint8_t* data, size_t len);
Probe ProbeResponse(const uint8_t* data, size_t len);

}  // namespace kagami::app::http
