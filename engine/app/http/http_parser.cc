#include "engine/app/http/http_parser.h"

#include <algorithm>
#include <cstring>

#include "engine/app/http/content_decoder.h"
#include "engine/app/http/header_util.h"
#include "engine/app/http/uri_normalizer.h"
#include "engine/app/http/whole_gzip.h"

namespace kagami::app::http {
namespace {

using Progress = Transaction::Progress;

constexpr uint64_t kNoTx = UINT64_MAX;
// Hex digits a chunk size may have (leading zeros aside): 2^60 bytes.
constexpr int kMaxChunkDigits = 15;

const Header* FindHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (EqualsLoose(h.name, name)) return &h;
  }
  return nullptr;
}

// Every value of the headers called `name`, joined with ", " (libhtp merges
// repeated headers this way).
std::string JoinedValues(const std::vector<Header>& headers, std::string_view name, bool* found = nullptr) {
  std::string out;
  bool any = false;
  for (const Header& h : headers) {
    if (!EqualsLoose(h.name, name)) continue;
    if (any) out.append(", ");
    out.append(h.value);
    any = true;
  }
  if (found) *found = any;
  return out;
}

constexpr std::string_view kMethods[] = {
    "GET",       "POST",     "HEAD",     "PUT",      "DELETE",     "OPTIONS",    "CONNECT",  "TRACE",
    "PATCH",     "PROPFIND", "PROPPATCH", "MKCOL",   "COPY",       "MOVE",       "LOCK",     "UNLOCK",
    "SEARCH",    "CHECKOUT", "CHECKIN",  "REPORT",   "MKACTIVITY", "MERGE",      "VERSION-CONTROL",
    "UNCHECKOUT", "MKWORKSPACE", "UPDATE", "LABEL",  "BASELINE-CONTROL", "ACL", "SUBSCRIBE", "UNSUBSCRIBE",
    "NOTIFY",    "POLL",     "BMOVE",    "BDELETE",  "BPROPFIND",  "BPROPPATCH", "BCOPY",    "MKREDIRECTREF",
    "UPDATEREDIRECTREF", "ORDERPATCH", "LINK", "UNLINK", "PURGE", "RPC_IN_DATA", "RPC_OUT_DATA"};

