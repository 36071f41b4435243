#pragma once
// Records over a socket: unix-dgram: and unix-stream: (EVE JSON as it is,
// one datagram per record or newline-delimited), syslog: (RFC 5424 to the
// local log socket), syslog+udp:// (one message per datagram) and
// syslog+tcp:// (RFC 6587 octet counting: "LENGTH SP MESSAGE").
//
// Sends time out after a few seconds, so a peer that stops reading counts
// as failed instead of blocking delivery forever. Before each stream send
// the socket is checked for the peer having closed it, so a peer that
// shuts down cleanly loses nothing it had not already been sent.

#include <sys/socket.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/output/sinks/output_spec.h"
#include "engine/output/sinks/syslog_message.h"
#include "engine/output/sinks/transport.h"

namespace kagami::output {

class SocketTransport final : public Transport {
 public:
  enum class Framing {
    kJsonLines,     // stream: the records as they are
    kJsonDatagram,  // datagram: one record without its newline
    kSyslogDatagram,
    kSyslogOctetCounted,
  };
  struct Peer {
    int type = SOCK_STREAM;  // SOCK_STREAM or SOCK_DGRAM
    std::string path;        // a unix socket, or empty for host:port
    std::string host;
    uint16_t port = 0;
  };
  SocketTransport(std::string describe, Peer peer, Framing framing, std::optional<SyslogFormatter> syslog)
      : describe_(std::move(describe)), peer_(std::move(peer)), framing_(framing), syslog_(std::move(syslog)) {}
  ~SocketTransport() override { Disconnect(); }
  std::string Describe() const override { return describe_; }
  absl::Status Connect() override;
  DeliverResult Deliver(std::string_view records) override;
  void Disconnect() override;

 private:
  void Frame(std::string_view record, std::string& out) const;
  DeliverResult DeliverDatagrams(std::string_view records);
  DeliverResult DeliverStream(std::string_view records);
  absl::Status PeerGone();

  const std::string describe_;
  const Peer peer_;
  const Framing framing_;
  const std::optional<SyslogFormatter> syslog_;
  int fd_ = -1;
  std::string buffer_;               // framed messages being sent
  std::vector<size_t> record_ends_;  // per framed message: its end in the records
  std::vector<size_t> frame_ends_;   // and its end in buffer_
};

// unix-dgram:PATH, unix-stream:PATH, syslog:[PATH], syslog+udp://HOST:PORT,
// syslog+tcp://HOST:PORT; syslog takes ?facility=NAME&hostname=H&app=NAME.
absl::StatusOr<std::unique_ptr<Transport>> MakeSocketTransport(OutputSpec& spec);

}  // namespace kagami::output
