#pragma once
// TlsParser: follows the plaintext part of a TLS session (SSLv3 to TLS 1.3)
// in both directions and extracts what rules and EVE need: the hellos with
// their JA3/JA3S/JA4 fingerprints, the server's certificate chain (TLS <= 1.2,
// where it travels in the clear), the negotiated version.
//
// Layers: records (5-byte header, reassembled across TCP segments) carry a
// handshake byte stream per direction; handshake messages may span records
// and a record may hold several messages. Only the messages we read
// (ClientHello, ServerHello, Certificate) are buffered, each capped by
// TlsOptions::max_handshake_message; everything else is skipped by length.
// Once a direction turns encrypted (ChangeCipherSpec before TLS 1.3, or
// application data), its bytes are only counted.
//
// The parser is a byte-stream state machine: the result never depends on
// how the data is split across Feed calls.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kagami::app::tls {

enum class Direction : uint8_t { kToServer, kToClient };

struct TlsOptions {
  uint32_t max_handshake_message = 256 * 1024;  // bytes buffered for one message
  uint32_t max_certificates = 16;               // certificates parsed per chain
  uint32_t max_anomalies = 64;                  // anomalies kept per session
  // Decode every certificate of the server's chain. Off by default: rules
  // and EVE use the leaf, so the others keep only their DER (tls.certs);
  // decoding names costs more than the rest of the handshake.
  bool decode_chain = false;
};

// Malformed or unexpected input. Each is recorded with the stream offset (in
// its direction, counting every byte fed) of the record or message at fault.
enum class Anomaly : uint8_t {
  kInvalidRecordType,     // content type outside 20..24: the direction is given up
  kInvalidRecordVersion,  // record version major byte is not 3: given up
  kRecordTooLong,         // record length above 2^14 + 2048: given up
  kEmptyHandshakeRecord,  // zero-length handshake record (forbidden by the RFCs)
  kInterleavedRecord,     // other record type inside a fragmented handshake message
  kHandshakeTooLong,      // message above max_handshake_message: skipped
  kInvalidClientHello,    // ClientHello fields or lengths inconsistent
  kInvalidServerHello,
  kInvalidExtension,  // an extension's inner lengths are inconsistent
  kInvalidCertificateMessage,
  kInvalidCertificate,   // a certificate that does not decode (bytes kept)
  kTooManyCertificates,  // chain longer than max_certificates
  kUnexpectedHandshake,  // hello in the wrong direction
  kInvalidSslv2Record,   // SSLv2-compatible ClientHello that does not parse
  kGap,                  // data lost: the direction is given up
};

const char* AnomalyName(Anomaly a);

struct ClientHello {
  uint16_t legacy_version = 0;
  // Values as on the wire, GREASE included; the fingerprints drop GREASE.
  std::vector<uint16_t> cipher_suites{}, extensions{}, supported_groups{}, signature_algorithms{},
      supported_versions{};
  std::vector<uint8_t> ec_point_formats{};
  std::string sni{};                     // first host_name entry, raw bytes
  std::vector<std::string> alpn{};       // protocol names, raw bytes
  bool sslv2 = false;                    // came in an SSLv2-compatible record
  std::string ja3_string{}, ja3_hash{};  // JA3 (GREASE values excluded), MD5 lower hex
  std::string ja4{};                     // JA4 with the TCP "t" prefix
};

struct ServerHello {
  uint16_t legacy_version = 0;
  uint16_t selected_version = 0;  // from supported_versions, else legacy_version
  uint16_t cipher_suite = 0;
  std::vector<uint16_t> extensions{};  // as on the wire
  bool hello_retry_request = false;    // TLS 1.3 HelloRetryRequest (the real one follows)
  std::string ja3s_string{}, ja3s_hash{};
};