// The line without its trailing CRs ("\r\r\n" counts as an empty line, as in libhtp).
std::string_view Chomp(std::string_view line) {
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A partial chunk-size line that can no longer become a valid one: its first
// non-space byte is not a hex digit. Asked at every feed while the line
// grows; `blank` (line[0, blank) is known to be spaces) carries the scan
// over, so a line trickled in a byte per segment is read once, not once per
// segment (64 KiB of spaces had cost 2 * 10^9 byte checks). `*scanned`
// counts the bytes looked at.
bool ChunkSizeHopeless(std::string_view line, size_t& blank, uint64_t* scanned) {
  size_t i = std::min(blank, line.size());
  const size_t from = i;
  while (i < line.size() && IsTrimSpace(line[i])) ++i;
  blank = i;
  *scanned += i - from + (i < line.size() ? 1 : 0);
  return i < line.size() && !IsHexDigit(line[i]);
}

// Continuation lines start with SP or HT; libhtp also folds a line that
// starts with NUL.
bool IsFoldStart(char c) { return c == ' ' || c == '\t' || c == '\0'; }

// "Name: value" with a non-empty token name: an indented line like this is a
// header of its own, not a continuation (servers indent headers by mistake
// far more often than they fold them).
bool LooksLikeHeader(std::string_view line) {
  line = TrimSpace(line);
  const size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (size_t i = 0; i < colon; ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

bool IsStatusLine(std::string_view line) {
  // Firefox's rule, which libhtp follows: optional leading whitespace,
  // then "http" in any case.
  size_t i = 0;
  while (i < line.size() && IsTrimSpace(line[i])) ++i;
  return StartsWithNoCase(line.substr(i), "http");
}

}  // namespace

void BuildHeaderBuffer(const std::vector<Header>& headers, std::string_view cookie_name, std::string& out,
                       uint64_t* comparisons) {
  out.clear();
  const size_t n = headers.size();
  if (n == 0) return;
  // Grouping names by comparing each with every earlier one cost n^2/2
  // comparisons: 183 ms for the 6,553 distinct names a 64 KiB block holds
  // (docs/perf/growth.md). Instead the indices are sorted by (loose name,
  // index), so each group is a run in first-appearance order: n log n.
  // order[p]: a header index, kSame set when its name equals the one before
  // it in the sort; at[i]: where header i sits in `order`. Small blocks use
  // the stack, so a usual request allocates nothing here.
  constexpr uint32_t kSame = 0x80000000u, kIndex = ~kSame;
  constexpr size_t kOnStack = 64;
  uint32_t order_stack[kOnStack], at_stack[kOnStack];
  std::vector<uint32_t> order_heap, at_heap;
  uint32_t* order = order_stack;
  uint32_t* at = at_stack;
  if (n > kOnStack) {
    order_heap.resize(n);
    at_heap.resize(n);
    order = order_heap.data();
    at = at_heap.data();
  }
  uint64_t compared = 0;
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order, order + n, [&](uint32_t a, uint32_t b) {
    ++compared;
    const int c = CompareLoose(headers[a].name, headers[b].name);
    return c != 0 ? c < 0 : a < b;
  });
  for (size_t p = 0; p < n; ++p) {
    if (p > 0) {
      ++compared;
      if (CompareLoose(headers[order[p - 1] & kIndex].name, headers[order[p]].name) == 0) order[p] |= kSame;
    }
    at[order[p] & kIndex] = static_cast<uint32_t>(p);
  }
  if (comparisons != nullptr) *comparisons += compared;

  // What the pairwise version did, in these terms (EqualsLoose(a, b) is
  // "same loose name, and b has no NUL"): a name with a NUL inside is
  // written alone and never merged into; any other name is written where
  // its group first appears (whatever that first name holds), followed by
  // the values of every later member, NUL or not; the cookie header is
  // left out but still counts as its group's first appearance.
  for (size_t i = 0; i < n; ++i) {
    const Header& h = headers[i];
    if (EqualsLoose(h.name, cookie_name)) continue;
    const bool has_nul = h.name.find('\0') != std::string::npos;
    const size_t p = at[i];
    if (!has_nul && (order[p] & kSame) != 0) continue;  // an earlier header has this name
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    if (!has_nul) {
      for (size_t q = p + 1; q < n && (order[q] & kSame) != 0; ++q) {
        out.append(", ");
        out.append(headers[order[q] & kIndex].value);
      }
    }
    out.append("\r\n");
  }
}

std::string_view AnomalyName(Anomaly a) {
  switch (a) {
    case Anomaly::kMalformedRequestLine: return "malformed_request_line";
    case Anomaly::kMalformedStatusLine: return "malformed_status_line";
    case Anomaly::kResponseLineNotStatus: return "response_line_not_status";
    case Anomaly::kHttp09Request: return "http09_request";
    case Anomaly::kLeadingEmptyLines: return "leading_empty_lines";
    case Anomaly::kHeaderMissingColon: return "header_missing_colon";
    case Anomaly::kHeaderNameWhitespace: return "header_name_whitespace";
    case Anomaly::kHeaderNul: return "header_nul";
    case Anomaly::kHeaderFolded: return "header_folded";
    case Anomaly::kHeaderInvalidFold: return "header_invalid_fold";
    case Anomaly::kHeaderTooLong: return "header_too_long";
    case Anomaly::kBareCrLineEnding: return "bare_cr_line_ending";
    case Anomaly::kInvalidContentLength: return "invalid_content_length";
    case Anomaly::kRepeatedContentLength: return "repeated_content_length";
    case Anomaly::kContentLengthAndChunked: return "content_length_and_chunked";
    case Anomaly::kUnknownTransferEncoding: return "unknown_transfer_encoding";
    case Anomaly::kInvalidChunkSize: return "invalid_chunk_size";
    case Anomaly::kChunkSizeJunk: return "chunk_size_junk";
    case Anomaly::kChunkDataEndJunk: return "chunk_data_end_junk";
    case Anomaly::kDecompressionFailed: return "decompression_failed";
    case Anomaly::kDecompressionLayerLimit: return "decompression_layer_limit";
    case Anomaly::kDecompressionBomb: return "decompression_bomb";
    case Anomaly::kBodyIncomplete: return "body_incomplete";
    case Anomaly::kHeadersIncomplete: return "headers_incomplete";
    case Anomaly::kGap: return "gap";
    case Anomaly::kResponseWithoutRequest: return "response_without_request";
    case Anomaly::kTooManyTransactions: return "too_many_transactions";
    case Anomaly::kDataAfterClose: return "data_after_close";
    case Anomaly::kNoBodyExpectedButData: return "no_body_expected_but_data";
    case Anomaly::kCount: break;
  }
  return "unknown";
}

const Header* Transaction::FindRequestHeader(std::string_view name) const { return FindHeader(request_headers, name); }
const Header* Transaction::FindResponseHeader(std::string_view name) const {
  return FindHeader(response_headers, name);
}

struct HttpParser::Side {
  enum class State : uint8_t {
    kStart,         // expecting a request or status line
    kHeaders,       // header lines
    kBodyLength,    // `remaining` body bytes
    kBodyClose,     // body until the direction closes
    kChunkSize,     // a chunk-size line
    kChunkData,     // `remaining` chunk bytes
    kChunkDataEnd,  // the CRLF after chunk data
    kTrailers,      // trailer lines after the last chunk
    kResync,        // after a gap: lines skipped until one starts a message
    kOpaque,        // tunnel or closed: bytes ignored
    kConnectWait,   // after a CONNECT request: held until the response decides
  };
  explicit Side(bool is_request) : request(is_request) {}

  const bool request;
  State state = State::kStart;
  uint64_t tx_id = kNoTx;
  uint64_t next_tx_id = 0;  // the transaction the next message belongs to
  std::string line;         // the line being collected, without its terminator
  size_t line_blank = 0;    // line[0, line_blank) is spaces (ChunkSizeHopeless); reset with each new line
  char line_term = '\n';    // what ended it: LF, or a bare CR
  bool cr_pending = false;  // line ends in CR and the next byte decides
  bool line_overflow = false;
  bool ws_line_pending = false;  // header line of one SP/HT, decided by the next byte
  bool soft_end_pending = false; // a CR-only line in the headers, decided by the next line
  std::string pending;           // header being assembled (with folds)
  bool have_pending = false;
  size_t header_bytes = 0;
  bool header_overflow = false;
  bool leading_empty = false;
  std::string junk;  // response lines before any status line (raw)
  std::string held;  // request bytes after a CONNECT, until its response
  uint64_t remaining = 0;
  uint64_t offset = 0;  // stream offset of the next byte
  bool closed = false;
  ContentDecoder decoder;
  uint64_t decoded_cap = 0;  // bytes the body may produce (bomb cap)
  BodyDigester digester;     // HttpOptions::body_digests
  // A body not kept but encoded: its encoded bytes, decoded for the digest
  // alone once the body ends.
  std::string digest_held;
  // A response that may not have a body (HEAD, 204, 304) but declared one:
  // if non-HTTP bytes follow, they are that body after all.
  uint64_t nobody_tx = kNoTx;
  bool nobody_chunked = false;
  uint64_t nobody_length = 0;
  size_t nobody_layers = 0;

  bool InLineState() const {
    return state == State::kStart || state == State::kHeaders || state == State::kChunkSize ||
           state == State::kChunkDataEnd || state == State::kTrailers || state == State::kResync;
  }
};

namespace {

// Appends decoded body bytes to a transaction: kept up to the limit,
// counted beyond it until the bomb cap.
class BodySink final : public ContentSink {
 public:
  BodySink(Transaction& tx, bool request, uint64_t limit, uint64_t cap)
      : body_(request ? tx.request_body : tx.response_body),
        bytes_(request ? tx.request_body_bytes : tx.response_body_bytes),
        truncated_(request ? tx.request_body_truncated : tx.response_body_truncated),
        limit_(limit),
        cap_(cap) {
    tx.updated = true;
  }
  // `count_all`: identity bodies count every byte; decoded bodies count
  // what was kept, since decoding stops at the limit (how far past it the
  // decoder got would depend on how the input was split).
  bool Write(const uint8_t* data, size_t len) override {
    const uint64_t keep_limit = limit_ ? limit_ : cap_;
    size_t n = 0;
    if (body_.size() < keep_limit) n = static_cast<size_t>(std::min<uint64_t>(len, keep_limit - body_.size()));
    body_.append(reinterpret_cast<const char*>(data), n);
    bytes_ += count_all_ ? len : n;
    // Decoded output is only worth producing while it is kept: stop once
    // bytes had to be dropped.
    if (n < len) {
      truncated_ = true;
      return false;
    }
    return true;
  }
  void set_count_all(bool v) { count_all_ = v; }

 private:
  std::string& body_;
  uint64_t& bytes_;
  bool& truncated_;
  uint64_t limit_, cap_;
  bool count_all_ = false;
};

// The most bytes `layers` nested deflate-family encodings of `decoded`
// bytes take, with room to spare: deflate adds at most five bytes per
// stored block (zlib's deflateBound is about n/4096 + 13), gzip a header
// and trailer. A stream padded with empty blocks on purpose can be longer.
uint64_t MaxEncodedSize(uint64_t decoded, size_t layers) {
  for (size_t i = 0; i < layers && decoded < (uint64_t{1} << 56); ++i) {
    decoded += decoded / 64 + 64;
  }
  return decoded;
}

// Decoded bytes of a body that is not kept, for its digest alone: hashed as
// they come, within the same bound a kept body has (past it the body gets
// no digest, and decoding stops).
class DigestSink final : public ContentSink {
 public:
  DigestSink(BodyDigester& digester, uint64_t cap) : digester_(digester), cap_(cap) {}
  bool Write(const uint8_t* data, size_t len) override {
    if (len > cap_ - produced_) {
      digester_.Invalidate();
      return false;
    }
    produced_ += len;
    digester_.Update(data, len);
    return true;
  }

 private:
  BodyDigester& digester_;
  const uint64_t cap_;
  uint64_t produced_ = 0;
};

}  // namespace

HttpParser::HttpParser(const HttpOptions& options)
    : options_(options), req_(std::make_unique<Side>(true)), res_(std::make_unique<Side>(false)) {}

HttpParser::~HttpParser() = default;

Transaction* HttpParser::TxById(uint64_t id) {
  if (id == kNoTx || txs_.empty()) return nullptr;
  const uint64_t first = txs_.front().id;
  if (id < first || id - first >= txs_.size()) return nullptr;
  return &txs_[static_cast<size_t>(id - first)];
}

Transaction& HttpParser::NewTx() {
  if (options_.max_open_transactions && txs_.size() >= options_.max_open_transactions) {
    // The oldest is dropped so a flood of unanswered requests cannot grow
    // without bound; its sides now write to the scratch transaction.
    ++anomaly_count_;
    txs_.pop_front();
    scratch_ = Transaction{};
    if (!txs_.empty()) {
      txs_.front().anomalies.push_back(Anomaly::kTooManyTransactions);
      txs_.front().anomaly_offsets.push_back(0);
    }
  }
  Transaction& tx = txs_.emplace_back();
  tx.id = next_id_++;
  tx.updated = true;
  return tx;
}

void HttpParser::AddAnomaly(Transaction* tx, Side& s, Anomaly a) {
  ++anomaly_count_;
  if (!tx) return;
  // One record per kind and direction is enough to act on; a flood of the
  // same anomaly must not grow the transaction.
  for (size_t i = 0; i < tx->anomalies.size(); ++i) {
    if (tx->anomalies[i] == a) return;
  }
  tx->anomalies.push_back(a);
  tx->anomaly_offsets.push_back(s.offset);
  tx->updated = true;
}

void HttpParser::RetireCompleted(size_t n) {
  while (n > 0 && !txs_.empty() && txs_.front().request_progress == Progress::kComplete &&
         txs_.front().response_progress == Progress::kComplete) {
    txs_.pop_front();
    --n;
  }
}

// Collects bytes into s.line up to and including a LF; the LF is not kept.
// A line longer than max_header_bytes keeps its start only.
// Collects bytes into s.line up to a line end: LF, or a CR followed by
// anything but LF or CR (a bare CR, which libhtp also accepts). A CR before
// the LF stays in the line; handlers strip trailing CRs. A line longer than
// max_header_bytes keeps its start only.
size_t HttpParser::TakeLine(Side& s, const uint8_t* data, size_t len, bool* complete) {
  *complete = false;
  const size_t cap = options_.max_header_bytes ? options_.max_header_bytes : SIZE_MAX;
  auto append = [&](const uint8_t* p, size_t n) {
    if (s.line.size() < cap) {
      const size_t k = std::min(n, cap - s.line.size());
      s.line.append(reinterpret_cast<const char*>(p), k);
      if (k < n) s.line_overflow = true;
    } else if (n) {
      s.line_overflow = true;
    }
  };
  size_t pos = 0;
  // Only TakeLine appends to the line, so a line it starts empty is a new
  // one: what was known about the old one's start no longer holds.
  if (s.line.empty()) s.line_blank = 0;
  if (s.cr_pending) {
    s.cr_pending = false;
    if (data[0] == '\n') {
      s.line_term = '\n';
      *complete = true;
      return 1;
    }
    if (data[0] != '\r') {
      // The CR alone ended the line.
      if (!s.line.empty() && s.line.back() == '\r') s.line.pop_back();
      s.line_term = '\r';
      *complete = true;
      return 0;
    }
  }
  while (pos < len) {
    size_t i = pos;
    while (i < len && data[i] != '\n' && data[i] != '\r') ++i;
    if (i == len) {
      append(data + pos, len - pos);
      return len;
    }
    if (data[i] == '\n') {
      append(data + pos, i - pos);
      s.line_term = '\n';
      *complete = true;
      return i + 1;
    }
    // CR: look at the byte after it.
    if (i + 1 == len) {
      append(data + pos, len - pos);
      s.cr_pending = true;
      return len;
    }
    const uint8_t next = data[i + 1];
    if (next == '\n') {
      append(data + pos, i + 1 - pos);
      s.line_term = '\n';
      *complete = true;
      return i + 2;
    }
    if (next == '\r') {
      append(data + pos, i + 1 - pos);
      pos = i + 1;
      continue;
    }
    append(data + pos, i - pos);
    s.line_term = '\r';
    *complete = true;
    return i + 1;
  }
  return len;
}

void HttpParser::Feed(Direction dir, const uint8_t* data, size_t len) {
  if (len == 0 || !data) return;
  const bool request = dir == Direction::kToServer;
  Side& s = request ? *req_ : *res_;
  if (s.closed) {
    AddAnomaly(TxById(s.tx_id), s, Anomaly::kDataAfterClose);
    return;
  }
  while (len > 0) {
    Transaction* tx = CurrentTx(s);
    switch (s.state) {
      case Side::State::kOpaque:
        s.offset += len;
        return;
      case Side::State::kConnectWait: {
        const size_t cap = std::max<size_t>(options_.max_header_bytes, 1024);
        const size_t n = std::min(len, cap - std::min(cap, s.held.size()));
        s.held.append(reinterpret_cast<const char*>(data), n);
        s.offset += len;
        return;
      }
      case Side::State::kBodyLength:
      case Side::State::kChunkData:
      case Side::State::kBodyClose: {
        const size_t n = FeedBody(s, tx, request, data, len);
        data += n;
        len -= n;
        continue;
      }
      case Side::State::kStart:
        if (!request && s.line.empty() && !s.cr_pending && s.junk.empty()) {
          // A response to an HTTP/0.9 request has no status line or headers.
          Transaction* next = TxById(s.next_tx_id);
          if (next && next->request_progress != Progress::kNone && next->protocol.empty()) {
            s.tx_id = next->id;
            s.next_tx_id = next->id + 1;
            StartBodyUntilClose(s, next);
            continue;
          }
        }
        break;
      default:
        break;
    }
    if (s.ws_line_pending) {
      s.ws_line_pending = false;
      if (*data == '\n') {
        if (tx) HeaderContentLine(s, tx, request);
      } else {
        EndHeaders(s, tx, request);
      }
      s.line.clear();
      s.line_overflow = false;
      continue;
    }
    bool complete = false;
    const size_t n = TakeLine(s, data, len, &complete);
    data += n;
    len -= n;
    s.offset += n;
    if (!complete) {
      if (s.state == Side::State::kChunkSize && ChunkSizeHopeless(s.line, s.line_blank, &line_scan_bytes_)) {
        // Decided at once: waiting for a LF that may never come would lose
        // a body sent without one.
        s.cr_pending = false;
        OnChunkSizeLine(s, tx, request, /*complete=*/false);
        s.line.clear();
        s.line_overflow = false;
      }
      break;
    }
    OnLine(s, tx, request);
    if (!s.ws_line_pending) {
      s.line.clear();
      s.line_overflow = false;
    }
  }
}

Transaction* HttpParser::CurrentTx(Side& s) {
  Transaction* tx = TxById(s.tx_id);
  if (!tx && s.tx_id != kNoTx) tx = &scratch_;
  return tx;
}

void HttpParser::OnLine(Side& s, Transaction* tx, bool request) {
  switch (s.state) {
    case Side::State::kStart:
    case Side::State::kResync:
      if (request) {
        OnRequestLine(s);
      } else {
        OnResponseLine(s);
      }
      break;
    case Side::State::kHeaders:
      if (tx) OnHeaderLine(s, tx, request);
      break;
    case Side::State::kChunkSize:
      OnChunkSizeLine(s, tx, request, /*complete=*/true);
      break;
    case Side::State::kChunkDataEnd:
      if (!Chomp(s.line).empty()) AddAnomaly(tx, s, Anomaly::kChunkDataEndJunk);
      s.state = Side::State::kChunkSize;
      break;
    case Side::State::kTrailers:
      if (Chomp(s.line).empty()) FinishSide(s, tx, request);
      break;
    default:
      break;
  }
}

void HttpParser::OnRequestLine(Side& s) {
  std::string_view line = Chomp(s.line);
  if (TrimSpace(line).empty()) {
    s.leading_empty = true;
    return;
  }
  if (s.state == Side::State::kResync) {
    // Only a line that starts with a known method ends the resync.
    if (ProbeRequest(reinterpret_cast<const uint8_t*>(line.data()), line.size()) != Probe::kYes) return;
  }
  Transaction* tx = TxById(s.next_tx_id);
  // A transaction the response side opened first (response without
  // request) takes this request too.
  if (!tx || tx->request_progress != Progress::kNone) tx = &NewTx();
  s.tx_id = tx->id;
  s.next_tx_id = tx->id + 1;
  tx->updated = true;
  tx->request_progress = Progress::kLine;
  tx->request_line.assign(line);
  if (s.leading_empty) AddAnomaly(tx, s, Anomaly::kLeadingEmptyLines);
  if (s.line_overflow) AddAnomaly(tx, s, Anomaly::kHeaderTooLong);
  s.leading_empty = false;

  // method SP uri SP protocol; runs of SP/HT separate.
  size_t i = 0;
  while (i < line.size() && IsLws(line[i])) ++i;
  size_t j = i;
  while (j < line.size() && !IsLws(line[j])) ++j;
  tx->method.assign(line.substr(i, j - i));
  i = j;
  while (i < line.size() && IsLws(line[i])) ++i;
  // The URI runs to the last whitespace before a protocol token, so a URI
  // with spaces in it (sent unencoded) stays whole, as libhtp keeps it.
  size_t end = line.size();
  while (end > i && IsLws(line[end - 1])) --end;
  size_t proto_start = end;
  while (proto_start > i && !IsLws(line[proto_start - 1])) --proto_start;
  std::string_view proto = line.substr(proto_start, end - proto_start);
  if (proto_start > i && StartsWithNoCase(proto, "HTTP")) {
    size_t uri_end = proto_start;
    while (uri_end > i && IsLws(line[uri_end - 1])) --uri_end;
    tx->uri_raw.assign(line.substr(i, uri_end - i));
    tx->protocol.assign(proto);
  } else {
    // No protocol token: HTTP/0.9, the URI is the first token.
    j = i;
    while (j < line.size() && !IsLws(line[j])) ++j;
    tx->uri_raw.assign(line.substr(i, j - i));
    tx->protocol.clear();
    if (j < end) {
      // Junk after the URI that is not a protocol.
      tx->protocol.assign(TrimSpace(line.substr(j)));
      AddAnomaly(tx, s, Anomaly::kMalformedRequestLine);
    }
  }
  if (tx->method.empty() || tx->uri_raw.empty()) AddAnomaly(tx, s, Anomaly::kMalformedRequestLine);
  NormalizeUri(tx->uri_raw, tx->uri);
  std::string_view scheme, authority, rest;
  if (SplitAbsoluteUri(tx->uri_raw, &scheme, &authority, &rest)) {
    tx->host_raw.assign(authority);
    tx->host = NormalizeHost(authority);
  }
  if (tx->protocol.empty()) {
    // HTTP/0.9: the request is the line alone.
    AddAnomaly(tx, s, Anomaly::kHttp09Request);
    tx->request_progress = Progress::kComplete;
    s.state = Side::State::kStart;
    return;
  }
  tx->request_progress = Progress::kHeaders;
  s.state = Side::State::kHeaders;
  s.header_bytes = 0;
  s.header_overflow = false;
  s.have_pending = false;
  s.pending.clear();
}

Transaction* HttpParser::ResponseTxForNewMessage(Side& s) {
  // After an interim (1xx) response the final one belongs to the same
  // transaction.
  Transaction* tx = TxById(s.tx_id);
  if (tx && tx->response_progress == Progress::kLine && s.tx_id + 1 == s.next_tx_id) return tx;
  tx = TxById(s.next_tx_id);
  if (!tx) {
    tx = &NewTx();
    AddAnomaly(tx, s, Anomaly::kResponseWithoutRequest);
  }
  s.tx_id = tx->id;
  s.next_tx_id = tx->id + 1;
  return tx;
}

void HttpParser::StartBodyUntilClose(Side& s, Transaction* tx) {
  tx->response_progress = Progress::kBody;
  tx->updated = true;
  s.decoder.Reset(0);
  s.decoded_cap = options_.max_decompressed_bytes;
  s.state = Side::State::kBodyClose;
}

void HttpParser::OnResponseLine(Side& s) {
  std::string_view line = Chomp(s.line);
  if (s.state == Side::State::kResync) {
    if (!StartsWithNoCase(TrimSpace(line), "HTTP/")) return;
  }
  if (TrimSpace(line).empty() && s.junk.empty()) {
    s.leading_empty = true;
    return;
  }
  if (!IsStatusLine(line)) {
    Transaction* prev = TxById(s.nobody_tx);
    if (prev) {
      // HEAD/204/304 that declared a body and then sent one.
      AddAnomaly(prev, s, Anomaly::kNoBodyExpectedButData);
      s.nobody_tx = kNoTx;
      s.tx_id = prev->id;
      prev->response_progress = Progress::kBody;
      prev->updated = true;
      s.decoder.Reset(s.nobody_layers);
      if (s.nobody_chunked) {
        s.state = Side::State::kChunkSize;
        OnChunkSizeLine(s, prev, false, /*complete=*/true);
      } else {
        s.state = Side::State::kBodyLength;
        s.remaining = s.nobody_length;
        const std::string bytes = LineBytes(s);
        const size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), s.remaining));
        BodyData(s, prev, false, reinterpret_cast<const uint8_t*>(bytes.data()), n);
        s.remaining -= n;
        if (s.remaining == 0) FinishSide(s, prev, false);
      }
      return;
    }
    // Junk before a status line is skipped when a status line follows (as
    // libhtp does); a response that never sends one is all body (HTTP/0.9
    // style), decided at close or when the junk gets too long.
    AppendLineBytes(s, s.junk);
    if (s.junk.size() <= std::max<size_t>(options_.max_header_bytes, 1024)) return;
    Transaction* tx = ResponseTxForNewMessage(s);
    JunkToBody(s, tx);
    return;
  }
  s.nobody_tx = kNoTx;
  Transaction* tx = ResponseTxForNewMessage(s);
  tx->updated = true;
  if (s.leading_empty) AddAnomaly(tx, s, Anomaly::kLeadingEmptyLines);
  s.leading_empty = false;
  if (!s.junk.empty()) {
    AddAnomaly(tx, s, Anomaly::kResponseLineNotStatus);
    s.junk.clear();
  }
  // A final response after an interim (1xx) one replaces it.
  tx->response_headers.clear();
  tx->response_headers_raw.clear();
  tx->response_header.clear();
  tx->response_cookie.clear();
  tx->response_content_type.clear();
  tx->response_content_length = -1;
  tx->response_line.assign(line);
  tx->response_progress = Progress::kLine;
  if (s.line_overflow) AddAnomaly(tx, s, Anomaly::kHeaderTooLong);
  size_t i = 0;
  while (i < line.size() && IsTrimSpace(line[i])) ++i;
  size_t j = i;
  while (j < line.size() && !IsLws(line[j])) ++j;
  tx->response_protocol.assign(line.substr(i, j - i));
  i = j;
  while (i < line.size() && IsLws(line[i])) ++i;
  j = i;
  while (j < line.size() && !IsLws(line[j])) ++j;
  tx->status_code.assign(line.substr(i, j - i));
  i = j;
  while (i < line.size() && IsLws(line[i])) ++i;
  tx->status_msg.assign(TrimSpace(line.substr(i)));
  tx->status = 0;
  bool digits = tx->status_code.size() == 3;
  for (char c : tx->status_code) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    tx->status = (tx->status_code[0] - '0') * 100 + (tx->status_code[1] - '0') * 10 + (tx->status_code[2] - '0');
  } else {
    AddAnomaly(tx, s, Anomaly::kMalformedStatusLine);
  }
  tx->response_progress = Progress::kHeaders;
  s.state = Side::State::kHeaders;
  s.header_bytes = 0;
  s.header_overflow = false;
  s.have_pending = false;
  s.pending.clear();
}

