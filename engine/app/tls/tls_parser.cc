#include "engine/app/tls/tls_parser.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/app/tls/byte_reader.h"
#include "engine/app/tls/certificate.h"
#include "engine/app/tls/fingerprint.h"
#include "engine/app/tls/hello_parser.h"

namespace kagami::app::tls {
namespace {

constexpr uint8_t kChangeCipherSpec = 20;
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kApplicationData = 23;
constexpr uint8_t kHeartbeat = 24;

constexpr uint8_t kClientHelloMsg = 1;
constexpr uint8_t kServerHelloMsg = 2;
constexpr uint8_t kCertificateMsg = 11;

// RFC 5246 6.2.3: TLSCiphertext.length never exceeds 2^14 + 2048.
constexpr uint32_t kMaxRecord = (1u << 14) + 2048;

constexpr uint16_t kTls13 = 0x0304;

}  // namespace

const char* AnomalyName(Anomaly a) {
  switch (a) {
    case Anomaly::kInvalidRecordType:
      return "invalid_record_type";
    case Anomaly::kInvalidRecordVersion:
      return "invalid_record_version";
    case Anomaly::kRecordTooLong:
      return "record_too_long";
    case Anomaly::kEmptyHandshakeRecord:
      return "empty_handshake_record";
    case Anomaly::kInterleavedRecord:
      return "interleaved_record";
    case Anomaly::kHandshakeTooLong:
      return "handshake_too_long";
    case Anomaly::kInvalidClientHello:
      return "invalid_client_hello";
    case Anomaly::kInvalidServerHello:
      return "invalid_server_hello";
    case Anomaly::kInvalidExtension:
      return "invalid_extension";
    case Anomaly::kInvalidCertificateMessage:
      return "invalid_certificate_message";
    case Anomaly::kInvalidCertificate:
      return "invalid_certificate";
    case Anomaly::kTooManyCertificates:
      return "too_many_certificates";
    case Anomaly::kUnexpectedHandshake:
      return "unexpected_handshake";
    case Anomaly::kInvalidSslv2Record:
      return "invalid_sslv2_record";
    case Anomaly::kGap:
      return "gap";
  }
  return "unknown";
}

std::string VersionName(uint16_t v) {
  switch (v) {
    case 0x0002:
      return "SSLv2";
    case 0x0300:
      return "SSLv3";
    case 0x0301:
      return "TLS 1.0";
    case 0x0302:
      return "TLS 1.1";
    case 0x0303:
      return "TLS 1.2";
    case 0x0304:
      return "TLS 1.3";
    default:
      break;
  }
  // Drafts of TLS 1.3 were numbered 0x7f00 + draft.
  if ((v & 0xff00) == 0x7f00) return absl::StrCat("TLS 1.3 draft-", v & 0xff);
  return "UNDETERMINED";
}

TlsParser::TlsParser(const TlsOptions& options) : options_(options) {}

bool TlsParser::finished() const {
  return to_server_.state == State::kDone && to_client_.state == State::kDone;
}

void TlsParser::AddAnomaly(Anomaly a, uint64_t offset) {
  if (session_.anomalies.size() >= options_.max_anomalies) return;
  session_.anomalies.emplace_back(a, offset);
  session_.updated = true;
}

void TlsParser::GiveUp(Side& s) {
  s.state = State::kDone;
  s.hs_buf.clear();
  s.hs_buf.shrink_to_fit();
}

void TlsParser::MarkEncrypted(Direction dir) {
  GiveUp(SideOf(dir));
  (dir == Direction::kToServer ? session_.encrypted_to_server : session_.encrypted_to_client) =
      true;
  session_.encrypted = session_.encrypted_to_server && session_.encrypted_to_client;
  session_.updated = true;
}

bool TlsParser::Tls13() const {
  if (session_.server_hello) return session_.server_hello->selected_version == kTls13;
  // Before the ServerHello (0-RTT), a client offering 1.3 sends a
  // compatibility ChangeCipherSpec that changes nothing.
  if (session_.client_hello) {
    const auto& v = session_.client_hello->supported_versions;
    return std::find(v.begin(), v.end(), kTls13) != v.end();
  }
  return false;
}

void TlsParser::StartRecord(Direction dir, Side& s) {
  s.header_len = 0;
  uint8_t type = s.header[0];
  uint32_t length = (uint32_t{s.header[3]} << 8) | s.header[4];
  if (type < kChangeCipherSpec || type > kHeartbeat) {
    AddAnomaly(Anomaly::kInvalidRecordType, s.record_start);
    GiveUp(s);
    return;
  }
  if (s.header[1] != 3) {
    AddAnomaly(Anomaly::kInvalidRecordVersion, s.record_start);
    GiveUp(s);
    return;
  }
  if (length > kMaxRecord) {
    AddAnomaly(Anomaly::kRecordTooLong, s.record_start);
    GiveUp(s);
    return;
  }
  if (type != kHandshake && (s.hs_in_body || s.hs_header_len > 0)) {
    // A handshake message split over records must not have other records
    // in between (RFC 5246 6.2.1): drop the partial message.
    AddAnomaly(Anomaly::kInterleavedRecord, s.record_start);
    s.hs_in_body = false;
    s.hs_header_len = 0;
    s.hs_keep = false;
    s.hs_buf.clear();
  }
  if (type == kApplicationData || (type == kChangeCipherSpec && !Tls13())) {
    MarkEncrypted(dir);
    return;
  }
  if (type == kHandshake && length == 0) {
    AddAnomaly(Anomaly::kEmptyHandshakeRecord, s.record_start);
    return;  // next record header
  }
  s.record_type = type;
  s.record_left = length;
  s.state = length > 0 ? State::kRecordBody : State::kRecordHeader;
}

void TlsParser::HandshakeBytes(Direction dir, Side& s, const uint8_t* p, size_t n, uint64_t at) {
  while (n > 0 && s.state != State::kDone) {
    if (!s.hs_in_body) {
      if (s.hs_header_len == 0) s.hs_start = at;
      size_t take = std::min<size_t>(4 - s.hs_header_len, n);
      std::memcpy(s.hs_header + s.hs_header_len, p, take);
      s.hs_header_len = static_cast<uint8_t>(s.hs_header_len + take);
      p += take;
      n -= take;
      at += take;
      if (s.hs_header_len < 4) return;
      s.hs_header_len = 0;
      uint8_t type = s.hs_header[0];
      uint32_t length =
          (uint32_t{s.hs_header[1]} << 16) | (uint32_t{s.hs_header[2]} << 8) | s.hs_header[3];
      bool to_server = dir == Direction::kToServer;
      bool keep = false;
      if (type == kClientHelloMsg) {
        if (!to_server) AddAnomaly(Anomaly::kUnexpectedHandshake, s.hs_start);
        // A second ClientHello (after a HelloRetryRequest) repeats the first.
        keep = to_server && !session_.client_hello_done;
      } else if (type == kServerHelloMsg) {
        if (to_server) AddAnomaly(Anomaly::kUnexpectedHandshake, s.hs_start);
        keep =
            !to_server && (!session_.server_hello_done ||
                           (session_.server_hello && session_.server_hello->hello_retry_request));
      } else if (type == kCertificateMsg) {
        // The client's certificate is not kept; in TLS 1.3 the server's is
        // encrypted, so a plaintext one there is not a TLS 1.2 chain.
        keep = !to_server && !session_.certificates_done &&
               !(session_.server_hello && session_.server_hello->selected_version == kTls13);
      }
      if (keep && length > options_.max_handshake_message) {
        AddAnomaly(Anomaly::kHandshakeTooLong, s.hs_start);
        keep = false;
      }
      s.hs_keep = keep;
      s.hs_buf.clear();
      s.hs_left = length;
      s.hs_in_body = true;
    }
    size_t take = std::min<size_t>(s.hs_left, n);
    if (s.hs_keep) s.hs_buf.append(reinterpret_cast<const char*>(p), take);
    p += take;
    n -= take;
    at += take;
    s.hs_left -= static_cast<uint32_t>(take);
    if (s.hs_left == 0) {
      s.hs_in_body = false;
      if (s.hs_keep) HandshakeMessage(s);
      s.hs_keep = false;
    }
  }
}

void TlsParser::HandshakeMessage(Side& s) {
  const uint8_t* body = reinterpret_cast<const uint8_t*>(s.hs_buf.data());
  size_t n = s.hs_buf.size();
  switch (s.hs_header[0]) {
    case kClientHelloMsg: {
      ClientHello ch;
      if (auto fault = ParseClientHello(body, n, ch)) AddAnomaly(*fault, s.hs_start);
      ComputeClientFingerprints(ch);
      if (!session_.server_hello) session_.version = ch.legacy_version;
      session_.client_hello = std::move(ch);
      session_.client_hello_done = true;
      break;
    }
    case kServerHelloMsg: {
      ServerHello sh;
      if (auto fault = ParseServerHello(body, n, sh)) AddAnomaly(*fault, s.hs_start);
      ComputeServerFingerprints(sh);
      session_.version = sh.selected_version;
      session_.server_hello = std::move(sh);
      session_.server_hello_done = true;
      break;
    }
    case kCertificateMsg: {
      session_.certificates_done = true;
      ByteReader r(body, n);
      ByteReader list;
      uint32_t list_len = 0;
      if (!r.U24(list_len) || !r.Sub(list_len, list) || !r.empty()) {
        AddAnomaly(Anomaly::kInvalidCertificateMessage, s.hs_start);
        // Read what the claimed list holds; the framing check below stops it.
        list = ByteReader(body + std::min<size_t>(n, 3), n - std::min<size_t>(n, 3));
      }
      while (!list.empty()) {
        uint32_t len = 0;
        ByteReader der;
        if (!list.U24(len) || !list.Sub(len, der)) {
          AddAnomaly(Anomaly::kInvalidCertificateMessage, s.hs_start);
          break;
        }
        if (session_.certificates.size() >= options_.max_certificates) {
          AddAnomaly(Anomaly::kTooManyCertificates, s.hs_start);
          break;
        }
        const bool leaf = session_.certificates.empty();
        Certificate& c = session_.certificates.emplace_back();
        if (!leaf && !options_.decode_chain) {
          c.der.assign(reinterpret_cast<const char*>(der.cur()), der.left());
        } else if (!DecodeCertificate(der.cur(), der.left(), c)) {
          AddAnomaly(Anomaly::kInvalidCertificate, s.hs_start);
        }
      }
      break;
    }
    default:
      break;
  }
  session_.updated = true;
  s.hs_buf.clear();
}

void TlsParser::Sslv2Hello(Side& s) {
  const uint8_t* body = reinterpret_cast<const uint8_t*>(s.hs_buf.data());
  ClientHello ch;
  auto fault = ParseSslv2ClientHello(body, s.hs_buf.size(), ch);
  s.hs_buf.clear();
  if (fault) AddAnomaly(*fault, s.record_start);
  if (fault && ch.legacy_version == 0) {
    GiveUp(s);
    return;
  }
  ComputeClientFingerprints(ch);
  if (!session_.server_hello) session_.version = ch.legacy_version;
  session_.client_hello = std::move(ch);
  session_.client_hello_done = true;
  session_.updated = true;
  s.state = State::kRecordHeader;
}

void TlsParser::Feed(Direction dir, const uint8_t* data, size_t len) {
  Side& s = SideOf(dir);
  size_t i = 0;
  while (i < len) {
    switch (s.state) {
      case State::kDone:
        s.offset += len - i;
        return;
      case State::kStart:
        if (data[i] & 0x80) {
          // SSLv2 record framing. A client may open with an SSLv2-compatible
          // ClientHello; a server answering in SSLv2 is not followed.
          if (dir == Direction::kToServer) {
            s.state = State::kSslv2Header;
            s.sslv2 = true;
          } else {
            GiveUp(s);
          }
        } else {
          s.state = State::kRecordHeader;
        }
        s.header_len = 0;
        break;
      case State::kRecordHeader: {
        if (s.header_len == 0) {
          s.record_start = s.offset;
          // SSLv2 was negotiated: the rest is SSLv2 records, not followed.
          if (s.sslv2 && (data[i] & 0x80)) {
            GiveUp(s);
            break;
          }
        }
        size_t take = std::min<size_t>(5 - s.header_len, len - i);
        std::memcpy(s.header + s.header_len, data + i, take);
        s.header_len = static_cast<uint8_t>(s.header_len + take);
        i += take;
        s.offset += take;
        if (s.header_len == 5) StartRecord(dir, s);
        break;
      }
      case State::kRecordBody: {
        size_t take = std::min<size_t>(s.record_left, len - i);
        if (s.record_type == kHandshake) HandshakeBytes(dir, s, data + i, take, s.offset);
        // Alerts and heartbeats are skipped; their bodies may be encrypted.
        i += take;
        s.offset += take;
        s.record_left -= static_cast<uint32_t>(take);
        if (s.record_left == 0 && s.state == State::kRecordBody) s.state = State::kRecordHeader;
        break;
      }
      case State::kSslv2Header: {
        if (s.header_len == 0) s.record_start = s.offset;
        size_t take = std::min<size_t>(2 - s.header_len, len - i);
        std::memcpy(s.header + s.header_len, data + i, take);
        s.header_len = static_cast<uint8_t>(s.header_len + take);
        i += take;
        s.offset += take;
        if (s.header_len < 2) break;
        s.header_len = 0;
        s.record_left = (uint32_t{s.header[0] & 0x7fu} << 8) | s.header[1];
        // Message type, version and three lengths at least.
        if (s.record_left < 9) {
          AddAnomaly(Anomaly::kInvalidSslv2Record, s.record_start);
          GiveUp(s);
          break;
        }
        s.hs_buf.clear();
        s.state = State::kSslv2Body;
        break;
      }
      case State::kSslv2Body: {
        size_t take = std::min<size_t>(s.record_left, len - i);
        s.hs_buf.append(reinterpret_cast<const char*>(data + i), take);
        i += take;
        s.offset += take;
        s.record_left -= static_cast<uint32_t>(take);
        if (s.record_left == 0) Sslv2Hello(s);
        break;
      }
    }
  }
}

void TlsParser::Gap(Direction dir) {
  Side& s = SideOf(dir);
  if (s.state == State::kDone) return;
  AddAnomaly(Anomaly::kGap, s.offset);
  GiveUp(s);
}

// --- Probing -------------------------------------------------------------

namespace {

Probe ProbeRecord(const uint8_t* d, size_t len, bool client) {
  if (len == 0) return Probe::kNeedMore;
  if (d[0] & 0x80) {
    // SSLv2 two-byte header: CLIENT-HELLO (1) with a version, SERVER-HELLO (4).
    if (len < 3) return Probe::kNeedMore;
    uint32_t rec_len = (uint32_t{d[0] & 0x7fu} << 8) | d[1];
    if (client) {
      if (d[2] != 1 || rec_len < 9) return Probe::kNo;
      if (len < 5) return Probe::kNeedMore;
      bool v2 = d[3] == 0 && d[4] == 2;
      bool v3 = d[3] == 3 && d[4] <= 4;
      return v2 || v3 ? Probe::kYes : Probe::kNo;
    }
    if (d[2] != 4 || rec_len < 11) return Probe::kNo;
    if (len < 7) return Probe::kNeedMore;
    return d[5] == 0 && d[6] == 2 ? Probe::kYes : Probe::kNo;
  }
  if (d[0] < kChangeCipherSpec || d[0] > kHeartbeat) return Probe::kNo;
  if (len < 3) return Probe::kNeedMore;
  if (d[1] != 3 || d[2] > 4) return Probe::kNo;
  if (len < 5) return Probe::kNeedMore;
  uint32_t rec_len = (uint32_t{d[3]} << 8) | d[4];
  if (rec_len > kMaxRecord) return Probe::kNo;
  if (d[0] != kHandshake) return Probe::kYes;
  if (rec_len < 4) return Probe::kNo;
  if (len < 6) return Probe::kNeedMore;
  return d[5] == (client ? kClientHelloMsg : kServerHelloMsg) ? Probe::kYes : Probe::kNo;
}

}  // namespace

Probe ProbeClient(const uint8_t* data, size_t len) { return ProbeRecord(data, len, true); }
Probe ProbeServer(const uint8_t* data, size_t len) { return ProbeRecord(data, len, false); }

}  // namespace kagami::app::tls