struct Certificate {
  // Suricata's format: RDNs in certificate order, "SN=value" joined by ", "
  // (" + " inside a multi-valued RDN), value bytes raw (NULs kept).
  std::string subject{}, issuer{};
  std::string serial{};            // upper-case hex bytes joined by ':'
  std::string fingerprint_sha1{};  // lower-case hex joined by ':'
  std::string fingerprint_sha256{};
  int64_t not_before = 0, not_after = 0;         // Unix seconds
  std::vector<std::string> subject_alt_names{};  // DNS names
  std::string der{};                             // the certificate bytes
  bool decoded = false;  // false: not a well-formed certificate; only der + fingerprints
};

struct Session {
  std::optional<ClientHello> client_hello{};
  std::optional<ServerHello> server_hello{};
  std::vector<Certificate> certificates{};  // server chain, leaf first
  uint16_t version = 0;  // negotiated (ServerHello's selected), else ClientHello's legacy
  bool client_hello_done = false, server_hello_done = false, certificates_done = false;
  // Both directions past ChangeCipherSpec / application data: nothing more to parse.
  bool encrypted = false;
  bool encrypted_to_server = false, encrypted_to_client = false;
  bool updated =
      false;  // set whenever something here changed (anomalies too); the caller clears it
  std::vector<std::pair<Anomaly, uint64_t>> anomalies{};
};

// Suricata's EVE "version" text.
std::string VersionName(uint16_t v);

class TlsParser {
 public:
  explicit TlsParser(const TlsOptions& options = {});

  void Feed(Direction dir, const uint8_t* data, size_t len);
  // Bytes were lost in `dir`: record framing is gone, so the direction is
  // given up (a gap in an encrypted direction changes nothing).
  void Gap(Direction dir);

  const Session& session() const { return session_; }
  Session& session() { return session_; }
  // Both directions encrypted or given up: further Feed calls only count bytes.
  bool finished() const;

 private:
  enum class State : uint8_t {
    kStart,  // first byte decides TLS record vs SSLv2-compatible hello
    kRecordHeader,
    kRecordBody,
    kSslv2Header,
    kSslv2Body,
    kDone,  // encrypted or given up
  };
  struct Side {
    State state = State::kStart;
    uint64_t offset = 0;  // bytes fed so far
    uint8_t header[5] = {};
    uint8_t header_len = 0;
    uint8_t record_type = 0;
    uint32_t record_left = 0;  // body bytes of the current record still to come
    uint64_t record_start = 0;
    // Handshake stream.
    uint8_t hs_header[4] = {};
    uint8_t hs_header_len = 0;
    uint32_t hs_left = 0;  // body bytes of the current message still to come
    bool hs_in_body = false;
    bool hs_keep = false;  // buffering this message
    bool sslv2 = false;    // opened with an SSLv2-compatible ClientHello
    uint64_t hs_start = 0;
    std::string hs_buf{};
  };

  Side& SideOf(Direction dir) { return dir == Direction::kToServer ? to_server_ : to_client_; }
  void AddAnomaly(Anomaly a, uint64_t offset);
  void GiveUp(Side& s);
  void MarkEncrypted(Direction dir);
  void StartRecord(Direction dir, Side& s);
  void HandshakeBytes(Direction dir, Side& s, const uint8_t* p, size_t n, uint64_t at);
  void HandshakeMessage(Side& s);
  bool Tls13() const;
  void Sslv2Hello(Side& s);

  TlsOptions options_;
  Side to_server_, to_client_;
  Session session_;
};

enum class Probe : uint8_t { kYes, kNo, kNeedMore };

// A TLS record header (content type 20..24, version 0x0300..0x0304, sane
// length); for a handshake record the next byte must be a ClientHello
// (ProbeClient) or ServerHello (ProbeServer). SSLv2-compatible hellos are
// recognised as well.
Probe ProbeClient(const uint8_t* data, size_t len);
Probe ProbeServer(const uint8_t* data, size_t len);

}  // namespace kagami::app::tls