void HttpParser::JunkToBody(Side& s, Transaction* tx) {
  AddAnomaly(tx, s, Anomaly::kResponseLineNotStatus);
  StartBodyUntilClose(s, tx);
  std::string junk;
  junk.swap(s.junk);
  BodyData(s, tx, false, reinterpret_cast<const uint8_t*>(junk.data()), junk.size());
}

std::string HttpParser::LineBytes(const Side& s) {
  std::string bytes;
  AppendLineBytes(s, bytes);
  return bytes;
}

void HttpParser::AppendLineBytes(const Side& s, std::string& out) {
  out.append(s.line);
  if (s.line_term) out.push_back(s.line_term);
}

void HttpParser::OnHeaderLine(Side& s, Transaction* tx, bool request) {
  std::string& raw = request ? tx->request_headers_raw : tx->response_headers_raw;
  if (s.soft_end_pending) {
    // The line after a CR-only line decides what that was: before another
    // header (or a real empty line) it was junk inside the block, before
    // anything else it ended the headers and this line is body.
    s.soft_end_pending = false;
    const std::string_view content = Chomp(s.line);
    if (!LooksLikeHeader(content) && !TrimSpace(content).empty() && !IsFoldStart(content.front())) {
      EndHeaders(s, tx, request);
      const std::string bytes = LineBytes(s);
      s.line.clear();
      s.line_overflow = false;
      Feed(request ? Direction::kToServer : Direction::kToClient, reinterpret_cast<const uint8_t*>(bytes.data()),
           bytes.size());
      return;
    }
  }
  const bool was_overflow = s.header_overflow;
  s.header_bytes += s.line.size() + 1;
  if (options_.max_header_bytes && (s.header_bytes > options_.max_header_bytes || s.line_overflow)) {
    if (!s.header_overflow) AddAnomaly(tx, s, Anomaly::kHeaderTooLong);
    s.header_overflow = true;
  }
  if (s.line_term == '\r') AddAnomaly(tx, s, Anomaly::kBareCrLineEnding);
  if (Chomp(s.line).empty()) {
    if (!was_overflow) AppendLineBytes(s, raw);
    const bool hard = s.line_term == '\n' && (s.line.empty() || s.line == "\r");
    if (hard) {
      EndHeaders(s, tx, request);
    } else {
      s.soft_end_pending = true;
    }
    return;
  }
  // A line of a single SP or HT ended by a bare LF ends the headers unless
  // another LF follows at once (libhtp's rule for "LF SP LF").
  if (s.line.size() == 1 && IsLws(s.line[0]) && s.line_term == '\n') {
    s.ws_line_pending = true;
    return;
  }
  HeaderContentLine(s, tx, request);
}

void HttpParser::HeaderContentLine(Side& s, Transaction* tx, bool request) {
  if (s.header_overflow) return;
  std::string& raw = request ? tx->request_headers_raw : tx->response_headers_raw;
  std::string_view line = Chomp(s.line);
  AppendLineBytes(s, raw);
  tx->updated = true;
  if (!line.empty() && IsFoldStart(line.front())) {
    if (s.have_pending && !LooksLikeHeader(line)) {
      // obs-fold: the continuation joins the header with one space.
      AddAnomaly(tx, s, Anomaly::kHeaderFolded);
      std::string_view cont = TrimSpace(line);
      if (!cont.empty()) {
        s.pending.push_back(' ');
        s.pending.append(cont);
      }
      return;
    }
    AddAnomaly(tx, s, Anomaly::kHeaderInvalidFold);
  }
  FlushPendingHeader(s, tx, request);
  s.pending.assign(line);
  s.have_pending = true;
}

void HttpParser::FlushPendingHeader(Side& s, Transaction* tx, bool request) {
  if (!s.have_pending) return;
  s.have_pending = false;
  std::string_view line = s.pending;
  if (line.find('\0') != std::string_view::npos) AddAnomaly(tx, s, Anomaly::kHeaderNul);
  Header h;
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    AddAnomaly(tx, s, Anomaly::kHeaderMissingColon);
    h.name.assign(TrimSpace(line));
  } else {
    std::string_view name = line.substr(0, colon);
    std::string_view trimmed = TrimSpace(name);
    if (trimmed.size() != name.size()) AddAnomaly(tx, s, Anomaly::kHeaderNameWhitespace);
    for (char c : trimmed) {
      if (IsLws(c)) {
        AddAnomaly(tx, s, Anomaly::kHeaderNameWhitespace);
        break;
      }
    }
    h.name.assign(trimmed);
    h.value.assign(TrimSpace(line.substr(colon + 1)));
  }
  std::vector<Header>& headers = request ? tx->request_headers : tx->response_headers;
  // Most header blocks have under 16 headers: one allocation instead of five.
  if (headers.capacity() == 0) headers.reserve(16);
  headers.push_back(std::move(h));
  s.pending.clear();
}

void HttpParser::EndHeaders(Side& s, Transaction* tx, bool request) {
  FlushPendingHeader(s, tx, request);
  s.ws_line_pending = false;
  s.soft_end_pending = false;
  tx->updated = true;
  std::vector<Header>& headers = request ? tx->request_headers : tx->response_headers;
  BuildHeaderBuffer(headers, request ? "Cookie" : "Set-Cookie", request ? tx->request_header : tx->response_header);
  if (request) {
    bool found = false;
    std::string host = JoinedValues(headers, "Host", &found);
    if (found && tx->host_raw.empty()) {
      tx->host_raw = host;
      // Repeated Host headers: the normalised form of each, joined.
      std::string norm;
      bool first = true;
      for (const Header& h : headers) {
        if (!EqualsLoose(h.name, "Host")) continue;
        if (!first) norm.append(", ");
        norm.append(NormalizeHost(h.value));
        first = false;
      }
      tx->host = std::move(norm);
    }
    tx->user_agent = JoinedValues(headers, "User-Agent");
    tx->request_cookie = JoinedValues(headers, "Cookie");
    tx->request_content_type = JoinedValues(headers, "Content-Type");
  } else {
    tx->response_cookie = JoinedValues(headers, "Set-Cookie");
    tx->response_content_type = JoinedValues(headers, "Content-Type");
  }
  StartBody(s, tx, request);
}

void HttpParser::StartBody(Side& s, Transaction* tx, bool request) {
  std::vector<Header>& headers = request ? tx->request_headers : tx->response_headers;
  Progress& progress = request ? tx->request_progress : tx->response_progress;

  // Content-Length: every value must be a plain number and all must agree.
  int64_t clen = -1;
  bool clen_present = false, clen_invalid = false;
  for (const Header& h : headers) {
    if (!EqualsLoose(h.name, "Content-Length")) continue;
    const int64_t v = ParseContentLength(h.value);
    if (v < 0) {
      clen_invalid = true;
    } else if (clen_present && clen >= 0 && v != clen) {
      AddAnomaly(tx, s, Anomaly::kRepeatedContentLength);
      clen_invalid = true;
    }
    if (!clen_present) clen = v;
    clen_present = true;
  }
  if (clen_invalid) {
    AddAnomaly(tx, s, Anomaly::kInvalidContentLength);
    clen = -1;
  }
  bool te_present = false;
  const std::string te = JoinedValues(headers, "Transfer-Encoding", &te_present);
  // libhtp looks for "chunked" anywhere in the value; when the body then is
  // not chunked, the invalid chunk size switches to reading until close.
  const bool chunked = te_present && ContainsLoose(te, "chunked");
  if (te_present && !chunked) AddAnomaly(tx, s, Anomaly::kUnknownTransferEncoding);
  if (chunked && clen_present) AddAnomaly(tx, s, Anomaly::kContentLengthAndChunked);
  if (!request) tx->response_content_length = clen;

  // Content-Encoding layers, outermost (last applied) first.
  std::vector<std::string_view> codings;
  for (const Header& h : headers) {
    if (!EqualsLoose(h.name, "Content-Encoding")) continue;
    std::string_view v = h.value;
    size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && (v[i] == ',' || IsTrimSpace(v[i]))) ++i;
      size_t j = i;
      while (j < v.size() && v[j] != ',' && !IsLws(v[j])) ++j;
      std::string_view tok = v.substr(i, j - i);
      if (!tok.empty() && !EqualsLoose(tok, "identity") && !EqualsLoose(tok, "none") && !EqualsLoose(tok, "chunked")) {
        codings.push_back(tok);
      }
      i = j;
    }
  }
  size_t layers = codings.size();
  if (layers > options_.decompress_layer_limit) {
    AddAnomaly(tx, s, Anomaly::kDecompressionLayerLimit);
    layers = options_.decompress_layer_limit;
  }
  s.decoder.Reset(layers);
  const uint64_t limit = request ? options_.request_body_limit : options_.response_body_limit;
  s.decoded_cap = limit ? limit : options_.max_decompressed_bytes;

  if (request) {
    if (chunked) {
      progress = Progress::kBody;
      s.state = Side::State::kChunkSize;
    } else if (clen > 0) {
      progress = Progress::kBody;
      s.remaining = static_cast<uint64_t>(clen);
      s.state = Side::State::kBodyLength;
    } else {
      FinishSide(s, tx, true);
    }
    return;
  }

  // Responses.
  const int status = tx->status;
  if (status >= 100 && status <= 199) {
    const bool upgrade = status == 101 && FindHeader(headers, "Upgrade") != nullptr;
    if (!upgrade) {
      // Interim response: the final one follows on the same transaction.
      progress = Progress::kLine;
      s.state = Side::State::kStart;
      return;
    }
    tunnel_ = true;
    FinishSide(s, tx, false);
    req_->state = Side::State::kOpaque;
    res_->state = Side::State::kOpaque;
    return;
  }
  if (EqualsNoCase(tx->method, "CONNECT") && status >= 200 && status <= 299) {
    tunnel_ = true;
    FinishSide(s, tx, false);
    req_->state = Side::State::kOpaque;
    res_->state = Side::State::kOpaque;
    return;
  }
  if (EqualsNoCase(tx->method, "HEAD") || status == 204 || status == 304) {
    FinishSide(s, tx, false);
    if (chunked || clen > 0) {
      s.nobody_tx = tx->id;
      s.nobody_chunked = chunked;
      s.nobody_length = clen > 0 ? static_cast<uint64_t>(clen) : 0;
      s.nobody_layers = layers;
    }
    return;
  }
  progress = Progress::kBody;
  if (chunked) {
    s.state = Side::State::kChunkSize;
  } else if (clen >= 0) {
    if (clen == 0) {
      FinishSide(s, tx, false);
      return;
    }
    s.remaining = static_cast<uint64_t>(clen);
    s.state = Side::State::kBodyLength;
  } else {
    s.state = Side::State::kBodyClose;
  }
}

void HttpParser::OnChunkSizeLine(Side& s, Transaction* tx, bool request, bool complete) {
  std::string_view line = s.line;
  size_t i = 0;
  while (i < line.size() && IsTrimSpace(line[i])) ++i;
  if (i == line.size()) return;  // empty lines before a chunk size are skipped
  while (i + 1 < line.size() && line[i] == '0' && line[i + 1] == '0') ++i;
  uint64_t size = 0;
  int digits = 0;
  size_t j = i;
  for (; j < line.size(); ++j) {
    const char c = line[j];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      break;
    }
    if (++digits > kMaxChunkDigits) break;
    size = size * 16 + static_cast<uint64_t>(v);
  }
  if (digits == 0 || digits > kMaxChunkDigits) {
    // Not chunked after all: the rest is body until close, this line too
    // (libhtp switches to identity the same way).
    AddAnomaly(tx, s, Anomaly::kInvalidChunkSize);
    s.state = Side::State::kBodyClose;
    std::string bytes = s.line;
    if (complete && s.line_term) bytes.push_back(s.line_term);
    BodyData(s, tx, request, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    return;
  }
  std::string_view rest = TrimSpace(line.substr(j));
  if (!rest.empty() && rest.front() != ';') AddAnomaly(tx, s, Anomaly::kChunkSizeJunk);
  if (size == 0) {
    s.state = Side::State::kTrailers;
    return;
  }
  s.remaining = size;
  s.state = Side::State::kChunkData;
}

size_t HttpParser::FeedBody(Side& s, Transaction* tx, bool request, const uint8_t* data, size_t len) {
  size_t n = len;
  if (s.state != Side::State::kBodyClose) n = static_cast<size_t>(std::min<uint64_t>(len, s.remaining));
  BodyData(s, tx, request, data, n);
  s.offset += n;
  if (s.state == Side::State::kBodyClose) return n;
  s.remaining -= n;
  if (s.remaining == 0) {
    if (s.state == Side::State::kChunkData) {
      s.state = Side::State::kChunkDataEnd;
    } else {
      FinishSide(s, tx, request);
    }
  }
  return n;
}

void HttpParser::BodyData(Side& s, Transaction* tx, bool request, const uint8_t* data, size_t len) {
  if (len == 0 || !tx) return;
  if (options_.body_digests) {
    if (!s.digester.active() || s.digester.tx_id() != tx->id) {
      s.digester.Start(tx->id, options_.body_digests);
      s.digest_held.clear();
      // A 206 body is a byte range of a file, never the whole file: its
      // digest could match no file indicator, so it is not computed.
      if (!request && tx->status == 206) s.digester.Invalidate();
      // Nor is a body the stream depth will cut off (large downloads: most
      // of what would be hashed on a busy link).
      if (options_.stream_depth && s.state == Side::State::kBodyLength &&
          s.offset + s.remaining > options_.stream_depth) {
        s.digester.Invalidate();
      }
    }
    if (s.decoder.layers() == 0) s.digester.Update(data, len);
  }
  if (!options_.keep_bodies) {
    (request ? tx->request_body_bytes : tx->response_body_bytes) += len;
    if (s.decoder.layers() > 0 && s.digester.wanted()) HoldForDigest(s, data, len);
    return;
  }
  const uint64_t limit = request ? options_.request_body_limit : options_.response_body_limit;
  BodySink sink(*tx, request, limit, s.decoded_cap);
  if (s.decoder.layers() == 0) {
    // Content-Length says how much is coming: one allocation of the kept
    // size rather than a doubling series of copies (never for an unlimited
    // body, whose declared length nobody vouches for).
    std::string& body = request ? tx->request_body : tx->response_body;
    if (body.empty() && limit && s.state == Side::State::kBodyLength) {
      body.reserve(static_cast<size_t>(std::min<uint64_t>(limit, s.remaining)));
    }
    sink.set_count_all(true);
    sink.Write(data, len);
    return;
  }
  const bool more = s.decoder.Decode(data, len, sink);
  if (s.decoder.TakeFailure()) {
    AddAnomaly(tx, s, Anomaly::kDecompressionFailed);
    s.digester.Invalidate();
  }
  if (!more && !limit) AddAnomaly(tx, s, Anomaly::kDecompressionBomb);
}

// No rule reads bodies, but a digest is of the decoded file, so an encoded
// body is decoded for it alone, once it has ended: a gzip body says its
// decoded size in its last four bytes, and one too large for the limit
// (would be decoded up to the limit and thrown away: half the decoding on
// the bench captures) is not decoded at all. Held, the encoded bytes are
// bounded by what an encoding of a body within the limit can take.
void HttpParser::HoldForDigest(Side& s, const uint8_t* data, size_t len) {
  if (len > MaxEncodedSize(s.decoded_cap, s.decoder.layers()) - s.digest_held.size()) {
    s.digester.Invalidate();
    std::string().swap(s.digest_held);
    return;
  }
  s.digest_held.append(reinterpret_cast<const char*>(data), len);
}

// Failures raise no anomaly here, so what rules and the log see does not
// depend on whether a feed names file hashes.
void HttpParser::DecodeHeldForDigest(Side& s) {
  const std::string& held = s.digest_held;
  const auto* p = reinterpret_cast<const uint8_t*>(held.data());
  // Gzip's trailer ends with the decoded size mod 2^32 (RFC 1952); with one
  // layer it is the body's size. Larger sizes than 32 bits hold are cut by
  // the sink's cap anyway.
  if (s.decoder.layers() == 1 && held.size() >= 18 && SniffFraming(p[0], p[1]) == Framing::kGzip) {
    const size_t n = held.size();
    const uint32_t isize = p[n - 4] | (p[n - 3] << 8) | (p[n - 2] << 16) | (uint32_t{p[n - 1]} << 24);
    if (isize > s.decoded_cap) s.digester.Invalidate();
  }
  // A clean gzip member of one layer (every encoded body on the bench
  // captures) is decoded in one call; anything else by the streaming decoder.
  std::span<const uint8_t> whole;
  if (s.digester.wanted() && s.decoder.layers() == 1 &&
      DecodeWholeGzip({p, held.size()}, s.decoded_cap, &whole)) {
    s.digester.Update(whole.data(), whole.size());
  } else if (s.digester.wanted()) {
    DigestSink sink(s.digester, s.decoded_cap);
    if (s.decoder.Decode(p, held.size(), sink)) s.decoder.Finish(sink);
    if (s.decoder.TakeFailure()) s.digester.Invalidate();
  }
  std::string().swap(s.digest_held);
}

void HttpParser::FinishSide(Side& s, Transaction* tx, bool request) {
  if (tx) {
    const bool ours = s.digester.active() && s.digester.tx_id() == tx->id;
    if (s.decoder.layers() > 0 && options_.keep_bodies) {
      const uint64_t limit = request ? options_.request_body_limit : options_.response_body_limit;
      BodySink sink(*tx, request, limit, s.decoded_cap);
      s.decoder.Finish(sink);
      if (s.decoder.TakeFailure()) {
        AddAnomaly(tx, s, Anomaly::kDecompressionFailed);
        s.digester.Invalidate();
      }
    } else if (s.decoder.layers() > 0 && ours && s.digester.wanted()) {
      DecodeHeldForDigest(s);
    }
    if (ours) {
      if (s.decoder.layers() > 0 && options_.keep_bodies) {
        // A kept decoded body is hashed whole here, from the kept copy, once
        // it is known to have been decoded within its limit: hashed as it
        // was produced, the bodies cut at the limit or never finished were
        // an eighth of the hashing with the Tick pack on the bench captures.
        if (request ? tx->request_body_truncated : tx->response_body_truncated) {
          s.digester.Invalidate();
        } else {
          const std::string& body = request ? tx->request_body : tx->response_body;
          s.digester.Update(reinterpret_cast<const uint8_t*>(body.data()), body.size());
        }
      }
      s.digester.Finish(request ? &tx->request_digest : &tx->response_digest);
    }
    if (s.digest_held.capacity() > 0) std::string().swap(s.digest_held);  // after a gap
    (request ? tx->request_progress : tx->response_progress) = Progress::kComplete;
    tx->updated = true;
  }
  s.decoder.Reset(0);
  s.have_pending = false;
  s.pending.clear();
  s.ws_line_pending = false;
  s.soft_end_pending = false;
  if (s.state != Side::State::kOpaque) s.state = tunnel_ ? Side::State::kOpaque : Side::State::kStart;
  if (request && tx && !tunnel_ && EqualsNoCase(tx->method, "CONNECT") &&
      tx->response_progress != Progress::kComplete) {
    // What follows a CONNECT is tunnel data if the proxy accepts it: wait
    // for the response before reading it as HTTP (libhtp does the same).
    s.state = Side::State::kConnectWait;
  }
  if (!request && tx && req_->state == Side::State::kConnectWait && req_->tx_id == tx->id) {
    std::string held;
    held.swap(req_->held);
    if (tunnel_) {
      req_->state = Side::State::kOpaque;
    } else {
      req_->state = Side::State::kStart;
      Feed(Direction::kToServer, reinterpret_cast<const uint8_t*>(held.data()), held.size());
    }
  }
}

void HttpParser::Gap(Direction dir, uint64_t len) {
  if (len == 0) return;
  const bool request = dir == Direction::kToServer;
  Side& s = request ? *req_ : *res_;
  if (s.closed) return;
  Transaction* tx = TxById(s.tx_id);
  AddAnomaly(tx, s, Anomaly::kGap);
  switch (s.state) {
    case Side::State::kOpaque:
      s.offset += len;
      return;
    case Side::State::kBodyLength:
    case Side::State::kChunkData:
      if (len <= s.remaining) {
        // The lost bytes lie inside the body: its end is still known.
        s.decoder.Break();
        s.digester.Invalidate();
        if (tx) (request ? tx->request_body_bytes : tx->response_body_bytes) += len;
        s.remaining -= len;
        s.offset += len;
        if (s.remaining == 0) {
          if (s.state == Side::State::kChunkData) {
            s.state = Side::State::kChunkDataEnd;
          } else {
            FinishSide(s, tx, request);
          }
        }
        return;
      }
      break;
    case Side::State::kBodyClose:
      s.decoder.Break();
      s.digester.Invalidate();
      if (tx) (request ? tx->request_body_bytes : tx->response_body_bytes) += len;
      s.offset += len;
      return;
    default:
      break;
  }
  // Anything else: the message in progress is over; wait for a line that
  // starts a new one.
  if (tx && s.state != Side::State::kStart) {
    (request ? tx->request_progress : tx->response_progress) = Progress::kComplete;
    tx->updated = true;
  }
  s.decoder.Reset(0);
  s.line.clear();
  s.line_overflow = false;
  s.ws_line_pending = false;
  s.have_pending = false;
  s.pending.clear();
  s.offset += len;
  s.state = Side::State::kResync;
}

void HttpParser::Close(Direction dir) {
  const bool request = dir == Direction::kToServer;
  Side& s = request ? *req_ : *res_;
  if (s.closed) return;
  Transaction* tx = CurrentTx(s);
  // A last line without its terminator still counts.
  if (s.InLineState() && (s.ws_line_pending || s.cr_pending || !s.line.empty())) {
    s.cr_pending = false;
    if (s.ws_line_pending) {
      s.ws_line_pending = false;
      if (tx && s.state == Side::State::kHeaders) EndHeaders(s, tx, request);
    } else {
      s.line_term = '\0';  // none: the line was cut by the close
      OnLine(s, tx, request);
    }
    s.line.clear();
    tx = CurrentTx(s);
  }
  if (!request && !s.junk.empty() && (s.state == Side::State::kStart || s.state == Side::State::kResync)) {
    // Lines but never a status line: the response was all body.
    tx = ResponseTxForNewMessage(s);
    JunkToBody(s, tx);
  }
  if (s.state == Side::State::kHeaders && tx) {
    // A CR-only line as the block's last line did end it.
    if (!s.soft_end_pending) AddAnomaly(tx, s, Anomaly::kHeadersIncomplete);
    EndHeaders(s, tx, request);
  }
  switch (s.state) {
    case Side::State::kBodyClose:
    case Side::State::kTrailers:
      FinishSide(s, tx, request);
      break;
    case Side::State::kBodyLength:
    case Side::State::kChunkSize:
    case Side::State::kChunkData:
    case Side::State::kChunkDataEnd:
      AddAnomaly(tx, s, Anomaly::kBodyIncomplete);
      FinishSide(s, tx, request);
      break;
    default:
      break;
  }
  s.closed = true;
  s.state = Side::State::kOpaque;
}

namespace {

Probe ProbeAgainst(const uint8_t* data, size_t len, std::string_view word) {
  const size_t n = std::min(len, word.size());
  if (std::memcmp(data, word.data(), n) != 0) return Probe::kNo;
  return len >= word.size() ? Probe::kYes : Probe::kNeedMore;
}

}  // namespace

Probe ProbeRequest(const uint8_t* data, size_t len) {
  if (len == 0) return Probe::kNeedMore;
  bool need_more = false;
  for (std::string_view m : kMethods) {
    // "METHOD " with the space; the method may be followed by a tab too.
    const size_t n = std::min(len, m.size());
    if (std::memcmp(data, m.data(), n) != 0) continue;
    if (len <= m.size()) {
      need_more = true;
      continue;
    }
    if (data[m.size()] == ' ' || data[m.size()] == '\t') return Probe::kYes;
  }
  return need_more ? Probe::kNeedMore : Probe::kNo;
}

Probe ProbeResponse(const uint8_t* data, size_t len) {
  if (len == 0) return Probe::kNeedMore;
  return ProbeAgainst(data, len, "HTTP/");
}

}  // namespace kagami::app::http
